"""How long `autograde` takes: a correct submission, and one that hangs.

Runs the real command (a separate process, as a user would) and reports the
wall time of each run, and what the report itself says it spent per check.

    python benchmarks/grade_speed.py [--runs 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HUNG_SERVER = "while True:\n    pass  # never binds\n"
HUNG_CLIENT = "import time\ntime.sleep(3600)\n"


def grade(path: Path) -> tuple:
    with tempfile.TemporaryDirectory() as out:
        report_file = Path(out) / "report.json"
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "autograder", str(path), "--json", str(report_file)],
                       capture_output=True, check=True)
        wall = time.monotonic() - started
        return wall, json.loads(report_file.read_text(encoding="utf-8"))


def measure(name: str, path: Path, runs: int) -> dict:
    walls, server_seconds, report = [], [], None
    for _ in range(runs):
        wall, report = grade(path)
        walls.append(wall)
        server_seconds.append(sum(c["duration"] for c in report["checks"] if not c["id"].startswith("client_")))
    return {
        "submission": name,
        "score": report["score"],
        "wall_seconds_median": round(statistics.median(walls), 2),
        "wall_seconds_max": round(max(walls), 2),
        "server_checks_seconds_median": round(statistics.median(server_seconds), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(f"reference_solution/{v}", ROOT / "reference_solution" / v, args.runs)
            for v in ("tcp", "udp", "two_user")]
    with tempfile.TemporaryDirectory() as hung:
        (Path(hung) / "server.py").write_text(HUNG_SERVER)
        (Path(hung) / "client.py").write_text(HUNG_CLIENT)
        rows.append(measure("hung (infinite loop at import)", Path(hung), args.runs))
    if args.json:
        print(json.dumps({"schema": 1, "runs": args.runs, "results": rows}, indent=2))
        return 0
    print("| submission | score | wall time (median / max) | server checks |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row['submission']} | {row['score']} | {row['wall_seconds_median']} s / {row['wall_seconds_max']} s "
              f"| {row['server_checks_seconds_median']} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
