"""One run of a student's client against the grader's fake server.

The steps build on each other (connect, give the nickname, send, receive,
exit) and each runs once; the client checks read their outcome.  A failed
step says why as a ``CheckFailed``, and the shared transcript shows what the
user typed, what the client sent and what it printed.
"""
from __future__ import annotations

import threading
import time
from typing import Dict, Optional

from autograder.wire import frames
from autograder.wire.clients import Profile, Room, Transcript
from autograder.wire.fakeserver import FakeServer
from autograder.grading.puppet import StudentClient, quit_command
from autograder.results import CheckFailed, msg

NICKNAME = "alice"
CONNECT_DEADLINE = 5.0  # a client connects at once; start-up questions are answered for it
STEP_DEADLINE = 5.0
RELAYED_WAIT = 3.0  # a working server relays at once; longer, and it is the server that fails
STEPS = ("connects", "handshake", "sends", "receives", "exits")
DEFAULT_PROMPT = b"NICK"
UDP_WELCOME = f"* welcome, {NICKNAME}! online: {NICKNAME}".encode()  # the most common tutorial's prompt, sent when we know nothing better


class ClientRun:
    def __init__(self, grading, kind: str, profile: Optional[Profile] = None) -> None:
        self.grading = grading
        self.kind = kind
        self.transcript = Transcript(grading.observer)
        # Its own copy of what the probe learnt: what the client shows goes into it, not anyone else's.
        self.profile = profile = profile or (grading.profile if kind == "tcp" else Profile())
        if kind == "udp":
            greeting = UDP_WELCOME
        else:
            greeting = profile.greeting if profile.handshake == "prompt" else None
        # Put the student's own server behind the fake one when it works, so
        # the client hears the protocol it was written for.
        self.upstream = grading.new_server() if grading.server_listens else None
        if self.upstream is not None and self.upstream.address is None:
            self.upstream.child.stop()
            self.upstream = None
        address = self.upstream.address if self.upstream else None
        self.server = FakeServer(kind, greeting, self.transcript, upstream=address)
        self.two_user = "two-user" in grading.variant
        self.steps = tuple(s for s in STEPS if not (self.two_user and s == "handshake"))
        self.client = StudentClient(grading.client_file, grading.workdir, self.server.address, NICKNAME,
                                    self.transcript, grading.limits, name_expected=not self.two_user,
                                    argv=grading.client_argv)
        grading.children.append(self.client.child)
        self.outcomes: Dict[str, Optional[CheckFailed]] = {}
        self.learned: Dict[str, str] = {}  # UDP: how the client registers, wraps and leaves
        self.frames: Dict[str, frames.FrameShape] = {}  # TCP: the shape of its join and chat frames
        self.room: Optional[Room] = None  # a second user, where one is needed
        self.forms_known = threading.Event()  # UDP: join, message and leave forms learnt (or never will be)
        self.messages_known = threading.Event()  # UDP: join and message forms learnt (or never will be)

    def try_step(self, step: str) -> None:
        """Run a step for its outcome only (the session runs them all in turn)."""
        try:
            self.run(step)
        except CheckFailed:
            pass

    # Each step runs once; later checks see the same outcome.
    def run(self, step: str) -> None:
        if step not in self.outcomes:
            try:
                getattr(self, "_" + step)()
                self.outcomes[step] = None
            except CheckFailed as failure:
                self.outcomes[step] = failure
            if step == "sends":  # how it registers and wraps its words is known by now
                self.messages_known.set()
        if self.outcomes[step] is not None:
            raise self.outcomes[step]

    def _why_not_running(self) -> Optional[CheckFailed]:
        child = self.client.child
        crash = child.first("exception")
        if crash:
            key = "fail.client.import" if crash["type"] in ("ModuleNotFoundError", "ImportError") else "fail.client.crashed"
            return CheckFailed(msg(key, **crash), hint=msg("hint.client.crashed"))
        if not child.alive():
            return CheckFailed(msg("fail.client.exited", code=child.exit_code), hint=msg("hint.client.crashed"))
        return None

    def _connects(self) -> None:
        self.client.start()
        if not self.server.wait_until(lambda: bool(self.server.peers) or not self.client.child.alive(),
                                      CONNECT_DEADLINE):
            raise CheckFailed(msg("fail.client.no_connect", seconds=CONNECT_DEADLINE), hint=msg("hint.client.no_connect"))
        if not self.server.peers:
            raise self._why_not_running() or CheckFailed(msg("fail.client.no_connect", seconds=CONNECT_DEADLINE))

    def _handshake(self) -> None:
        self.run("connects")
        has_name = lambda: NICKNAME in self.server.text()  # noqa: E731
        if not self.server.wait_until(has_name, 1.0) and self.kind == "tcp" and self.upstream is None \
                and self.server.greeting is None and self.profile.handshake != "nickname-first":
            self.server.peer.send(DEFAULT_PROMPT)
            if not self.server.wait_until(has_name, 1.0):
                self.server.peer.send(b"\n")  # a client reading whole lines waits for the prompt's end
        if not self.server.wait_until(has_name, STEP_DEADLINE):
            raise CheckFailed(msg("fail.client.no_nickname", name=NICKNAME),
                              actual=self.server.text()[-200:], hint=msg("hint.client.no_nickname"))
        if self.kind == "udp":
            first = self.server.peer.datagrams[0].decode("utf-8", "replace").strip()
            if NICKNAME in first:
                self.learned["join"] = first.replace(NICKNAME, "{name}")
        else:
            self._learn_frame("join", 0, NICKNAME)

    def _settle(self) -> None:
        """Let the client finish what it is doing and wait at the keyboard again."""
        waiting = self.client.inputs_waiting()
        deadline = time.monotonic() + 0.6
        # Done when it calls input() again, or sits in an input() no line has answered yet.
        while time.monotonic() < deadline and self.client.inputs_waiting() == waiting \
                and not self.client.child.at_keyboard():
            self.server.wait_until(lambda: self.client.inputs_waiting() > waiting, 0.05)
        self.server.wait_until(lambda: time.monotonic() - self.server.last_data > 0.15, 0.5)

    def _sends(self) -> None:
        self.run("connects")
        if not self.two_user:
            try:
                self.run("handshake")
            except CheckFailed:
                pass  # sending is worth checking even if the nickname went astray
        self._settle()
        before = len(self.server.text())
        chunks_before = self._chunks_sent()
        token = "hello-from-keyboard-17"
        self.client.type(token)
        if not self.server.wait_until(lambda: token in self.server.text()[before:], STEP_DEADLINE):
            raise self._why_not_running() or CheckFailed(
                msg("fail.client.no_send"), expected=token, actual=self.server.text()[before:][-200:],
                hint=msg("hint.client.no_send"))
        if self.kind == "udp":
            sent = self.server.peers[-1].datagrams[-1].decode("utf-8", "replace").strip()
            if token in sent:  # how the client wraps a message: "alice: {text}", JSON, …
                self.learned["message"] = sent.replace(token, "{text}").replace(NICKNAME, "{name}")
        else:
            self._learn_frame("message", chunks_before, token)
        # With no server of the student's behind us, answer like a server that echoes, so a
        # lock-step client gets back to its keyboard. With one, it answers in its own words:
        # a line made up in ours would be garbage to a client that parses JSON or fields.
        if not self._real_users():
            self.server.peers[-1].send(self._chat_line(NICKNAME, token))

    def _chunks_sent(self) -> int:
        peer = self._talking_peer()
        return len(peer.datagrams) if peer else 0

    def _talking_peer(self):
        """The connection the client speaks on (a client may open more than one)."""
        return next((p for p in self.server.peers if NICKNAME in p.stream.text), self.server.peer)

    def _learn_frame(self, what: str, first_chunk: int, value: str) -> None:
        """Record how the client framed ``value``: the wire users can speak it."""
        self.server.wait_until(lambda: time.monotonic() - self.server.last_data > 0.15, 0.5)
        peer = self._talking_peer()
        if peer is None:
            return
        shape = frames.learn(b"".join(peer.datagrams[first_chunk:]), value, NICKNAME)
        if shape is not None:
            self.frames[what] = shape
            self.learned[f"frame_{what}"] = shape.describe()
        join, message = self.frames.get("join"), self.frames.get("message")
        if what == "message" and join is not None and message is not None and not message.plain \
                and join.describe() == message.describe():
            # The nickname we typed went out as a chat line: the chat has no nickname step.
            self.profile.nickname_step = False

    def _chat_line(self, name: str, text: str) -> bytes:
        """A chat message as the grader says it to the client: in the frame the client
        itself was seen to use (a length header, NUL-separated fields), else a text line."""
        shape = self.frames.get("message")
        if shape is not None and not shape.plain:
            return shape.render(text, name)
        return f"{name}: {text}\n".encode()

    def _real_users(self) -> bool:
        """Others speak through the student's own server (a chat for many is running behind us)."""
        return self.upstream is not None and not self.two_user

    def _second_user(self):
        """"bob", joined to the student's server, speaking as their client does
        (its frames over TCP, its join and message forms over UDP)."""
        if self.kind == "udp":
            profile = Profile(udp_join=self.learned.get("join"), udp_message=self.learned.get("message"))
        else:
            profile = Profile(handshake=self.profile.handshake, wire_join=self.frames.get("join"),
                              wire_message=self.frames.get("message"))
        self.room = Room(self.upstream.address, profile, self.transcript, kind=self.kind, cast=self.grading.cast)
        try:
            (bob,) = self.room.join("bob")
        except CheckFailed:
            return None  # the server would not take bob: the grader speaks for the others itself
        self.room.settle()
        return bob

    @property
    def own_protocol(self) -> bool:
        """The client frames its words in a way of its own (not plain text lines)."""
        return any(not shape.plain for shape in self.frames.values())

    def _receives(self) -> None:
        self.run("connects")
        try:
            self.run("sends")
        except CheckFailed:
            pass
        self._settle()
        token = "bob-says-hi-42"
        start = len(self.client.screen)
        bob = self._second_user() if self._real_users() else None
        if bob is not None:
            bob.say(token)  # a real second user, through the student's server, in their protocol
        if bob is None or not self.client.wait_screen(token, RELAYED_WAIT, start):
            # No server behind us, or it did not pass bob's words on (its own bug, graded by the
            # server checks): the grader says them itself, so the client is judged on its own.
            self.server.peers[-1].send(self._chat_line("bob", token))
        if not self.client.wait_screen(token, STEP_DEADLINE, start):
            raise self._why_not_running() or CheckFailed(
                msg("fail.client.no_receive", seconds=STEP_DEADLINE), expected=f"bob: {token}",
                actual=self.client.screen[start:][-200:], hint=msg("hint.client.no_receive"))

    def _exits(self) -> None:
        self.run("connects")
        if self.kind == "tcp":
            self.transcript.add("grader", "note", msg("note.server_goes_away"))
            self.server.stop()
            ended = self.client.wait_exit(2.0)
        else:
            ended = False
        if not ended:
            before = len(self.server.text())
            self.client.type(self._quit_word())
            if self.kind == "udp":  # what it sends on leaving is its leave form: known before it exits
                self.server.wait_until(lambda: len(self.server.text()) > before or not self.client.child.alive(), 2.0)
                if len(self.server.text()) > before:  # its last words before it goes quiet or exits
                    self.server.wait_until(lambda: time.monotonic() - self.server.last_data > 0.15
                                           or not self.client.child.alive(), 0.5)
                    leave = self.server.peers[-1].datagrams[-1].decode("utf-8", "replace").strip()
                    self.learned["leave"] = leave.replace(NICKNAME, "{name}")
                self.forms_known.set()
            ended = self.client.wait_exit(2.0)
        if not ended:
            self.client.end_of_input()
            ended = self.client.wait_exit(2.0)
        crash = self.client.tracebacks()
        if crash:
            raise CheckFailed(msg("fail.client.traceback"), actual=crash, hint=msg("hint.client.exit"))
        if not ended:
            raise CheckFailed(msg("fail.client.hangs"), hint=msg("hint.client.exit"))

    def _quit_word(self) -> str:
        """The client's own word for leaving ("/exit", "выход"…), else the lab's "/quit"."""
        return quit_command(self.grading.client_source) or "/quit"

    def stop(self) -> None:
        self.messages_known.set()
        self.forms_known.set()
        if self.room is not None:
            self.room.close()
        self.client.stop()
        self.server.stop()
        if self.upstream is not None:
            self.upstream.child.stop()
