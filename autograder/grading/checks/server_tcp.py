"""Checks of a multi-user TCP chat server.

Every scenario uses scripted users (``clients.Room``) against a freshly
started sandboxed server.  Nicknames are plain words that cannot be mistaken
for each other; message texts are unique tokens.  Deadlines are generous: a
correct server answers in milliseconds, and we wait seconds.
"""
from __future__ import annotations

import time

from autograder.intake import static
from autograder.grading.probe import DELIVERY, relay_round, unnamed_deliveries
from autograder.grading.registry import MULTI_USER, VARIANTS, NotApplicable, check
from autograder.wire.clients import send_buffer_ceiling
from autograder.wire.protocol import has_name, relayed_words
from autograder.results import CheckFailed, msg

TCP = ("tcp-multi",)
NOTICE = 3.0  # seconds a join/leave notice may take
IDLE_CPU = 0.15  # share of one core an idle server may use
STAYS_OPEN = 0.25  # seconds a connection must survive the nickname, and a message
SLOW_BODY = 990  # characters of one flood message: far below any line limit a chat sets (4096 in the protocol)
STALLED_BUFFER = 4096  # the receive buffer of the user who stops reading, so it fills at once
STUCK = 3.0  # seconds in which bob gets not one byte more while alice's messages are pending: frozen
SLOW_AT_MOST = 45.0  # a chat still delivering after this long is slow, not frozen
PIECE_GAP = 0.2  # seconds between the two halves of a message: they leave as two TCP segments
# About 160 bytes: a sentence, longer than any small recv() a server might take for a message.
LONG_TEXT = " is a long line on purpose, as people type them: " + "0123456789" * 10
NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]


def _missing(deliveries) -> str:
    return "; ".join(f"{sender} → {receiver}: {body!r}" for sender, receiver, body in deliveries[:6])


def _expected_line(users, said, sender: str, body: str) -> str:
    """The line ``body`` from ``sender`` should have arrived as, in this chat's own form: a message
    that did arrive, its sender and text swapped for these (the recommended form if none did)."""
    for receiver in users:
        for other, other_body in said.items():
            found = receiver.find(other_body) if other_body != body else None
            if found:
                text = receiver.text
                start = text.rfind("\n", 0, found.start) + 1
                end = text.find("\n", found.end)
                line = text[start:end if end >= 0 else len(text)]
                return line.replace(other_body, body).replace(other, sender)
    return f"{sender}: {body}"


@check("starts", variants=VARIANTS)
def check_server_starts(server, grading):
    """The server starts and listens within 10 s."""
    if server.address is not None:
        grading.detected["transport"] = server.kind
        grading.detected["startup_seconds"] = round(server.startup_seconds, 2)
        return
    child = server.child
    crash = child.first("exception")
    if crash:
        if crash["type"] in ("ModuleNotFoundError", "ImportError"):
            raise CheckFailed(msg("fail.starts.import", error=crash["message"]), hint=msg("hint.starts.import"))
        raise CheckFailed(msg("fail.starts.crashed", **crash), hint=msg("hint.starts.crashed"))
    if not child.alive():
        raise CheckFailed(msg("fail.starts.exited", code=child.exit_code), hint=msg("hint.starts.exited"))
    if child.all("bind"):
        raise CheckFailed(msg("fail.starts.no_listen"), hint=msg("hint.starts.no_listen"))
    waiting = child.all("input")
    if waiting:
        raise CheckFailed(msg("fail.starts.input", prompt=waiting[-1]["prompt"]), hint=msg("hint.starts.input"))
    raise CheckFailed(msg("fail.starts.timeout", seconds=10), hint=msg("hint.starts.timeout"))


