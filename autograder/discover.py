"""Which file of a submission is the server, which is the client.

Students name files every way there is (``server.py``, ``Server.py``,
``chat_server.py``, ``server_tcp.py``, ``сервер.py``, ``tcp-client.py``) and
sometimes nest them one folder down.  We score names first and what the code
does second (``listen``/``accept``/``recvfrom`` vs ``connect``), and say which
file was taken as what.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from . import static
from .results import Msg, msg
from .sandbox import SKIP_DIRS

SERVER_NAME = re.compile(r"serv|сервер|сервак", re.IGNORECASE)
CLIENT_NAME = re.compile(r"client|клиент|user|юзер", re.IGNORECASE)
MAX_DEPTH = 3


@dataclass
class Submission:
    root: Path
    server: Optional[Path] = None
    client: Optional[Path] = None
    python_files: List[Path] = field(default_factory=list)
    error: Optional[Msg] = None
    notes: List[Msg] = field(default_factory=list)

    def files(self) -> Dict[str, str]:
        out = {}
        if self.server:
            out["server"] = self.server.relative_to(self.root).as_posix()
        if self.client:
            out["client"] = self.client.relative_to(self.root).as_posix()
        return out


def python_files(root: Path) -> List[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and depth < MAX_DEPTH)
        found += [Path(folder) / f for f in sorted(files) if f.lower().endswith(".py")]
    return found


def _rank(path: Path, name_pattern: re.Pattern, facts: static.Facts, code_score: int) -> tuple:
    stem = path.stem.lower()
    exact = stem in ("server", "client", "сервер", "клиент")
    named = bool(name_pattern.search(stem))
    # Prefer: an exact name, a matching name, code that does the job, shallow, short name.
    return (named and exact, named, code_score, -len(path.parts), -len(stem))


def find(root: Path) -> Submission:
    """Discover server and client; ``error`` says why grading cannot start."""
    submission = Submission(root=root)
    if not root.is_dir():
        submission.error = msg("error.not_a_folder", path=str(root))
        return submission
    files = python_files(root)
    submission.python_files = files
    if not files:
        others = [p.name for p in root.iterdir()][:5]
        submission.error = msg("error.no_python", found=", ".join(others) or "—")
        return submission
    facts = {path: static.facts_of(static.read_source(path)) for path in files}
    servers = [p for p in files if SERVER_NAME.search(p.stem) or facts[p].server_score]
    clients = [p for p in files if CLIENT_NAME.search(p.stem) or facts[p].client_score]
    if servers:
        submission.server = max(servers, key=lambda p: _rank(p, SERVER_NAME, facts[p], facts[p].server_score))
    clients = [p for p in clients if p != submission.server]
    if clients:
        submission.client = max(clients, key=lambda p: _rank(p, CLIENT_NAME, facts[p], facts[p].client_score))
    if submission.server is None:
        submission.error = msg("error.no_server", files=", ".join(p.name for p in files[:8]))
        return submission
    problem = static.problem_with(submission.server)
    if problem:
        submission.error = msg(problem.key, file=problem.file, line=problem.line or "?", detail=problem.detail)
    return submission
