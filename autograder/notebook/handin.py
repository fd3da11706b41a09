"""Notebook 6: run ``autograde`` on the folder the notebook wrote, show the report.

``autograde`` runs as a separate process, exactly as the student would run
it in a terminal (and as the instructor will): the notebook only reads the
JSON report and shows it as a checklist.  Nothing here runs student code.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import re
from pathlib import Path
from typing import Optional

from autograder.results import msg
from autograder.notebook.checklist import Checklist, Item

AUTOGRADE_SECONDS = 240


def autograde(folder, lang: str = "en", seconds: float = AUTOGRADE_SECONDS) -> Checklist:
    folder = Path(folder)
    checklist = Checklist("autograde", msg("nb.step.autograde", folder=folder.as_posix()), lang)
    if not folder.is_dir():
        checklist.items.append(Item("submission", msg("nb.check.submission"), "failed",
                                    msg("nb.fail.no_folder", folder=folder.as_posix())))
        return checklist
    with tempfile.TemporaryDirectory(prefix="chatlab-report-") as out:
        report_path = Path(out) / "report.json"
        command = [sys.executable, "-m", "autograder", str(folder), "--json", str(report_path), "--lang", lang]
        env = dict(os.environ, PYTHONIOENCODING="utf-8", COLUMNS="120")
        try:
            done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace",
                                  timeout=seconds, env=env)
            output = done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            checklist.items.append(Item("autograde", msg("nb.check.autograde"), "error",
                                        msg("nb.fail.autograde_timeout", seconds=int(seconds))))
            return checklist
        if not report_path.exists():
            checklist.items.append(Item("autograde", msg("nb.check.autograde"), "error",
                                        msg("nb.fail.autograde_crashed"), output=output[-3000:]))
            return checklist
        report = json.loads(report_path.read_text(encoding="utf-8"))
    return from_report(report, lang, checklist)


def from_report(report: dict, lang: str, checklist: Checklist) -> Checklist:
    """An ``autograde`` JSON report (schema 1) as a notebook checklist."""
    checklist.score = msg("nb.ui.score", score=report.get("score"), max_score=report.get("max_score"),
                          variant=report.get("variant")).text(lang)
    if report.get("error"):
        checklist.items.append(Item("submission", msg("nb.check.submission"), "failed", report["error"]))
        return checklist
    todo = _todo_in(report)
    if todo:
        checklist.notes.append(msg("nb.note.todo_in_files", todo=todo))
    for check in report.get("checks", []):
        transcript = check.get("transcript") or []
        checklist.items.append(Item(
            check["id"], check.get("title") or check["id"], check["status"],
            message=check.get("message"), hint=check.get("hint"),
            expected=check.get("expected"), actual=check.get("actual"),
            transcript=transcript, output=check.get("server_output"),
            advisory=check.get("max_points") == 0))
    if not checklist.items:
        checklist.items.append(Item("submission", msg("nb.check.submission"), "failed", msg("nb.fail.no_checks")))
    return checklist


_TODO = re.compile(r"NotImplementedError: TODO:? ?(?P<text>[^\n]*)")


def _todo_in(report: dict) -> Optional[str]:
    """The first ``TODO`` the student's programs ran into, from what the grader saw them print."""
    for check in report.get("checks", []):
        found = _TODO.search(check.get("server_output") or "")
        if found:
            return found.group("text").strip()
    return None