@check("handshake", depends=["starts"], variants=TCP)
def check_nickname_handshake(room, server):
    """A nickname is accepted and the user is served."""
    alice, bob = room.join("alice", "bob")
    # One window for both questions: bob only gave his nickname, alice also speaks;
    # when a connection ended tells after what.
    said_at = time.monotonic()
    alice.say(room.token("hello"))
    room.wait_until(lambda: alice.closed_by_server or bob.closed_by_server, STAYS_OPEN)
    for user in (bob, alice):
        if user.closed_by_server and (user is bob or (user.closed_at or said_at) < said_at):
            raise CheckFailed(msg("fail.handshake.closed", who=user.name), hint=msg("hint.handshake.closed"))
    if alice.closed_by_server:
        raise CheckFailed(msg("fail.handshake.closed_after_message", who=alice.name), hint=msg("hint.handshake.closed"))


@check("broadcast", depends=["handshake"], variants=MULTI_USER)
def check_broadcast_reaches_everyone(room):
    """A message reaches every other user."""
    users = room.join("alice", "bob", "carol")
    room.settle()
    said, missing = relay_round(room, users)
    if missing:
        echoed = any(sender.find(said[sender.name]) for sender in users)
        delivered = len(users) * (len(users) - 1) - len(missing)
        sender, receiver, body = missing[0]
        got = next(u for u in users if u.name == receiver).new_text[-300:]
        raise CheckFailed(msg("fail.broadcast.missing", count=len(missing), missing=_missing(missing)),
                          expected=_expected_line(users, said, sender, body), actual=got or None,
                          hint=msg("hint.broadcast.missing"), facts={"echo_to_sender": echoed, "delivered": delivered})
    _long_message_arrives_whole(room, users)


def _long_message_arrives_whole(room, users) -> None:
    """A sentence as long as people type: a server that relays each small recv()
    as a message of its own (``recv(32)``, the name before each piece) cuts it up."""
    body = room.token("long") + LONG_TEXT
    sender, others = users[0], users[1:]
    sender.say(body)
    room.wait_until(lambda: all(u.find(body) for u in others), DELIVERY)
    cut = [u for u in others if not u.find(body)]
    if cut:
        raise CheckFailed(msg("fail.broadcast.long", size=len(body.encode("utf-8")), receiver=cut[0].name),
                          expected=body, actual=cut[0].new_text[-300:], hint=msg("hint.framing"))


@check("names", depends=["broadcast"], variants=MULTI_USER)
def check_messages_carry_names(room):
    """Messages carry the sender's name."""
    users = room.join("alice", "bob", "carol")
    room.settle()
    said, missing = relay_round(room, users)
    if missing:
        raise CheckFailed(msg("fail.broadcast.missing", count=len(missing), missing=_missing(missing)))
    unnamed = unnamed_deliveries(users, said)
    if unnamed and len(room.learn_shown_names(said, users)) == len(users):
        unnamed = []  # the server names users itself (Гость 1, ip:port), each their own name
    if unnamed:
        sender, receiver, line = unnamed[0]
        raise CheckFailed(msg("fail.names.missing", sender=sender, receiver=receiver),
                          expected=f"{sender}: {said[sender]}", actual=line, hint=msg("hint.names.missing"))


@check("join_notice", depends=["handshake"], variants=MULTI_USER)
def check_join_is_announced(room, grading):
    """Others are told when a user joins."""
    (alice,) = room.join("alice")
    room.settle()
    (bob,) = room.join("bob")
    alice.wait_for_mention(bob, NOTICE)
    notices = alice.notices_of(bob)
    if not notices or all(_ends_with(line, bob.introduced_with) for line in notices):
        # Maybe only bob's nickname line relayed as chat ("Гость 2: bob"), or the server
        # names him its own way: learn how it relays and names, then look again.
        notices = _notices_beyond_relay(room, alice, bob, grading.profile)
    if not notices:
        shown = f"{bob.name} ({bob.shown_as})" if bob.shown_as else bob.name
        raise CheckFailed(msg("fail.join_notice.missing", receiver=alice.name, joiner=bob.name), expected=msg("expected.notice.join", name=shown), actual=alice.new_text[-200:],
                          hint=msg("hint.join_notice.missing"))
    grading.profile.notices = True


LEARN_WAIT = 1.0  # seconds one message may take while the grader learns how the server relays


def _ends_with(line: str, words: str) -> bool:
    return line.strip().casefold().endswith(words.strip().casefold())


