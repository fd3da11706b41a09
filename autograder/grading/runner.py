"""Run checks, all at once (or one at a time), each bounded by its deadline.

Every check runs in a thread of its own with its own fixtures (its own
server, its own users), so their waits overlap instead of adding up.  A check
whose dependency did not pass does not count: it is cancelled as soon as
that is known (its programs stopped, its thread no longer waited for) and
reported as skipped, saying which dependency and why.  A check that overruns
its deadline is failed as hung, and its programs are stopped.  The outcome is
the same whether checks ran at once or in turn (``--one-at-a-time`` is there
to show it, and to debug one).

Failures are data: ``CheckFailed`` is the student's (message, expected,
actual, hint), ``NotApplicable`` a skip with its reason, an ``AssertionError``
in an instructor's check a failure with its text, anything else our error.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from autograder.grading.fixtures import Scope
from autograder.grading.registry import Check, NotApplicable
from autograder.sandbox.excerpt import describe_program
from autograder.results import CheckFailed, CheckResult, msg

GRACE = 2.0  # seconds a cancelled check's thread may take to notice; never waited for beyond


@dataclass
class Outcome:
    """What a run of checks gives: the results in report order, and what the scopes saw."""

    results: Dict[str, CheckResult]
    detected: List[dict] = field(default_factory=list)  # each check's reported facts, in report order
    profiles: List[dict] = field(default_factory=list)  # what each check's users learnt, in report order
    heard: List[bytes] = field(default_factory=list)
    extra: Dict[str, object] = field(default_factory=dict)  # facts of the run as a whole (the ways tried)

    def then(self, later: "Outcome") -> "Outcome":
        """This run followed by a later one, in report order."""
        return Outcome({**self.results, **later.results}, self.detected + later.detected,
                       self.profiles + later.profiles, self.heard + later.heard, {**self.extra, **later.extra})


def run(checks: List[Check], session, probe, *, driver: str = "wire", frames: Optional[dict] = None,
        at_once: bool = True, prior: Optional[Dict[str, CheckResult]] = None, limit: Optional[int] = None) -> Outcome:
    """Run ``checks`` (in report order) against the session's submission.

    ``prior``: verdicts of checks not run now that these may depend on (an earlier pass);
    ``limit``: at most this many at once (each check that plays users with client copies starts several)."""
    prior = dict(prior or {})
    runs = {c.id: _Run(c, Scope(c, session, probe, driver, frames), session.observer) for c in checks}
    if at_once:
        _all_at_once(runs, prior, limit or len(runs) or 1)
    else:
        _in_turn(runs, prior)
    results = {cid: r.result for cid, r in runs.items()}
    results = skip_dependents(checks, results, prior)
    outcome = Outcome(results)
    for cid, r in runs.items():
        if results[cid].status != "skipped" or r.ran:
            outcome.detected.append(dict(r.scope.detected))
            if r.scope._profile is not None:
                outcome.profiles.append(r.scope._profile.as_dict())
        outcome.heard.extend(r.scope.heard)
    return outcome


def skip_dependents(checks: List[Check], results: Dict[str, CheckResult],
                    prior: Optional[Dict[str, CheckResult]] = None) -> Dict[str, CheckResult]:
    """A check whose dependency did not pass is skipped, saying which (pure; in report order)."""
    known: Dict[str, CheckResult] = dict(prior or {})
    final: Dict[str, CheckResult] = {}
    for check in checks:
        result = results[check.id]
        for dependency in check.depends:
            got = known.get(dependency)
            status = got.status if got is not None else None
            if status != "passed":
                result = CheckResult(id=check.id, status="skipped", title_key=check.title_key,
                                     message=msg(f"skip.dependency.{status or 'not_run'}", check=dependency))
                break
        final[check.id] = known[check.id] = result
    return final


class _Run:
    """One check in flight."""

    def __init__(self, check: Check, scope: Scope, observer) -> None:
        self.check, self.scope, self.observer = check, scope, observer
        self.result: Optional[CheckResult] = None
        self.ran = False
        self.done = threading.Event()
        self._finishing = threading.Lock()
        self.thread: Optional[threading.Thread] = None
        self.started = 0.0

    def start(self, on_done) -> None:
        self.started = time.monotonic()
        self.ran = True
        if self.observer is not None:
            self.observer.check_started(self.check.id, self.check.title_key)

        def body() -> None:
            result = self._execute()
            if not self.scope.cancelled.is_set():
                self.finish(result)
            on_done()

        self.thread = threading.Thread(target=body, name=f"check-{self.check.id}", daemon=True)
        self.thread.start()

    def finish(self, result: CheckResult) -> None:
        """The first verdict stands: the check's own, or the runner's when it cut the check off."""
        with self._finishing:
            if self.done.is_set():
                return
            result.duration = time.monotonic() - self.started
            result.title_key = self.check.title_key
            self.result = result
            self.done.set()
        if self.observer is not None:
            self.observer.check_finished(result)

    def overran(self) -> bool:
        return not self.done.is_set() and time.monotonic() - self.started > self.check.deadline

    def time_left(self) -> float:
        return self.check.deadline - (time.monotonic() - self.started)

    def cut_off(self) -> None:
        """Out of time: the program stopped answering. Its programs stop; its thread is left."""
        self.scope.cancel()
        self.finish(self._with_evidence(CheckResult(id=self.check.id, status="failed", message=msg("fail.timeout"),
                                                    hint=msg("hint.timeout"))))

    def _execute(self) -> CheckResult:
        scope = self.scope
        try:
            scope.call(self.check.function)
            result = CheckResult(id=self.check.id, status="passed")
        except BaseException as error:  # what it means is verdict()'s to say
            result = verdict(self.check.id, error)
        finally:
            try:
                scope.close()
            except Exception:  # a fixture's teardown: the verdict stands
                pass
        return self._with_evidence(result)

    def _with_evidence(self, result: CheckResult) -> CheckResult:
        if result.status == "skipped":
            return result
        scope = self.scope
        transcript = getattr(scope.room, "transcript", None)
        if transcript is not None:
            result.transcript = transcript.as_data()
        child = getattr(scope.server, "child", None)
        if child is not None:
            result.exceptions = child.all("thread_exception") + child.all("exception")
            result.server_output = describe_program(child, show_screen=child.role == "client")
        return result


def verdict(check_id: str, error: BaseException) -> CheckResult:
    """What an exception out of a check means (the notebooks' checks read it the same way)."""
    if isinstance(error, NotApplicable):
        return CheckResult(id=check_id, status="skipped", message=error.chatlab_message)
    if isinstance(error, CheckFailed):
        return CheckResult(id=check_id, status="failed", message=error.message, hint=error.hint,
                           expected=error.expected, actual=error.actual, facts=error.facts)
    if isinstance(error, AssertionError):  # an instructor's pytest-style check
        text = str(error).strip()
        return CheckResult(id=check_id, status="failed",
                           message=msg("fail.assertion", detail=text) if text else msg("fail.assertion_bare"))
    if _is_pytest_skip(error):
        return CheckResult(id=check_id, status="skipped", message=msg("skip.other", reason=str(error)))
    detail = f"{type(error).__name__}: {error}"
    return CheckResult(id=check_id, status="error", message=msg("error.internal", detail=detail[-300:]))


def _is_pytest_skip(error: BaseException) -> bool:
    return type(error).__name__ == "Skipped" and type(error).__module__.startswith("_pytest")


def _status(dependency: str, runs: Dict[str, _Run], prior: Dict[str, CheckResult]) -> Optional[str]:
    """A dependency's verdict so far: None while it runs (or if it never will)."""
    if dependency in runs:
        run_ = runs[dependency]
        return run_.result.status if run_.done.is_set() else None
    return prior[dependency].status if dependency in prior else "not_run"


def _in_turn(runs: Dict[str, _Run], prior: Dict[str, CheckResult]) -> None:
    """One check after another, in report order; a check whose dependency did not pass is not run."""
    for run_ in runs.values():
        if any(_status(d, runs, prior) != "passed" for d in run_.check.depends):
            continue  # skip_dependents says why
        run_.start(lambda: None)
        while not run_.done.wait(max(0.0, min(run_.time_left(), 0.5))):
            if run_.overran():
                run_.cut_off()


def _all_at_once(runs: Dict[str, _Run], prior: Dict[str, CheckResult], limit: int) -> None:
    """Every check at once (at most ``limit``, in report order); dependants of a check that did not
    pass are cancelled when that is known."""
    changed = threading.Condition()

    def notify() -> None:
        with changed:
            changed.notify_all()

    waiting = list(runs.values())
    while True:
        _cancel_doomed(runs, prior)
        running = [r for r in runs.values() if r.ran and not r.done.is_set()]
        while waiting and len(running) < limit:
            run_ = waiting.pop(0)
            if run_.done.is_set():
                continue  # cancelled before its turn
            if all(_status(d, runs, prior) in (None, "passed") for d in run_.check.depends):
                run_.start(notify)
                running.append(run_)
            else:
                run_.finish(CheckResult(id=run_.check.id, status="skipped"))  # skip_dependents gives the reason
        if not running and not waiting:
            return
        with changed:
            changed.wait(max(0.01, min([r.time_left() for r in running] + [0.5])))
        for run_ in running:
            if run_.overran():
                run_.cut_off()


def _cancel_doomed(runs: Dict[str, _Run], prior: Dict[str, CheckResult]) -> None:
    """A check whose dependency did not pass will be skipped: stop it now rather than wait for it."""
    for run_ in runs.values():
        if run_.done.is_set():
            continue
        for dependency in run_.check.depends:
            if _status(dependency, runs, prior) not in (None, "passed"):
                run_.scope.cancel()
                run_.finish(CheckResult(id=run_.check.id, status="skipped"))  # skip_dependents gives the reason
                break
