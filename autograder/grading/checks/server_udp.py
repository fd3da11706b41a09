"""Checks of a multi-user UDP chat server.

The behaviours are the TCP ones where they make sense, run by the same
check functions with UDP users (``clients.UdpUser``: one datagram, one
message; registration learnt from the student's own client).  What differs:
"served" means the server answers or relays at all, and `threads` is about
the client, which the lab asks to receive in a thread.
"""
from __future__ import annotations

from autograder.intake import static
from autograder.grading.checks import check
from autograder.grading.checks.server_tcp import check_broadcast_reaches_everyone, check_cyrillic_survives, check_join_is_announced, check_leave_is_announced, check_messages_carry_names, check_server_starts, check_ten_users_at_once
from autograder.results import CheckFailed, msg


@check("handshake", depends=["starts"])
def check_registration_is_served(room, server):
    """A nickname is accepted and the user is served."""
    alice, bob = room.join("alice", "bob")
    before = room.bytes_received()
    alice.say(room.token("hello"))
    if not room.wait_until(lambda: room.bytes_received() > before, 3.0) and room.bytes_received() == 0:
        died = not server.child.alive()
        raise CheckFailed(msg("fail.udp.dead" if died else "fail.udp.silent", form=alice.room.profile.udp_join
                              or "/join {name}"), hint=msg("hint.udp.silent"))


@check("threads", depends=["starts"], title="check.threads_udp")
def check_client_receives_in_a_thread(grading):
    """The client receives in its own thread (threading)."""
    if grading.client_file is None:
        raise CheckFailed(msg("fail.client.missing"), hint=msg("hint.client.missing"))
    if not static.analyse(grading.client_file).uses_threading:
        raise CheckFailed(msg("fail.udp.client_no_threading"), hint=msg("hint.client.no_receive"))
