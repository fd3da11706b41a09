"""Late work: when a submission came in, how late that is, and what it costs.

The deadline is the instructor's (``--deadline 2026-10-01T23:59``, local
time unless it names a zone).  When a submission came in is the best time its
intake gives: the course repository's commit time, else the newest file time
of what Moodle or Canvas handed over (for a zip, the zip's own time); a zip
that no platform named gives the newest time of the files inside it, the
time the student packed them.  Canvas's ``LATE`` mark counts as late even
when the times were lost.  The rubric says what lateness costs:

    [late]
    percent_per_day = 10   # of the score, per started day
    max_percent = 50
    grace_minutes = 0

Lateness and the penalty are kept apart from the score the checks gave.
"""
from __future__ import annotations

import math
import struct
import subprocess
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Optional

from autograder.intake import discover, extract

GIT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Rule:
    percent_per_day: float = 0.0
    max_percent: float = 100.0
    grace_minutes: float = 0.0

    def penalty(self, score: float, late_hours: float) -> float:
        """Points taken from ``score`` for ``late_hours`` (one decimal)."""
        if late_hours * 60 <= self.grace_minutes:
            return 0.0
        days = max(1, math.ceil(late_hours / 24))
        percent = min(self.max_percent, self.percent_per_day * days)
        return round(score * percent / 100, 1)


def rule_from(rubric_path: Optional[Path]) -> Rule:
    from autograder.grading.rubric import DEFAULT, tomllib

    with open(rubric_path or DEFAULT, "rb") as handle:
        late = tomllib.load(handle).get("late", {})
    return Rule(float(late.get("percent_per_day", 0)), float(late.get("max_percent", 100)),
                float(late.get("grace_minutes", 0)))


def parse_deadline(text: str) -> datetime:
    """ISO 8601; without a zone, the machine's local time.  ValueError says what is wrong."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.astimezone()


def submitted_at(folder: Optional[Path], meta: dict, archive: Optional[Path] = None) -> Optional[datetime]:
    """The commit time in a course repository; for a zip (``archive``) the platform's time of it,
    else the newest time inside it; else the newest time of the submission's own files."""
    if meta.get("commit_time"):
        return parse_deadline(str(meta["commit_time"]))
    if archive is not None and Path(archive).is_file():
        if meta.get("participant") or meta.get("canvas_id"):  # Moodle or Canvas named it: its time is theirs
            return datetime.fromtimestamp(Path(archive).stat().st_mtime, timezone.utc)
        newest = newest_in_zip(Path(archive))
        if newest is not None:
            return newest
    if folder is None or not Path(folder).exists():
        return None
    folder = Path(folder)
    if "task_path" in meta:  # a course repository (course.py): git knows when the work came in
        committed = commit_time(folder)
        if committed is not None:
            return committed
    files = [folder] if folder.is_file() else discover.python_files(folder) + [
        p for p in folder.iterdir() if p.is_file() and extract.is_document(p)]
    times = [p.stat().st_mtime for p in files if p.exists()]
    return datetime.fromtimestamp(max(times), timezone.utc) if times else None


def newest_in_zip(path: Path) -> Optional[datetime]:
    """The newest time of the files in a zip (folders and macOS's resource forks left out)."""
    try:
        with zipfile.ZipFile(path) as archive:
            times = [member_time(info) for info in archive.infolist()
                     if not info.is_dir() and not {"__MACOSX", ".DS_Store"} & set(PurePosixPath(info.filename).parts)]
    except (zipfile.BadZipFile, OSError):
        return None
    return datetime.fromtimestamp(max(times), timezone.utc) if times else None


def member_time(info: zipfile.ZipInfo) -> float:
    """A zip member's modification time (Unix seconds): from the extended timestamp (Info-ZIP's
    0x5455) or the NTFS field (0x000a) when the zipper wrote one, both UTC; else the DOS date and
    time, which carry no zone, read as the local time here (as ``unzip`` does)."""
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4:at + 4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            return float(struct.unpack_from("<i", body, 1)[0])
        if tag == 0x000A and len(body) >= 32 and struct.unpack_from("<HH", body, 4) == (1, 24):
            return struct.unpack_from("<Q", body, 8)[0] / 1e7 - 11644473600  # 100 ns since 1601
        at += 4 + size
    return time.mktime(info.date_time + (0, 0, -1))


def commit_time(folder: Path) -> Optional[datetime]:
    """When the last commit touching ``folder`` was made (None outside git, or without git)."""
    try:
        done = subprocess.run(["git", "-C", str(folder), "log", "-1", "--format=%cI", "--", "."],
                              capture_output=True, text=True, timeout=GIT_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    return parse_deadline(text) if done.returncode == 0 and text else None


def assess(meta: dict, submitted: Optional[datetime], deadline: datetime, rule: Rule, score: float) -> dict:
    """``{"submitted", "late_hours", "late_penalty"}`` for the gradebook (0 when on time)."""
    hours = 0.0
    if submitted is not None and submitted > deadline:
        hours = (submitted - deadline).total_seconds() / 3600
    if meta.get("late") and hours <= 0:
        hours = 1 / 60  # the platform says late though the times were lost: the least lateness there is
    return {"submitted": submitted.isoformat(timespec="seconds") if submitted else "",
            "late_hours": round(hours, 2), "late_penalty": rule.penalty(score, hours) if hours > 0 else 0.0}
