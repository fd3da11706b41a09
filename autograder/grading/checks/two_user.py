"""Checks of a two-user chat: a person at the server (its stdin and stdout)
and one scripted peer connected to it (TCP) or talking to it (UDP).

What the lab asks of it: both directions work, and at the same time — one
thread receives while the other waits for the keyboard.  The common bug is
lock-step ping-pong (recv, then input, then recv…): each side must wait for
the other before it can speak again.  That costs `duplex`, not everything.
"""
from __future__ import annotations

import time

from autograder.grading.registry import check
from autograder.results import CheckFailed, msg

DELIVERY = 5.0
TWO_USER = ("tcp-two-user", "udp-two-user")
NAME_PROMPT = ("name", "nick", "имя", "ник")


def _peer(room, server):
    """Connect the scripted peer; over UDP it must speak first to be known."""
    peer = room.connect("peer")
    if server.kind == "udp":
        hello = room.token("hi")
        start = len(server.child.stdout.text)
        peer.say(hello)
        # The server learns where we are from this datagram: let it see it before anyone types.
        server.child.stdout.wait_for(hello, 2.0, start)
    else:
        spoke = room.wait_until(lambda: peer.stream.byte_count > 0, 0.5)
        if spoke and any(word in peer.text.lower() for word in NAME_PROMPT):
            peer.say(peer.name)
    room.settle(at_most=1.0)
    return peer


def _server_prints(server, body: str, timeout: float, start: int) -> bool:
    return server.child.stdout.wait_for(body, timeout, start)


@check("connects", depends=["starts"], variants=TWO_USER)
def check_peer_is_served(room, server):
    """The other person can connect and stays connected."""
    peer = _peer(room, server)
    room.wait_until(lambda: peer.closed_by_server or not server.child.alive(), 0.3)
    if peer.closed_by_server or not server.child.alive():
        raise CheckFailed(msg("fail.two.closed"), hint=msg("hint.two.closed"))


@check("server_to_client", depends=["connects"], variants=TWO_USER)
def check_typed_at_server_reaches_peer(room, server):
    """A line typed at the server reaches the other person."""
    peer = _peer(room, server)
    # In conversation order (the peer spoke first), so a lock-step chat that
    # starts by receiving passes here and loses only `duplex`.
    peer.say(room.token("hello"))
    body = room.token("from-server")
    server.child.type_line(body)
    if not peer.wait_for_text(body, DELIVERY):
        raise CheckFailed(msg("fail.two.to_peer"), expected=body, actual=peer.new_text[-200:],
                          hint=msg("hint.two.to_peer"))


@check("client_to_server", depends=["connects"], variants=TWO_USER)
def check_peer_line_is_printed(room, server):
    """A line from the other person is printed at the server."""
    peer = _peer(room, server)
    start = len(server.child.stdout.text)
    greeting = room.token("hello")
    server.child.type_line(greeting)  # conversation order: the server's person spoke first
    peer.wait_for_text(greeting, 1.5)  # a lock-step server reads the network first: fine here
    body = room.token("from-peer")
    peer.say(body)
    if not _server_prints(server, body, DELIVERY, start):
        raise CheckFailed(msg("fail.two.to_server"), expected=body,
                          actual=server.child.stdout.text[start:][-200:], hint=msg("hint.two.to_server"))


@check("duplex", depends=["server_to_client", "client_to_server"], variants=TWO_USER)
def check_both_directions_at_once(room, server):
    """Both sides can speak twice in a row, without waiting for the other."""
    peer = _peer(room, server)
    start = len(server.child.stdout.text)
    for number in (1, 2):
        body = room.token(f"peer-{number}")
        peer.say(body)
        if not _server_prints(server, body, 3.0, start):
            raise CheckFailed(msg("fail.two.lockstep", side="client", number=number), expected=body,
                              actual=server.child.stdout.text[start:][-200:], hint=msg("hint.two.lockstep"))
    for number in (1, 2):
        body = room.token(f"server-{number}")
        server.child.type_line(body)
        if not peer.wait_for_text(body, 3.0):
            raise CheckFailed(msg("fail.two.lockstep", side="server", number=number), expected=body,
                              actual=peer.new_text[-200:], hint=msg("hint.two.lockstep"))


@check("ending", depends=["connects"], variants=TWO_USER)
def check_clean_ending(room, server):
    """When the other person leaves, the server ends cleanly (no traceback)."""
    peer = _peer(room, server)
    peer.say("/quit")
    peer.close()
    ended = server.child.wait_exit(3.0)
    if not ended:
        server.child.type_line("/quit")
        ended = server.child.wait_exit(2.0)
    if not ended:
        server.child.close_stdin()
        ended = server.child.wait_exit(2.0)
    crash = server.child.traceback()
    if crash:
        raise CheckFailed(msg("fail.two.traceback"), actual=crash, hint=msg("hint.client.exit"))
    if not ended:
        raise CheckFailed(msg("fail.two.hangs"), hint=msg("hint.client.exit"))
