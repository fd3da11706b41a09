"""Running student code in a child process, and nothing else.

Every student program runs here: a temp copy of the submission as working
directory, ``python -I -X utf8 -u`` (no user site, no PYTHON* variables, UTF-8
streams on every OS), its own session / process group, resource limits the
harness applies to itself, output read continuously and capped, and at the
end the whole tree killed.  The harness (``harness/child.py``) reports what it
saw as JSON lines on a pipe; this module turns them into events the checks
can wait for with a deadline.

The submission folder itself is never written: only the temp copy is.
"""
from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional

import psutil

from autograder.intake.safe_files import SKIP_DIRS
from autograder.sandbox import containment
from autograder.wire import prompts
from autograder.intake import safe_files
from autograder.wire.protocol import TextStream
from autograder.waiting import wait_until

HARNESS = Path(__file__).with_name("harness") / "child.py"

# Folders a student may have committed that are not their code.
MAX_COPY_BYTES = 50 * 1024 * 1024
MAX_EVENT_BYTES = 64 * 1024  # one line on the report pipe; the harness writes a few hundred bytes
MAX_EVENTS = 20000  # events kept from one run; later ones are read and dropped


@dataclass
class Limits:
    """What one child may use; defaults live here and nowhere else."""

    memory: int = 2 * 1024**3  # address space; threads reserve a lot of it
    cpu: int = 60  # seconds of CPU time
    file_size: int = 64 * 1024**2
    open_files: int = 1024
    output_cap: int = 256 * 1024  # characters of stdout/stderr kept
    packages: Optional[str] = None  # a folder of packages the instructor allowed (packages.py)

    def for_harness(self) -> dict:
        return {
            "memory": self.memory,
            "cpu": self.cpu,
            "file_size": self.file_size,
            "open_files": self.open_files,
            "core": 0,
        }


def prepare_workdir(submission: Path) -> Path:
    """A temp copy of the submission, with source files made UTF-8.

    Students on Russian Windows save files in cp1251; Python would refuse to
    run them, a person would not care.  Only the copy is re-encoded.
    """
    target = Path(tempfile.mkdtemp(prefix="chatlab-", dir=containment.current().workspace()))
    copied = 0
    for root, dirs, files in os.walk(submission):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        rel = Path(root).relative_to(submission)
        (target / rel).mkdir(parents=True, exist_ok=True)
        for name in files:
            src = Path(root) / name
            if not safe_files.is_regular(src):  # links, FIFOs, devices: never followed
                continue
            size = src.stat().st_size
            if copied + size > MAX_COPY_BYTES:
                continue
            copied += size
            dst = target / rel / name
            if name.endswith(".py"):
                dst.write_bytes(as_utf8(safe_files.read_bytes(src, MAX_COPY_BYTES)))
            else:
                shutil.copyfile(src, dst)
    containment.current().hand_over(target)  # a dropped uid must own its copy
    return target


def as_utf8(source: bytes) -> bytes:
    """Source bytes re-encoded to UTF-8 if they are cp1251 (no BOM kept)."""
    if source.startswith(b"\xef\xbb\xbf"):
        return source[3:]
    try:
        source.decode("utf-8")
        return source
    except UnicodeDecodeError:
        pass
    try:
        text = source.decode("cp1251")
    except UnicodeDecodeError:
        return source
    # A "# -*- coding: cp1251 -*-" line would make Python read the UTF-8 copy as cp1251 again.
    lines = text.split("\n", 2)
    for number in range(min(2, len(lines))):
        lines[number] = _CODING.sub(r"\g<1>utf-8", lines[number])
    return "\n".join(lines).encode("utf-8")


_CODING = re.compile(r"^([ \t\f]*#.*?coding[:=][ \t]*)[-\w.]+")