def _notices_beyond_relay(room, alice, bob, profile):
    """The lines about bob that alice got since he arrived and before he spoke,
    without his own introduction relayed as chat, once the names the server
    shows are known. If the server relays nothing, what was seen stands."""
    start, seen = alice.cursor, alice.notices_of(bob)
    said = room.exchange(bob, alice, LEARN_WAIT)
    prefix = alice.prefix_before(said[bob.name])
    if prefix is None:
        return seen
    room.learn_shown_names(said, [alice, bob])
    before_words = alice.text[start:alice.find(said[bob.name]).start]
    lines = [line for line in before_words.split("\n") if line.strip()]
    relayed = (prefix, bob.introduced_with)
    if not _announces(bob):
        if any(relayed_words(line, *relayed) for line in lines):
            profile.nickname_step = False
    else:
        relayed = None  # the client's own "bob joined" datagram, passed on: others are told
    return alice.notices_of(bob, start, relayed=relayed, before=said[bob.name])


def _announces(user) -> bool:
    """The words a user introduced themselves with say more than a name or a
    command (a UDP client that registers with "bob вошёл в чат"): relayed, they tell the others."""
    words = user.introduced_with.strip()
    return " " in words and not words.startswith(("/", "!")) and words.casefold() != user.name.casefold()


@check("leave_notice", depends=["handshake"], variants=MULTI_USER)
def check_leave_is_announced(room):
    """Others are told within a few seconds when a user leaves."""
    alice, bob = room.join("alice", "bob")
    room.settle()
    bob.close()
    if alice.wait_for_notice(bob, NOTICE, exclude=getattr(bob, "left_with", None)):
        return
    # The server may name users its own way (Гость 2): learn how it shows a newcomer, then see them go.
    (carol,) = room.join("carol")
    room.settle()
    said = room.exchange(carol, alice, LEARN_WAIT)
    room.learn_shown_names(said, [alice, carol])
    if carol.shown_as is not None:
        room.settle()
        carol.close()
        if alice.wait_for_notice(carol, NOTICE, exclude=getattr(carol, "left_with", None)):
            return
    raise CheckFailed(msg("fail.leave_notice.missing", seconds=NOTICE, receiver=alice.name, leaver=bob.name),
                      expected=msg("expected.notice.leave", name=bob.name),
                      actual=alice.new_text[-200:], hint=msg("hint.leave_notice.missing"))


@check("drop_survival", depends=["broadcast"], variants=TCP)
def check_survives_vanished_user(room, server):
    """After a user vanishes (connection reset), the others keep chatting."""
    alice, bob, carol = room.join("alice", "bob", "carol")
    room.settle()
    bob.vanish()
    # Give the reset time to land; a leave notice, if the server sends one, ends the wait early.
    room.wait_until(lambda: has_name(alice.new_text, bob.name) and has_name(carol.new_text, bob.name), 0.5)
    for round_number in range(3):
        for sender, receiver in ((alice, carol), (carol, alice)):
            body = room.token(sender.name)
            sender.say(body)
            if not receiver.wait_for_text(body, DELIVERY):
                died = not server.child.alive()
                raise CheckFailed(
                    msg("fail.drop.dead" if died else "fail.drop.lost", sender=sender.name, receiver=receiver.name,
                        vanished=bob.name,
                        number=round_number * 2 + (1 if sender is alice else 2)),
                    expected=body, actual=receiver.new_text[-200:],
                    hint=msg("hint.drop.dead" if died else "hint.drop.lost"))
    if not server.child.alive():
        raise CheckFailed(msg("fail.drop.dead_later"), hint=msg("hint.drop.dead"))


