"""A class run beyond grading each submission: shards, reuse, roster, lateness, merge.

``autograde DIR --shard K/N`` grades the K-th of N parts of a class (every
N-th submission in the class's own order, so any machine computes the same
parts) into its own ``--out``; ``autograde merge OUT…`` joins the parts.
Each ``--out`` keeps what a merge needs in ``class.json``: the rows with
their place in the whole class, the code compared for similarity, and the
run's deadline and roster.  Grading in one go goes through the same
``finish`` as a merge, so the gradebook, summary, similarity report and
exports of the merged parts are those of the whole class.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from autograder.classroom import lateness, roster as roster_module
from autograder.results import Report, msg

STATE = "class.json"
STATE_SCHEMA = 1


@dataclass
class Plan:
    """What the instructor asked of this class run, beyond grading."""

    shard: Optional[Tuple[int, int]] = None  # (K, N): grade the K-th of N parts (1-based)
    roster: Optional[Path] = None
    deadline: Optional[datetime] = None
    only: Sequence[str] = ()  # grade these again even when a kept report fits
    reuse: bool = True  # keep and reuse reports by content (regrade.py), when there is an --out
    rubric_text: str = ""
    canvas_assignment: Optional[str] = None  # canvas_grades.csv's assignment heading (export/canvas.py)
    reused: int = field(default=0)


def parse_shard(text: str) -> Tuple[int, int]:
    """``"2/3"`` → (2, 3); ValueError with the reason otherwise."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--shard wants K/N with 1 ≤ K ≤ N, not {text!r}")
    return int(match[1]), int(match[2])


def select(entries: list, shard: Optional[Tuple[int, int]]) -> List[Tuple[int, object]]:
    """(place in the whole class, entry) for the entries of this shard."""
    placed = list(enumerate(entries))
    if shard is None:
        return placed
    k, n = shard
    return [(i, entry) for i, entry in placed if i % n == k - 1]


def stamp(entries: list) -> None:
    """When each submission came in, while its files are at hand (lateness needs it after grading)."""
    for entry in entries:
        moment = lateness.submitted_at(entry.folder, entry.meta, getattr(entry, "archive", None))
        if moment is not None:
            entry.meta.setdefault("submitted", moment.isoformat(timespec="seconds"))


def apply_lateness(rows, plan: Plan, rubric_path: Optional[Path]) -> None:
    rule = lateness.rule_from(rubric_path)
    for row in rows:
        if "late_penalty" in row.meta or (plan.deadline is None and not row.meta.get("late")):
            continue
        submitted = row.meta.get("submitted")
        moment = lateness.parse_deadline(submitted) if submitted else None
        deadline = plan.deadline or (moment or datetime.now().astimezone())
        row.meta.update(lateness.assess(row.meta, moment, deadline, rule, float(row.report.get("score") or 0.0)))


def apply_roster(rows: list, path: Path, lang: str) -> list:
    """The rows with roster ids, and a ``missing`` row for every student who handed in nothing."""
    from autograder.classroom.batch import Row

    students = roster_module.load(path)
    matched = roster_module.match(students, rows)
    for row in rows:
        student = matched.get(row.name)
        if student:
            row.meta.update({"roster_id": student.id, **({"email": student.email} if student.email else {}),
                             **({"group": student.group} if student.group and "group" not in row.meta else {})})
    handed_in = {s.id for s in matched.values()}
    missing = []
    for student in students:
        if student.id in handed_in:
            continue
        report = Report(submission=student.name, error=msg("ui.roster.missing")).to_dict(lang)
        meta = {"roster_id": student.id, "student": student.name,
                **({"group": student.group} if student.group else {}),
                **({"email": student.email} if student.email else {})}
        missing.append(Row(student.name, "missing", report, 0.0, meta))
    return list(rows) + missing


def finish(rows: list, sources: Dict[str, str], out: Optional[Path], lang: str, plan: Plan,
           rubric_path: Optional[Path], duration: float):
    """The class's summary and files, from graded rows: the same for one run and for merged parts."""
    from autograder.classroom import batch
    from autograder.export import gradebook
    from autograder.report import summary as summary_module

    rows = sorted(rows, key=lambda row: row.position)
    apply_lateness(rows, plan, rubric_path)
    if plan.roster is not None and plan.shard is None:
        rows = apply_roster(rows, plan.roster, lang)
    similar = batch.similar_from(sources)
    result = batch.ClassResult(rows, out, duration)
    result.summary = summary_module.summarize(rows, lang, duration, similar=similar)
    if plan.reused:
        result.summary["reused"] = plan.reused
    if out is not None:
        gradebook.write_all(out, rows, result.summary, lang, plan.canvas_assignment)
        save_state(out, rows, sources, plan)
        batch.private(out)  # the instructor's alone (merged parts too): student code must not read it
    return result


def save_state(out: Path, rows: list, sources: Dict[str, str], plan: Plan) -> None:
    state = {
        "schema": STATE_SCHEMA,
        "shard": list(plan.shard) if plan.shard else None,
        "roster": str(Path(plan.roster).resolve()) if plan.roster else None,
        "deadline": plan.deadline.isoformat() if plan.deadline else None,
        "canvas_assignment": plan.canvas_assignment,
        "rows": [{"name": r.name, "status": r.status, "seconds": r.seconds, "meta": r.meta, "position": r.position,
                  "report": r.report} for r in rows if r.status != "missing"],
        "sources": sources,
    }
    (Path(out) / STATE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")


def merge(parts: Sequence[Path], out: Path, lang: str, roster: Optional[Path] = None,
          canvas_assignment: Optional[str] = None):
    """Join the ``--out`` folders of a sharded class into ``out``: one gradebook, summary and exports."""
    from autograder.classroom.batch import Row, write_submission

    rows, sources, plan = [], {}, Plan()
    seconds = 0.0
    for part in parts:
        path = Path(part) / STATE
        try:
            state = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: not the output of a class run ({error})") from None
        for data in state["rows"]:
            rows.append(Row(data["name"], data["status"], data["report"], data["seconds"], data["meta"],
                            position=data["position"]))
            seconds += data["seconds"]
        sources.update(state.get("sources") or {})
        if state.get("roster") and roster is None:
            roster = Path(state["roster"])
        if state.get("deadline"):
            plan.deadline = lateness.parse_deadline(state["deadline"])
        plan.canvas_assignment = plan.canvas_assignment or state.get("canvas_assignment")
    plan.canvas_assignment = canvas_assignment or plan.canvas_assignment
    if len({row.position for row in rows}) != len(rows):
        raise ValueError("the parts overlap: merge the outputs of one sharded run (--shard K/N, each K once)")
    plan.roster = roster
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for row in rows:
        write_submission(out / row.name, row.report, lang)
    return finish(rows, sources, out, lang, plan, None, seconds)