class CappedText:
    """Output of a stream: the text (capped) plus a live ``TextStream`` view."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.stream = TextStream()
        self.total_bytes = 0
        self.changed = threading.Condition()
        self.listeners: List[Callable[[bytes], None]] = []  # told of every chunk, e.g. a puppet's screen

    def feed(self, data: bytes) -> None:
        with self.changed:
            self.total_bytes += len(data)
            if len(self.stream.text) < self.cap:
                self.stream.feed(data)
            self.changed.notify_all()
        for listener in list(self.listeners):
            listener(data)

    def close(self) -> None:
        with self.changed:
            self.stream.close()
            self.changed.notify_all()

    @property
    def text(self) -> str:
        return self.stream.text

    def wait_for(self, text: str, timeout: float, start: int = 0) -> bool:
        """True once ``text`` has appeared after position ``start``."""
        return wait_until(self.changed, lambda: text in self.stream.text[start:], timeout)

    @property
    def truncated(self) -> bool:
        return self.total_bytes > len(self.stream.text.encode("utf-8", "replace"))


class Child:
    """One sandboxed run of a student file (``role`` is server or client)."""

    def __init__(
        self,
        script: Path,
        workdir: Path,
        role: str,
        *,
        port: int = 0,
        connect: Optional[tuple] = None,
        argv: Optional[List[str]] = None,
        limits: Optional[Limits] = None,
    ) -> None:
        self.script = script
        self.workdir = workdir
        self.seen_workdir = str(workdir)  # the same folder as the program sees it (a root of its own moves it)
        self.role = role
        self.limits = limits or Limits()
        self.config = {
            "role": role,
            "script": str(script),
            "port": port,
            "connect": list(connect) if connect else None,
            "argv": list(argv or []),
            "paths": [self.limits.packages] if self.limits.packages else [],
            "prompt_words": {kind: list(words) for kind, words in prompts.WORDS.items()},
            "limits": self.limits.for_harness(),
        }
        self.events: List[dict] = []
        self._gate: Optional[int] = None  # write end of a gated child's gate (``start(gated=True)``)
        self.events_changed = threading.Condition()
        self.stdout = CappedText(self.limits.output_cap)
        self.stderr = CappedText(self.limits.output_cap)
        self.process: Optional[subprocess.Popen] = None
        self.started_at = 0.0
        self._threads: List[threading.Thread] = []
        self._ps: Optional[psutil.Process] = None
        self.cut_off = False  # killed by us for abusing the report pipe: it never ended on its own

    # -- life cycle --------------------------------------------------------
    def start(self, gated: bool = False) -> "Child":
        """``gated``: the interpreter and the harness start now, the student's code at
        ``release()`` (POSIX only; elsewhere it starts at once)."""
        read_end, write_end = os.pipe()
        kwargs: dict = {}
        gate_read = None
        if gated and os.name == "posix":
            gate_read, self._gate = os.pipe()
            self.config["gate_fd"] = gate_read
        if os.name == "nt":
            import msvcrt

            handle = msvcrt.get_osfhandle(write_end)
            os.set_handle_inheritable(handle, True)
            self.config["report_handle"] = handle
            startup = subprocess.STARTUPINFO()
            startup.lpAttributeList = {"handle_list": [handle]}
            kwargs["startupinfo"] = startup
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
        else:
            self.config["report_handle"] = write_end
            kwargs["pass_fds"] = (write_end,) if gate_read is None else (write_end, gate_read)
            kwargs["start_new_session"] = True
        policy = containment.current()  # the optional layers: a uid of its own, NPROC
        if policy.root is not None:
            self.seen_workdir = policy.root.inside(self.workdir)
        env = policy.environment(child_environment(), self.workdir)
        kwargs.update(policy.popen_kwargs())
        self.config["limits"].update(policy.child_limits())
        command = policy.command([policy.python or sys.executable, "-I", "-X", "utf8", "-u",
                                  str(policy.harness or HARNESS), json.dumps(policy.child_config(self.config))],
                                 self.workdir)
        self.started_at = time.monotonic()
        with policy.spawning():  # a child is known as ours before anyone sweeps for strays
            self.process = subprocess.Popen(
                command,
                cwd=str(self.workdir),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                **kwargs,
            )
            policy.started(self.process)
        os.close(write_end)
        if gate_read is not None:
            os.close(gate_read)
        try:
            self._ps = psutil.Process(self.process.pid)
            if os.name == "nt":  # POSIX children lower their own priority (harness); Windows' from here
                self._ps.nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
        except psutil.Error:
            self._ps = None
        self._spawn(self._read_events, os.fdopen(read_end, "rb"))
        self._spawn(self._pump, self.process.stdout, self.stdout)
        self._spawn(self._pump, self.process.stderr, self.stderr)
        return self

    def _spawn(self, target: Callable, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _read_events(self, pipe) -> None:
        count = 0
        with pipe:
            while True:
                raw = pipe.readline(MAX_EVENT_BYTES + 1)
                if not raw:
                    break
                count += 1
                if len(raw) > MAX_EVENT_BYTES:
                    # Not our harness talking: a student writing to our pipe. Stop it, hear no more.
                    self.cut_off = True
                    kill_tree(self.process, self._ps)
                    while pipe.read(65536):
                        pass
                    break
                if count > MAX_EVENTS:
                    continue  # a client spinning on input() at EOF says "input" forever: heard enough
                try:
                    event = json.loads(raw.decode("utf-8", "replace"))
                except ValueError:
                    continue
                if not valid_event(event):
                    continue
                event["t"] = time.monotonic() - self.started_at
                with self.events_changed:
                    self.events.append(event)
                    self.events_changed.notify_all()
        with self.events_changed:
            self.events.append({"ev": "channel_closed", "t": time.monotonic() - self.started_at})
            self.events_changed.notify_all()

    @staticmethod
    def _pump(pipe, sink: CappedText) -> None:
        # Keep reading even past the cap, so a flooding child never blocks
        # on a full pipe (which would look like a hang that is ours).
        with pipe:
            while True:
                data = pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536)
                if not data:
                    break
                sink.feed(data)
        sink.close()

    def release(self) -> None:
        """Let a gated child run the student's code (nothing for one that was not gated)."""
        gate, self._gate = self._gate, None
        if gate is not None:
            try:
                os.write(gate, b"1")
            except OSError:
                pass
            os.close(gate)

    def stop(self) -> None:
        """Kill the child and everything it started; safe to call twice."""
        if self._gate is not None:
            os.close(self._gate)  # a gated child that never got its turn leaves at once
            self._gate = None
        if self.process is None:
            return
        kill_tree(self.process, self._ps)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        # Escapees (setsid, double fork) are adopted by the grader; they may
        # hold the output pipes open, so they go before the readers are joined.
        containment.current().stopped(self.process)
        for stream in (self.process.stdin,):
            try:
                stream.close()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(timeout=2)

    # -- talking to it -----------------------------------------------------
    def type_line(self, text: str) -> bool:
        """Write a line to the child's stdin, as a person typing."""
        self.lines_typed = getattr(self, "lines_typed", 0) + 1
        try:
            self.process.stdin.write((text + "\n").encode("utf-8"))
            self.process.stdin.flush()
            return True
        except (OSError, ValueError):
            return False

    def at_keyboard(self) -> bool:
        """Blocked in input() now: it was called more often than lines were typed."""
        return len(self.all("input")) > getattr(self, "lines_typed", 0)

    def close_stdin(self) -> None:
        try:
            self.process.stdin.close()
        except (OSError, ValueError):
            pass

    # -- waiting -----------------------------------------------------------
    def wait_event(self, predicate: Callable[[dict], bool], timeout: float) -> Optional[dict]:
        """The first event matching ``predicate``, or None at the deadline.

        Gives up early when the child has exited and said all it will say.
        """
        deadline = time.monotonic() + timeout
        seen = 0
        with self.events_changed:
            while True:
                for event in self.events[seen:]:
                    if predicate(event):
                        return event
                seen = len(self.events)
                if any(e["ev"] == "channel_closed" for e in self.events):
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.events_changed.wait(min(left, 0.2))

    def first(self, name: str) -> Optional[dict]:
        with self.events_changed:
            return next((e for e in self.events if e["ev"] == name), None)

    def all(self, name: str) -> List[dict]:
        with self.events_changed:
            return [e for e in self.events if e["ev"] == name]

    def wait_exit(self, timeout: float) -> bool:
        """True once the program ended (not when we cut it off: that is no clean end)."""
        try:
            self.process.wait(timeout=timeout)
            return not self.cut_off
        except subprocess.TimeoutExpired:
            return False

    def traceback(self) -> str:
        """A traceback printed anywhere: a crash the user would see, with the student's frames only."""
        from autograder.sandbox.excerpt import student_traceback

        for stream in (self.stderr.text, self.stdout.text):
            at = stream.find("Traceback (most recent call last)")
            if at >= 0:
                return student_traceback(stream[at:at + 4000], self.seen_workdir)
        return ""

    # -- facts from outside ------------------------------------------------
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def exit_code(self) -> Optional[int]:
        return None if self.process is None else self.process.poll()

    def _tree(self) -> List[psutil.Process]:
        if self._ps is None:
            return []
        try:
            return [self._ps] + self._ps.children(recursive=True)
        except psutil.Error:
            return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self._tree():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.Error:
                pass
        return total

    def cpu_demand_seconds(self) -> float:
        """Time the program ran or was ready to run (Linux schedstat: on CPU + waiting for one).

        A loop that spins wants the CPU all the time, however little of it a busy machine
        gives: this counts it the same with one check running or twenty. Elsewhere, CPU time."""
        total = 0.0
        for proc in self._tree():
            try:
                for task in os.listdir(f"/proc/{proc.pid}/task"):
                    with open(f"/proc/{proc.pid}/task/{task}/schedstat", encoding="ascii") as handle:
                        on_cpu, waiting = handle.read().split()[:2]
                    total += (int(on_cpu) + int(waiting)) / 1e9
            except (OSError, ValueError, psutil.Error):
                return self.cpu_seconds()
        return total

    def thread_count(self) -> int:
        """Threads of the busiest process of the tree: a server's threads live
        in one process, and a summed count would rise and fall with short-lived
        forks (a student's double fork at start-up made the baseline jump)."""
        counts = [0]
        for proc in self._tree():
            try:
                counts.append(proc.num_threads())
            except psutil.Error:
                pass
        return max(counts)


