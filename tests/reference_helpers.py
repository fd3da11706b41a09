"""Helpers for the tests of reference_solution/: real processes, real sockets, no mocks.

* Program runs a Python script as a child process (stdin a pipe, stdout and
  stderr captured by background threads) and waits for its output with a
  deadline; kill() ends its whole process group.
* reference_server() starts a reference server with --port 0 on 127.0.0.1 and
  learns the port from its "listening on HOST:PORT" line.
* LineClient / UdpClient are scripted chat users that wait for *events* (a
  line or datagram matching a predicate) with time.monotonic() deadlines.

Deadlines are generous on purpose: the tests must pass on a busy 2-core CI box.
"""
from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT / "reference_solution"
# The interpreter that runs the reference programs; set CHATLAB_REFERENCE_PYTHON
# to check them with another Python version (they must work on 3.9+).
PYTHON = os.environ.get("CHATLAB_REFERENCE_PYTHON") or sys.executable
DEADLINE = 20.0  # seconds to wait for something that normally takes milliseconds
LISTENING_LINE = re.compile(r"listening on (\S+):(\d+)")
IS_WINDOWS = os.name == "nt"

if not IS_WINDOWS and signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    # Shells start background jobs with SIGINT ignored, children inherit that,
    # and then Python never raises KeyboardInterrupt. Restore the usual
    # handler so the reference servers started below can be stopped with SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def reference_script(variant: str, role: str) -> Path:
    """Path of reference_solution/<variant>/<role>.py (role: server or client)."""
    return REFERENCE_DIR / variant / f"{role}.py"


