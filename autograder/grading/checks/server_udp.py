"""Checks of a multi-user UDP chat server.

The behaviours are the TCP ones where they make sense (registered in
``server_tcp`` for both transports), run with UDP users (``clients.UdpUser``: one datagram, one
message; registration learnt from the student's own client).  What differs:
"served" means the server answers or relays at all, and `threads` is about
the client, which the lab asks to receive in a thread.
"""
from __future__ import annotations

from autograder.grading.registry import check
from autograder.results import CheckFailed, msg

UDP = ("udp-multi",)


@check("handshake", depends=["starts"], variants=UDP)
def check_registration_is_served(room, server):
    """A nickname is accepted and the user is served."""
    alice, bob = room.join("alice", "bob")
    before = room.bytes_received()
    alice.say(room.token("hello"))
    if not room.wait_until(lambda: room.bytes_received() > before, 3.0) and room.bytes_received() == 0:
        died = not server.child.alive()
        raise CheckFailed(msg("fail.udp.dead" if died else "fail.udp.silent", form=alice.room.profile.udp_join
                              or "/join {name}"), hint=msg("hint.udp.silent"))
