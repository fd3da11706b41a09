"""Running a student's function-level code in threads of the notebook kernel.

This is the one place (DESIGN.md, principle 1) where student code runs in
the same process as a check: the student is checking their own work, in
their own kernel.  So the rules are about the kernel's health, not about
defence:

* nothing here may hang the kernel: every call into student code runs in a
  daemon thread and is waited for with a deadline;
* a check can be re-run after an edit: servers listen on port 0 (a free
  port, never "address already in use"), and every socket we opened or that
  the student's server accepted is shut down at the end;
* a stopped server really stops: the student's ``serve(listener)`` gets a
  ``Listener`` that behaves like a listening socket, raises ``OSError`` from
  ``accept()`` once the check is over (what a closed socket does), and *parks*
  a loop that ignores that error instead of letting it spin on the CPU;
* what the student's threads print or raise meanwhile is captured and shown
  in the checklist, not sprayed over the notebook.

The adapters at the end give the grader's ``check_*`` functions the
attributes they use (``server.child.alive()``, ``.cpu_seconds()``,
``.thread_count()``, ``grading.status(id)``, ...), so the notebook and
``autograde`` judge with the same code.
"""
from __future__ import annotations

import contextlib
import io
import queue
import socket
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

from autograder.wire.clients import Profile, Room, ScriptedUser
from autograder.wire.protocol import visible_bytes
from autograder.results import msg

POLL = 0.05  # how often a parked accept()/recvfrom() looks at the stop flag
STOP_WAIT = 2.0  # how long a stopped server's thread may take to return
OUTPUT_CAP = 64 * 1024  # characters of the student's printing kept per check
OUR_THREADS = "chatlab-"  # name prefix of every thread this module starts


class ServerStopped(OSError):
    """Raised by ``accept()``/``recvfrom()`` once the check has stopped the server."""


# -- what the student's code is given -------------------------------------------
class _Stoppable:
    """Shared behaviour of the listening TCP and the bound UDP socket we lend out."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._sock.settimeout(POLL)
        self._stopped = threading.Event()
        self._told = threading.Event()  # the student's loop has seen ServerStopped once
        self._timeout: Optional[float] = None  # the student's own settimeout()

    # the student may configure us as they would a socket
    def settimeout(self, value) -> None:
        self._timeout = value

    def gettimeout(self):
        return self._timeout

    def setblocking(self, flag: bool) -> None:
        self._timeout = None if flag else 0.0

    def getsockname(self):
        return self._sock.getsockname()

    def fileno(self) -> int:
        return self._sock.fileno()

    def setsockopt(self, *args) -> None:
        try:
            self._sock.setsockopt(*args)
        except OSError:
            pass  # e.g. SO_REUSEADDR after bind: harmless to ignore here

    def bind(self, address) -> None:
        pass  # already bound to a free loopback port by the check

    def close(self) -> None:
        self.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __getattr__(self, name):
        if name == "_sock":
            raise AttributeError(name)
        return getattr(self._sock, name)

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def stop(self) -> None:
        self._stopped.set()

    def release(self) -> None:
        self.stop()
        try:
            self._sock.close()
        except OSError:
            pass

    def _wait_for(self, operation):
        """Run a polling socket operation with the student's timeout semantics."""
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while True:
            if self._stopped.is_set():
                if self._told.is_set():
                    # They caught the error and called us again: park this
                    # thread for good rather than let the loop spin.
                    threading.Event().wait()
                self._told.set()
                raise ServerStopped(9, "the check stopped the server (socket closed)")
            try:
                return operation()
            except socket.timeout:
                if deadline is not None and time.monotonic() >= deadline:
                    raise socket.timeout("timed out") from None
            except OSError:
                if self._stopped.is_set():
                    continue
                raise


class Listener(_Stoppable):
    """A listening TCP socket on a free loopback port, stoppable by the check."""

    def __init__(self) -> None:
        super().__init__(socket.create_server(("127.0.0.1", 0)))
        self.accepted: List[socket.socket] = []
        self.send_buffer: Optional[int] = None  # a small SO_SNDBUF for accepted sockets, if set

    @property
    def address(self) -> tuple:
        return self._sock.getsockname()[:2]

    def listen(self, *args) -> None:
        pass  # already listening

    def accept(self):
        conn, address = self._wait_for(self._sock.accept)
        conn.setblocking(True)  # not the listener's polling timeout
        if self.send_buffer:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer)
        self.accepted.append(conn)
        return conn, address

    def release(self) -> None:
        super().release()
        for conn in self.accepted:
            shut(conn)


