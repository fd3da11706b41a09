"""How long `autograde` takes on one submission, against the targets of issue 14.

Runs the real command (a separate process, as a user would) and reports the
wall time of each run, what the report itself says the server checks took,
the slowest check, the target of the row and whether it was met.

The submissions: the three reference solutions; a hung one built here (an
infinite loop at import); and three of our own in benchmarks/submissions/
(`buggy`: freezes behind a user who stops reading, never announces a leave,
spins after one; `hung`: accepts and never answers; `dripping`: correct, but
sends each user one piece a second). Each row also says whether the grader
gave the verdicts the submission was written for: a row whose verdicts moved
measures something else, and the command then exits with 1.

    python benchmarks/grade_speed.py [--runs 3] [--json] [--only buggy]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import FrozenSet, Optional

import machine

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"

HUNG_SERVER = "while True:\n    pass  # never binds\n"
HUNG_CLIENT = "import time\ntime.sleep(3600)\n"

CLIENT_CHECKS = frozenset({"client_connects", "client_handshake", "client_sends", "client_receives", "client_exits"})
ALL = None  # "every check": nothing passes


@dataclass(frozen=True)
class Row:
    name: str
    path: Optional[Path]  # None: built in a temp folder (the loop at import)
    target: float  # seconds of wall time (issue 14)
    fails: Optional[FrozenSet[str]]  # the checks that must not pass (ALL: none passes)
    either: FrozenSet[str] = field(default_factory=frozenset)  # may go either way


ROWS = (
    Row("reference_solution/tcp", ROOT / "reference_solution" / "tcp", 2.0, frozenset()),
    Row("reference_solution/udp", ROOT / "reference_solution" / "udp", 2.0, frozenset()),
    Row("reference_solution/two_user", ROOT / "reference_solution" / "two_user", 2.0, frozenset()),
    Row("hung (infinite loop at import)", None, 11.0, ALL),
    Row("buggy (freezes, silent leave, spins)", SUBMISSIONS / "buggy", 6.0,
        frozenset({"leave_notice", "idle_after_leave", "slow_reader"})),
    Row("hung (accepts, never answers)", SUBMISSIONS / "hung", 11.0,
        frozenset({"broadcast", "names", "join_notice", "leave_notice", "drop_survival", "many_clients", "unicode",
                   "slow_reader", "framing"}) | CLIENT_CHECKS),
    # slow_reader passes today as "slow but moving" after 45 s; issue 14 may give it a verdict of its own.
    Row("dripping (1 KiB/s to each reader)", SUBMISSIONS / "dripping", 15.0, frozenset(), frozenset({"slow_reader"})),
)


def grade(path: Path) -> tuple:
    with tempfile.TemporaryDirectory() as out:
        report_file = Path(out) / "report.json"
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "autograder", str(path), "--json", str(report_file), "--lang", "en"],
                       capture_output=True, check=True)
        wall = time.monotonic() - started
        return wall, json.loads(report_file.read_text(encoding="utf-8"))


def as_intended(row: Row, report: dict) -> list:
    """What differs from the verdicts the submission was written for (empty: as intended)."""
    ids = {c["id"] for c in report["checks"]}
    not_passing = {c["id"] for c in report["checks"] if c["status"] != "passed"}
    wanted = ids if row.fails is ALL else set(row.fails)
    differ = (not_passing ^ wanted) - row.either
    return sorted(f"{cid} {'did not pass' if cid in not_passing else 'passed'}" for cid in differ)


def measure(row: Row, path: Path, runs: int) -> dict:
    walls, server_seconds, report = [], [], None
    for _ in range(runs):
        wall, report = grade(path)
        walls.append(wall)
        server_seconds.append(sum(c["duration"] for c in report["checks"] if not c["id"].startswith("client_")))
    slowest = max(report["checks"], key=lambda c: c["duration"])
    median = statistics.median(walls)
    return {
        "submission": row.name,
        "score": report["score"],
        "wall_seconds_median": round(median, 2),
        "wall_seconds_max": round(max(walls), 2),
        "server_checks_seconds_median": round(statistics.median(server_seconds), 2),
        "slowest_check": {"id": slowest["id"], "seconds": round(slowest["duration"], 2)},
        "target_seconds": row.target,
        "met": median < row.target,
        "statuses": {c["id"]: c["status"] for c in report["checks"]},
        "verdicts_as_intended": not as_intended(row, report),
        "verdicts_differ": as_intended(row, report),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help="only the rows whose name holds TEXT (may be given more than once)")
    args = parser.parse_args()
    rows = [r for r in ROWS if not args.only or any(text in r.name for text in args.only)]
    host = machine.describe()
    results = []
    for row in rows:
        if row.path is not None:
            results.append(measure(row, row.path, args.runs))
            continue
        with tempfile.TemporaryDirectory() as hung:
            (Path(hung) / "server.py").write_text(HUNG_SERVER)
            (Path(hung) / "client.py").write_text(HUNG_CLIENT)
            results.append(measure(row, Path(hung), args.runs))
    ok = all(r["verdicts_as_intended"] for r in results)
    if args.json:
        print(json.dumps({"schema": 1, "runs": args.runs, "machine": host, "results": results}, indent=2))
        return 0 if ok else 1
    print(machine.line(host))
    print(f"| submission | score | wall time (median / max of {args.runs}) | server checks | slowest check "
          f"| target | met |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        slowest = r["slowest_check"]
        print(f"| {r['submission']} | {r['score']:g} | {r['wall_seconds_median']} s / {r['wall_seconds_max']} s "
              f"| {r['server_checks_seconds_median']} s | {slowest['id']} {slowest['seconds']} s "
              f"| < {r['target_seconds']:g} s | {'yes' if r['met'] else 'no'} |")
    for r in results:
        if r["verdicts_differ"]:
            print(f"{r['submission']}: not the verdicts it was written for: {', '.join(r['verdicts_differ'])}",
                  file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
