"""Grade a whole class: many submissions, in parallel, each in its own grader.

Every submission is graded by a grader process of its own
(``python -m autograder SUB --single --json -``), which puts itself and the
student's code in whatever containment the OS allows (``containment``).  This
process only starts graders, bounds each one's wall-clock time, kills its
whole tree on overrun, reads the report from the grader's stdout (a pipe only
the grader holds), and writes every file into ``--out`` itself.  So a hostile
submission, or a crash of the grader on one submission, can only cost its
own row; the rest of the class goes on.

Is PATH one submission or a class?  One submission: a folder with Python
files at its top level, or one where the Python files sit in a single
subfolder or in subfolders that do not each look like a submission (e.g.
``server/`` and ``client/``).  A class: a folder of ``.zip`` files, or of
three or more subfolders with Python files, or of two or more in which
discovery finds a server.  A ``.zip`` is read as the folder it contains.
``--batch`` / ``--single`` decide instead.

Zips are extracted with care: no absolute paths or ``..``, no links, a cap
on members and on bytes actually written (headers lie in zip bombs), names
from Russian Windows (cp866) decoded, and always into a private temp folder,
never next to the originals.  Nothing under PATH is ever written.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Dict, Iterator, List, Optional

import psutil

from autograder.classroom import lateness
from autograder.sandbox import containment
from autograder.intake import discover, extract, safe_files, static
from autograder.i18n import translate
from autograder.results import Joined, Msg, Report, msg
from autograder.intake.safe_files import SKIP_DIRS
from autograder.sandbox.process import Limits

DEFAULT_TIMEOUT = 300.0  # seconds per submission; the checks' own deadlines end far sooner
MAX_MEMBERS = 5000
MAX_MEMBER_BYTES = 50 * 1024**2
MAX_SUBMISSION_BYTES = 50 * 1024**2
MAX_CLASS_BYTES = 2 * 1024**3
IGNORED = {"__MACOSX", ".DS_Store", "Thumbs.db"}

FINAL_SWEEP_SECONDS = 20.0
STATUSES = ("graded", "ungradable", "error", "timeout", "not_found", "missing")
MAX_NESTING = 3  # zips inside zips (Moodle: the student's outer.zip holding inner.zip), levels unpacked


# --- one submission or a class? --------------------------------------------------

def is_class(path: Path) -> bool:
    path = Path(path)
    if path.is_file():
        return zipfile.is_zipfile(path) and _names_look_like_class(_zip_names(path))
    if not path.is_dir():
        return False
    if flat_moodle_files(path) or flat_canvas_files(path):
        return True  # "Download all submissions" without "in folders": files named after their student
    if any(safe_files.is_regular(p) and p.suffix.lower() == ".py" for p in path.iterdir()):
        return False
    from autograder.export import moodle

    folders, zips, documents = [], [], []
    for child in _children(path):
        submission_like = child.is_dir() or child.suffix.lower() == ".zip" or is_loose_document(child)
        if submission_like and moodle.identity(child.name):
            return True  # Moodle's "Download all submissions"
        if child.is_dir():
            if discover.python_files(child):
                folders.append(child)
            elif any(p.suffix.lower() == ".zip" for p in child.iterdir() if safe_files.is_regular(p)):
                zips.append(child)
        elif child.suffix.lower() == ".zip":
            zips.append(child)
        elif is_loose_document(child):
            documents.append(child)
    if zips:
        return True
    found = {f: discover.find(f) for f in folders}
    if _one_program_split({f.name: "server" if s.server and not s.client else "client" if s.client and not s.server
                           else "both" for f, s in found.items()}):
        return False
    servers = [f for f, s in found.items() if s.server is not None]
    reports = [d for d in documents if extract.extract(d).server is not None]
    return len(folders) + len(reports) >= 3 or len(servers) + len(reports) >= 2


def flat_moodle_files(path: Path) -> Dict[str, List[Path]]:
    """Moodle's flat download: ``Full Name_12345_assignsubmission_file_server.py``
    and its neighbours, by the student's prefix (only Python files and documents)."""
    from autograder.export import moodle

    groups: Dict[str, List[Path]] = {}
    for child in _children(path):
        if not safe_files.is_regular(child) or not (child.suffix.lower() == ".py" or is_loose_document(child)):
            continue
        match = moodle.MOODLE_NAME.match(child.name)
        if match and len(child.name) > match.end():
            groups.setdefault(match.group(0), []).append(child)
    return groups


