"""Course repositories: a shared tree of student folders, and each student's chat task in it.

In the course this lab comes from, students push into one repository,
``students/<group>/<Surname_Name>/…`` (or ``students/<Name>/…``; a level such
as ``laboratory_works/`` or ``labs/`` between a group and its people is passed
through: a person is a folder named like one, ``Фамилия Имя``, ``SurnameName``), each with
their own idea of where the chat lives (``Lab1/4task/``, ``lab1/task_4/``,
``Lr1/task4/``, ``ЛР1/Задание 4/``, ``chat/``), beside the other tasks.  The
instructor still wants one grade per student, so for each student we look
at every folder with Python files in it and every report, and weigh:

* names: ``chat``/``чат`` anywhere on the path, "task 4" in its spellings
  (``4task``, ``task_4``, ``Задание 4``, ``zadanie4``, a folder ``4`` inside a
  lab folder), a README or report title saying the same; "lab 1" a little;
* the code itself (``static``): a server (listen/accept or recvfrom), a
  client beside it, ``threading`` — what the chat task demands.

A folder without a telling name counts only if its code is such a chat.  A
folder with Python files is preferred over a report; a report (its code in
fenced blocks) is the fallback.  Every student gets a row: the task found,
"ambiguous" (several equally good candidates: all are listed, the best is
graded), or "not found".  Grading itself is the class's (``batch``).

Reading files is all this module does; it never writes under the tree.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from autograder.classroom import batch
from autograder.intake import extract, safe_files, static
from autograder.i18n import translate
from autograder.results import msg
from autograder.intake.safe_files import SKIP_DIRS
from autograder.intake.tasks import ANY_LAB, ANY_TASK, BARE_TASK, CHAT, LAB, LAB_NUMBER, TASK, TASK_NUMBER  # noqa: F401

MAX_DEPTH = 6     # folders below a student's folder that are looked at
MAX_FILE_BYTES = 1024**2  # larger "source" is not a student's chat
ROLE_DIRS = re.compile(r"^(?:src|server|client|сервер|клиент|code|код)$", re.IGNORECASE)
# A part of one program in a folder of its own: "chat4-server", "client_v2", "tcp-клиент".
ROLE_PART_DIRS = re.compile(r"(?:^|(?<=[\W_]))(server|client|сервер|клиент)(?=$|[\W_\d])", re.IGNORECASE)
# A person: "Surname_Name", "Фамилия Имя", "SurnameName", "Ivanov_I_I" (capitalised words).
NAME_WORD = re.compile(r"[A-ZА-ЯЁ][a-zа-яё]*\.?|(?:[A-ZА-ЯЁ]\.)+")
MAX_BETWEEN = 2   # folder levels between a group and its people ("laboratory_works", "labs")
SERVER_CALLS = {"listen", "accept", "recvfrom", "serve_forever"}


@dataclass
class Candidate:
    """A place the chat task may be: a folder with Python files, or a report."""

    path: Path
    report: bool                 # a document, not a folder of .py files
    named: bool = False          # its path or title says chat / task 4
    chat_code: bool = False      # server + client + threading
    points: int = 0              # finer evidence, to order candidates of one tier
    depth: int = 0

    @property
    def tier(self) -> Tuple[bool, bool]:
        return (self.named, self.chat_code)

    def key(self) -> tuple:
        """Best first: code over a report, named, chat-shaped code, more evidence, shallower."""
        return (self.report, not self.named, not self.chat_code, -self.points, self.depth, str(self.path))


@dataclass
class Student:
    group: str
    name: str
    folder: Path
    candidates: List[Candidate] = field(default_factory=list)  # best first

    @property
    def status(self) -> str:
        if not self.candidates:
            return "not_found"
        rivals = [c for c in self.candidates if c.tier == self.candidates[0].tier]
        return "ambiguous" if len(rivals) > 1 else "found"


# --- who the students are ------------------------------------------------------------------

def _folders(path: Path) -> List[Path]:
    return sorted(c for c in path.iterdir()
                  if c.is_dir() and not c.is_symlink() and not c.name.startswith(".") and c.name not in SKIP_DIRS
                  and c.name not in batch.IGNORED)


def _looks_like_student(folder: Path) -> bool:
    """Work of one person: code or a report at the top, or folders named like labs and tasks."""
    for child in folder.iterdir():
        if child.name.startswith("."):
            continue
        if safe_files.is_regular(child) and (child.suffix.lower() in (".py", ".ipynb")
                                or (child.suffix.lower() in (".md", ".markdown") and child.stem.lower() != "readme")):
            return True
        if child.is_dir() and (ANY_LAB.search(child.name) or ANY_TASK.search(child.name)
                               or CHAT.search(child.name) or ROLE_DIRS.match(child.name)):
            return True
    return False


def name_shaped(name: str) -> bool:
    """A person's folder: two to four capitalised words, the first a real word."""
    words = [w for w in re.split(r"[\s_\-]+|(?<=[a-zа-яё])(?=[A-ZА-ЯЁ])", name.strip()) if w]
    return 2 <= len(words) <= 4 and all(NAME_WORD.fullmatch(w) for w in words) and len(words[0]) >= 2