@check("idle_after_leave", depends=["handshake"], variants=TCP)
def check_quiet_after_leave(room, server):
    """After users leave, the server neither spins the CPU nor sends junk."""
    alice, bob = room.join("alice", "bob")
    room.settle()
    bob.close()
    alice.wait_for_mention(bob, 1.0)
    alice.wait_quiet(0.15, at_most=0.5)
    window = 0.4
    bytes_before = alice.stream.byte_count
    cpu_before, started = server.child.cpu_demand_seconds(), time.monotonic()
    room.wait_until(lambda: alice.stream.byte_count - bytes_before > 65536, window)
    elapsed = max(time.monotonic() - started, 1e-3)
    usage = (server.child.cpu_demand_seconds() - cpu_before) / elapsed
    junk = alice.stream.byte_count - bytes_before
    # An idle server wants ~0% of a core; a loop on an empty recv() wants all of one, and
    # while other checks' servers share the machine it runs or waits to run the whole time.
    if usage > IDLE_CPU:
        raise CheckFailed(msg("fail.idle.cpu", percent=round(usage * 100)), hint=msg("hint.idle.cpu"))
    if junk > 4096:
        raise CheckFailed(msg("fail.idle.junk", size=junk), actual=alice.new_text[-200:], hint=msg("hint.idle.cpu"))


@check("many_clients", depends=["broadcast"], timeout=90, variants=MULTI_USER)
def check_ten_users_at_once(room):
    """10 users at once, every message delivered to every other user exactly once."""
    users = room.join_together(NAMES)
    room.settle(at_most=3.0)
    said = {}
    for sender in users:
        said[sender.name] = room.token(sender.name)
        sender.say(said[sender.name])

    def everyone_has_everything():
        return all(r.find(body) for name, body in said.items() for r in users if r.name != name)

    room.wait_until(everyone_has_everything, 10.0)
    room.quiet_down(quiet=0.2, at_most=1.0)  # late duplicates count too
    missing, doubled = [], []
    for name, body in said.items():
        for receiver in users:
            if receiver.name == name:
                continue
            times = receiver.count(body)
            if times == 0:
                missing.append((name, receiver.name, body))
            elif times > 1:
                doubled.append((name, receiver.name, body))
    if missing:
        raise CheckFailed(msg("fail.many.missing", count=len(missing), total=len(said) * (len(said) - 1),
                              missing=_missing(missing)), hint=msg("hint.many.missing"))
    if doubled:
        raise CheckFailed(msg("fail.many.doubled", missing=_missing(doubled)), hint=msg("hint.many.doubled"))


@check("unicode", depends=["broadcast"], variants=MULTI_USER)
def check_cyrillic_survives(room, probe):
    """Cyrillic nickname and text arrive intact."""
    alisa, boris = room.join("Алиса", "Борис")
    room.settle()
    body = room.token("Привет, мир! Ёжик съел щи")
    alisa.say(body)
    if not boris.wait_for_text(body, DELIVERY):
        mangled = "\ufffd" in boris.new_text or "?" * 3 in boris.new_text
        raise CheckFailed(msg("fail.unicode.mangled" if mangled else "fail.unicode.missing"), expected=body,
                          actual=boris.new_text[-200:], hint=msg("hint.unicode"))
    relay = probe.relay.result()
    named_by_us = relay.names_carried and relay.names is None
    if named_by_us and not boris.find(body, "Алиса").named:
        raise CheckFailed(msg("fail.unicode.name"), expected=f"{alisa.name}: {body}", actual=boris.new_text[-200:],
                          hint=msg("hint.unicode"))


def _not_for_puppets(grading, check_id: str) -> None:
    if grading.driver == "puppet":
        # A copy of the student's client reads whenever data comes and cuts its own segments.
        raise NotApplicable(msg("skip.puppet_cannot", check=check_id))


