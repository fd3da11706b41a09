"""Run ``autograde`` the way a user does: as a separate process."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SERVER_CHECKS = ["starts", "handshake", "broadcast", "names", "join_notice", "leave_notice", "drop_survival",
                 "idle_after_leave", "many_clients", "unicode", "threads"]
# Worth 0 points in the default rubric: reported and explained, never scored.
ADVISORY_CHECKS = ["slow_reader", "framing"]
# Every multi-user TCP server check, in the order of the report.
REPORTED_SERVER_CHECKS = SERVER_CHECKS[:-1] + ADVISORY_CHECKS + SERVER_CHECKS[-1:]


def run_autograde(*args, timeout: float = 240):
    """(exit code, JSON report or None, stdout text) of one autograde run."""
    with tempfile.TemporaryDirectory() as out:
        report_path = Path(out) / "report.json"
        command = [sys.executable, "-m", "autograder", *map(str, args), "--json", str(report_path)]
        env = dict(os.environ, COLUMNS="200")
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, encoding="utf-8")
        report = json.loads(report_path.read_text(encoding="utf-8")) if report_path.exists() else None
    return done.returncode, report, done.stdout + done.stderr


def statuses(report) -> dict:
    return {check["id"]: check["status"] for check in report["checks"]}
