"""A person's verdict on the checks the grader could not judge, applied to a class.

``autograde review OUT/`` writes ``OUT/review.csv``: one row per student and
check that waits for a person (``manual``), with an empty ``verdict``.  The
instructor fills in ``pass`` or ``fail`` (a spreadsheet will do; ``--set NAME
CHECK VERDICT`` writes one row from the command line) and runs it again: each
verdict goes into that student's ``report.json`` (the check passes or fails,
marked ``reviewed``), the score is worked out again from the rubric's numbers
kept in the report, and the reports, the gradebook and the exports are
written anew.  A row left empty still waits; a verdict changed later replaces
the earlier one.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from autograder.grading import rubric
from autograder.classroom.batch import Row, write_submission
from autograder.export import gradebook

FILENAME = "review.csv"
COLUMNS = ["name", "check", "title", "verdict", "note"]
PASS = {"pass", "passed", "yes", "y", "ok", "+", "1", "да", "зачтено", "зачёт", "зачет"}
FAIL = {"fail", "failed", "no", "n", "-", "0", "нет", "не зачтено", "незачёт", "незачет"}


class ReviewError(Exception):
    """The folder is not a class's output, or a verdict cannot be read: one line for the person."""

    def __init__(self, key: str, **params) -> None:
        super().__init__(key)
        self.key, self.params = key, params


@dataclass
class Outcome:
    applied: int = 0  # verdicts now in the reports
    pending: int = 0  # checks still waiting for a person
    unknown: List[str] = field(default_factory=list)  # rows naming no such student or check
    path: Optional[Path] = None


def verdict_of(text: str) -> Optional[str]:
    """"passed", "failed", or None for an empty cell; ``ReviewError`` for anything else."""
    word = " ".join(str(text or "").split()).casefold()
    if not word:
        return None
    if word in PASS:
        return "passed"
    if word in FAIL:
        return "failed"
    raise ReviewError("review.bad_verdict", verdict=text)


def run(out: Path, lang: str, set_verdict: Optional[Tuple[str, str, str]] = None) -> Outcome:
    """Write the review sheet with every pending check, apply what it says, and write the class files anew."""
    out = Path(out)
    rows = _class_rows(out)
    sheet = _read_sheet(out / FILENAME)
    if set_verdict is not None:
        name, check_id, verdict = set_verdict
        verdict_of(verdict)
        sheet[(name, check_id)] = {**sheet.get((name, check_id), {"name": name, "check": check_id, "title": "",
                                                                    "note": ""}), "verdict": verdict}
    outcome = Outcome(path=out / FILENAME)
    known = {(row.name, check["id"]) for row in rows for check in row.report.get("checks", [])}
    outcome.unknown = sorted(f"{name}/{check}" for name, check in sheet if (name, check) not in known)
    for row in rows:
        changed = False
        for check in row.report.get("checks", []):
            if check["status"] != "manual" and "reviewed" not in check:
                continue
            entry = sheet.setdefault((row.name, check["id"]), {"name": row.name, "check": check["id"],
                                                                "title": check.get("title") or "", "verdict": "",
                                                                "note": ""})
            changed |= _apply(check, verdict_of(entry.get("verdict", "")), entry.get("note") or "")
        if changed:
            _rescore(row.report)
            write_submission(out / row.name, row.report, row.report.get("lang") or lang)
        outcome.applied += sum(1 for c in row.report.get("checks", []) if "reviewed" in c)
        outcome.pending += len(row.report.get("review") or [])
    _write_sheet(out / FILENAME, sheet)
    _write_class_files(out, rows, lang)
    return outcome


def _apply(check: dict, verdict: Optional[str], note: str) -> bool:
    """Put a person's verdict on one check (or take it back); True if anything changed."""
    before = (check["status"], check.get("reviewed"))
    if verdict is None:
        if "reviewed" in check:  # the verdict was cleared: the check waits again
            check["status"] = "manual"
            check.pop("reviewed")
    else:
        check["status"] = verdict
        check["reviewed"] = {"verdict": verdict, "note": note}
    check["points"] = check["max_points"] if check["status"] == "passed" else 0.0
    return (check["status"], check.get("reviewed")) != before


def _rescore(report: dict) -> None:
    """The score from the report's own numbers (cap, threading factor, each check's points)."""
    checks = report.get("checks", [])
    report["score"], report["score_up_to"] = rubric.scores(
        float(report.get("cap") or 0.0), float(report.get("threading_factor") or 1.0),
        ((c["status"], float(c.get("max_points") or 0.0)) for c in checks))
    report["review"] = [c["id"] for c in checks if c["status"] == "manual"]


def _class_rows(out: Path) -> List[Row]:
    book = out / "gradebook.csv"
    if not book.is_file():
        raise ReviewError("review.not_a_class", out=str(out))
    rows = []
    for line in csv.DictReader(io.StringIO(book.read_text(encoding="utf-8-sig"))):
        name = _plain(line["name"])
        path = out / name / "report.json"
        report = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"checks": []}
        meta = {key: _plain(line[key]) for key in gradebook.META_COLUMNS if line.get(key)}
        rows.append(Row(name, line.get("status") or "graded", report, float(line.get("seconds") or 0.0), meta))
    return rows


def _plain(text: str) -> str:
    """A gradebook cell as it was before ``gradebook.cell`` guarded it against formulas."""
    return text[1:] if text[:2] in {"'" + c for c in ("=", "+", "-", "@", "\t", "\r")} else text


def _read_sheet(path: Path) -> Dict[Tuple[str, str], dict]:
    if not path.is_file():
        return {}
    sheet = {}
    for line in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))):
        if line.get("name") and line.get("check"):
            sheet[(line["name"], line["check"])] = {k: line.get(k) or "" for k in COLUMNS}
    return sheet


def _write_sheet(path: Path, sheet: Dict[Tuple[str, str], dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for key in sorted(sheet):
        writer.writerow(sheet[key])
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")


def _write_class_files(out: Path, rows: List[Row], lang: str) -> None:
    from autograder.report import summary as summary_module

    earlier = out / "summary.json"
    old = json.loads(earlier.read_text(encoding="utf-8")) if earlier.is_file() else {}
    summary = summary_module.summarize(rows, old.get("lang") or lang, old.get("duration") or 0.0)
    summary["similar"] = old.get("similar", [])  # the code did not change: nor did its likeness
    gradebook.write_all(out, rows, summary, old.get("lang") or lang)
