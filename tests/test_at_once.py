"""Checks at once give the verdicts checks one at a time give.

Each check has its own server and users, reads only the probe, and writes
only its own result, so running them side by side changes nothing but the
time. A set of fixtures that exercises every way of driving (wire, learned
frames, puppets), every variant and both kinds of failure is graded both ways.
"""
from __future__ import annotations

import pytest

from grading_helpers import FIXTURES, ROOT, run_autograde

pytestmark = pytest.mark.timeout(400)

SUBMISSIONS = [
    ROOT / "reference_solution" / "tcp",
    FIXTURES / "tcp" / "busy_loop_empty_recv",
    FIXTURES / "tcp" / "raw_recv",
    FIXTURES / "udp" / "address_names",
    FIXTURES / "two_user" / "tcp_lockstep",
    FIXTURES / "protocol" / "json_lines",
]


def verdicts(report) -> dict:
    # Which way showed a behaviour may differ (a wire user's line that kills the thread it was meant for,
    # counted a moment earlier or later); the verdict and the mistake named may not.
    return {c["id"]: (c["status"], c["mistake"]) for c in report["checks"]}


@pytest.mark.parametrize("path", SUBMISSIONS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_same_verdicts_at_once_and_one_at_a_time(path):
    code, at_once, output = run_autograde(path)
    assert code == 0, output
    code, in_turn, output_in_turn = run_autograde(path, "--one-at-a-time")
    assert code == 0, output_in_turn
    assert verdicts(at_once) == verdicts(in_turn), (output, output_in_turn)
    assert at_once["score"] == in_turn["score"]
    assert at_once["variant"] == in_turn["variant"]
