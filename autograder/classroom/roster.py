"""The course's roster: who should have handed in, matched to what was handed in.

``roster.csv`` has a column ``id`` and a column ``name`` (``group`` and
``email`` when known; headings in either language, any case).  Each graded
row that belongs to a roster student gets that student's id (and group,
email); a student with no submission becomes a row of status ``missing``,
score 0, so the gradebook and every export list the whole course.
A submission is the student's when its names match: the roster's name, in
any order of its words (``Doe John`` / ``John Doe`` / Canvas's ``doejohn``),
the Moodle or course folder name, or the id the platform gave it.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

from autograder.results import Refused, msg

HEADINGS = {
    "id": ("id", "student id", "student_id", "номер", "ид"),
    "name": ("name", "full name", "student", "фио", "имя", "студент"),
    "group": ("group", "section", "группа"),
    "email": ("email", "e-mail", "почта"),
}


class RosterError(Refused):
    """The roster cannot be read; ``message`` is the one-line reason."""


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    group: str = ""
    email: str = ""


def load(path: Path) -> List[Student]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise RosterError(msg("roster.unreadable", path=path, detail=error)) from None
    dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else ",", delimiters=",;\t")
    rows = list(csv.DictReader(text.splitlines(), dialect=dialect))
    if not rows:
        raise RosterError(msg("roster.empty", path=path))
    columns = {key: _column(rows[0].keys(), names) for key, names in HEADINGS.items()}
    if columns["id"] is None or columns["name"] is None:
        raise RosterError(msg("roster.columns", path=path, found=", ".join(rows[0].keys())))
    return [Student(**{key: (row.get(column) or "").strip() for key, column in columns.items() if column})
            for row in rows if (row.get(columns["id"]) or "").strip()]


def _column(found, names) -> Optional[str]:
    for heading in found:
        if heading and heading.strip().lower() in names:
            return heading
    return None


def squeezed(name: str) -> str:
    """Letters and digits only, lower case, ё as е: how names are compared."""
    return re.sub(r"[\W_]+", "", name.lower().replace("ё", "е"))


def keys(name: str) -> set:
    """A name in every order of its words, squeezed (``John Doe`` → johndoe, doejohn)."""
    words = [squeezed(w) for w in re.split(r"[\s_.,]+", name) if squeezed(w)]
    found = {"".join(words)} if words else set()
    if 1 < len(words) <= 4:
        found.add("".join(reversed(words)))
        found.add("".join(words[1:] + words[:1]))
    return found


def match(students: List[Student], rows) -> Dict[str, Student]:
    """``{row name: student}`` for every row that is a roster student's (ids first, then names)."""
    by_id = {s.id: s for s in students}
    by_name: Dict[str, Student] = {}
    for student in students:
        for key in keys(student.name):
            by_name.setdefault(key, student)
    found = {}
    for row in rows:
        meta = row.meta
        for value in (meta.get("roster_id"), meta.get("participant"), meta.get("canvas_id")):
            if value and str(value) in by_id:
                found[row.name] = by_id[str(value)]
                break
        else:
            for name in (meta.get("student"), row.name):
                hit = next((by_name[k] for k in keys(str(name or "")) if k in by_name), None)
                if hit:
                    found[row.name] = hit
                    break
    return found