def flat_canvas_files(path: Path) -> Dict[str, List[Path]]:
    """Canvas's download: ``doejohn_12345_678901_server.py`` and its neighbours, by student."""
    from autograder.export import canvas

    wanted = lambda file: file.suffix.lower() == ".py" or is_loose_document(file)  # noqa: E731
    return canvas.flat_files(path, _children(path), wanted)


def _gather_canvas(files: List[Path], target: Path) -> Path:
    """One Canvas student's files under their own names (the newest copy when resubmitted)."""
    from autograder.export import canvas

    target.mkdir(parents=True)
    for file in sorted(files, key=lambda f: int(canvas.identity(f.name)["attachment"])):  # the newest last, kept
        shutil.copy2(file, target / safe_name(str(canvas.identity(file.name)["file"])))
    return target


def _gather_flat(prefix: str, files: List[Path], target: Path) -> Path:
    """One student's flat files, in a folder of our own, under their own names."""
    target.mkdir(parents=True)
    for file in files:
        shutil.copy2(file, target / safe_name(file.name[len(prefix):]))  # with its time: lateness reads it
    return target


def is_loose_document(path: Path) -> bool:
    """A report or notebook lying in a class folder: a submission (a README is the instructor's)."""
    return extract.is_document(path) and path.stem.lower() != "readme"


def _names_look_like_class(names: List[str]) -> bool:
    parts = [PurePosixPath(n).parts for n in names if n and not _ignored(PurePosixPath(n).parts)]
    parts = _strip_common_root(parts)
    if any(len(p) == 1 and p[0].lower().endswith(".py") for p in parts):
        return False
    if any(p[-1].lower().endswith(".zip") for p in parts):
        return True
    from autograder.export import moodle

    if any(moodle.identity(p[0]) for p in parts):
        return True
    tops: Dict[str, List[str]] = {}
    for p in parts:
        if len(p) > 1 and p[-1].lower().endswith(".py"):
            tops.setdefault(p[0], []).append(p[-1])
    servers = [t for t, files in tops.items() if any(discover.SERVER_NAME.search(f) for f in files)]
    clients = [t for t, files in tops.items() if any(discover.CLIENT_NAME.search(f) for f in files)]
    if _one_program_split({t: "both" if t in servers and t in clients else "server" if t in servers
                           else "client" if t in clients else "other" for t in tops}):
        return False
    return len(tops) >= 3 or len(servers) >= 2


def _one_program_split(roles: Dict[str, str]) -> bool:
    """Sub-folders each holding only a server or only a client, and named for it
    (``chat4-server/``, ``chat4-client/``, ``chat4-client-v2/``): one submission, not
    a class (whose folders are named after people, however incomplete their work)."""
    named = {"server": discover.SERVER_NAME, "client": discover.CLIENT_NAME}
    return set(roles.values()) == {"server", "client"} and all(
        role in named and named[role].search(folder) for folder, role in roles.items())


def _strip_common_root(parts: List[tuple]) -> List[tuple]:
    while parts and all(len(p) > 1 for p in parts) and len({p[0] for p in parts}) == 1:
        parts = [p[1:] for p in parts]
    return parts


def _ignored(parts) -> bool:
    return any(p in IGNORED or p in SKIP_DIRS for p in parts)


def _children(path: Path) -> List[Path]:
    return sorted(c for c in path.iterdir()
                  if not c.name.startswith(".") and c.name not in IGNORED and c.name not in SKIP_DIRS
                  and not c.is_symlink())


# --- zips, safely --------------------------------------------------------------------

class UnsafeArchive(Exception):
    """Why an archive is not unpacked: ``reason`` is a sentence for the report (``str()`` says it in English)."""

    def __init__(self, reason: Msg) -> None:
        super().__init__(reason.text("en"))
        self.reason = reason


