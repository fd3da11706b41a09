"""An instructor's own checks (`--checks FILE`) run beside the built-in ones: in the report, the score, the gradebook."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import textwrap

import pytest

from grading_helpers import FIXTURES, ROOT, run_autograde, statuses

pytestmark = pytest.mark.timeout(240)

EXAMPLE = ROOT / "labs" / "chat" / "instructor" / "my_checks.py"


def test_the_documented_example_is_graded_beside_the_built_in_checks():
    code, report, output = run_autograde(ROOT / "reference_solution" / "tcp", "--checks", EXAMPLE)
    assert code == 0, output
    got = statuses(report)
    assert got.pop("server_greets") == "passed" and got.pop("who_is_online") == "failed", output
    assert set(got.values()) == {"passed"}, output  # the built-in checks are untouched
    mine = {c["id"]: c for c in report["checks"]}
    assert mine["who_is_online"]["max_points"] == 5 and "/users" in mine["who_is_online"]["message"]
    assert mine["who_is_online"]["hint"] and mine["who_is_online"]["transcript"]
    assert mine["server_greets"]["title"] == "A newcomer is welcomed in words."
    total = sum(c["max_points"] for c in report["checks"])
    assert report["score"] == pytest.approx(100 * (total - 5) / total, abs=0.06)  # 5 points lost, scaled to the cap


HANGS = textwrap.dedent('''
    from autograder import check

    @check("hangs", depends=["handshake"], variants=("tcp-multi",), timeout=2, points=1)
    def check_waits_for_ever(room):
        """Waits for something that never comes."""
        (alice,) = room.join("alice")
        while True:
            room.wait_until(lambda: False, 0.1)

    @check("breaks", variants=("tcp-multi",), points=1)
    def check_has_a_bug(grading):
        """A check with a bug of its own."""
        return 1 / 0
''')


def test_a_check_over_its_deadline_fails_and_a_broken_one_is_our_error(tmp_path):
    (tmp_path / "hangs.py").write_text(HANGS, encoding="utf-8")
    code, report, output = run_autograde(ROOT / "reference_solution" / "tcp", "--checks", tmp_path / "hangs.py")
    assert code == 0, output
    mine = {c["id"]: c for c in report["checks"]}
    assert mine["hangs"]["status"] == "failed" and mine["hangs"]["transcript"], output
    assert "ran out of time" in mine["hangs"]["message"]
    assert mine["breaks"]["status"] == "error" and "ZeroDivisionError" in mine["breaks"]["message"]
    assert all(c["status"] == "passed" for c in report["checks"] if c["id"] not in mine or c["id"] not in
               ("hangs", "breaks")), output
    assert report["duration"] < 30  # the deadline ended it; nothing waited for the hung thread


def test_a_broken_check_file_stops_before_grading_with_one_line(tmp_path):
    (tmp_path / "bad.py").write_text("import nothing_of_the_kind\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "autograder", str(ROOT / "reference_solution" / "tcp"),
                           "--checks", str(tmp_path / "bad.py")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "bad.py: ModuleNotFoundError" in done.stderr, done.stderr


def test_a_class_gradebook_has_a_column_for_each_check_of_the_instructor(tmp_path):
    klass = tmp_path / "class"
    shutil.copytree(ROOT / "reference_solution" / "tcp", klass / "anna")
    shutil.copytree(FIXTURES / "tcp" / "no_names", klass / "boris")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "autograder", str(klass), "--out", str(out), "--jobs", "2",
                           "--checks", str(EXAMPLE)], capture_output=True, text=True, timeout=200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with open(out / "gradebook.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert {"who_is_online", "server_greets"} <= set(rows[0]), list(rows[0])
    by_name = {row["student"] if "student" in row else row[list(row)[0]]: row for row in rows}
    assert any(row["server_greets"] for row in by_name.values())