class Program:
    """A Python script running as a child process with captured output."""

    def __init__(self, script, *args: str) -> None:
        self.command = [PYTHON, "-u", str(script), *map(str, args)]
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        options = {}
        if IS_WINDOWS:
            options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            options["start_new_session"] = True  # own process group: kill() gets every child
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(Path(script).parent),
            env=env,
            **options,
        )
        self._stdout = bytearray()
        self._stderr = bytearray()
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._collect, args=(self.process.stdout, self._stdout), daemon=True),
            threading.Thread(target=self._collect, args=(self.process.stderr, self._stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _collect(self, pipe, sink: bytearray) -> None:
        while True:
            try:
                chunk = os.read(pipe.fileno(), 65536)
            except (OSError, ValueError):  # pipe closed under us
                chunk = b""
            with self._changed:
                if not chunk:
                    self._changed.notify_all()
                    return
                sink.extend(chunk)
                self._changed.notify_all()

    @property
    def output(self) -> str:
        with self._changed:
            return self._stdout.decode("utf-8", errors="replace")

    @property
    def errors(self) -> str:
        with self._changed:
            return self._stderr.decode("utf-8", errors="replace")

    def describe(self) -> str:
        return (
            f"command: {' '.join(self.command)}\nexit code: {self.process.poll()}\n"
            f"--- stdout ---\n{self.output[-3000:]}\n--- stderr ---\n{self.errors[-3000:]}"
        )

    def wait_for_output(self, expected, timeout: float = DEADLINE) -> str:
        """Wait until stdout contains `expected` (a string) or satisfies it (a function).

        Returns the whole stdout so far. Fails with the output if the deadline passes.
        """
        check = expected if callable(expected) else (lambda text: expected in text)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                text = self._stdout.decode("utf-8", errors="replace")
                if check(text):
                    return text
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._changed.wait(remaining)
        raise AssertionError(f"program did not print {expected!r} within {timeout} s\n{self.describe()}")

    def write_line(self, text: str) -> None:
        self.process.stdin.write((text + "\n").encode("utf-8"))
        self.process.stdin.flush()

    def close_stdin(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()

    def wait_exit(self, timeout: float = DEADLINE) -> int:
        """Wait for the program to end; return its exit code (fail if it does not end)."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"program still running after {timeout} s\n{self.describe()}") from None
        for reader in self._readers:  # make sure we saw all of its output
            reader.join(timeout)
        return code

    def interrupt(self) -> None:
        """Send Ctrl+C (SIGINT). POSIX only."""
        self.process.send_signal(signal.SIGINT)

    def kill(self) -> None:
        """End the program and anything it started. Safe to call more than once."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                if IS_WINDOWS:
                    self.process.kill()
                else:
                    os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.process.wait(10)
        for reader in self._readers:  # they stop at end of output
            reader.join(10)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            with contextlib.suppress(OSError):
                pipe.close()

    def assert_no_traceback(self) -> None:
        assert "Traceback" not in self.errors + self.output, self.describe()


class ReferenceServer(Program):
    """A reference server started with --port 0; `port` is the one it really got."""

    def __init__(self, variant: str, *args: str) -> None:
        super().__init__(reference_script(variant, "server"), "--host", "127.0.0.1", "--port", "0", *args)
        try:
            text = self.wait_for_output(LISTENING_LINE.search)
        except BaseException:
            self.kill()
            raise
        self.port = int(LISTENING_LINE.search(text).group(2))


@contextlib.contextmanager
def reference_server(variant: str, *args: str):
    """Run a reference server for the duration of a with-block; kill it afterwards."""
    server = ReferenceServer(variant, *args)
    try:
        yield server
    finally:
        server.kill()


@contextlib.contextmanager
def programs():
    """Collect Program objects started in the block and kill them all at the end."""
    started = []
    try:
        yield started
    finally:
        for program in started:
            program.kill()


class LineClient:
    """A scripted TCP chat user that reads "\\n"-framed lines with deadlines."""

    def __init__(self, port: int, host: str = "127.0.0.1", receive_buffer: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:  # must be set before connecting to shrink the TCP window
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(DEADLINE)
        self.sock.connect((host, port))
        self.nick = ""
        self._buffer = b""
        self.history = []  # every line received so far
        self.closed = False  # the server closed the connection

    @property
    def name(self) -> str:
        return self.nick or "client"

    def send_line(self, text: str) -> None:
        self.send_bytes((text + "\n").encode("utf-8"))

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _next_line(self, deadline: float):
        """The next complete line, or None when the connection is closed."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                self.closed = True
                return None
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\n", 1)
        line = raw.rstrip(b"\r").decode("utf-8", errors="replace")
        self.history.append(line)
        return line

    def read_until(self, expected, timeout: float = DEADLINE) -> list:
        """Read lines until one equals `expected` (str) or satisfies it (function).

        Returns every line read, the matching one last.
        """
        check = expected if callable(expected) else (lambda line: line == expected)
        deadline = time.monotonic() + timeout
        seen = []
        try:
            while True:
                line = self._next_line(deadline)
                if line is None:
                    raise AssertionError(
                        f"{self.name}: connection closed while waiting for {expected!r}; got {seen!r}"
                    )
                seen.append(line)
                if check(line):
                    return seen
        except (socket.timeout, ConnectionError) as error:
            raise AssertionError(
                f"{self.name}: no line matching {expected!r} within {timeout} s ({error!r}); "
                f"got {seen[-20:]!r}"
            ) from None

    def expect(self, expected, timeout: float = DEADLINE) -> str:
        """Wait for a line equal to / satisfying `expected`; return it (earlier lines are skipped)."""
        return self.read_until(expected, timeout)[-1]

    def expect_closed(self, timeout: float = DEADLINE) -> list:
        """Read until the server closes the connection; return the lines read on the way."""
        deadline = time.monotonic() + timeout
        seen = []
        try:
            while True:
                line = self._next_line(deadline)
                if line is None:
                    return seen
                seen.append(line)
        except ConnectionError:
            return seen  # a reset also ends the connection
        except socket.timeout:
            raise AssertionError(
                f"{self.name}: connection still open after {timeout} s; got {seen[-20:]!r}"
            ) from None

    def join(self, nick: str) -> str:
        """Do the handshake (NICK prompt, nickname, welcome); return the welcome line."""
        self.expect("NICK")
        self.send_line(nick)
        self.nick = nick
        return self.expect(lambda line: line.startswith(f"* welcome, {nick}!"))

    def reset(self) -> None:
        """Vanish abruptly: SO_LINGER with timeout 0 makes close() send a TCP RST."""
        linger = struct.pack("HH" if IS_WINDOWS else "ii", 1, 0)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        self.sock.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class UdpClient:
    """A scripted UDP chat user: one datagram per message."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.server = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.nick = ""
        self.history = []

    def send(self, text: str) -> None:
        self.sock.sendto(text.encode("utf-8"), self.server)

    send_line = send  # same verb as LineClient: one datagram is one line

    def expect(self, expected, timeout: float = DEADLINE) -> str:
        """Wait for a datagram equal to / satisfying `expected`; return it."""
        check = expected if callable(expected) else (lambda text: text == expected)
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no datagram matching {expected!r} within {timeout} s; got {seen[-20:]!r}"
                )
            self.sock.settimeout(remaining)
            try:
                data, _ = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except ConnectionError:  # Windows reports ICMP "port unreachable" this way
                continue
            text = data.decode("utf-8", errors="replace")
            seen.append(text)
            self.history.append(text)
            if check(text):
                return text

    def join(self, nick: str) -> str:
        self.nick = nick
        self.send(f"/join {nick}")
        return self.expect(lambda text: text.startswith(f"* welcome, {nick}!"))

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def clients(port: int, kind=LineClient):
    """Hand out a factory of connected clients; close every one of them at the end."""
    made = []

    def connect(nick: str = "", **options):
        client = kind(port, **options)
        made.append(client)
        if nick:
            client.join(nick)
        return client

    try:
        yield connect
    finally:
        for client in made:
            client.close()