class DatagramSocket(_Stoppable):
    """A UDP socket bound to a free loopback port, stoppable by the check."""

    def __init__(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        super().__init__(sock)

    @property
    def address(self) -> tuple:
        return self._sock.getsockname()[:2]

    def recvfrom(self, size: int, *flags):
        return self._wait_for(lambda: self._sock.recvfrom(size, *flags))

    def recv(self, size: int, *flags):
        return self._wait_for(lambda: self._sock.recv(size, *flags))

    def sendto(self, data, *args):
        return self._sock.sendto(data, *args)


def shut(sock: Optional[socket.socket]) -> None:
    """Wake every thread blocked on this socket, then close it."""
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


def tcp_pair(timeout: float = 5.0):
    """Two ends of a real loopback TCP connection: (for the student, for the check)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(timeout)
        client = socket.create_connection(listener.getsockname()[:2], timeout=timeout)
        server, _ = listener.accept()
    client.settimeout(None)
    server.settimeout(None)
    return client, server


# -- watching the student's threads ---------------------------------------------
@dataclass
class ThreadError:
    thread: str
    type: str
    message: str
    where: str  # the last frames, formatted

    def line(self) -> str:
        return f"[{self.thread}] {self.type}: {self.message}\n{self.where}".rstrip()


class Watch:
    """While a check runs: catch exceptions of every thread and everything printed.

    ``threading.excepthook`` and ``sys.stdout``/``sys.stderr`` belong to the
    whole kernel, so they are swapped only for the duration of one check and
    restored after it, whatever happens.
    """

    def __init__(self) -> None:
        self.errors: List[ThreadError] = []
        self.output = _CappedBuffer(OUTPUT_CAP)
        self.threads_before = set()
        self._stack = contextlib.ExitStack()
        self._lock = threading.Lock()

    def __enter__(self) -> "Watch":
        self.threads_before = set(threading.enumerate())
        previous = threading.excepthook

        def hook(args) -> None:
            if isinstance(args.exc_value, ServerStopped):
                return  # our way of stopping their accept loop: not their fault
            if args.exc_type is SystemExit:
                return
            self.record(args.thread.name if args.thread else "?", args.exc_value)

        threading.excepthook = hook
        self._stack.callback(setattr, threading, "excepthook", previous)
        self._stack.enter_context(contextlib.redirect_stdout(self.output))
        self._stack.enter_context(contextlib.redirect_stderr(self.output))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def record(self, thread_name: str, error: BaseException) -> None:
        # The student's frames only: ours and the threading module's explain nothing to them.
        frames = [f for f in traceback.extract_tb(error.__traceback__) if not _ours(f.filename)][-3:]
        where = "".join(traceback.format_list(frames))
        with self._lock:
            self.errors.append(ThreadError(thread_name, type(error).__name__, str(error), where))

    def mark(self) -> tuple:
        return len(self.errors), self.output.size()

    def since(self, mark: tuple) -> Optional[str]:
        """Errors and output since ``mark``, as one text for the checklist."""
        errors, size = mark
        parts = [e.line() for e in self.errors[errors:]]
        printed = self.output.since(size)
        if printed.strip():
            parts.append(printed)
        return "\n".join(parts) or None

    def errors_since(self, mark: tuple) -> List[ThreadError]:
        return self.errors[mark[0]:]

    def new_threads(self, exclude=()) -> List[threading.Thread]:
        """Alive threads started since the watch began, other than ours."""
        excluded = set(exclude)
        return [t for t in threading.enumerate()
                if t not in self.threads_before and t not in excluded and not t.name.startswith(OUR_THREADS)]


_PACKAGE = str(Path(__file__).resolve().parent.parent)
_THREADING = str(Path(threading.__file__).resolve())


def _ours(filename: str) -> bool:
    try:
        path = str(Path(filename).resolve())
    except (OSError, ValueError):
        return False
    return path.startswith(_PACKAGE) or path == _THREADING


class _CappedBuffer(io.TextIOBase):
    """A thread-safe text sink that keeps at most ``cap`` characters."""

    def __init__(self, cap: int) -> None:
        self._parts: List[str] = []
        self._size = 0
        self._cap = cap
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        with self._lock:
            if self._size < self._cap:
                self._parts.append(text[: self._cap - self._size])
            self._size += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def size(self) -> int:
        with self._lock:
            return min(self._size, self._cap)

    def since(self, start: int) -> str:
        with self._lock:
            return "".join(self._parts)[start:]


# -- calling student code with a deadline -----------------------------------------
@dataclass
class Outcome:
    finished: bool
    value: object = None
    error: Optional[BaseException] = None


def call(function: Callable, *args, seconds: float, name: str = "call", **kwargs) -> Outcome:
    """Call ``function`` in a daemon thread; give up waiting after ``seconds``.

    A call that never returns (a lock taken twice, a recv that waits forever)
    is left behind in its daemon thread: the kernel goes on.
    """
    box: Dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = function(*args, **kwargs)
        except BaseException as error:  # noqa: B902 - student code may raise anything
            box["error"] = error

    thread = threading.Thread(target=run, name=f"{OUR_THREADS}{name}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        return Outcome(False)
    return Outcome(True, box.get("value"), box.get("error"))


def start_thread(target: Callable, *args, name: str) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, name=f"{OUR_THREADS}{name}", daemon=True)
    thread.start()
    return thread


def wait_for(condition: Callable[[], bool], seconds: float, step: float = 0.02) -> bool:
    """Poll a condition until it holds or ``seconds`` pass (for facts nobody notifies us of)."""
    deadline = time.monotonic() + seconds
    while True:
        if condition():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(step, left))


def busy_cpu(window: float = 0.15) -> float:
    """The share of one core this process used over ``window`` seconds."""
    started, cpu = time.monotonic(), time.process_time()
    threading.Event().wait(window)
    return (time.process_time() - cpu) / max(time.monotonic() - started, 1e-3)


# -- a student's TCP server in this kernel -------------------------------------------
class TcpServer:
    """The student's ``serve(listener)``, or our accept loop around their ``handler(conn, addr)``."""

    def __init__(self, watch: Watch, serve: Optional[Callable] = None, handler: Optional[Callable] = None,
                 handler_name: str = "handler") -> None:
        assert (serve is None) != (handler is None)
        self.watch = watch
        self.serve = serve
        self.handler = handler
        self.handler_name = handler_name  # names the threads, as the student's traceback shows them
        self.listener = Listener()
        self.address = self.listener.address
        self.thread: Optional[threading.Thread] = None
        self.returned_on_stop: Optional[bool] = None
        self.threads_before = set()
        self.started_at = 0.0

    def start(self) -> "TcpServer":
        self.threads_before = set(threading.enumerate())
        self.started_at = time.monotonic()
        if self.serve is not None:
            self.thread = threading.Thread(target=self.serve, args=(self.listener,), name="serve", daemon=True)
        else:
            self.thread = threading.Thread(target=self._accept_forever, name=f"{OUR_THREADS}accept", daemon=True)
        self.thread.start()
        return self

    def _accept_forever(self) -> None:
        number = 0
        while True:
            try:
                conn, address = self.listener.accept()
            except OSError:
                return
            number += 1
            threading.Thread(target=self.handler, args=(conn, address), name=f"{self.handler_name}-{number}",
                             daemon=True).start()

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def stop(self) -> None:
        """Stop accepting, disconnect everybody, and see whether ``serve`` returned."""
        self.listener.release()
        if self.thread is not None:
            self.thread.join(STOP_WAIT)
            self.returned_on_stop = not self.thread.is_alive()


class UdpServer:
    """The student's ``serve_udp(sock)`` on a stoppable UDP socket."""

    def __init__(self, watch: Watch, serve: Callable) -> None:
        self.watch = watch
        self.serve = serve
        self.sock = DatagramSocket()
        self.address = self.sock.address
        self.thread: Optional[threading.Thread] = None
        self.returned_on_stop: Optional[bool] = None

    def start(self) -> "UdpServer":
        self.thread = threading.Thread(target=self.serve, args=(self.sock,), name="serve_udp", daemon=True)
        self.thread.start()
        return self

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def stop(self) -> None:
        self.sock.release()
        if self.thread is not None:
            self.thread.join(STOP_WAIT)
            self.returned_on_stop = not self.thread.is_alive()


# -- adapters for the grader's check functions ---------------------------------------
class InProcessChild:
    """What the grader's checks ask of ``server.child``, answered for a kernel thread."""

    def __init__(self, server: TcpServer) -> None:
        self.server = server
        self.room: Optional[Room] = None
        self.exit_code = None

    def alive(self) -> bool:
        return self.server.alive()

    def cpu_seconds(self) -> float:
        # The whole kernel's CPU time: our scripted users are idle while it is measured.
        return time.process_time()

    cpu_demand_seconds = cpu_seconds  # a kernel's threads: what it got is what it wanted

    def thread_count(self) -> int:
        """Threads of this server: started since it started, minus our scripted users' readers."""
        readers = {getattr(u, "_reader", None) for u in (self.room.users.values() if self.room else ())}
        alive = [t for t in threading.enumerate()
                 if t not in self.server.threads_before and t not in readers and not t.name.startswith(OUR_THREADS)]
        return 1 + len(alive)

    def first(self, kind):
        return None

    def all(self, kind):
        return []


@dataclass
class InProcessServer:
    """``server`` as the grader's checks see it."""

    child: InProcessChild
    address: Optional[tuple]
    kind: str = "tcp"
    startup_seconds: float = 0.0


@dataclass
class InProcessGrading:
    """``grading`` as the grader's checks see it."""

    server_file: Path
    profile: Profile = field(default_factory=Profile)
    detected: Dict[str, object] = field(default_factory=dict)
    driver: str = "wire"  # the grader's own users play every scenario


def source_file(text: str) -> Path:
    """A temp file holding the student's reconstructed server source (for static facts)."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".py", prefix="chatlab-nb-", delete=False, encoding="utf-8")
    with handle:
        handle.write(text)
    return Path(handle.name)


# -- scripted people for the notebook's own scenarios ----------------------------------
class Peer(ScriptedUser):
    """The check's end of a TCP connection (a fake server, the other chat user)."""

    def adopt(self, sock: socket.socket) -> "Peer":
        self.sock = sock
        self.room.users[self.name] = self
        self.room.transcript.add(self.name, "note", msg("note.connected"))
        self._reader = threading.Thread(target=self._read, name=f"{OUR_THREADS}peer-{self.name}", daemon=True)
        self._reader.start()
        return self


class UdpUser(ScriptedUser):
    """A scripted chat user over UDP: one datagram per message.

    Unlike ``clients.UdpUser`` (made for a grader process that ends soon), its
    reader polls and ends when the user closes: in a kernel that lives on,
    readers left blocked in ``recv`` would pile up with every re-run.
    """

    def connect(self) -> "UdpUser":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(POLL)
        self.sock = sock
        self.room.users[self.name] = self
        self._reader = threading.Thread(target=self._read, name=f"{OUR_THREADS}udp-{self.name}", daemon=True)
        self._reader.start()
        return self

    @property
    def address(self) -> tuple:
        return self.sock.getsockname()[:2]

    def _read(self) -> None:
        sock = self.sock
        while not self._leaving:
            try:
                data, _ = sock.recvfrom(65535)
            except socket.timeout:
                continue
            except ConnectionResetError:
                continue  # Windows: an earlier datagram of ours was not delivered
            except OSError:
                return
            self.room.transcript.add(self.name, "recv", visible_bytes(data))
            with self.room.changed:
                # One datagram is one message: frame it as a line for the matcher.
                self.stream.feed(data if data.endswith(b"\n") else data + b"\n")
                self.last_data = time.monotonic()
                self.room.changed.notify_all()

    def send_raw(self, data: bytes, note: Optional[str] = None) -> bool:
        self.room.transcript.add(self.name, "send", note or visible_bytes(data))
        try:
            self.sock.sendto(data, self.room.address)
            return True
        except OSError as error:
            self.room.transcript.add(self.name, "note", msg("note.send_failed", error=error))
            return False

    def say(self, text: str) -> bool:
        return self.send_raw(text.encode("utf-8"))

    def close(self) -> None:
        if self.sock is None:
            return
        self._leaving = True
        if self._reader is not None:
            self._reader.join(1.0)
        self.sock.close()
        self.sock = None


class Typing:
    """``next_line`` for a student's chat loop: a person typing, played by the check.

    Each call blocks until the check ``type``s a line, as ``input()`` blocks
    until Enter; ``waiting`` tells whether the student's code sits in it now.
    """

    END = object()

    def __init__(self, room: Room, who: str = "you") -> None:
        self.room = room
        self.who = who
        self._lines: "queue.Queue" = queue.Queue()
        self.waiting = threading.Event()
        self.calls = 0

    def __call__(self, prompt: str = "") -> str:
        self.calls += 1
        self.waiting.set()
        try:
            line = self._lines.get()
        finally:
            self.waiting.clear()
        if line is Typing.END:
            raise EOFError("end of input")
        return line

    def type(self, line: str) -> None:
        self.room.transcript.add(self.who, "typed", line)
        self._lines.put(line)

    def end(self) -> None:
        self.room.transcript.add(self.who, "note", msg("note.end_of_input"))
        self._lines.put(Typing.END)


class Screen:
    """``show`` for a student's chat: records every line shown, and wakes the room."""

    def __init__(self, room: Room, who: str = "screen") -> None:
        self.room = room
        self.who = who
        self.lines: List[str] = []

    def __call__(self, text="", *rest, **kwargs) -> None:
        text = " ".join(str(part) for part in (text, *rest))
        self.room.transcript.add(self.who, "shown", text)
        with self.room.changed:
            self.lines.append(text)
            self.room.changed.notify_all()

    def shows(self, needle: str) -> bool:
        return any(needle in line for line in self.lines)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
