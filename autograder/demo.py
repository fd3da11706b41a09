"""``autograde demo``: the reference chat server on the room's network, live.

For a teacher on a projector: it starts ``reference_solution/tcp/server.py``
(or another ``--server``), prints the address and the one line students type
to join, and shows a panel of who is connected, messages per second and the
server's thread count rising as users join — "a thread per client", visible.
``--bots N`` fills the room with chatty scripted users; they connect to the
server over loopback, so their traffic never leaves this machine.
"""
from __future__ import annotations

import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Deque, List, Optional

import psutil
from rich.console import Console
from rich.live import Live
from rich.table import Table

from autograder.i18n import translate

REFERENCE_SERVER = Path(__file__).resolve().parent.parent / "reference_solution" / "tcp" / "server.py"
REFERENCE_CLIENT = REFERENCE_SERVER.with_name("client.py")
PHRASES = ("hi all", "привет!", "who is here?", "threads are fun", "one thread per client",
           "что нового?", "hello from the back row", "ping", "as per the protocol…", "всем пока")
JOINED = re.compile(r"^\* (\S+) joined")
LEFT = re.compile(r"^\* (\S+) left")
LISTENING = re.compile(r"listening on (\S+):(\d+)")
LAN = re.compile(r"connect to (\S+):(\d+)")


