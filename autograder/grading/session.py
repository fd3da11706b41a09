"""What one grading run holds: the submission as handed in, and the programs running for it.

``Submission`` is a value: the files, the arguments they are started with,
the client's source read before any student code ran.  ``Session`` owns the
processes and the background work: every child started (all stopped at the
end), gated servers made ready ahead of the checks that will take them, the
one run of the student's client that the client checks read, and the
launcher of client copies for the puppet way.  Checks never write to it.
"""
from __future__ import annotations

import concurrent.futures
import os
import shutil
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import List, Optional

from autograder.sandbox.launch import RunningServer, spawn_server, start_server
from autograder.sandbox.process import Child, Limits, prepare_workdir
from autograder.wire.names import Cast

# A submission this small gets a fresh copy for every server: what one check's server writes (a users
# file, a history, a database, a lock file) is never what another's reads. A larger one shares its copy.
COPY_PER_SERVER = 5 * 1024 * 1024


@dataclass(frozen=True)
class Submission:
    """The programs to grade, as copied into the work folder."""

    server_file: Path
    workdir: Path
    client_file: Optional[Path] = None
    server_argv: tuple = ()
    client_argv: tuple = ()
    # The client's code as handed in, read by the grader before any student program ran: the
    # copy in workdir is the student's to change (a link to a FIFO must not stall a check).
    client_source: str = ""
    root: Optional[Path] = None  # the folder as handed in, for a fresh copy per server


@dataclass(frozen=True)
class ServerCopy:
    """What it takes to start one server from a copy of its own (``launch.spawn_server`` reads these)."""

    server_file: Path
    workdir: Path
    limits: Limits
    server_argv: List[str]
    children: List[Child]