def _zip_names(path: Path) -> List[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return [_member_name(info) for info in archive.infolist()]
    except (zipfile.BadZipFile, OSError):
        return []


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800 and not name.isascii():
        raw = name.encode("cp437", errors="replace")
        for encoding in ("utf-8", "cp866"):  # Windows' own zip writes cp866 on Russian systems
            try:
                name = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return name.replace("\\", "/")


def safe_extract(archive_path: Path, target: Path, max_bytes: int = MAX_SUBMISSION_BYTES) -> Path:
    """Extract into ``target`` (created); returns the folder the content is in.

    Raises ``UnsafeArchive`` (with a reason a person can read) instead of
    writing anything outside ``target`` or more than ``max_bytes``.
    """
    target.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as error:
        raise UnsafeArchive(msg("zip.unreadable", error=error)) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise UnsafeArchive(msg("zip.too_many", count=len(members), most=MAX_MEMBERS))
        for info in members:
            name = _member_name(info)
            parts = PurePosixPath(name).parts
            if not parts or _ignored(parts) or name.endswith("/"):
                continue
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts or "\x00" in name:
                raise UnsafeArchive(msg("zip.unsafe_path", name=repr(name[:80])))
            mode = (info.external_attr >> 16) & 0o170000
            if mode and mode not in (0o100000,):  # links, devices, fifos: not a student's source
                continue
            destination = target.joinpath(*parts)
            if not str(destination.resolve()).startswith(str(target.resolve()) + os.sep):
                raise UnsafeArchive(msg("zip.unsafe_path", name=repr(name[:80])))
            destination.parent.mkdir(parents=True, exist_ok=True)
            size = 0
            try:
                with archive.open(info) as source, open(destination, "wb") as sink:
                    while True:
                        chunk = source.read(65536)
                        if not chunk:
                            break
                        size += len(chunk)
                        written += len(chunk)
                        if size > MAX_MEMBER_BYTES or written > max_bytes:
                            raise UnsafeArchive(msg("zip.too_big", mb=max_bytes // 1024**2))
                        sink.write(chunk)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as error:
                raise UnsafeArchive(msg("zip.member", name=repr(name[:80]), error=error)) from None
            with contextlib.suppress(OSError, ValueError, OverflowError):
                # its time, as unzip keeps it: a downloaded class zip holds Moodle's or Canvas's file times
                moment = lateness.member_time(info)
                os.utime(destination, (moment, moment))
    return content_root(target)


def extract_submission(archive_path: Path, target: Path, max_bytes: int = MAX_SUBMISSION_BYTES) -> Path:
    """``safe_extract``, then the zips inside it while it has no Python files yet.

    Moodle gives ``Full Name_12345_assignsubmission_file_/outer.zip`` and
    students zip their zip.  Each inner zip goes into a folder beside it (in
    our copy), under the same caps on bytes and files as the outer one, at
    most ``MAX_NESTING`` levels down.
    """
    folder = safe_extract(archive_path, target, max_bytes)
    for depth in range(MAX_NESTING + 1):
        if discover.python_files(folder):
            return folder
        inner = sorted(p for p in target.rglob("*.zip") if p.is_file() and not p.is_symlink())
        if not inner:
            return folder
        if depth == MAX_NESTING:
            raise UnsafeArchive(msg("zip.too_deep", levels=MAX_NESTING))
        for zipped in inner:
            used, count = _tree_size(target)
            if count > MAX_MEMBERS or used >= max_bytes:
                raise UnsafeArchive(msg("zip.too_much", count=MAX_MEMBERS, mb=max_bytes // 1024**2))
            destination = zipped.with_suffix("")
            while destination.exists():
                destination = destination.with_name(destination.name + "_")
            try:
                safe_extract(zipped, destination, max_bytes - used)
            except UnsafeArchive as error:
                raise UnsafeArchive(msg("zip.inner", name=zipped.name, reason=error.reason)) from None
            zipped.unlink()
        folder = content_root(target)
    return folder


def _tree_size(folder: Path) -> tuple:
    """(bytes, files) under ``folder``."""
    total = count = 0
    for here, _, files in os.walk(folder):
        for name in files:
            total += os.lstat(os.path.join(here, name)).st_size
            count += 1
    return total, count


def content_root(folder: Path) -> Path:
    """Descend through folders that hold nothing but one folder."""
    while True:
        inside = [c for c in folder.iterdir() if c.name not in IGNORED]
        if len(inside) == 1 and inside[0].is_dir() and not inside[0].is_symlink():
            folder = inside[0]
        else:
            return folder


# --- the class ---------------------------------------------------------------------------

@dataclass
class Entry:
    name: str
    folder: Optional[Path]  # what the grader reads: a folder or a document (an original, or an extracted copy)
    problem: Optional[Msg] = None  # why it cannot be graded at all (a bad zip)
    problem_status: str = "ungradable"  # the row's status when there is a problem
    meta: Dict[str, Any] = field(default_factory=dict)  # who it is: Moodle name and id, course group and task
    archive: Optional[Path] = None  # the zip it came in (lateness: the platform's time of it, or its files')


@dataclass
class Row:
    name: str
    status: str  # one of STATUSES
    report: dict
    seconds: float = 0.0
    meta: Dict[str, Any] = field(default_factory=dict)  # as the entry's
    position: int = 0  # its place in the whole class (a shard grades some of them)

    @property
    def score(self) -> float:
        """The grade: what the checks gave, less the late penalty (shown apart in the gradebook)."""
        graded = float(self.report.get("score") or 0.0)
        return max(0.0, round(graded - float(self.meta.get("late_penalty") or 0.0), 1))


@dataclass
class ClassResult:
    rows: List[Row]
    out: Optional[Path]
    duration: float
    summary: dict = field(default_factory=dict)


def collect(path: Path, scratch: Path) -> List[Entry]:
    """The submissions under ``path`` (a class folder or a class zip)."""
    path = Path(path)
    if path.is_file():
        path = safe_extract(path, scratch / "class", MAX_CLASS_BYTES)
    from autograder.export import canvas, moodle

    entries: List[Entry] = []
    names: set = set()
    flat = flat_moodle_files(path)
    for prefix, files in flat.items():
        meta = moodle.identity(prefix) or {}
        name = unique(safe_name(prefix), names)
        entries.append(Entry(name, _gather_flat(prefix, files, scratch / "flat" / name), meta=meta))
    gathered = {file for files in flat.values() for file in files}
    canvas_flat = flat_canvas_files(path)
    for key, files in canvas_flat.items():
        name = unique(safe_name(key), names)
        entries.append(Entry(name, _gather_canvas(files, scratch / "flat" / name), meta=canvas.meta_of(files)))
        gathered.update(files)
    for child in _children(path):
        if child in gathered:
            continue
        document = child.is_file() and is_loose_document(child)
        if child.is_dir():
            pass
        elif not safe_files.is_regular(child) or (child.suffix.lower() != ".zip" and not document):
            continue  # a FIFO or a device in the class folder, a stray file
        meta = moodle.identity(child.name) or {}
        from_canvas = canvas.identity(child.name) if child.is_file() and not meta else None
        if from_canvas:  # Canvas names a zip as any other file: doejohn_LATE_12345_678901_lab.zip
            meta = canvas.meta_of([child])
        stem = f"{meta['student']}_{meta['canvas_id']}" if from_canvas else child.stem if child.is_file() else child.name
        name = unique(safe_name(stem), names)
        archive = child if child.is_file() and not document else None
        if child.is_dir() and not discover.python_files(child):
            zips = (p for p in sorted(child.iterdir()) if safe_files.is_regular(p) and p.suffix.lower() == ".zip")
            archive = next(zips, None)
        if archive is None:
            entries.append(Entry(name, child, meta=meta))
            continue
        try:
            entries.append(Entry(name, extract_submission(archive, scratch / "submissions" / name), meta=meta,
                                 archive=archive))
        except UnsafeArchive as error:
            entries.append(Entry(name, None, msg("error.batch.zip", file=archive.name, detail=error.reason), meta=meta))
    return entries


def safe_name(name: str) -> str:
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f\x7f-\x9f]", "_", name).strip(" .")
    return name[:100] or "submission"


def unique(name: str, taken: set) -> str:
    candidate, number = name, 2
    while candidate.lower() in taken:
        candidate = f"{name}-{number}"
        number += 1
    taken.add(candidate.lower())
    return candidate


@contextlib.contextmanager
def opened(path: Path) -> Iterator[Path]:
    """A submission as a folder: itself, or a zip extracted to a temp folder."""
    path = Path(path)
    if not path.is_file():
        yield path
        return
    scratch = Path(tempfile.mkdtemp(prefix="chatlab-zip-"))
    try:
        try:
            folder = extract_submission(path, scratch / safe_name(path.stem))
        except UnsafeArchive:
            folder = path  # discovery says what is wrong with it
        yield folder
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def grade_single(path: Path, *, rubric_path: Optional[Path] = None, observer=None, launch: Optional[dict] = None,
                 limits: Optional[Limits] = None, extra_checks=(), at_once: Optional[bool] = None) -> Report:
    """Grade one submission in this process, with every layer we can have."""
    from autograder.grading.pipeline import grade

    policy = containment.activate()
    try:
        with opened(path) as folder:
            report = grade(folder, rubric_path=rubric_path, observer=observer, launch=launch, limits=limits,
                           extra_checks=extra_checks, at_once=at_once)
        report.submission = Path(path).stem if Path(path).is_file() else report.submission
    finally:
        policy.cleanup()
    report.sandbox = policy.layers()
    return report


GRADER_MEMORY = 400 * 1024**2  # what one grader and its programs may take at their peak (up to 13 servers)


def default_jobs() -> int:
    """Graders mostly wait on their checks' deadlines, so two per CPU keep the machine busy
    (on 2 cores, 100 submissions: 338 s with 2 jobs, 185 s with 4, the same verdicts), as
    many as the free memory holds."""
    by_memory = max(1, psutil.virtual_memory().available // GRADER_MEMORY)
    return int(min(2 * (os.cpu_count() or 1), by_memory))


def worker_command(folder: Path, lang: str, rubric_path: Optional[Path]) -> List[str]:
    command = [sys.executable, "-m", "autograder", str(folder), "--single", "--json", "-", "--lang", lang]
    if rubric_path:
        command += ["--rubric", str(Path(rubric_path).resolve())]
    return command


class Batch:
    """The running state of one class: graders, uids, counts."""

    def __init__(self, entries: List[Entry], *, jobs: int, lang: str, rubric_path: Optional[Path],
                 timeout: float, out: Optional[Path], command: Callable = worker_command,
                 on_start: Optional[Callable] = None, on_done: Optional[Callable] = None,
                 reap_orphans: bool = False) -> None:
        self.entries = entries
        self.jobs = max(1, jobs)
        self.lang = lang
        self.rubric_path = rubric_path
        self.timeout = timeout
        self.out = out
        self.command = command
        self.on_start = on_start or (lambda entry: None)
        self.on_done = on_done or (lambda row: None)
        self.uids: "queue.Queue[Optional[int]]" = queue.Queue()
        uids = containment.free_uids(self.jobs) if os.name == "posix" and os.geteuid() == 0 else []
        self.pool_uids = list(uids)
        for uid in uids or [None] * self.jobs:
            self.uids.put(uid)
        self._live: set = set()
        self._lock = threading.Lock()
        self.stopping = False  # a signal ended the run: no grader starts any more
        # Only a process that exists to grade may adopt and kill orphans (not a notebook, not pytest).
        self.reap_orphans = reap_orphans and containment.LINUX

    def run(self) -> List[Row]:
        if self.reap_orphans:
            containment.become_subreaper()  # graders' orphans come to us, and are killed
        rows: List[Optional[Row]] = [None] * len(self.entries)
        with self.stopped_by_signals(), \
                concurrent.futures.ThreadPoolExecutor(self.jobs, thread_name_prefix="grader") as pool:
            futures = {pool.submit(self.grade_entry, entry): i for i, entry in enumerate(self.entries)}
            for future in concurrent.futures.as_completed(futures):
                index = futures[future]
                try:
                    row = future.result()
                except Exception as error:  # ours, never the student's: the batch goes on
                    row = self.error_row(self.entries[index].name, "error",
                                         msg("error.batch.crashed", detail=repr(error)[:300]), 0.0)
                    row.meta = dict(self.entries[index].meta)
                rows[index] = row
                self.on_done(row)
        # A last sweep of every uid the class used: an escapee that was still being
        # born when its grader's sweep ran (a fork racing the kill) goes now, and what
        # it wrote after that sweep with it. Births are not events we can wait on: we
        # look again until a look finds nothing.
        deadline = time.monotonic() + FINAL_SWEEP_SECONDS
        while self.pool_uids:
            for uid in self.pool_uids:
                containment.sweep(uid)
            if not containment.processes_of(self.pool_uids) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        for uid in self.pool_uids:
            containment.sweep(uid)
        return [r for r in rows if r is not None]

    @contextlib.contextmanager
    def stopped_by_signals(self) -> Iterator[None]:
        """SIGTERM, SIGHUP or Ctrl-C end the class run and every grader in it.

        Graders run in sessions of their own (so one can be killed with all it
        started): a signal to our group never reaches them, so we kill them.
        """
        def stop(signum, frame):
            self.stop_all()
            raise SystemExit(128 + signum)

        previous = {}
        if threading.current_thread() is threading.main_thread():
            for name in ("SIGTERM", "SIGHUP"):
                if hasattr(signal, name):
                    previous[name] = signal.signal(getattr(signal, name), stop)
        try:
            yield
        except BaseException:
            self.stop_all()
            for uid in self.pool_uids:  # what a killed grader could not sweep itself
                containment.sweep(uid)
            raise
        finally:
            for name, handler in previous.items():
                signal.signal(getattr(signal, name), handler)

    def stop_all(self) -> None:
        with self._lock:
            self.stopping = True
            live = list(self._live)
        for pid in live:
            kill_grader_pid(pid)

    def grade_entry(self, entry: Entry) -> Row:
        if self.stopping:
            raise SystemExit("stopped")
        if entry.problem is not None or entry.folder is None:
            row = self.error_row(entry.name, entry.problem_status, entry.problem or msg("error.no_python", found="—"),
                                 0.0)
        else:
            uid = self.uids.get()
            self.on_start(entry)
            started = time.monotonic()
            try:
                row = self.run_grader(entry, uid, started)
            finally:
                containment.sweep(uid)
                self.uids.put(uid)
        row.meta = dict(entry.meta)
        self.write(row)
        return row

    def run_grader(self, entry: Entry, uid: Optional[int], started: float) -> Row:
        env = dict(os.environ, PYTHONIOENCODING="utf-8")
        env.pop(containment.NAMESPACE_ENV, None)
        if uid is not None:
            env[containment.UID_ENV] = str(uid)
        with self._lock:  # started and known as live at once: a signal between the two would miss it
            if self.stopping:
                raise SystemExit("stopped")
            process = subprocess.Popen(self.command(entry.folder, self.lang, self.rubric_path),
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       env=env, start_new_session=(os.name == "posix"))
            self._live.add(process.pid)
        try:
            try:
                stdout, stderr = process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired:
                kill_grader(process)
                process.communicate()
                seconds = time.monotonic() - started
                return self.error_row(entry.name, "timeout", msg("error.batch.timeout", seconds=round(self.timeout)),
                                      seconds)
        finally:
            kill_grader(process)  # whatever it left in its group
            with self._lock:
                self._live.discard(process.pid)
                live = set(self._live)
            if self.reap_orphans:
                containment.kill_adopted(live)
        # Rounded once, here: the page and the gradebook show this one number.
        seconds = round(time.monotonic() - started, 1)
        report = parse_report(stdout)
        if report is None:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
            said_last = (": " + " | ".join(tail))[-400:] if tail else ""
            detail = Joined((msg("error.batch.exit_code", code=process.returncode), said_last), "")
            return self.error_row(entry.name, "error", msg("error.batch.crashed", detail=detail), seconds)
        report["submission"] = entry.name
        report["duration"] = seconds
        status = "ungradable" if report.get("error") and not report.get("checks") else "graded"
        return Row(entry.name, status, report, seconds)

    def error_row(self, name: str, status: str, error: Msg, seconds: float) -> Row:
        report = Report(submission=name, error=error, duration=seconds)
        return Row(name, status, report.to_dict(self.lang), seconds)

    def write(self, row: Row) -> None:
        if self.out is not None:
            write_submission(self.out / row.name, row.report, self.lang)


def kill_grader(process: subprocess.Popen) -> None:
    """The grader, its process group, and every descendant still attached."""
    kill_grader_pid(process.pid)
    with contextlib.suppress(OSError):
        process.kill()


def kill_grader_pid(pid: int) -> None:
    try:
        victims = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        victims = []
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
    for victim in victims + [_process(pid)]:
        with contextlib.suppress(psutil.Error, AttributeError):
            victim.kill()


def _process(pid: int) -> Optional[psutil.Process]:
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


def parse_report(stdout: bytes) -> Optional[dict]:
    """The grader's report: the last JSON line of its stdout, if it is one."""
    # split("\n"), not splitlines(): a student's bytes in the report may hold U+2028 and friends
    for line in reversed(stdout.decode("utf-8", "replace").split("\n")):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            report = json.loads(line)
        except ValueError:
            return None
        if isinstance(report, dict) and report.get("schema") == 1 and isinstance(report.get("checks"), list):
            return report
        return None
    return None


def write_submission(folder: Path, report: dict, lang: str) -> None:
    from autograder.export import gradescope
    from autograder.report import html, markdown

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = {
        "report.json": json.dumps(report, ensure_ascii=False, indent=2),
        "report.md": markdown.render(report, lang),
        "report.html": html.render(report, lang),
        "results.json": json.dumps(gradescope.results(report, lang), ensure_ascii=False, indent=2),
    }
    for name, text in files.items():
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with open(fd, "w", encoding="utf-8") as handle:
            handle.write(text)


def grade_class(path: Path, *, out: Optional[Path] = None, lang: str = "en", **options) -> ClassResult:
    """Grade every submission under ``path``; write ``out`` if given; ``options`` as ``grade_entries``."""
    started = time.monotonic()
    path = Path(path).resolve()
    out = prepare_out(path, out, lang)
    scratch = Path(tempfile.mkdtemp(prefix="chatlab-batch-"))
    try:
        try:
            entries = collect(path, scratch)
        except UnsafeArchive as error:
            entries = [Entry(safe_name(path.stem), None, msg("error.batch.zip", file=path.name, detail=error.reason))]
        return grade_entries(entries, out=out, lang=lang, started=started, **options)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def prepare_out(path: Path, out: Optional[Path], lang: str) -> Optional[Path]:
    """``out`` made absolute and created; refused inside the submissions, which are never written to."""
    if out is None:
        return None
    out = Path(out).resolve()
    if out == path or path in out.parents:
        raise ValueError(translate("ui.batch.out_inside", lang, {"out": str(out), "path": str(path)}))
    out.mkdir(parents=True, exist_ok=True)
    private(out)  # reports of a class are for the instructor, never for a student's uid
    return out


def private(folder: Path) -> None:
    """``folder`` and what is in it: 0700 folders, 0600 files (links left alone, never followed)."""
    if os.name != "posix":
        return
    for here, dirs, files in os.walk(folder):
        with contextlib.suppress(OSError):
            os.chmod(here, 0o700)
        for name in files:
            path = os.path.join(here, name)
            with contextlib.suppress(OSError):
                if not os.path.islink(path):
                    os.chmod(path, 0o600)


def grade_entries(entries: List[Entry], *, jobs: Optional[int] = None, out: Optional[Path] = None, lang: str = "en",
                  rubric_path: Optional[Path] = None, timeout: float = DEFAULT_TIMEOUT, console=None,
                  command: Callable = worker_command, reap_orphans: bool = False,
                  started: Optional[float] = None, plan=None) -> ClassResult:
    """Grade ``entries`` in parallel, a grader each; the summary (with similar code) and the class files.

    ``plan`` (``classrun.Plan``): a shard, a roster, a deadline, reports to reuse.
    The entries' folders must still exist when this returns: the similarity
    of the class is read from them after grading.
    """
    from autograder.classroom import classrun, regrade
    from autograder.report import summary as summary_module

    plan = plan or classrun.Plan()
    started = time.monotonic() if started is None else started
    unknown = sorted(set(plan.only) - {entry.name for entry in entries})
    if unknown:
        raise ValueError(translate("ui.batch.only_unknown", lang, {"names": ", ".join(unknown)}))
    placed = classrun.select(entries, plan.shard)
    chosen = [entry for _, entry in placed]
    classrun.stamp(chosen)
    cache = regrade.Cache(out) if out is not None and plan.reuse else None
    keys = {id(entry): regrade.key(entry.folder, rubric_path, lang) for entry in chosen
            if cache is not None and entry.folder is not None and entry.problem is None}
    kept: Dict[int, Row] = {}
    for entry in chosen:
        found = cache.get(keys[id(entry)]) if id(entry) in keys and entry.name not in plan.only else None
        if found is not None:
            report = dict(found["report"], submission=entry.name)
            kept[id(entry)] = Row(entry.name, found["status"], report, found["seconds"], dict(entry.meta))
    fresh = [entry for entry in chosen if id(entry) not in kept]
    with summary_module.LiveProgress(len(fresh), lang, console) as live:
        batch = Batch(fresh, jobs=jobs or default_jobs(), lang=lang, rubric_path=rubric_path,
                      timeout=timeout, out=out, command=command, on_start=live.started, on_done=live.done,
                      reap_orphans=reap_orphans)
        graded = dict(zip((id(entry) for entry in fresh), batch.run()))
    rows = []
    for position, entry in placed:
        row = kept.get(id(entry)) or graded[id(entry)]
        row.position = position
        if id(entry) in kept:
            batch.write(row)
        elif id(entry) in keys:
            cache.put(keys[id(entry)], row.status, row.report, row.seconds)
        rows.append(row)
    plan.reused = len(kept)
    return classrun.finish(rows, submission_sources(chosen), out, lang, plan, rubric_path,
                           time.monotonic() - started)


# --- code that is unusually alike -----------------------------------------------------------

SIMILARITY_THRESHOLD = 0.6
MAX_SIMILAR_PAIRS = 20
MAX_SOURCE_BYTES = 1024**2
SIMILARITY_SECONDS = 120.0
STARTERS = Path(__file__).resolve().parents[2] / "labs" / "chat" / "starter"


def similar_submissions(entries: List[Entry]) -> list:
    """Pairs of submissions whose server and client code are unusually alike (``similarity.Pair``)."""
    return similar_from(submission_sources(entries))


def submission_sources(entries: List[Entry]) -> Dict[str, str]:
    """The code of each submission that has some, by name: what similarity compares (and a merge keeps)."""
    sources = {}
    for entry in entries:
        if entry.folder is not None:
            code = submission_code(entry.folder)
            if code.strip():
                sources[entry.name] = code
    return sources


def similar_from(sources: Dict[str, str]) -> list:
    """A signal for the instructor, never a penalty: nothing here touches a score.
    The starter files every student was given are not evidence."""
    found: list = []
    worker = threading.Thread(target=lambda: found.extend(_similar_pairs(sources)), daemon=True,
                              name="similarity")
    worker.start()
    worker.join(SIMILARITY_SECONDS)  # a signal is not worth a class without its gradebook
    return found if not worker.is_alive() else []


def _similar_pairs(sources: Dict[str, str]) -> list:
    from autograder.classroom import similarity

    starters = [_read_capped(p) for p in sorted(STARTERS.rglob("*.py"))] if STARTERS.is_dir() else []
    # A copy of the kit's own code first: it needs no second student to be seen.  What the
    # student notebooks hand everybody (their scaffolding) is no copy of the instructor's.
    given = starters + list(kit_code("student").values())
    return (similarity.kit_pairs(sources, kit_code("instructor"), SIMILARITY_THRESHOLD,
                                 boilerplate=given)[:MAX_SIMILAR_PAIRS]
            + similarity.similar_pairs(sources, SIMILARITY_THRESHOLD, boilerplate=starters)[:MAX_SIMILAR_PAIRS])


def kit_code(notebooks: str = "instructor") -> dict:
    """The kit's solutions a student could hand in as their own: each reference program, and
    the code of each instructor notebook (the starters are everybody's: boilerplate, not this);
    ``"student"``: the code of the student notebooks alone."""
    root = STARTERS.parent.parent.parent
    code = {} if notebooks == "student" else {
        str(p.relative_to(root)): _read_capped(p) for p in sorted((root / "reference_solution").rglob("*.py"))}
    for notebook in sorted((root / "notebooks" / notebooks / "en").glob("*.ipynb")):
        try:
            cells = json.loads(_read_capped(notebook)).get("cells", [])
        except ValueError:
            continue
        code[str(notebook.relative_to(root))] = "\n".join(
            "".join(c.get("source", "")) for c in cells if c.get("cell_type") == "code")
    return {label: text for label, text in code.items() if text.strip()}


def submission_code(path: Path) -> str:
    """The server's and the client's source, as the grader finds them (from a document: as extracted)."""
    try:
        document = extract.find_document(path)
        if document is not None:
            extraction = extract.extract(document)
            return "\n".join(part.source() for part in (extraction.server, extraction.client) if part)
        if not path.is_dir():
            return ""
        found = discover.find(path)
        files = dict.fromkeys(p for p in (found.server, found.client) if p)
        return "\n".join(_read_capped(p) for p in files)
    except Exception:  # noqa: BLE001 - a signal must never cost the class its gradebook
        return ""  # unreadable: grading has said why; there is nothing to compare


def _read_capped(path: Path) -> str:
    return static.decode_student_text(safe_files.read_bytes(path, MAX_SOURCE_BYTES))