def _between(folder: Path) -> bool:
    """A level between a group and its people (``laboratory_works/``, ``labs/``): not a
    person's name, no code of its own, and most folders in it are named like people."""
    if name_shaped(folder.name) or any(c.is_file() and c.suffix.lower() == ".py" for c in folder.iterdir()):
        return False
    inside = _folders(folder)
    return bool(inside) and sum(name_shaped(f.name) for f in inside) * 2 > len(inside)


def _people(folder: Path, depth: int = 0) -> List[Path]:
    out: List[Path] = []
    for child in _folders(folder):
        out += _people(child, depth + 1) if depth < MAX_BETWEEN and _between(child) else [child]
    return out


def find_students(root: Path) -> List[Tuple[str, str, Path]]:
    """(group, student, folder): ``root/<group>/<student>`` or ``root/<student>``, with
    any folder levels between a group and its people passed through.

    Decided for the whole tree by what most top folders look like, so that a
    student with an oddly named folder is still a student, not a group.
    """
    top = _folders(root)
    if sum(_looks_like_student(f) for f in top) * 2 > len(top):
        return [("", f.name, f) for f in top]
    return [(group.name, f.name, f) for group in top for f in _people(group)]


# --- where each student's chat is -----------------------------------------------------------

def _title(lines: List[str]) -> str:
    """The headings and the first lines of a README or report: where "Задание 4. Чат" is written."""
    heads = [line for line in lines[:200] if line.lstrip().startswith("#")][:3]
    firsts = [line for line in lines[:20] if line.strip()][:2]
    return " ".join(heads + firsts)


def _names_say(parts: Tuple[str, ...], title: str = "") -> Tuple[bool, int]:
    """(named, points) from path components (and a title): chat 3, task 4 2, lab 1 1.

    Task 4 of another lab (``Lab2/task4``) is another task.
    """
    named, points = False, 0
    other_lab = any(ANY_LAB.search(part) and not LAB.search(part) for part in parts)
    for index, part in enumerate(parts):
        bare_task = bool(BARE_TASK.match(part)) and index > 0 and bool(LAB.search(parts[index - 1]))
        if CHAT.search(part):
            named, points = True, points + 3
        if (TASK.search(part) or bare_task) and not other_lab:
            named, points = True, points + 2
        if LAB.search(part):
            points += 1
    if title and (CHAT.search(title) or (TASK.search(title) and not other_lab)):
        named, points = True, points + 2
    return named, points


def _read(path: Path) -> str:
    try:
        data = safe_files.read_bytes(path, MAX_FILE_BYTES + 1)
        return "" if len(data) > MAX_FILE_BYTES else static.decode_student_text(data)
    except OSError:
        return ""


def _code_says(sources: List[str]) -> Tuple[bool, int]:
    """(chat_code, points): a server (2), a client beside it (1), threading (1), serving many (1)."""
    facts = [static.facts_of(text) for text in sources if text]
    servers = [i for i, f in enumerate(facts) if f.calls & SERVER_CALLS]
    clients = [i for i, f in enumerate(facts) if f.client_score and (i not in servers or len(facts) == 1)]
    threads = any(f.uses_threading for f in facts)
    many = any(facts[i].accepts_in_loop or "recvfrom" in facts[i].calls for i in servers)
    points = 2 * bool(servers) + bool(clients) + threads + many
    return bool(servers and clients and threads), points


def _walk(folder: Path):
    for here, dirs, files in os.walk(folder):
        if "pyvenv.cfg" in files or Path(here).name == "site-packages":
            dirs[:] = []  # a virtual environment someone committed: thousands of files, none theirs
            continue
        depth = len(Path(here).relative_to(folder).parts)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and d not in batch.IGNORED and not d.startswith(".")
                         and depth < MAX_DEPTH and not os.path.islink(os.path.join(here, d)))
        yield Path(here), sorted(f for f in files if not f.startswith("."))


