"""Canvas: who a downloaded submission belongs to, and the grades going back.

"Download Submissions" gives one flat folder of files named
``doejohn_12345_678901_server.py``: the student's sortable name squeezed to
lower-case letters, their Canvas user id, the file's attachment id, then the
file's own name; ``doejohn_LATE_12345_678901_server.py`` when Canvas saw it
after the due date (a resubmitted file may end ``server-1.py``).  The grades
go back through the Gradebook's "Import": a CSV with ``Student``, ``ID``
(the Canvas user id, which Canvas matches on), ``SIS User ID``,
``SIS Login ID``, ``Section``, then one column per assignment headed
``Name (assignment id)``.  Canvas's importer (``GradebookImporter``,
``Assignment.title_and_id``) takes the id from a heading ending in a space and
``(digits)`` and matches the assignment by it; a heading without an id matches
an assignment of exactly that title, or Canvas offers to create one.  Headings
that hold "Current Score", "Final Grade" and the like are dropped as Canvas's
own totals.  ``--canvas-assignment`` names the column (default ``chatlab``).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Dict, List, Optional

from autograder.export.gradebook import cell, row_score
from autograder.results import Refused, msg

FILENAME = "canvas_grades.csv"
COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
DEFAULT_ASSIGNMENT = "chatlab"
CANVAS_NAME = re.compile(r"^(?P<login>[a-z0-9]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<file>.+)$")
RESUBMITTED = re.compile(r"-\d+(?=\.[^.]+$)")
# Our own failures (the grader crashed or ran out of time) are not grades: nothing is uploaded for them.
OUR_FAULT = ("error", "timeout")
# Canvas's own columns, and the totals its importer drops wherever they occur in a heading.
STUDENT_COLUMNS = COLUMNS + ["LastName", "FirstName", "Integration ID", "Root Account"]
NOT_ASSIGNMENTS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points", "Final Grade",
                   "Override Score", "Override Grade", "Override Status")
TITLE_AND_ID = re.compile(r"\A(?P<title>.*)\s\((?P<id>\d+)\)\Z", re.S)  # as Canvas reads a heading


def assignment_column(text: str) -> str:
    """The heading for ``--canvas-assignment``: ``Lab 1 (12345)`` as given, a bare id as
    ``chatlab (12345)``, a title alone as given.  ``Refused`` says why Canvas would not take it."""
    name = (text or "").strip()
    if name.isdigit():
        name = f"{DEFAULT_ASSIGNMENT} ({name})"
    if not name or any(ch in name for ch in "\r\n"):
        raise Refused(msg("cli.error.canvas_one_line", value=text))
    if name in STUDENT_COLUMNS or any(word in name for word in NOT_ASSIGNMENTS):
        raise Refused(msg("cli.error.canvas_own_column", name=name))
    return name


def identity(name: str) -> Optional[Dict[str, object]]:
    """``{"student", "canvas_id", "late", "attachment", "file"}`` from a Canvas download name, else None."""
    match = CANVAS_NAME.match(name)
    if not match:
        return None
    return {"student": match["login"], "canvas_id": match["user"], "late": bool(match["late"]),
            "attachment": match["attachment"], "file": RESUBMITTED.sub("", match["file"])}


def flat_files(path: Path, children: List[Path], wanted) -> Dict[str, List[Path]]:
    """The Canvas download's files (``wanted(file)``: Python or documents) by student (``login_userid``)."""
    groups: Dict[str, List[Path]] = {}
    for child in children:
        found = identity(child.name) if child.is_file() and wanted(child) else None
        if found:
            groups.setdefault(f"{found['student']}_{found['canvas_id']}", []).append(child)
    return groups


def meta_of(files: List[Path]) -> Dict[str, object]:
    """Who handed the files in, and whether Canvas marked any of them late."""
    found = [identity(f.name) for f in files]
    return {"student": found[0]["student"], "canvas_id": found[0]["canvas_id"],
            "late": any(f["late"] for f in found)}


def gradebook_csv(rows, assignment: str = DEFAULT_ASSIGNMENT) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS + [assignment_column(assignment)])
    writer.writerow(["Points Possible", "", "", "", "", "100"])
    for row in rows:
        canvas_id = row.meta.get("canvas_id")
        if not canvas_id or row.status in OUR_FAULT:
            continue
        writer.writerow([cell(row.meta.get("student") or row.name), canvas_id, row.meta.get("roster_id") or "",
                         "", cell(row.meta.get("group") or ""), f"{row_score(row):g}"])
    return buffer.getvalue()


def write(out: Path, rows, assignment: Optional[str] = None) -> Optional[Path]:
    """``canvas_grades.csv`` in ``out`` when some submission came from Canvas."""
    if not any(row.meta.get("canvas_id") for row in rows):
        return None
    path = Path(out) / FILENAME
    path.write_text(gradebook_csv(rows, assignment or DEFAULT_ASSIGNMENT), encoding="utf-8", newline="")
    return path
