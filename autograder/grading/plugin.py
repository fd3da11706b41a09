"""The pytest plugin that turns check outcomes into graded results.

``autograde`` runs pytest on the check modules with this plugin registered
as ``chatlab``.  It skips a check whose dependencies did not pass (saying
which), and records every outcome as a ``CheckResult``: ``CheckFailed`` is
the student's failure with its data, a pytest-timeout is a failure too
(the program hung), anything else is our error and is reported as such.
"""
from __future__ import annotations

import concurrent.futures
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from autograder.wire.clients import Profile
from autograder.wire.names import Cast

from autograder.report.excerpt import student_traceback
from autograder.results import CheckFailed, CheckResult, msg
from autograder.sandbox.process import Child, Limits


@dataclass
class GradingContext:
    """Everything the checks may know about the submission being graded."""

    server_file: Path
    workdir: Path
    client_file: Optional[Path] = None
    limits: Limits = field(default_factory=Limits)
    profile: Profile = field(default_factory=Profile)
    profile_extra: Dict[str, object] = field(default_factory=dict)
    results: Dict[str, CheckResult] = field(default_factory=dict)
    children: List[Child] = field(default_factory=list)
    observer: Optional[object] = None  # e.g. live.LiveView: check_started, entry, check_finished
    transport: str = "tcp"
    variant: str = "tcp-multi"
    first_server: Optional[object] = None  # the start-up probe, handed to the `starts` check
    _spare: Optional[Child] = None  # the next check's server, gated: ready, not yet running
    _early_client: Optional[concurrent.futures.Future] = None  # the client examined while the server was late
    _early_run: Optional[object] = None  # its ClientRun, to stop it when it is not wanted
    _early_dropped: threading.Event = field(default_factory=threading.Event)
    server_argv: List[str] = field(default_factory=list)  # arguments the programs are started with
    client_argv: List[str] = field(default_factory=list)
    # The client's code as handed in, read by the grader before any student program ran: the
    # copy in workdir is the student's to change (a link to a FIFO must not stall a check).
    client_source: str = ""

    driver: str = "wire"  # who plays the users of the scenarios (drivers.WAYS)
    only: Optional[set] = None  # run just these checks (a second pass, another way)
    client_run: Optional[object] = None  # one session of the student's client, shared
    _puppets: Optional[object] = None  # how to start copies of the client (puppet.PuppetLauncher), made once
    _client_lock: threading.Lock = field(default_factory=threading.Lock)
    heard: List[bytes] = field(default_factory=list)  # what the server first sent each text user
    cast: Cast = field(default_factory=Cast)  # the scripted users' names and token words, drawn per run

    def take_server(self):
        """A started server for a check: the start-up probe, else the spare
        made ready during the previous check, else one started now."""
        from autograder.sandbox.launch import start_server

        running, self.first_server = self.first_server, None
        spare, self._spare = self._spare, None
        return running or start_server(self, child=spare)

    def start_spare_server(self) -> None:
        """Make the next check's server ready while this check runs: its interpreter
        and harness start now, its code when it is taken (``take_server``), so a
        fresh server per check stays and two never run side by side."""
        from autograder.sandbox.launch import spawn_server

        if self._spare is None and os.name == "posix":
            self._spare = spawn_server(self, gated=True)

    def drop_spare_server(self) -> None:
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.stop()

    def settle_background(self, timeout: float) -> None:
        """Grading is over: wait for servers and clients still being started in
        the background, so that none outlives the grader, then stop them."""
        self.drop_spare_server()
        self.drop_early_client()  # an early look at the client, if one is still going, ends too
        if self._early_client is not None:
            concurrent.futures.wait([self._early_client], timeout=timeout)

    def client_session(self):
        """The student's client run once against the fake server, every step.

        UDP server checks learn from it how the client registers and leaves;
        the client checks read its outcome. None when there is no client.
        Safe to call from several threads: the first runs it, the rest wait."""
        with self._client_lock:
            if self.client_run is None and self.client_file is not None:
                early = self._early_client
                if early is not None and not self._early_dropped.is_set() and self.status("starts") != "passed":
                    self.client_run = early.result()  # examined while the server was not there
                else:
                    self.drop_early_client()
                    self.client_run = self._examine_client(self.transport)
            return self.client_run

    def _examine_client(self, transport: str, early: bool = False):
        from autograder.grading.clientrun import ClientRun

        run = ClientRun(self, transport)
        if early:
            self._early_run = run
            if self._early_dropped.is_set():  # dropped while it was being made
                run.stop()
        try:
            for step in run.steps:
                try:
                    run.run(step)
                except CheckFailed:
                    pass
        finally:
            run.stop()
        return run

    def start_client_session(self) -> None:
        """Run the client session beside the server checks: it has its own
        server and proxy, and mostly waits, so it costs no extra time."""
        threading.Thread(target=self.client_session, name="client-session", daemon=True).start()

    def examine_client_early(self, transport: str) -> None:
        """The server is late to listen: examine the client against the fake
        server alone meanwhile, so that a server which never starts does not
        cost its start deadline and then the client's deadlines after it. Used
        only if the server does not start after all (``client_session``)."""
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
        """The server listens after all: the early look at the client is not needed
        (its run stops at once; its steps fail and nobody reads them)."""
        self._early_dropped.set()
        run = self._early_run
        if run is not None:
            run.stop()

    def learn_from_client(self) -> None:
        run = self.client_session()
        if run is not None:
            self.profile.udp_join = run.learned.get("join")
            self.profile.udp_leave = run.learned.get("leave")
            self.profile.udp_message = run.learned.get("message")

    def user_factory(self):
        """Who plays a user in this pass: None for the grader's own wire users."""
        if self.driver != "puppet":
            return None
        from functools import partial

        from autograder.grading.puppet import PuppetLauncher, PuppetUser, quit_command

        if self._puppets is None:
            self._puppets = PuppetLauncher(self.client_file, self.workdir, self.limits, self.children,
                                           argv=list(self.client_argv),
                                           quit_word=quit_command(self.client_source))
        return partial(PuppetUser, launcher=self._puppets)

    def status(self, check_id: str) -> Optional[str]:
        result = self.results.get(check_id)
        return result.status if result else None


