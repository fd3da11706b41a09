"""A student's client program, driven like a person at the keyboard.

The client runs sandboxed (``sandbox.Child``, role ``client``: its
``connect``/``sendto`` go wherever the grader says).  Its stdin is the
keyboard: the harness reports every ``input()`` call with its prompt, and we
answer the first questions (server address, port, nickname) the way a person
would; after that, only the checks type.  Its stdout is the screen, read
through the same text matcher as sockets.

``PuppetUser`` makes such a client one of the users of a scenario: where the
student's protocol is their own (JSON, length prefixes, scrambled datagrams,
two connections per user) the server checks are played by several copies of
the student's client, each typed into, and judged from what their screens
show, whatever travels on the wire.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from autograder.wire import prompts
from autograder.wire.clients import REACTION_WAIT, ScriptedUser, Transcript
from autograder.results import msg
from autograder.sandbox.process import Child, Limits
from autograder.waiting import wait_until

NAME_FALLBACK = 1.0  # seconds without an input() call before we type the nickname anyway


def answer_for(prompt: str, nickname: str, port: int) -> Optional[str]:
    """What a person types at a start-up question; None if it is not one (the nickname is typed apart)."""
    return {"port": str(port), "host": "127.0.0.1"}.get(prompts.kind_of(prompt) or "")


class StudentClient:
    def __init__(self, script: Path, workdir: Path, connect: tuple, nickname: str,
                 transcript: Optional[Transcript] = None, limits: Optional[Limits] = None,
                 name_expected: bool = True, argv: Optional[List[str]] = None, who: str = "you") -> None:
        # A two-user chat has no nickname: type one only if the program asks for a name.
        self.name_expected = name_expected
        self.nickname = nickname
        self.connect = connect
        self.transcript = transcript or Transcript()
        self.who = who  # whose keyboard it is, in the transcript
        self.child = Child(script, workdir, "client", connect=connect, limits=limits, argv=argv)
        self.nickname_typed = False
        self._watcher: Optional[threading.Thread] = None
        self._stop = threading.Event()

    def start(self) -> "StudentClient":
        self.child.start()
        self._watcher = threading.Thread(target=self._answer_questions, daemon=True)
        self._watcher.start()
        return self

    def _answer_questions(self) -> None:
        """Answer start-up questions until the nickname has been given."""
        seen = 0
        started = time.monotonic()
        while not self._stop.is_set() and not self.nickname_typed:
            with self.child.events_changed:
                events = self.child.events[seen:]
                seen = len(self.child.events)
                if not events:
                    self.child.events_changed.wait(0.1)
            for event in events:
                if event["ev"] == "channel_closed":
                    return
                if event["ev"] != "input":
                    continue
                prompt = event.get("prompt", "")
                answer = answer_for(prompt, self.nickname, self.connect[1])
                if answer is None:
                    if self.name_expected or prompts.kind_of(prompt) == "name":
                        self.type_nickname()
                    return  # from here on the user is at the chat prompt; the checks type
                self.type(answer)
            if self.name_expected and time.monotonic() - started > NAME_FALLBACK and not self.child.all("input"):
                # No input() at all: the client reads stdin another way (msvcrt,
                # sys.stdin) or not at all. A person would type the name now.
                self.type_nickname()
                return

    def type_nickname(self) -> None:
        if not self.nickname_typed:
            self.nickname_typed = True
            self.type(self.nickname)

    def type(self, line: str) -> bool:
        self.transcript.add(self.who, "type", line)
        return self.child.type_line(line)

    def end_of_input(self) -> None:
        self.transcript.add(self.who, "note", msg("note.keyboard_closed"))
        self.child.close_stdin()

    # -- the screen --------------------------------------------------------------
    @property
    def screen(self) -> str:
        return self.child.stdout.text

    def wait_screen(self, text: str, timeout: float, start: int = 0) -> bool:
        return self.child.stdout.wait_for(text, timeout, start)

    def wait_exit(self, timeout: float) -> bool:
        return self.child.wait_exit(timeout)

    def inputs_waiting(self) -> int:
        return len(self.child.all("input"))

    def tracebacks(self) -> str:
        return self.child.traceback()

    def stop(self) -> None:
        self._stop.set()
        self.child.stop()


# --- the student's client as one of the users of a scenario -------------------------

PUPPET_START = 8.0  # seconds a client may take to start, connect and take the nickname
QUIT_EXIT = 1.5  # seconds a client may take to leave after its quit command
# Quit commands students give their clients, most common first.
QUIT_WORDS = ("/quit", "/exit", "!quit", "!exit", "/q", "/leave", "/disconnect", "/bye", "quit", "exit", "q",
              "!DISCONNECT", "disconnect", "/выход", "выход", "/вихід", "вихід", "/salir", "salir", "/sair", "sair",
              "/退出", "退出", "bye")


def quit_command(source: str) -> Optional[str]:
    """The word the client's own code treats as "leave", if it has one."""
    literals = set(re.findall(r"""['"]([^'"\n]{1,20})['"]""", source))
    lowered = {literal.strip().lower() for literal in literals}
    return next((word for word in QUIT_WORDS if word.lower() in lowered), None)


