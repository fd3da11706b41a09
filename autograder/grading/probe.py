"""The probe: what the grader learns about a chat before its checks judge it.

It starts the server once (the ``starts`` check judges that first start),
lets one user join to learn the handshake (the server prompts, or waits for
the nickname), and three users exchange a word each to learn how the chat
relays: echo to the sender, line framing or raw ``recv``, the name each user
is shown under, whether the sender's own name comes with the words, history
for a newcomer.  Over UDP it learns from the student's client how to
register and leave first.

Each part is a value, known once (a future): a check that needs a part waits
for it, the others do not, so the probe's waits overlap the checks'.  No
check writes what another reads: a check gets its own ``Profile`` made from
these values.
"""
from __future__ import annotations

import concurrent.futures
import threading
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from autograder.results import CheckFailed
from autograder.wire.clients import Profile, Room, Transcript

DELIVERY = 5.0  # seconds a message may take to reach everyone
HISTORY_WAIT = 0.2  # a newcomer who gets what was said before gets it at once


@dataclass(frozen=True)
class Handshake:
    handshake: Optional[str] = None  # "prompt" | "nickname-first"
    prompt: Optional[str] = None
    greeting: Optional[bytes] = None


@dataclass(frozen=True)
class Relay:
    """How the chat relays one word from each of three users (all None if nothing went through)."""

    delivered: bool = False
    echo: Optional[bool] = None
    framing: Optional[str] = None  # "lines" | "raw"
    history: Optional[bool] = None
    names: Optional[str] = None  # "shown by the server": it names users itself (Гость 1, ip:port)
    names_carried: bool = False  # every word came with its sender's own name

    def facts(self) -> dict:
        return {k: v for k, v in (("echo", self.echo), ("framing", self.framing), ("history", self.history),
                                  ("names", self.names)) if v is not None}


@dataclass(frozen=True)
class ClientForms:
    """UDP: how the student's client registers, wraps its words and leaves."""

    join: Optional[str] = None
    leave: Optional[str] = None
    message: Optional[str] = None


def relay_round(room: Room, users, wait: float = DELIVERY):
    """Each user in turn says a token; returns (token by sender, missing deliveries)."""
    said, missing = {}, []
    for sender in users:
        body = room.token(sender.name)
        said[sender.name] = body
        sender.say(body)
        others = [u for u in users if u is not sender]
        room.wait_until(lambda: all(u.find(body) for u in others), wait)
        missing += [(sender.name, u.name, body) for u in others if not u.find(body)]
        if missing:
            wait = 1.5  # one lost message is enough evidence; do not wait long for each
    return said, missing


def unnamed_deliveries(users, said: Dict[str, str]) -> List[Tuple[str, str, str]]:
    """(sender, receiver, the line as received) for each word that came without its sender's name."""
    unnamed = []
    for sender in users:
        for receiver in users:
            if receiver is sender:
                continue
            # Where the previous message ended is where this one's name may start.
            at = receiver.find(said[sender.name]).start
            ends = [f.end for f in (receiver.find(b) for b in said.values()) if f and f.end <= at]
            found = receiver.find_from(said[sender.name], sender.name, max(ends, default=receiver.cursor))
            if not found.named:
                line_start = receiver.text.rfind("\n", 0, found.start) + 1
                unnamed.append((sender.name, receiver.name, receiver.text[line_start:found.end + 1]))
    return unnamed