@check("slow_reader", depends=["broadcast"], timeout=120, variants=TCP)
def check_slow_reader_holds_nobody_up(room, grading):
    """A user who stops reading does not hold up the others."""
    _not_for_puppets(grading, "slow_reader")
    alice, bob = room.join("alice", "bob")
    carol = room.connect("carol", receive_buffer=STALLED_BUFFER).introduce()
    room.settle()
    carol.stop_reading()
    # Twice what carol's buffers and the server's send buffer to her can hold, so that a
    # server that sends to her in the sender's thread (or under the users' lock) must wait.
    count = (2 * send_buffer_ceiling() + 256 * 1024) // SLOW_BODY + 1
    filler = "x" * SLOW_BODY
    bodies = [f"slow-{i}-{filler}"[:SLOW_BODY] for i in range(count)]
    payload = b"".join(alice.frame(body) for body in bodies)
    start = bob.stream.byte_count
    total = count * SLOW_BODY  # what bob gets at least: every text, without names or framing
    alice.send_in_background(payload, msg("note.flood", count=count, size=SLOW_BODY, kib=len(payload) // 1024))
    began = time.monotonic()
    while True:
        seen = bob.stream.byte_count
        if seen - start >= total or bob.closed_by_server:
            break
        if not room.wait_until(lambda: bob.stream.byte_count != seen or bob.closed_by_server, STUCK):
            break  # not one byte more in STUCK seconds: frozen
        if _slow_but_moving(bob.stream.byte_count - start, total, time.monotonic() - began):
            grading.detected["slow_reader"] = "slow but moving"
            return  # still delivering: slow, not frozen
    got = bob.stream.byte_count - start
    grading.detected["slow_reader_seconds"] = round(time.monotonic() - began, 2)
    if got < total:
        raise CheckFailed(msg("fail.slow_reader.stuck", got=got // 1024, total=total // 1024, seconds=round(STUCK),
                              sender=alice.name, receiver=bob.name, stalled=carol.name),
                          expected=f"{total // 1024} KiB", actual=f"{got // 1024} KiB",
                          hint=msg("hint.slow_reader"))


def _slow_but_moving(got: int, total: int, elapsed: float) -> bool:
    """Still delivering, at a rate that would not finish within SLOW_AT_MOST: say so now rather
    than watch it drip (judged once it has moved for STUCK seconds, so a first burst is not the rate)."""
    if elapsed > SLOW_AT_MOST:
        return True
    if elapsed < STUCK or got <= 0:
        return False
    return elapsed + (total - got) * elapsed / got > SLOW_AT_MOST


@check("framing", depends=["broadcast"], variants=TCP)
def check_stream_is_cut_into_messages(room, grading, probe):
    """Two messages in one TCP segment, or one message in two, arrive as they were sent."""
    _not_for_puppets(grading, "framing")
    relay = probe.relay.result()
    if relay.framing == "raw" and grading.profile.wire_message is None:
        # Nothing ends a message on this wire: what one recv() gets is the message.
        raise NotApplicable(msg("skip.framing.raw"))
    alice, bob = room.join("alice", "bob")
    room.settle()
    first, second = room.token("glued"), room.token("glued")
    alice.send_raw(alice.frame(first) + alice.frame(second), note=msg("note.one_segment", first=first, second=second))
    whole = room.token("split") + "-" + "abcdefghij" * 3
    data = alice.frame(whole)
    cut = len(data) // 2
    alice.send_raw(data[:cut], note=msg("note.first_half", data=repr(data[:cut])))
    # A pause so that the halves leave as two segments; a server that relays the half ends it early.
    head = data[:cut].decode("utf-8", "replace")[-8:]
    room.wait_until(lambda: head in bob.new_text, PIECE_GAP)
    alice.send_raw(data[cut:], note=msg("note.second_half", data=repr(data[cut:])))
    tail = whole[-8:]
    room.wait_until(lambda: bob.find(second) is not None and tail in bob.new_text, DELIVERY)
    named = relay.names_carried and relay.names is None
    for body in (first, second):
        found = bob.find(body, "alice")
        if found is None or (named and not found.named):
            raise CheckFailed(msg("fail.framing.glued", first=first, second=second),
                              expected=f"{alice.name}: {first}\n{alice.name}: {second}", actual=bob.new_text[-200:],
                              hint=msg("hint.framing"))
    found = bob.find(whole, "alice")
    if found is None or (named and not found.named):
        raise CheckFailed(msg("fail.framing.split"), expected=f"{alice.name}: {whole}", actual=bob.new_text[-200:],
                          hint=msg("hint.framing"))
