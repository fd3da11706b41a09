"""Hostile submissions: whatever they do, each gets a report and a fair score
within its time bound, and nothing survives, leaks or changes.

The whole set is graded once as a class (``--jobs 2``), from a copy, into an
``--out`` folder; the table ``fixtures/hostile/expected.toml`` says what each
must get.  Two of them are also graded alone, the way a student runs
``autograde``, to cover the single-run path.
"""
from __future__ import annotations

import csv
import json
import sys

import pytest

from autograder.grading import rubric as rubric_module
from containment_helpers import autograde, copy_tree, ipc_objects, leftover_files, snapshot, survivors, tree_hash
from grading_helpers import FIXTURES, SERVER_CHECKS

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

HOSTILE = FIXTURES / "hostile"
EXPECTED = tomllib.loads((HOSTILE / "expected.toml").read_text(encoding="utf-8"))
NAMES = sorted(EXPECTED)
BATCH_BOUND = 420  # seconds for the whole set with two graders at once

pytestmark = [pytest.mark.timeout(600), pytest.mark.skipif(sys.platform == "win32", reason="POSIX behaviours"),
              pytest.mark.xdist_group("containment")]  # see test_batch.py


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the set once; return what every test needs to look at."""
    base = tmp_path_factory.mktemp("hostile-run")
    before = snapshot()
    original_before = tree_hash(HOSTILE)
    submissions = copy_tree(HOSTILE, base / "class")
    copy_before = tree_hash(submissions)
    out = base / "out"
    done = autograde(submissions, "--jobs", "2", "--out", out, "--lang", "en", "--timeout", "200",
                     timeout=BATCH_BOUND)
    return {
        "done": done,
        "out": out,
        "base": base,
        "submissions": submissions,
        "original_unchanged": tree_hash(HOSTILE) == original_before,
        "copy_unchanged": tree_hash(submissions) == copy_before,
        # Generous: on a loaded two-core machine a SIGKILLed flooder can take a while to go.
        "survivors": survivors([str(base)], wait=30, before=before),
        "leftovers": leftover_files(before),
        "ipc": ipc_objects(before),
        "rows": {row["name"]: row for row in csv.DictReader(
            (out / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines())},
    }


def report_of(graded, name):
    return json.loads((graded["out"] / name / "report.json").read_text(encoding="utf-8"))


def expected_score(spec, report):
    points = rubric_module.load().points
    passed = SERVER_CHECKS if spec["passed"] == "server" else spec["passed"]
    available = sum(points.get(c["id"], 0) for c in report["checks"] if c["status"] != "error")
    return round(100 * sum(points[c] for c in passed) / available, 1)


def test_the_batch_finished_and_listed_everyone(graded):
    assert graded["done"].returncode == 0, graded["done"].stdout[-3000:]
    assert sorted(graded["rows"]) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_gets_its_report_and_score_within_its_bound(graded, name):
    spec = EXPECTED[name]
    row = graded["rows"][name]
    report = report_of(graded, name)
    if spec.get("needs") and spec["needs"] not in report.get("sandbox", []):
        pytest.skip(f"needs the {spec['needs']} layer, which is not available here")
    assert float(row["seconds"]) <= spec["bound"], row
    assert report["schema"] == 1 and "forged" not in report
    if "error" in spec:
        assert row["status"] == "ungradable" and report["score"] == 0
        assert spec["error"] in report["error"]
        return
    assert row["status"] == "graded", report.get("error")
    wanted = SERVER_CHECKS if spec["passed"] == "server" else spec["passed"]
    got = sorted(c["id"] for c in report["checks"] if c["status"] == "passed" and c["id"] in SERVER_CHECKS)
    assert got == sorted(wanted), [(c["id"], c["status"], c.get("message")) for c in report["checks"]]
    assert report["score"] == expected_score(spec, report)


def test_nothing_survives(graded):
    assert graded["survivors"] == []


def test_nothing_left_in_shared_temp_folders(graded):
    assert graded["leftovers"] == []


def test_no_ipc_objects_survive(graded):
    """SysV shared memory and friends outlive processes: an IPC namespace, or the sweep, ends them."""
    assert graded["ipc"] == []


def test_reports_are_readable_by_the_instructor_only(graded):
    """A student's uid can neither list the class's reports nor read one."""
    out = graded["out"]
    assert out.stat().st_mode & 0o777 == 0o700
    for path in out.rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, path


def test_submissions_are_unchanged(graded):
    assert graded["original_unchanged"]
    assert graded["copy_unchanged"]


def test_forged_reports_change_nothing(graded):
    out = graded["out"]
    for path in list(out.rglob("*.json")) + list(graded["submissions"].rglob("*.json")):
        text = path.read_text(encoding="utf-8")
        if path == out / "class.json":  # it keeps each submission's code for a merge: look at the results only
            text = json.dumps(json.loads(text)["rows"])
        assert "forged" not in text, path
    results = json.loads((out / "forge_reports" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == report_of(graded, "forge_reports")["score"] < 50


def test_the_report_names_the_layers_that_were_active(graded):
    layers = report_of(graded, "fork_bomb")["sandbox"]
    assert {"session", "rlimits", "temp-copy", "output-cap", "kill-tree"} <= set(layers)
    if sys.platform.startswith("linux"):
        assert "subreaper" in layers


@pytest.mark.parametrize("name", ["kill_grader", "setsid_escape"])
def test_graded_alone_the_same_way(tmp_path, name):
    """The single-run path (what a student types) contains them as well."""
    submission = copy_tree(HOSTILE / name, tmp_path / name)
    before = snapshot()
    done = autograde(submission, "--json", tmp_path / "report.json", "--lang", "en", timeout=240)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    if EXPECTED[name].get("needs") and EXPECTED[name]["needs"] not in report["sandbox"]:
        pytest.skip("needs a uid of its own")
    assert done.returncode == 0, done.stdout[-2000:]
    passed = sorted(c["id"] for c in report["checks"] if c["status"] == "passed" and c["id"] in SERVER_CHECKS)
    assert passed == sorted(SERVER_CHECKS)
    assert survivors([str(tmp_path)], before=before) == []
    assert leftover_files(before) == []


SILENT = ["window_client", "echo_only", "outside_override", "name_relay"]


@pytest.mark.parametrize("name", SILENT)
def test_what_cannot_be_judged_never_pays(graded, name):
    """No more than a server that sends nothing: nothing waits for a person, nothing left the denominator."""
    report = report_of(graded, name)
    assert report["review"] == [] and report["score_up_to"] == report["score"], report["review"]
    assert report["score"] == expected_score({"passed": ["starts", "handshake", "idle_after_leave", "threads"]},
                                             report)
    assert "own_protocol_evidence" not in report["detected"]


def test_a_window_without_sockets_is_no_client_to_review(graded):
    checks = {c["id"]: c["status"] for c in report_of(graded, "window_client")["checks"]}
    assert {checks[c] for c in checks if c.startswith("client_")} <= {"failed", "skipped"}, checks


def test_a_students_own_override_is_ignored_and_said(graded):
    report = report_of(graded, "outside_override")
    assert report["files"]["server"] == "server.py"
    assert any("chatlab.toml" in note and "--allow-student-overrides" in note for note in report["notes"])
    assert graded["rows"]["outside_override"]["overrides"] == "chatlab.toml (ignored)"


def test_a_copy_of_the_reference_is_flagged(graded):
    summary = json.loads((graded["out"] / "summary.json").read_text(encoding="utf-8"))
    flagged = {(pair["a"], pair["b"]) for pair in summary["similar"] if pair.get("kit")}
    assert flagged == {("reference_copy", "reference_solution/tcp/server.py")}, summary["similar"]
