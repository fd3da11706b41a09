"""What a check may ask for by naming a parameter, pytest style.

``server``  a freshly started sandboxed server of its own (``starts``: the probe's first start);
``room``    scripted users talking to that server, made from the probe's profile;
``probe``   what the probe learnt (``probe.Probe``);
``grading`` this check's own view: its ``profile``, the ``detected`` facts it reports,
            the submission's files, which way the users are played;
``client``  the one run of the student's client (``clientrun.ClientRun``).

A fixture is a generator or a function of other fixtures; what it yields is
torn down when the check ends, in reverse order, so a check's server dies with it.
"""
from __future__ import annotations

import contextlib
import inspect
import threading
from typing import Callable, Dict, List, Optional

from autograder.results import CheckFailed, msg
from autograder.wire.clients import Room, Transcript

FIXTURES: Dict[str, Callable] = {}


def fixture(function: Callable) -> Callable:
    FIXTURES[function.__name__] = function
    return function


class Scope:
    """One check's run: what it may read, what it reports, what it started."""

    def __init__(self, check, session, probe, driver: str = "wire", frames: Optional[dict] = None) -> None:
        self.check = check
        self.session = session
        self.probe = probe
        self.driver = driver  # who plays the users (drivers.WAYS)
        self.frames = frames or {}  # the learned way: the client's own join and message frames
        self.detected: Dict[str, object] = {}  # facts this check reports (merged in report order)
        self.room = None  # the scenario's users, or the client session: their transcript is the report's
        self.server = None  # the program whose output the report shows
        self.heard: List[bytes] = []  # the first bytes the server sent each wire user
        self.cancelled = threading.Event()
        self._profile = None
        self._values: Dict[str, object] = {"scope": self}  # fixtures made so far, by name
        self._stack = contextlib.ExitStack()

    # -- what checks read --------------------------------------------------------------------
    @property
    def profile(self):
        """This check's own profile: the probe's values, then what its users learn."""
        if self._profile is None:
            profile = self.probe.profile()
            profile.wire_join, profile.wire_message = self.frames.get("join"), self.frames.get("message")
            self._profile = profile
        return self._profile

    @property
    def server_file(self):
        return self.session.server_file

    @property
    def client_file(self):
        return self.session.client_file

    @property
    def variant(self) -> str:
        return self.session.variant

    # -- running -------------------------------------------------------------------------------
    def call(self, function: Callable):
        """Call ``function`` with the fixtures its parameters name."""
        values = {name: self.value(name) for name in inspect.signature(function).parameters}
        return function(**values)

    def value(self, name: str):
        values = self._values
        if name not in values:
            make = FIXTURES.get(name)
            if make is None:
                raise LookupError(f"no fixture named {name!r} (known: {', '.join(sorted(FIXTURES))})")
            made = self.call(make)
            if inspect.isgenerator(made):
                generator = made
                made = next(generator)
                self._stack.callback(_finish, generator)
            values[name] = made
        return values[name]

    def close(self) -> None:
        self._stack.close()

    def cancel(self) -> None:
        """The check's verdict no longer counts (overran, or a dependency failed): stop its programs,
        so that its waits end soon; its thread is not waited for."""
        self.cancelled.set()
        for thing in (self.room, self.server):
            with contextlib.suppress(Exception):
                if isinstance(thing, Room):
                    thing.close()
                elif hasattr(thing, "child"):
                    thing.child.stop()


def _finish(generator) -> None:
    with contextlib.suppress(StopIteration):
        next(generator)


@fixture
def grading(scope):
    return scope


@fixture
def probe(scope):
    return scope.probe


@fixture
def session(scope):
    return scope.session


@fixture
def server(scope):
    probe = scope.probe
    if scope.check.id == "starts":
        scope.server = probe.first  # judged as it first started: no second wait
        yield probe.first
        return
    running = scope.session.new_server()
    if running.address is None and probe.listening():
        # It started before: a busy machine, not the student, is the likelier cause. Once more,
        # and say so in the report.
        running.child.stop()
        child = running.child
        scope.detected.setdefault("restarts", []).append({
            "check": scope.check.id, "alive": child.alive(), "exit": child.exit_code,
            "events": [e["ev"] for e in child.events][-6:], "stderr": child.stderr.text[-300:]})
        running = scope.session.new_server()
    scope.server = running
    try:
        if running.address is None:
            raise CheckFailed(msg("fail.restart"))
        yield running
    finally:
        running.child.stop()


@fixture
def room(server, scope):
    if server.address is None:
        raise CheckFailed(msg("fail.restart"))
    session = scope.session
    chat = Room(server.address, scope.profile, Transcript(session.observer), kind=server.kind or "tcp",
                user_factory=session.user_factory(scope.driver), cast=session.cast)
    scope.room = chat
    try:
        yield chat
    finally:
        if scope.driver == "wire":  # evidence of a protocol of its own (evidence.py)
            scope.heard.extend(u.first_bytes for u in list(chat.users.values()) if getattr(u, "first_bytes", None))
        chat.close()


@fixture
def client(scope):
    run = scope.session.client_session()
    if run is None:
        raise CheckFailed(msg("fail.client.missing"), hint=msg("hint.client.missing"))
    scope.room, scope.server = run, run.client
    return run