def candidates_in(folder: Path) -> List[Candidate]:
    """Every plausible place of the chat task under a student's folder, best first.

    Folders with Python files come first whenever there is one; reports only when there is none.
    """
    units: dict = {}
    documents: List[Path] = []
    for here, files in _walk(folder):
        python = [here / f for f in files if f.lower().endswith(".py") and not (here / f).is_symlink()]
        documents += [here / f for f in files if (here / f).suffix.lower() in extract.DOCUMENT_SUFFIXES
                      and not (here / f).is_symlink()]
        if python:
            # server/ + client/ (or src/) inside the task folder: the task folder is the unit
            unit = here.parent if _role_part(here.name) and here != folder else here
            units.setdefault(unit, []).extend(python)
    found = [c for c in (_code_candidate(folder, unit, files) for unit, files in units.items()) if c]
    if not found:
        found = [c for c in (_report_candidate(folder, doc) for doc in documents) if c]
    return sorted(found, key=Candidate.key)


def _role_part(name: str) -> bool:
    """``server/``, ``src/``, ``chat4-client-v2/``: one part of a program; ``client_server_chat/`` is the whole."""
    if ROLE_DIRS.match(name):
        return True
    words = {w.lower() for w in ROLE_PART_DIRS.findall(name)}
    return len({"server" if w in ("server", "сервер") else "client" for w in words}) == 1


def _code_candidate(student: Path, unit: Path, files: List[Path]) -> Optional[Candidate]:
    parts = unit.relative_to(student).parts
    readmes = [unit / n for n in sorted(os.listdir(unit)) if n.lower().startswith("readme")
               and (unit / n).suffix.lower() in (".md", ".txt", ".markdown", "")]
    title = " ".join(_title(_read(p).splitlines()) for p in readmes[:2])
    named, name_points = _names_say(parts + tuple(p.stem for p in files), title)
    chat_code, code_points = _code_says([_read(p) for p in files])
    if not (named or chat_code):
        return None  # another task: a calculator, an echo server
    return Candidate(unit, report=False, named=named, chat_code=chat_code, points=name_points + code_points,
                     depth=len(parts))


def _report_candidate(student: Path, document: Path) -> Optional[Candidate]:
    try:
        extraction = extract.extract(document)
    except (OSError, ValueError, RecursionError):
        return None
    if extraction.server is None:
        return None
    parts = document.relative_to(student).parts
    named, name_points = _names_say(parts[:-1] + (document.stem,), _title(_read(document).splitlines()))
    sources = [part.source() for part in (extraction.server, extraction.client) if part]
    chat_code, code_points = _code_says(sources)
    return Candidate(document, report=True, named=named, chat_code=chat_code, points=name_points + code_points,
                     depth=len(parts))


def survey(root: Path) -> List[Student]:
    """Every student of the tree, with where their chat task may be."""
    return [Student(group, name, folder, candidates_in(folder)) for group, name, folder in find_students(root)]


def entries(root: Path, students: List[Student]) -> List[batch.Entry]:
    """One class entry per student: the best candidate to grade, or why there is nothing."""
    out, taken = [], set()
    for student in students:
        name = "/".join(batch.safe_name(p) for p in (student.group, student.name) if p)
        name = batch.unique(name, taken)
        listed = [c.path.relative_to(root).as_posix() for c in student.candidates]
        meta = {"group": student.group, "student": student.name, "task_status": student.status,
                "task_path": listed[0] if listed else "", "candidates": listed}
        if student.candidates:
            out.append(batch.Entry(name, student.candidates[0].path, meta=meta))
        else:
            out.append(batch.Entry(name, None, msg("error.course.not_found", student=student.name),
                                   problem_status="not_found", meta=meta))
    return out


def grade_course(root: Path, *, out: Optional[Path] = None, lang: str = "en", **options) -> batch.ClassResult:
    """Find and grade each student's chat task under ``root``; ``options`` as ``batch.grade_entries``."""
    started = time.monotonic()
    root = Path(root).resolve()
    if not root.is_dir():
        raise ValueError(translate("ui.course.not_a_folder", lang, {"path": str(root)}))
    out = batch.prepare_out(root, out, lang)
    students = survey(root)
    if not students:
        raise ValueError(translate("ui.course.empty", lang, {"path": str(root)}))
    return batch.grade_entries(entries(root, students), out=out, lang=lang, started=started, **options)
