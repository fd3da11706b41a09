"""An instructor's own checks, graded beside the built-in ones.

    autograde submissions/ --checks labs/chat/instructor/my_checks.py

A check is a function with fixtures, pytest style: ``room`` (scripted users
talking to a freshly started copy of the student's server), ``server`` (that
server: ``server.child.stdout.text``, ``server.child.alive()``), ``probe``
(what the grader learnt first: ``probe.relay.result().framing``…), ``grading``
(the submission's files: ``grading.server_file``).  ``@check`` gives its id
(a column of the gradebook), the checks it needs first, the variants it
applies to, its deadline in seconds and its points (or give them in your
rubric.toml under [points]).  Fail with ``assert`` or ``CheckFailed`` (which
also shows what was expected and what arrived); the first docstring line is
the title students read.  Each check runs at the same time as the others,
against its own server.
"""
from autograder import CheckFailed, check

MULTI_USER = ("tcp-multi", "udp-multi")


@check("who_is_online", depends=["broadcast"], variants=MULTI_USER, timeout=30, points=5)
def check_users_command_lists_everyone(room):
    """/users shows everyone who is online."""
    alice, bob, carol = room.join("alice", "bob", "carol")
    room.settle()
    alice.say("/users")
    listed = room.wait_until(lambda: bob.name in alice.new_text and carol.name in alice.new_text, 3.0)
    if not listed:
        raise CheckFailed(f"after /users, {alice.name} was not told that {bob.name} and {carol.name} are online",
                          expected=f"{alice.name}, {bob.name}, {carol.name}", actual=alice.new_text[-200:],
                          hint="answer /users with the names of everyone connected")


@check("server_greets", depends=["handshake"], variants=MULTI_USER, timeout=30, points=2)
def check_server_says_welcome(room):
    """A newcomer is welcomed in words."""
    (alice,) = room.join("alice")
    room.settle(at_most=1.0)
    assert alice.text.strip(), "the server said nothing at all to a newcomer"
