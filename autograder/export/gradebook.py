"""The class as files: ``gradebook.csv``, ``junit.xml``, ``summary.md``, ``summary.json``.

One CSV row per submission (name, variant, score, status, a column of points
per check) for a spreadsheet or an LMS import; JUnit XML for CI dashboards
(one suite per submission, one case per check); the summary for people.
"""
from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import List, Optional

from autograder.i18n import translate
from autograder.report import summary as summary_module

BASE_COLUMNS = ["name", "variant", "score", "max_score", "status", "error", "review", "seconds", "overrides"]
# Who a row is, when known: the roster's id and email, Moodle's name and participant id, Canvas's ids,
# a course's group, student and task folder; when it came in, and what lateness cost.
META_COLUMNS = ["roster_id", "email", "group", "student", "participant", "canvas_id", "task_path", "task_status",
                "candidates", "submitted", "late_hours", "late_penalty", "graded_score"]
# A check's status in the gradebook, beside its points: 0.0 alone cannot tell failed from skipped.
CHECK_STATUS = {"passed": "pass", "failed": "fail", "skipped": "skip", "manual": "manual", "error": "error"}
ADVISORY = " (advisory)"
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write_all(out: Path, rows, summary: dict, lang: str, canvas_assignment: Optional[str] = None) -> None:
    out = Path(out)
    (out / "gradebook.csv").write_text(gradebook_csv(rows), encoding="utf-8-sig", newline="")
    (out / "junit.xml").write_bytes(junit_xml(rows))
    reused = translate("ui.batch.reused", lang, {"reused": summary["reused"], "graded": summary["count"] - summary[
        "reused"]}) if summary.get("reused") else ""
    (out / "summary.md").write_text(summary_module.render_markdown(summary) + (f"\n{reused}\n" if reused else ""),
                                    encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    from autograder.export import canvas, moodle

    moodle.write(out, rows, lang)
    canvas.write(out, rows, canvas_assignment)


def check_columns(rows) -> List[str]:
    columns: List[str] = []
    for row in rows:
        for check in row.report.get("checks", []):
            if check["id"] not in columns:
                columns.append(check["id"])
    return columns


def advisory_checks(rows) -> set:
    """Checks worth no points in every report that has them: their columns say so."""
    worth: dict = {}
    for row in rows:
        for check in row.report.get("checks", []):
            worth[check["id"]] = worth.get(check["id"], 0.0) + float(check.get("max_points") or 0)
    return {check for check, points in worth.items() if points == 0}


def check_headers(rows) -> List[str]:
    advisory = advisory_checks(rows)
    headers = []
    for check in check_columns(rows):
        label = check + (ADVISORY if check in advisory else "")
        headers += [label, f"{label} status"]
    return headers


def review_cell(report: dict) -> str:
    """The checks waiting for a person, said so ("pending review: …") so no one takes the score as final."""
    review = report.get("review") or []
    if not review:
        return ""
    up_to = report.get("score_up_to")
    return f"pending review: {' '.join(review)}" + (f" (up to {up_to:g})" if up_to is not None else "")


def gradebook_csv(rows) -> str:
    """UTF-8 with a BOM when written (Excel opens Cyrillic names right)."""
    checks = check_columns(rows)
    metas = [getattr(row, "meta", {}) for row in rows]
    known = [c for c in META_COLUMNS if any(c in meta for meta in metas)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(BASE_COLUMNS + known + check_headers(rows))
    for row in rows:
        report = row.report
        by_id = {c["id"]: c for c in report.get("checks", [])}
        cells = []
        for check in checks:
            found = by_id.get(check)
            cells += [found["points"], CHECK_STATUS.get(found["status"], found["status"])] if found else ["", ""]
        writer.writerow([cell(row.name), report.get("variant") or "", row_score(row),
                         report.get("max_score") or 0.0, row.status, cell(report.get("error") or ""),
                         review_cell(report), round(row.seconds, 1),
                         cell(overrides(report))]
                        + [meta_cell(getattr(row, "meta", {}).get(c, "")) for c in known] + cells)
    return buffer.getvalue()


def row_score(row) -> float:
    """The grade: the report's score less any late penalty (``Row.score`` when it is a batch row)."""
    score = getattr(row, "score", None)
    return score if score is not None else float(row.report.get("score") or 0.0)


def overrides(report: dict) -> str:
    """How the instructor (or, where allowed, the student) said to start the programs, and what was refused."""
    launch = (report.get("detected") or {}).get("launch") or {}
    said_by = launch.get("said_by") or {}
    used = [f"{role}={report.get('files', {}).get(role, '')} ({said_by.get(role, '')})"
            for role in launch.get("overridden") or []]
    used += [f"{role}={name} (refused)" for role, name in (launch.get("refused") or {}).items()]
    if launch.get("ignored"):
        used.append(f"{launch['ignored']} (ignored)")
    return "; ".join(used)


def meta_cell(value) -> str:
    return cell("; ".join(value) if isinstance(value, (list, tuple)) else value)


def cell(text: str) -> str:
    """Text a spreadsheet will not run as a formula (a folder named ``=HYPERLINK(...)``)."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def junit_xml(rows) -> bytes:
    suites = ET.Element("testsuites", name="chatlab")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for row in rows:
        report = row.report
        suite = ET.SubElement(suites, "testsuite", name=xml_text(row.name), time=f"{row.seconds:.3f}")
        properties = ET.SubElement(suite, "properties")
        for key in ("score", "max_score", "variant"):
            value = report.get(key)
            ET.SubElement(properties, "property", name=key, value=xml_text("" if value is None else value))
        ET.SubElement(properties, "property", name="status", value=row.status)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        checks = report.get("checks", [])
        if not checks:
            case = ET.SubElement(suite, "testcase", classname=xml_text(row.name), name="grading", time="0")
            counts["tests"] += 1
            if report.get("error"):
                kind = "failure" if row.status == "ungradable" else "error"
                ET.SubElement(case, kind, message=xml_text(report["error"]))
                counts["failures" if kind == "failure" else "errors"] += 1
        for check in checks:
            case = ET.SubElement(suite, "testcase", classname=xml_text(row.name),
                                 name=xml_text(f"{check['id']}: {check.get('title') or ''}"),
                                 time=f"{float(check.get('duration') or 0):.3f}")
            counts["tests"] += 1
            message = xml_text(check.get("message") or "")
            if check["status"] == "failed":
                failure = ET.SubElement(case, "failure", message=message)
                failure.text = xml_text(details(check))
                counts["failures"] += 1
            elif check["status"] in ("skipped", "manual"):
                # manual: a person must judge it; not a pass (JUnit has no "pending", skipped is the nearest)
                reason = message if check["status"] == "skipped" else xml_text(
                    "manual review: " + (check.get("message") or "needs a person"))
                ET.SubElement(case, "skipped", message=reason)
                counts["skipped"] += 1
            elif check["status"] == "error":
                ET.SubElement(case, "error", message=message)
                counts["errors"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        suites.set(key, str(value))
    if hasattr(ET, "indent"):  # Python 3.9+
        ET.indent(suites)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="utf-8") + b"\n"


def details(check: dict) -> str:
    parts = []
    for key in ("expected", "actual", "hint"):
        if check.get(key):
            parts.append(f"{key}: {check[key]}")
    return "\n".join(parts)


def xml_text(value) -> str:
    return _XML_BAD.sub("\ufffd", str(value))
