"""A student's client program, driven like a person at the keyboard.

The client runs sandboxed (``sandbox.Child``, role ``client``: its
``connect``/``sendto`` go wherever the grader says).  Its stdin is the
keyboard: the harness reports every ``input()`` call with its prompt, and we
answer the first questions (server address, port, nickname) the way a person
would; after that, only the checks type.  Its stdout is the screen, read
through the same text matcher as sockets.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Optional

from .clients import Transcript
from .sandbox import Child, Limits

NAME_WORDS = ("name", "nick", "имя", "ник", "зовут")
HOST_WORDS = ("host", "хост", "адрес", "address", "server ip", " ip", "ip:", "ip ")
PORT_WORDS = ("port", "порт")
NAME_FALLBACK = 1.0  # seconds without an input() call before we type the nickname anyway


def answer_for(prompt: str, nickname: str, port: int) -> Optional[str]:
    """What a person types at a start-up question; None if it is not one."""
    text = prompt.lower()
    if any(word in text for word in PORT_WORDS):
        return str(port)
    if any(word in text for word in HOST_WORDS):
        return "127.0.0.1"
    return None


class StudentClient:
    def __init__(self, script: Path, workdir: Path, connect: tuple, nickname: str,
                 transcript: Optional[Transcript] = None, limits: Optional[Limits] = None,
                 name_expected: bool = True) -> None:
        # A two-user chat has no nickname: type one only if the program asks for a name.
        self.name_expected = name_expected
        self.nickname = nickname
        self.connect = connect
        self.transcript = transcript or Transcript()
        self.child = Child(script, workdir, "client", connect=connect, limits=limits)
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
                    if self.name_expected or any(word in prompt.lower() for word in NAME_WORDS):
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
        self.transcript.add("you", "type", line)
        return self.child.type_line(line)

    def end_of_input(self) -> None:
        self.transcript.add("you", "note", "closes the keyboard (end of input)")
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