def _check_marker(item):
    marker = item.get_closest_marker("check")
    return marker.kwargs if marker else None


class ChatlabPlugin:
    def __init__(self, context: GradingContext) -> None:
        self.__name__ = "chatlab"  # the name pluggy registers us under; fixtures look us up by it
        self.context = context
        self.server_key = None  # set by the checks' conftest
        self.room_key = None
        self._started: Dict[str, float] = {}

    def pytest_collection_modifyitems(self, items):
        from autograder.grading.checks import ORDER

        rank = {check_id: i for i, check_id in enumerate(ORDER)}
        only = self.context.only
        applies = [item for item in items
                   if self.context.variant in ((_check_marker(item) or {}).get("variants") or (self.context.variant,))
                   and (only is None or (_check_marker(item) or {}).get("id") in only)]
        items[:] = applies
        items.sort(key=lambda item: rank.get((_check_marker(item) or {}).get("id"), len(rank)))

    def pytest_runtest_setup(self, item):
        info = _check_marker(item)
        if info is None:
            return
        self._started[info["id"]] = time.monotonic()
        for dependency in info.get("depends", ()):
            status = self.context.status(dependency)
            if status != "passed":
                item.stash[_SKIP_REASON] = msg(f"skip.dependency.{status or 'not_run'}", check=dependency)
                pytest.skip(f"depends on {dependency}")
        if self.context.observer is not None:
            self.context.observer.check_started(info["id"], info.get("title") or None)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        info = _check_marker(item)
        if info is None or info["id"] in self.context.results:
            return
        if call.when == "setup" and report.passed:
            return
        if call.when == "teardown" and not report.failed:
            return
        self._keep_what_was_heard(item)
        result = self._result(item, call, report, info["id"])
        result.title_key = info.get("title") or None
        self.context.results[result.id] = result
        if result.id == "starts" and result.status == "passed" and self.context.transport == "tcp":
            self.context.start_client_session()
        if self.context.observer is not None:
            self.context.observer.check_finished(result)

    def _keep_what_was_heard(self, item) -> None:
        """The first bytes the server sent each text user: evidence of a protocol of its own (evidence.py)."""
        room = item.stash.get(self.room_key, None) if self.room_key else None
        users = getattr(room, "users", None)  # a client check's "room" is the client session
        if not isinstance(users, dict) or self.context.driver != "wire":
            return
        self.context.heard.extend(user.first_bytes for user in list(users.values())
                                  if getattr(user, "first_bytes", None))

    def _result(self, item, call, report, check_id) -> CheckResult:
        result = CheckResult(id=check_id, status="passed")
        result.duration = time.monotonic() - self._started.get(check_id, time.monotonic())
        if report.skipped:
            result.status = "skipped"
            raised = call.excinfo.value if call.excinfo else None
            result.message = (item.stash.get(_SKIP_REASON, None) or getattr(raised, "chatlab_message", None)
                              or msg("skip.other", reason=str(report.longrepr)[-200:]))
            return result
        if report.passed:
            return result
        error = call.excinfo.value if call.excinfo else None
        if isinstance(error, CheckFailed):
            result.status = "failed"
            result.message, result.hint = error.message, error.hint
            result.expected, result.actual = error.expected, error.actual
            result.facts = error.facts
        elif call.excinfo is not None and "Timeout" in str(error):
            result.status = "failed"
            result.message = msg("fail.timeout")
            result.hint = msg("hint.timeout")
        else:
            result.status = "error"
            text = call.excinfo.exconly() if call.excinfo else str(report.longrepr)
            result.message = msg("error.internal", detail=text[-300:])
        room = item.stash.get(self.room_key, None) if self.room_key else None
        if room is not None:
            result.transcript = room.transcript.as_data()
        server = item.stash.get(self.server_key, None) if self.server_key else None
        if server is not None:
            result.exceptions = server.child.all("thread_exception") + server.child.all("exception")
            result.server_output = describe_server(server.child, show_screen=server.child.role == "client")
        return result


_SKIP_REASON = pytest.StashKey[object]()


def describe_server(child: Child, limit: int = 1500, show_screen: bool = False) -> Optional[str]:
    """What the program said on its own: exceptions in its threads, stderr's
    end, and for a client (whose stdout is the screen) the screen's end.

    Raw text (renderers mark invisible characters), tracebacks cut down to the
    student's own frames, excerpts starting at a line."""
    own_dir = child.seen_workdir
    lines = []
    for event in child.all("thread_exception") + child.all("exception"):
        lines.append(f"{event.get('type')}: {event.get('message')} "
                     f"({event.get('file')}:{event.get('line')}: {event.get('code')})")
    tail = _whole_lines(child.stderr.text, limit).strip()
    if tail:
        lines.append(student_traceback(tail, own_dir))
    if show_screen:
        screen = _whole_lines(child.stdout.text, limit // 2).strip()
        if screen:
            lines.append(student_traceback(screen, own_dir))
    return "\n".join(lines) or None


def _whole_lines(text: str, limit: int) -> str:
    """The end of an output, at most ``limit`` characters, from a line's start."""
    if len(text) <= limit:
        return text
    end = text[-limit:]
    cut = end.find("\n")
    return end[cut + 1:] if cut >= 0 else end
