"""The lab's demand of threading, as each variant has it: a TCP server serves each
client in a thread; a UDP client receives in one; either side of a two-user chat
listens in one while the other waits for the keyboard.

Reported after the behaviour checks, in every variant.
"""
from __future__ import annotations

import time

from autograder.grading.checks.two_user import TWO_USER, _peer
from autograder.grading.registry import check
from autograder.intake import static
from autograder.results import CheckFailed, msg


@check("threads", depends=["starts"], variants=("tcp-multi",))
def check_thread_per_client(server, room, grading):
    """The server uses threading, a thread per connected client."""
    facts = static.analyse(grading.server_file)
    if not facts.uses_threading:
        raise CheckFailed(msg("fail.threads.static"), hint=msg("hint.threads.static"))
    baseline = server.child.thread_count()
    users = room.join("alice", "bob", "carol")
    room.settle()
    with_users = server.child.thread_count()
    grading.detected["threads"] = {"idle": baseline, "with_3_users": with_users}
    if with_users - baseline < len(users):
        raise CheckFailed(msg("fail.threads.dynamic", idle=baseline, busy=with_users),
                          hint=msg("hint.threads.dynamic"))


@check("threads", depends=["starts"], title="check.threads_udp", variants=("udp-multi",))
def check_client_receives_in_a_thread(grading):
    """The client receives in its own thread (threading)."""
    if grading.client_file is None:
        raise CheckFailed(msg("fail.client.missing"), hint=msg("hint.client.missing"))
    if not static.analyse(grading.client_file).uses_threading:
        raise CheckFailed(msg("fail.udp.client_no_threading"), hint=msg("hint.client.no_receive"))


@check("threads", depends=["connects"], title="check.threads_two_user", variants=TWO_USER)
def check_receives_in_a_thread(room, server, grading):
    """The server uses threading: one thread receives while another reads the keyboard."""
    if not static.analyse(grading.server_file).uses_threading:
        raise CheckFailed(msg("fail.threads.static"), hint=msg("hint.two.threads"))
    _peer(room, server)
    # The receiving thread may start a moment after the peer appears (UDP: at its first datagram).
    deadline = time.monotonic() + 2.0
    while server.child.thread_count() < 2 and time.monotonic() < deadline:
        room.wait_until(lambda: False, 0.1)  # a fact of another process: nothing to wait on but time
    if server.child.thread_count() < 2:
        raise CheckFailed(msg("fail.two.one_thread"), hint=msg("hint.two.lockstep"))