class Probe:
    """The probe's parts, each a future resolved once by the probe's own thread."""

    def __init__(self, session) -> None:
        self.session = session
        self.first = None  # launch.RunningServer: the first start, judged by `starts`
        self.handshake: concurrent.futures.Future = concurrent.futures.Future()
        self.relay: concurrent.futures.Future = concurrent.futures.Future()
        self.forms: concurrent.futures.Future = concurrent.futures.Future()
        self.transcript = Transcript()

    # -- reading -----------------------------------------------------------------------------
    def listening(self) -> bool:
        return self.first is not None and self.first.address is not None

    def profile(self) -> Profile:
        """A new profile from the parts a user needs to join (waits for them); a UDP client's
        leave form is asked for when a user leaves."""
        shake = self.handshake.result()
        udp = self.session.transport == "udp"
        forms = self.forms.result() if udp else ClientForms()
        return Profile(handshake=shake.handshake, prompt=shake.prompt, greeting=shake.greeting,
                       udp_join=forms.join, udp_message=forms.message,
                       pending=self._leave_form if udp and self.session.client_file is not None else None)

    def _leave_form(self, name: str) -> Optional[str]:
        return self.session.client_forms(leave=True).get("leave") if name == "udp_leave" else None

    def facts(self) -> dict:
        """What the report says was detected, from the probe alone."""
        shake = _done(self.handshake) or Handshake()
        relay = _done(self.relay) or Relay()
        forms = _done(self.forms) or ClientForms()
        leave = self._leave_form("udp_leave") if self.session.transport == "udp" and self.session.client_file else None
        found = {k: v for k, v in (("handshake", shake.handshake), ("prompt", shake.prompt), ("udp_join", forms.join),
                                   ("udp_leave", leave), ("udp_message", forms.message)) if v is not None}
        return {**found, **relay.facts()}

    # -- learning ------------------------------------------------------------------------------
    def learn(self, multi_user: bool) -> threading.Thread:
        """Learn the rest in the background, on the first server; it stops when done."""
        thread = threading.Thread(target=self._learn, args=(multi_user,), name="probe", daemon=True)
        thread.start()
        return thread

    def _learn(self, multi_user: bool) -> None:
        room = None
        try:
            if self.session.transport == "udp":
                learned = self.session.client_forms() if self.session.client_file is not None else {}
                _set(self.forms, ClientForms(learned.get("join"), None, learned.get("message")))
            else:
                _set(self.forms, ClientForms())
            if not multi_user or not self.listening():
                return
            forms = self.forms.result()
            room = Room(self.first.address, Profile(udp_join=forms.join, udp_message=forms.message,
                                                   pending=self._leave_form),
                        self.transcript, kind=self.first.kind or "tcp", cast=self.session.cast)
            self._learn_handshake(room)
            self._learn_relay(room)
        except CheckFailed:
            pass  # a server that will not take the probe's users: the checks say why
        finally:
            _set(self.handshake, Handshake())
            _set(self.relay, Relay())
            _set(self.forms, ClientForms())
            if room is not None:
                room.close()
            if self.first is not None:
                self.first.child.stop()

    def _learn_handshake(self, room: Room) -> None:
        if room.kind == "udp":
            _set(self.handshake, Handshake())
            return
        room.join("alice")
        profile = room.profile
        _set(self.handshake, Handshake(profile.handshake, profile.prompt, profile.greeting))

    def _learn_relay(self, room: Room) -> None:
        users = ([room.users["alice"]] if "alice" in room.users else room.join("alice")) + room.join("bob", "carol")
        room.settle()
        said, missing = relay_round(room, users)
        if missing:
            _set(self.relay, Relay())
            return
        first = said[users[0].name]
        echo = users[0].find(first) is not None
        # Lines if a line break ends the message before the next one begins
        # (after the text may come more of the frame: `"}` of a JSON object).
        first_end = users[1].find(first).end
        following = users[1].find(said[users[2].name])
        gap = users[1].text[first_end:following.start if following else first_end + 64]
        framing = "lines" if "\n" in gap else "raw"
        carried = not unnamed_deliveries(users, said)
        room.learn_shown_names(said, users)
        (dave,) = room.join("dave")
        history = room.wait_until(lambda: any(body in dave.text for body in said.values()), HISTORY_WAIT)
        _set(self.relay, Relay(True, echo, framing, history, room.profile.names, carried))


def _set(future: concurrent.futures.Future, value) -> None:
    if not future.done():
        future.set_result(value)


def _done(future: concurrent.futures.Future):
    return future.result() if future.done() else None
