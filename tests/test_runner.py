"""The runner on its own: deadlines, dependants of a failed check, the same verdicts at once or in turn.

Checks here are small functions with no fixtures, so no server is started: what is tested is the
running, not a chat.
"""
from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from autograder.grading import runner
from autograder.grading.registry import Check, NotApplicable
from autograder.results import CheckFailed, msg

pytestmark = pytest.mark.timeout(60)

SESSION = SimpleNamespace(observer=None)
released = threading.Event()


def passes():
    """Passes."""


def fails():
    """Fails."""
    raise CheckFailed(msg("fail.timeout"), expected="this", actual="that")


def hangs():
    """Waits for ever (until the test ends)."""
    released.wait(30)


def asserts():
    """An instructor's assert."""
    assert 1 + 1 == 3, "arithmetic is broken"


def not_here():
    """Cannot judge this one."""
    raise NotApplicable(msg("skip.framing.raw"))


def breaks():
    """Our own bug."""
    return {}["missing"]


def make(check_id, function, depends=(), deadline=5.0):
    return Check(check_id, function, tuple(depends), deadline=deadline)


CHECKS = [make("a", passes), make("b", fails, ["a"]), make("c", hangs, ["b"]), make("d", asserts, ["a"]),
          make("e", not_here), make("f", breaks), make("g", passes, ["e"]), make("h", hangs, deadline=0.5)]
EXPECTED = {"a": "passed", "b": "failed", "c": "skipped", "d": "failed", "e": "skipped", "f": "error",
            "g": "skipped", "h": "failed"}


@pytest.mark.parametrize("at_once", [True, False])
def test_every_way_a_check_ends_is_a_verdict(at_once):
    started = time.monotonic()
    outcome = runner.run(CHECKS, SESSION, probe=None, at_once=at_once)
    took = time.monotonic() - started
    assert {cid: r.status for cid, r in outcome.results.items()} == EXPECTED
    results = outcome.results
    assert results["b"].expected == "this" and results["b"].actual == "that"
    assert results["c"].message.key == "skip.dependency.failed" and results["c"].message.params["check"] == "b"
    assert results["d"].message.params["detail"].startswith("arithmetic is broken")
    assert results["e"].message.key == "skip.framing.raw"
    assert results["f"].message.key == "error.internal" and "KeyError" in results["f"].message.params["detail"]
    assert results["g"].message.key == "skip.dependency.skipped"
    assert results["h"].message.key == "fail.timeout"  # cut off at its deadline; its thread is not waited for
    # The hung dependant of a failed check is never waited for, the hung one with a deadline only that long.
    assert took < 5, took


def test_a_limit_keeps_that_many_running_and_the_same_verdicts():
    outcome = runner.run(CHECKS, SESSION, probe=None, at_once=True, limit=2)
    assert {cid: r.status for cid, r in outcome.results.items()} == EXPECTED


def test_a_dependency_from_an_earlier_pass_counts():
    outcome = runner.run([make("x", passes, ["a"])], SESSION, probe=None,
                         prior={"a": runner.CheckResult(id="a", status="passed")})
    assert outcome.results["x"].status == "passed"
    outcome = runner.run([make("x", passes, ["a"])], SESSION, probe=None,
                         prior={"a": runner.CheckResult(id="a", status="manual")})
    assert outcome.results["x"].message.key == "skip.dependency.manual"


def teardown_module():
    released.set()
