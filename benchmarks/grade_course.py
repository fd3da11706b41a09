"""Grade a synthetic course repository of 40 students in one command.

    python benchmarks/grade_course.py [--copies 5] [--jobs 2]

Builds ``--copies`` times the 8-student tree of tests/test_course.py (groups
renamed apart: found, ambiguous and not-found students, the chat task under
many folder names, one Markdown-only student), runs ``autograde --course``,
and prints the wall time and how many rows of each status the gradebook has.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_course import build_course  # noqa: E402 - the tests' own course builder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="chatlab-course-bench-"))
    try:
        course = scratch / "course" / "students"
        expected = {}
        for copy in range(args.copies):
            tree = scratch / f"copy{copy}"
            for student, outcome in build_course(tree).items():
                group, name = student.split("/")
                expected[f"{group}-{copy}/{name}"] = outcome[0]
            for group in (tree / "students").iterdir():
                shutil.move(str(group), str(course / f"{group.name}-{copy}"))
        out = scratch / "out"
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "autograder", str(course), "--course", "--jobs", str(args.jobs),
                               "--out", str(out), "--lang", "en"], capture_output=True, text=True)
        seconds = time.monotonic() - started
        with open(out / "gradebook.csv", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        statuses = Counter(row.get("task_status") or row["status"] for row in rows)
        print(f"{len(expected)} students, {len(rows)} rows in {seconds:.1f} s with --jobs {args.jobs} "
              f"(exit {done.returncode}); task statuses: {dict(statuses)}; expected: {dict(Counter(expected.values()))}")
        return 0 if len(rows) == len(expected) else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
