"""Moodle: who a downloaded submission belongs to, and the grades going back.

"Download all submissions" names each student's folder (or, without the
"in folders" option, each file) ``Full Name_12345_assignsubmission_file_…``:
the student's name and their participant id in this assignment.  The offline
grading worksheet is imported on the assignment's "Upload grading worksheet"
page; Moodle's importer (``assignfeedback_offline_grade_importer``) finds its
columns by their English headings, needs ``Identifier``, ``Grade`` and
``Last modified (grade)``, reads the id after "Participant ", skips empty
grades, and takes ``Feedback comments`` when that feedback plugin is on.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Dict, Optional

from autograder.i18n import translate
from autograder.export.gradebook import cell

FILENAME = "moodle_grades.csv"
COLUMNS = ["Identifier", "Full name", "Grade", "Last modified (grade)", "Feedback comments"]
MOODLE_NAME = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assign(?:submission|feedback)_[a-z]+_", re.IGNORECASE)
# Our own failures (the grader crashed or ran out of time) are not grades: nothing is uploaded for them.
OUR_FAULT = ("error", "timeout")
MAX_FEEDBACK = 600


def identity(name: str) -> Optional[Dict[str, str]]:
    """``{"student": "Full Name", "participant": "12345"}`` from a Moodle download name, else None."""
    match = MOODLE_NAME.match(name)
    if not match:
        return None
    return {"student": match["name"].strip(), "participant": match["id"]}


def feedback(report: dict, lang: str) -> str:
    """One line: the score, and the titles of the checks that failed (or why nothing could be graded)."""
    params = {"score": f"{float(report.get('score') or 0):g}",
              "max_score": f"{float(report.get('max_score') or 100):g}"}
    checks = report.get("checks") or []
    if report.get("error") and not checks:
        text = translate("ui.moodle.not_graded", lang, {**params, "reason": str(report["error"])})
    else:
        # An advisory check (0 points) says so: a failure beside a full score is not a lost point.
        advisory = f" ({translate('ui.advisory', lang)})"
        failed = [(c.get("title") or c["id"]) + (advisory if c.get("max_points") == 0 else "")
                  for c in checks if c.get("status") == "failed"]
        review = report.get("review") or []
        key = "ui.moodle.pending" if review else "ui.moodle.failed" if failed else "ui.moodle.all_passed"
        text = translate(key, lang, {**params, "failed": "; ".join(failed) or "—", "review": ", ".join(review)})
    text = " ".join(text.split())
    return text if len(text) <= MAX_FEEDBACK else text[:MAX_FEEDBACK - 1] + "…"


def worksheet_csv(rows, lang: str, now: Optional[datetime] = None) -> str:
    # The grading time as "last modified": Moodle then keeps a grade a person changed after it.
    stamp = (now or datetime.now().astimezone()).isoformat(timespec="seconds")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        participant = row.meta.get("participant")
        if not participant or row.status in OUR_FAULT:
            continue
        # Moodle skips an empty grade: nothing goes in as final while a check waits for a person.
        grade = "" if row.report.get("review") else f"{row.score:g}"
        writer.writerow([f"Participant {participant}", cell(row.meta.get("student") or row.name),
                         grade, stamp, feedback(row.report, lang)])
    return buffer.getvalue()


def write(out: Path, rows, lang: str) -> Optional[Path]:
    """``moodle_grades.csv`` in ``out`` when some submission came from Moodle."""
    if not any(row.meta.get("participant") for row in rows):
        return None
    path = Path(out) / FILENAME
    path.write_text(worksheet_csv(rows, lang), encoding="utf-8", newline="")
    return path
