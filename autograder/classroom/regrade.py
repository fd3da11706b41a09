"""Regrade what changed: reports kept by what they were graded from.

A report is kept under a key made of the submission's bytes (every file,
by its path), the grader's own source (so a new grader regrades) and the
rubric's bytes and the report's language.  A second run over a class
reuses the report of every submission whose key it has seen; a row whose
grading failed on our side (a crash, a timeout) is never kept.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional

PACKAGE = Path(__file__).resolve().parent.parent
KEPT_STATUSES = ("graded", "ungradable")
_grader_digest: Optional[str] = None


def grader_digest() -> str:
    """The grader's version: a digest of its own source files (a version string can lag behind edits)."""
    global _grader_digest
    if _grader_digest is None:
        digest = hashlib.sha256()
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".toml", ".ini") and "__pycache__" not in path.parts:
                digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
        _grader_digest = digest.hexdigest()
    return _grader_digest


def key(folder: Path, rubric_path: Optional[Path], lang: str) -> str:
    digest = hashlib.sha256(grader_digest().encode())
    digest.update(Path(rubric_path).read_bytes() if rubric_path else b"default rubric")
    digest.update(lang.encode())
    for extra in os.environ.get("CHATLAB_CHECKS", "").split(os.pathsep):  # an instructor's own checks (--checks)
        if extra:
            digest.update(Path(extra).read_bytes() if Path(extra).is_file() else extra.encode())
    folder = Path(folder)
    files = [folder] if folder.is_file() else sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    for path in files:
        name = path.name if folder.is_file() else path.relative_to(folder).as_posix()
        digest.update(b"\0" + name.encode("utf-8", "replace") + b"\0" + path.read_bytes())
    return digest.hexdigest()


class Cache:
    """``out/.chatlab-cache/<key>.json``: one kept row per key."""

    def __init__(self, out: Path) -> None:
        self.folder = Path(out) / ".chatlab-cache"

    def get(self, entry_key: str) -> Optional[dict]:
        try:
            return json.loads((self.folder / f"{entry_key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, entry_key: str, status: str, report: dict, seconds: float) -> None:
        if status not in KEPT_STATUSES:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{entry_key}.json"
        temporary = target.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"status": status, "report": report, "seconds": seconds},
                                        ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, target)
