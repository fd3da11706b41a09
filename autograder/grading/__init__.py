"""Grading: from a submission to a verdict for every check.

``pipeline.grade(PATH)`` is the whole path: intake, then ``probe`` (the
server started once; the handshake and how the chat relays, learnt as
values), then ``runner`` (every check of ``registry`` at once, each with its
own server and users from ``fixtures``, bounded by its deadline), then
``drivers`` (checks the grader's users could not play, once more through the
student's own frames or client copies), then the pure stages: ``hints``
(which known mistake explains a failure) and ``rubric`` (points, cap, score).
``session`` holds the running programs; ``clientrun`` and ``puppet`` drive the
student's client.  The checks themselves live in ``checks/``.
"""