def valid_event(event) -> bool:
    """An event as the harness writes it: a name, a port that is a port, a host that is an address."""
    if not isinstance(event, dict) or not isinstance(event.get("ev"), str):
        return False
    port = event.get("port", 0)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        return False
    if "host" in event:
        try:
            ipaddress.ip_address(event["host"])
        except ValueError:
            return False
    pid = event.get("pid", 0)
    return isinstance(pid, int) and not isinstance(pid, bool)


def child_environment() -> dict:
    """A small, predictable environment for student code."""
    keep = ("PATH", "SYSTEMROOT", "SystemRoot", "TEMP", "TMP", "TMPDIR", "HOME", "USERPROFILE", "LANG", "LC_ALL")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["MALLOC_ARENA_MAX"] = "2"  # thread arenas would eat the address-space limit
    env["TERM"] = "dumb"
    return env


def kill_tree(process: subprocess.Popen, ps: Optional[psutil.Process]) -> None:
    """Kill the child, its process group, and any descendant that left it."""
    victims: List[psutil.Process] = []
    if ps is not None:
        try:
            victims = ps.children(recursive=True)
        except psutil.Error:
            victims = []
    if os.name != "nt":
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        process.kill()
    except OSError:
        pass
    for victim in victims:
        try:
            victim.kill()
        except psutil.Error:
            pass