def shown_path(path: Path) -> str:
    """``path`` as typed from here: relative when it is under the current folder."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


@dataclass
class RoomState:
    """What the panel shows, updated by the reader threads."""

    users: List[str] = field(default_factory=list)
    lan: List[str] = field(default_factory=list)
    port: Optional[int] = None
    messages: Deque[float] = field(default_factory=deque)  # arrival times seen by the projector
    total_messages: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def rate(self, window: float = 5.0) -> float:
        now = time.monotonic()
        with self.lock:
            while self.messages and now - self.messages[0] > window:
                self.messages.popleft()
            return len(self.messages) / window


class Demo:
    def __init__(self, host: str, port: int, server: Path, bots: int, bot_rate: float, lang: str,
                 console: Optional[Console] = None) -> None:
        self.host, self.port, self.server_path = host, port, server
        self.bots, self.bot_rate, self.lang = bots, bot_rate, lang
        self.console = console or Console(highlight=False)
        self.state = RoomState()
        self.stop = threading.Event()
        self.process: Optional[subprocess.Popen] = None
        self.sockets: List[socket.socket] = []
        self.listening = threading.Event()

    def t(self, key: str, **params) -> str:
        return translate(key, self.lang, params)

    # -- the server -------------------------------------------------------------
    def start_server(self) -> None:
        command = [sys.executable, "-u", str(self.server_path), "--host", self.host, "--port", str(self.port)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        encoding="utf-8", errors="replace")
        threading.Thread(target=self._read_server_log, daemon=True).start()
        if not self.listening.wait(10):
            raise RuntimeError(self.t("demo.no_start"))

    def _read_server_log(self) -> None:
        for line in self.process.stdout:
            line = line.strip()
            with self.state.lock:
                if LISTENING.search(line):
                    self.state.port = int(LISTENING.search(line).group(2))
                    self.listening.set()
                elif LAN.search(line):
                    self.state.lan.append(LAN.search(line).group(1))
                elif JOINED.match(line):
                    self.state.users.append(JOINED.match(line).group(1))
                elif LEFT.match(line) and LEFT.match(line).group(1) in self.state.users:
                    self.state.users.remove(LEFT.match(line).group(1))

    def server_threads(self) -> int:
        try:
            return psutil.Process(self.process.pid).num_threads()
        except psutil.Error:
            return 0

    # -- users of our own ----------------------------------------------------------
    def _connect(self, nick: str) -> Optional[socket.socket]:
        for _ in range(3):  # a busy machine may miss one; a bot of the demo is not lost for that
            try:
                sock = socket.create_connection(("127.0.0.1", self.state.port), timeout=5)
                break
            except OSError:
                if self.stop.wait(0.5):
                    return None
        else:
            return None
        sock.settimeout(None)
        sock.sendall((nick + "\n").encode())  # the reference prompts NICK; an early answer is read after it
        self.sockets.append(sock)
        return sock

    def _projector(self) -> None:
        """A quiet user that counts the chat lines it sees."""
        sock = self._connect("projector")
        if sock is None:
            return
        pending = b""
        while not self.stop.is_set():
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            pending += data
            *lines, pending = pending.split(b"\n")
            now = time.monotonic()
            chat = [line for line in lines if b": " in line and not line.startswith(b"*")]
            with self.state.lock:
                self.state.messages.extend([now] * len(chat))
                self.state.total_messages += len(chat)

    def _bot(self, number: int) -> None:
        sock = self._connect(f"bot{number:02d}")
        if sock is None:
            return
        threading.Thread(target=_drain, args=(sock,), daemon=True).start()
        while not self.stop.wait(random.expovariate(self.bot_rate) if self.bot_rate > 0 else 3600):
            try:
                sock.sendall((random.choice(PHRASES) + "\n").encode())
            except OSError:
                return

    # -- the show -----------------------------------------------------------------
    def panel(self) -> Table:
        with self.state.lock:
            users = list(self.state.users)
        table = Table(title=self.t("demo.title"), show_header=False, expand=False, title_style="bold")
        table.add_column(style="bold cyan")
        table.add_column()
        table.add_row(self.t("demo.join"), self.join_lines())
        table.add_row(self.t("demo.users", count=len(users)), ", ".join(users) or "—")
        table.add_row(self.t("demo.rate"), f"{self.state.rate():.1f}")
        table.add_row(self.t("demo.threads"), str(self.server_threads()))
        return table

    def join_lines(self) -> str:
        """Per address: the reference client's command (when the reference server runs), and plain nc/telnet,
        which any line-based chat accepts and every student machine has one of."""
        addresses = self.state.lan or ([self.host] if self.host not in ("0.0.0.0", "") else ["127.0.0.1"])
        lines = []
        for address in addresses:
            if self.server_path.resolve() == REFERENCE_SERVER:
                lines.append(f"python {shown_path(REFERENCE_CLIENT)} --host {address} --port {self.state.port}")
            lines.append(self.t("demo.join_plain", host=address, port=self.state.port))
        return "\n".join(lines)

    def status_line(self) -> str:
        with self.state.lock:
            users = len(self.state.users)
        return self.t("demo.status", users=users, rate=f"{self.state.rate():.1f}", threads=self.server_threads())

    def run(self, duration: Optional[float] = None) -> int:
        self.start_server()
        self.console.print(self.t("demo.started", port=self.state.port))
        self.console.print(self.t("demo.join") + ": " + self.join_lines())
        threading.Thread(target=self._projector, daemon=True).start()
        for number in range(1, self.bots + 1):
            threading.Thread(target=self._bot, args=(number,), daemon=True).start()
        deadline = time.monotonic() + duration if duration else None
        try:
            if self.console.is_terminal:
                with Live(self.panel(), console=self.console, refresh_per_second=4) as live:
                    while not self._done(deadline, 0.25):
                        live.update(self.panel())
            else:
                while not self._done(deadline, 2.0):
                    self.console.print(self.status_line())
                self.console.print(self.status_line())
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()
        self.console.print(self.t("demo.stopped", total=self.state.total_messages))
        return 0

    def _done(self, deadline: Optional[float], step: float) -> bool:
        if self.process.poll() is not None:
            return True
        wait = step if deadline is None else max(0.0, min(step, deadline - time.monotonic()))
        return self.stop.wait(wait) or (deadline is not None and time.monotonic() >= deadline)

    def shutdown(self) -> None:
        self.stop.set()
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _drain(sock: socket.socket) -> None:
    """Bots read and forget, so the server never has to hold their messages."""
    while True:
        try:
            if not sock.recv(65536):
                return
        except OSError:
            return
