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

from autograder.intake import roles, safe_files, static
from autograder.results import Msg, msg
from autograder.intake.safe_files import SKIP_DIRS

SERVER_NAME = re.compile(r"serv|сервер|сервак", re.IGNORECASE)
CLIENT_NAME = re.compile(r"client|клиент|user|юзер", re.IGNORECASE)
MAX_DEPTH = 3
# The student's own tests are never the server or the client.
TEST_NAME = re.compile(r"^(?:test_\w*|\w*_test|tests?|conftest)$", re.IGNORECASE)
TEST_MODULES = {"pytest", "unittest"}


@dataclass
class Submission:
    root: Path
    server: Optional[Path] = None
    client: Optional[Path] = None
    python_files: List[Path] = field(default_factory=list)
    error: Optional[Msg] = None
    notes: List[Msg] = field(default_factory=list)
    server_argv: List[str] = field(default_factory=list)
    client_argv: List[str] = field(default_factory=list)
    launch: Dict[str, object] = field(default_factory=dict)  # how the programs are started, for the report
    # The server does not compile: the student's mistake, graded as `starts` failed (not "cannot be graded").
    server_problem: Optional[static.SourceProblem] = None

    def files(self) -> Dict[str, str]:
        out = {}
        for role, path, argv in (("server", self.server, self.server_argv), ("client", self.client, self.client_argv)):
            if path:
                out[role] = " ".join([path.relative_to(self.root).as_posix()] + argv)
        return out


def python_files(root: Path) -> List[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        depth = len(Path(folder).relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and depth < MAX_DEPTH)
        found += [Path(folder) / f for f in sorted(files)
                  if f.lower().endswith(".py") and safe_files.is_regular(os.path.join(folder, f))]
    return found


def _rank(path: Path, name_pattern: re.Pattern, facts: static.Facts, code_score: int) -> tuple:
    stem = path.stem.lower()
    exact = stem in ("server", "client", "сервер", "клиент")
    named = bool(name_pattern.search(stem))
    # Prefer: an exact name, a matching name, code that does the job, shallow, short name.
    return (named and exact, named, code_score, -len(path.parts), -len(stem))


def find(root: Path, said: Optional[Dict[str, List[str]]] = None) -> Submission:
    """Discover server and client and how to start them; ``error`` says why
    grading cannot start.  ``said``: the instructor's ``roles.override``."""
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
    # A file with its local imports: a thin entry point over a package does the job too.
    facts = {path: static.analyse(path) for path in files}
    entries = _entry_points(_programs(files, facts), facts)
    servers = [p for p in entries if SERVER_NAME.search(p.stem) or facts[p].server_score]
    clients = [p for p in entries if CLIENT_NAME.search(p.stem) or facts[p].client_score]
    if servers:
        submission.server = max(servers, key=lambda p: _rank(p, SERVER_NAME, facts[p], facts[p].server_score))
    clients = [p for p in clients if p != submission.server]
    if clients:
        submission.client = max(clients, key=lambda p: _rank(p, CLIENT_NAME, facts[p], facts[p].client_score))
    _apply_launch(submission, said if said is not None else {})
    if submission.server is None:
        submission.error = msg("error.no_server", files=", ".join(p.name for p in files[:8]))
        return submission
    problem = static.problem_with(submission.server)
    if problem and problem.key in static.GRADED_PROBLEMS:
        submission.server_problem = problem
    elif problem:
        submission.error = msg(problem.key, file=problem.file, line=problem.line or "?", detail=problem.detail)
    return submission


def is_test(path: Path, facts: static.Facts) -> bool:
    """``test_chat.py``, ``chat_test.py``, anything importing pytest or unittest."""
    return bool(TEST_NAME.match(path.stem)) or bool({name.split(".")[0] for name in facts.imports} & TEST_MODULES)


def _programs(files: List[Path], facts) -> List[Path]:
    """The files that may be the server or the client: not the student's tests, and not a
    script that imports their runnable server (or client) to drive it (``load_check.py``)."""
    return [p for p in files if not is_test(p, facts[p]) and not _drives(p, facts)]


def _drives(path: Path, facts: Dict[Path, static.Facts]) -> bool:
    for module in static.local_modules(path, facts[path].imports):
        other = facts.get(module) or static.facts_of(static.read_source(module))
        if (other.server_score or other.client_score) and static.runs_on_its_own(static.read_source(module)):
            return True
    return False


def _entry_points(files: List[Path], facts) -> List[Path]:
    """The files a person would run: not the modules other files import
    (``server_socket.py`` runs ``chat/server_core.py``, not the other way round)."""
    imported = {module.resolve() for path in files for module in static.local_modules(path, facts[path].imports)}
    entries = [p for p in files if p.resolve() not in imported]
    return entries or files


def _apply_launch(submission: Submission, said: Dict[str, List[str]]) -> None:
    """Which files with which arguments: the instructor's word, else what the code reads.

    A file the instructor named that this submission does not have is not
    silently passed over: the report says so, and discovery's choice stands."""
    overridden, missing, refused = [], {}, {}
    for role in ("server", "client"):
        if said.get(role):
            why = roles.refusal(submission.root, said[role][0])
            if why:
                refused[role] = said[role][0]
                submission.notes.append(msg(f"launch.refused.{why}", role=role, file=said[role][0]))
                continue
            path = submission.root / said[role][0]
            if safe_files.is_regular(path):
                setattr(submission, role, path)
                setattr(submission, f"{role}_argv", said[role][1:])
                overridden.append(role)
            else:
                missing[role] = said[role][0]
    if submission.server is None:
        return
    how = "override" if "server" in overridden else "plain"
    server_launch = roles.guess(static.read_source(submission.server))
    if "server" not in overridden:
        submission.server_argv = server_launch.server
        how = server_launch.how
    if submission.client is None and server_launch.two_roles:
        submission.client = submission.server  # one file, two roles
    if submission.client is not None and "client" not in overridden:
        same = submission.client == submission.server
        submission.client_argv = (server_launch if same else roles.guess(static.read_source(submission.client))).client
    submission.launch = {"how": how, "server_args": submission.server_argv, "client_args": submission.client_argv}
    if overridden:
        submission.launch["overridden"] = overridden
        sources = getattr(said, "sources", {})
        submission.launch["said_by"] = {role: sources.get(role, "") for role in overridden}
    if missing:
        submission.launch["missing"] = missing
    if refused:
        submission.launch["refused"] = refused
    if getattr(said, "ignored", None):
        submission.launch["ignored"] = said.ignored
        submission.notes.append(msg("launch.student_file_ignored", file=said.ignored))
