"""The wire: scripted chat users and what they hear, over real sockets.

``protocol`` is sans-IO: a ``TextStream`` fed bytes, matchers that find a
message (with or without its sender's name) however the stream was cut,
``visible()`` for invisible characters.  ``clients`` are the grader's users
(``Room``, ``ScriptedUser``, ``UdpUser``), waiting on events with deadlines;
``frames`` learns a protocol of the student's own from its bytes; ``names``
draws the users' names and words per run; ``fakeserver`` is the server a
student's client talks to; ``prompts`` the start-up questions programs ask.
Nothing here starts a process.
"""