@dataclass
class PuppetLauncher:
    """What it takes to start one more copy of the student's client."""

    script: Path
    workdir: Path
    limits: Limits
    children: list  # the grading context's: every child is stopped at the end
    argv: List[str] = field(default_factory=list)
    quit_word: Optional[str] = None

    def make(self, name: str, address: tuple, transcript: Transcript) -> StudentClient:
        client = StudentClient(self.script, self.workdir, address, name, transcript, self.limits,
                               argv=self.argv, who=name)
        self.children.append(client.child)
        return client


class PuppetUser(ScriptedUser):
    """A user of a scenario who is a running copy of the student's client.

    ``say`` types a line, what arrives is what its screen shows, leaving is
    the client's quit command (or closing it), vanishing is the process
    killed.  Everything the checks ask of a user works on the screen's text.
    """

    left_with: Optional[str] = None

    def __init__(self, name: str, room, launcher: PuppetLauncher) -> None:
        super().__init__(name, room)
        self.launcher = launcher
        self.client: Optional[StudentClient] = None

    def connect(self) -> "PuppetUser":
        self.client = self.launcher.make(self.name, self.room.address, self.room.transcript)
        self.client.child.stdout.listeners.append(self.received)
        self.client.start()
        self.room.transcript.add(self.name, "note", msg("note.client_starts"))
        threading.Thread(target=self._watch_exit, name=f"puppet-{self.name}", daemon=True).start()
        return self

    def _watch_exit(self) -> None:
        child = self.client.child
        while not child.wait_exit(0.5):
            if self._leaving:
                return
        if not self._leaving:
            self.room.transcript.add(self.name, "note", msg("note.client_exited", code=child.exit_code))
            self.ended_by_server()

    def introduce(self) -> "PuppetUser":
        """Wait until the client is connected and has been given the nickname,
        then for it to react (its screen changes or it asks for the next line)."""
        child = self.client.child
        # The nickname is typed by the client's own question watcher (no event of its own):
        # the condition is polled at the wait's 0.1 s tick.
        wait_until(child.events_changed, lambda: not child.alive() or (
            self.client.nickname_typed and bool(child.first("connect") or child.first("sendto"))), PUPPET_START)
        before_screen, before_inputs = self.stream.byte_count, self.client.inputs_waiting()
        self.room.wait_until(lambda: self.stream.byte_count > before_screen or self.closed_by_server
                             or self.client.inputs_waiting() > before_inputs, REACTION_WAIT * 2)
        self.joined = True
        return self

    def say(self, text: str) -> bool:
        return self.client.type(text)

    def send_raw(self, data: bytes, note: Optional[str] = None) -> bool:
        return self.client.type(data.decode("utf-8", "replace").rstrip("\n"))

    def close(self) -> None:
        """Leave the way its user would: the quit command, else close the window."""
        if self.client is None or self._leaving:
            return
        self._leaving = True
        word = self.launcher.quit_word
        if word and self.client.child.alive():
            self.left_with = word
            self.client.type(word)
            if self.client.wait_exit(QUIT_EXIT):
                return
        self.room.transcript.add(self.name, "note", msg("note.client_closes"))
        self.client.stop()

    def vanish(self) -> None:
        if self.client is None:
            return
        self.room.transcript.add(self.name, "note", msg("note.client_killed"))
        self.dispose()

    def dispose(self) -> None:
        if self.client is not None:
            self._leaving = True
            self.client.stop()