@dataclass
class Session:
    """The running side of one grading: children, spare servers, the client's session."""

    submission: Submission
    limits: Limits = field(default_factory=Limits)
    observer: Optional[object] = None  # e.g. report.live.LiveView: check_started, entry, check_finished
    cast: Cast = field(default_factory=Cast)  # the scripted users' names and words, drawn per run
    transport: str = "tcp"
    variant: str = "tcp-multi"
    probe: Optional[object] = None  # probe.Probe, set once it exists
    children: List[Child] = field(default_factory=list)
    _spares: List[Child] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _client: Optional[concurrent.futures.Future] = None
    _early_client: Optional[concurrent.futures.Future] = None
    _early_run: Optional[object] = None
    _early_dropped: threading.Event = field(default_factory=threading.Event)
    _puppets: Optional[object] = None
    _client_run: Optional[object] = None  # the client's session while it runs
    _copies: List[Path] = field(default_factory=list)  # the servers' own copies, removed at the end
    _small: Optional[bool] = None  # small enough for a copy per server
    _client_made: threading.Event = field(default_factory=threading.Event)

    # -- what the sandbox helpers read (launch.spawn_server, clientrun, puppet) --------------
    @property
    def server_file(self) -> Path:
        return self.submission.server_file

    @property
    def client_file(self) -> Optional[Path]:
        return self.submission.client_file

    @property
    def workdir(self) -> Path:
        return self.submission.workdir

    @property
    def server_argv(self) -> List[str]:
        return list(self.submission.server_argv)

    @property
    def client_argv(self) -> List[str]:
        return list(self.submission.client_argv)

    @property
    def client_source(self) -> str:
        return self.submission.client_source

    @property
    def profile(self):
        """A fresh profile from what the probe learnt: whoever changes it changes their own."""
        return self.probe.profile()

    @property
    def server_listens(self) -> bool:
        """The probe's first start of the server listened (what ``starts`` judges)."""
        return self.probe is not None and self.probe.listening()

    # -- servers -------------------------------------------------------------------------------
    def prepare_servers(self, count: int) -> None:
        """Start ``count`` servers' interpreters now, their code when a check takes one:
        the checks that will run at once then find their servers ready."""
        if os.name != "posix":
            return
        for _ in range(count):
            child = spawn_server(self.server_copy(), gated=True)
            with self._lock:
                self._spares.append(child)

    def new_server(self) -> RunningServer:
        """A server of its own for one check: a prepared one if there is, else started now."""
        with self._lock:
            spare = self._spares.pop() if self._spares else None
        return start_server(self, child=spare) if spare is not None else start_server(self.server_copy())

    def server_copy(self):
        """Where one more server runs: a fresh copy of the submission as handed in (a small one),
        else the session's own copy."""
        root = self.submission.root
        if self._small is None:
            self._small = _size(self.workdir) <= COPY_PER_SERVER
        if root is None or not self._small:
            return self
        folder = prepare_workdir(root)
        with self._lock:
            self._copies.append(folder)
        return ServerCopy(folder / self.server_file.relative_to(self.workdir), folder, self.limits,
                          self.server_argv, self.children)

    def drop_spare_servers(self) -> None:
        with self._lock:
            spares, self._spares = self._spares, []
        for child in spares:
            child.stop()

    # -- the student's client, run once ---------------------------------------------------------
    def start_client_session(self) -> None:
        """Run the client against the fake server in the background: it has its own
        server and proxy, and mostly waits, so it costs the checks no time."""
        with self._lock:
            if self._client is not None:
                return
            self._client = concurrent.futures.Future()
        threading.Thread(target=self._run_client_session, name="client-session", daemon=True).start()

    def _run_client_session(self) -> None:
        try:
            self._client.set_result(self._make_client_session())
        except BaseException as error:  # ours: the client checks report it as an error
            self._client.set_exception(error)

    def _make_client_session(self):
        if self.client_file is None:
            return None
        early = self._early_client
        if early is not None and not self._early_dropped.is_set() and not self.server_listens:
            self._client_made.set()
            return early.result()  # examined while the server was not there
        self.drop_early_client()
        return self._examine_client(self.transport)

    def client_forms(self, leave: bool = False) -> dict:
        """UDP: how the client registers and wraps its words (``leave``: and leaves), as soon as its
        session has shown it, not when the session ends."""
        self.start_client_session()
        while not self._client.done():
            run = self._client_run
            if run is not None and (run.forms_known if leave else run.messages_known).wait(0.05):
                return dict(run.learned)
            self._client_made.wait(0.05)
        run = self._client.result()
        return dict(run.learned) if run is not None else {}

    def client_session(self):
        """The client's one session (``clientrun.ClientRun``), waited for; None without a client."""
        self.start_client_session()
        return self._client.result()

    def _examine_client(self, transport: str, early: bool = False):
        from autograder.grading.clientrun import ClientRun
        from autograder.wire.clients import Profile

        # Early, nothing is known of the server: the client meets the fake server's defaults.
        run = ClientRun(self, transport, Profile() if early else None)
        if not early:
            self._client_run = run
            self._client_made.set()
        if early:
            self._early_run = run
            if self._early_dropped.is_set():  # dropped while it was being made
                run.stop()
        try:
            for step in run.steps:
                run.try_step(step)
        finally:
            run.stop()
        return run

    def examine_client_early(self, transport: str) -> None:
        """The server is late to listen: examine the client against the fake server
        alone meanwhile, so that a server which never starts does not cost its start
        deadline and then the client's deadlines after it."""
        if self.client_file is None or self._early_client is not None or self._early_dropped.is_set():
            return
        self._early_client = early = concurrent.futures.Future()

        def examine() -> None:
            try:
                early.set_result(self._examine_client(transport, early=True))
            except BaseException as error:  # ours: the client is examined again, the usual way
                early.set_exception(error)

        threading.Thread(target=examine, name="early-client", daemon=True).start()

    def drop_early_client(self) -> None:
        """The server listens after all: the early look at the client is not needed."""
        self._early_dropped.set()
        run = self._early_run
        if run is not None:
            run.stop()

    # -- who plays a user ----------------------------------------------------------------------
    def user_factory(self, driver: str):
        """Who plays a user in a pass: None for the grader's own wire users."""
        if driver != "puppet":
            return None
        from autograder.grading.puppet import PuppetLauncher, PuppetUser, quit_command

        with self._lock:
            if self._puppets is None:
                self._puppets = PuppetLauncher(self.client_file, self.workdir, self.limits, self.children,
                                               argv=self.client_argv, quit_word=quit_command(self.client_source))
        return partial(PuppetUser, launcher=self._puppets)

    # -- the end ---------------------------------------------------------------------------------
    def close(self, timeout: float) -> None:
        """Grading is over: wait for work still starting in the background, then stop every child."""
        self.drop_spare_servers()
        self.drop_early_client()
        pending = [f for f in (self._early_client, self._client) if f is not None]
        concurrent.futures.wait(pending, timeout=timeout)
        for child in list(self.children):
            child.stop()
        for folder in self._copies:
            shutil.rmtree(folder, ignore_errors=True)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
