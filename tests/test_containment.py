"""One student cannot break the class (issue 13): special files, signals, the report
pipe, the package cache, the sweep, terminal escapes.

End to end: a class holding symlinks to a FIFO and to /dev/zero (and a FIFO named
``chat.py``, and ``server.py`` as a link into a neighbour) finishes with every
other student graded, as a class and as a course; SIGTERM to a class run leaves
no grader behind.  The pieces have fast tests of their own.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from autograder.classroom import batch
from autograder.sandbox import containment, packages, process as sandbox
from autograder.intake import safe_files
from autograder.wire.protocol import visible
from containment_helpers import PRIVATE_UIDS, autograde, copy_tree, environment, kill_group, snapshot, survivors
from grading_helpers import FIXTURES, ROOT

REFERENCE = ROOT / "reference_solution" / "tcp"
EXITS = FIXTURES / "hostile" / "exit_at_import"
POSIX_ROOT = pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="needs root (chown to other uids)")

pytestmark = [pytest.mark.timeout(300), pytest.mark.skipif(sys.platform == "win32", reason="POSIX special files"),
              pytest.mark.xdist_group("containment")]


# --- reading what students hand in ------------------------------------------------------

@pytest.mark.timeout(20)
def test_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "to_fifo.py").symlink_to(fifo)
    (tmp_path / "to_zero.py").symlink_to("/dev/zero")
    (tmp_path / "real.py").write_bytes(b"x" * 100)
    (tmp_path / "to_real.py").symlink_to(tmp_path / "real.py")
    for name in ("pipe", "to_fifo.py", "to_zero.py", "to_real.py"):
        assert not safe_files.is_regular(tmp_path / name)
        with pytest.raises(OSError):
            safe_files.read_bytes(tmp_path / name)
    assert safe_files.read_bytes(tmp_path / "real.py", limit=10) == b"x" * 10


def special_student(folder: Path, fifo: Path) -> Path:
    """A student whose folder holds links to a FIFO and to /dev/zero, and a FIFO of its own."""
    copy_tree(EXITS, folder)
    (folder / "notes.py").symlink_to(fifo)
    (folder / "README.md").symlink_to(fifo)
    (folder / "zero.py").symlink_to("/dev/zero")
    (folder / "report.md").symlink_to("/dev/zero")
    os.mkfifo(folder / "chat.py")
    return folder


def special_class(root: Path) -> Path:
    fifo = root / "outside-fifo"
    os.mkfifo(fifo)
    copy_tree(REFERENCE, root / "class" / "alice")
    special_student(root / "class" / "fifo_and_zero", fifo)
    linked = root / "class" / "linked_server"
    linked.mkdir()
    (linked / "server.py").symlink_to(root / "class" / "alice" / "server.py")
    (linked / "client.py").symlink_to("/dev/zero")
    return root / "class"


def gradebook(out: Path) -> dict:
    rows = csv.DictReader((out / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines())
    return {row["name"]: row for row in rows}


def test_a_class_with_fifos_and_dev_zero_finishes_with_everyone_graded(tmp_path):
    folder = special_class(tmp_path)
    out = tmp_path / "out"
    done = autograde(folder, "--batch", "--jobs", "2", "--out", out, "--lang", "en", timeout=240)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "Traceback" not in done.stdout
    rows = gradebook(out)
    assert sorted(rows) == ["alice", "fifo_and_zero", "linked_server"]
    assert rows["alice"]["status"] == "graded" and float(rows["alice"]["score"]) == 100
    assert rows["fifo_and_zero"]["status"] == "graded" and float(rows["fifo_and_zero"]["score"]) == 0
    linked = json.loads((out / "linked_server" / "report.json").read_text(encoding="utf-8"))
    assert linked["score"] == 0 and linked["error"], linked  # a link is not the student's server: a reason, no points


def test_a_course_with_fifos_and_dev_zero_finishes_with_everyone_graded(tmp_path):
    fifo = tmp_path / "outside-fifo"
    os.mkfifo(fifo)
    students = tmp_path / "students"
    ivan = copy_tree(REFERENCE, students / "group1" / "Ivanov_Ivan" / "Lr1" / "task4")
    special_student(students / "group1" / "Petrov_Petr" / "Lr1" / "task4", fifo)
    (students / "group1" / "Petrov_Petr" / "Lr1" / "README.md").symlink_to(fifo)
    (students / "group1" / "Sidorov_Sidor" / "Lr1").mkdir(parents=True)
    (students / "group1" / "Sidorov_Sidor" / "Lr1" / "task4").symlink_to(ivan)
    out = tmp_path / "out"
    done = autograde(students, "--course", "--jobs", "2", "--out", out, "--lang", "en", timeout=240)
    assert done.returncode == 0, done.stdout[-3000:]
    rows = {row["student"]: row for row in gradebook(out).values()}
    assert float(rows["Ivanov_Ivan"]["score"]) == 100
    assert rows["Petrov_Petr"]["status"] == "graded"
    assert rows["Sidorov_Sidor"]["status"] == "not_found"  # a linked task folder is nobody's work


# --- stopping a class run ----------------------------------------------------------------

def test_sigterm_to_a_class_run_kills_every_grader(tmp_path):
    folder = tmp_path / "hung-class"
    for name in ("one", "two", "three"):
        (folder / name).mkdir(parents=True)
        (folder / name / "server.py").write_text("import socket\nwhile True:\n    pass  # never binds\n")
    before = snapshot()
    command = [sys.executable, "-m", "autograder", str(folder), "--batch", "--jobs", "2", "--lang", "en"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment(),
                               cwd=str(ROOT), start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(graders_of(folder)) < 2:
            time.sleep(0.2)
        assert len(graders_of(folder)) >= 2, "the graders never started"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        assert survivors([str(folder)], wait=20, before=before) == []
    finally:
        kill_group(process)


def graders_of(folder: Path) -> list:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        command = " ".join(proc.info["cmdline"] or [])
        if "--single" in command and str(folder) in command:
            found.append(proc)
    return found


# --- the report pipe, names on a terminal ------------------------------------------------------

@pytest.mark.timeout(10)
def test_events_with_impossible_ports_or_hosts_are_dropped():
    assert sandbox.valid_event({"ev": "listen", "port": 9090})
    assert sandbox.valid_event({"ev": "bind", "host": "127.0.0.1", "port": 0})
    assert not sandbox.valid_event({"ev": "listen", "port": 99999})
    assert not sandbox.valid_event({"ev": "listen", "port": "22"})
    assert not sandbox.valid_event({"ev": "bind", "host": "example.org", "port": 22})
    assert not sandbox.valid_event(["listen"])


@pytest.mark.timeout(10)
def test_c1_controls_and_escapes_never_reach_a_terminal():
    shown = visible("a\x1b[5mb\x9b5mc\x85")
    assert "\x1b" not in shown and "\x9b" not in shown and "\x85" not in shown
    assert batch.safe_name("x\x1b[5m\x9by") == "x_[5m_y"


# --- the package cache, the sweep ----------------------------------------------------------------

@POSIX_ROOT
@pytest.mark.timeout(20)
def test_a_package_cache_someone_else_could_write_is_never_trusted(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o755)
    monkeypatch.setenv("CHATLAB_PACKAGE_CACHE", str(cache))
    planted = packages.cache_root() / packages_key(["colorama"])
    planted.mkdir()
    (planted / ".complete").write_text("colorama")
    os.chown(planted, PRIVATE_UIDS[0], PRIVATE_UIDS[0])  # a student's uid made it first
    with pytest.raises(packages.PackageError):
        packages.install(["colorama"])
    os.chmod(cache, 0o777)
    with pytest.raises(packages.PackageError):
        packages.install(["termcolor"])
    monkeypatch.delenv("CHATLAB_PACKAGE_CACHE")
    assert not str(packages.cache_root()).startswith(("/tmp", "/var/tmp", "/dev/shm"))


def packages_key(names) -> str:
    import hashlib

    return hashlib.sha256(",".join(sorted(names)).encode("utf-8")).hexdigest()[:16]


@POSIX_ROOT
@pytest.mark.timeout(20)
def test_the_sweep_never_follows_links_nor_enters_another_uids_folder(tmp_path):
    top = tmp_path / "scratch"
    top.mkdir()
    os.chmod(top, 0o1777)
    student, other = PRIVATE_UIDS[0], PRIVATE_UIDS[0] + 1
    keep = tmp_path / "precious"
    keep.mkdir()
    (keep / "file").write_text("keep me")
    mine = top / "mine"
    mine.mkdir()
    (mine / "escape").symlink_to(keep)  # a link planted inside the student's own folder
    theirs = top / "theirs"
    theirs.mkdir()
    os.chmod(theirs, 0o777)
    (theirs / "bait").symlink_to(keep)
    for path in (mine, mine / "escape", theirs / "bait"):
        os.chown(path, student, student, follow_symlinks=False)
    os.chown(theirs, other, other)
    containment.remove_owned(top, student)
    assert not mine.exists()
    assert (keep / "file").read_text() == "keep me"
    assert (theirs / "bait").is_symlink()  # inside another uid's folder: not ours to walk


@pytest.mark.timeout(120)
@pytest.mark.parametrize("live", [False, True])
def test_a_file_name_with_escapes_reaches_the_terminal_shown_not_sent(tmp_path, live):
    folder = tmp_path / "escapes"
    folder.mkdir()
    name = os.fsdecode(b"\x1b[5mblink\x9b2J\xc2\x9bserver.py")
    (folder / name).write_text("print('hello')\n")
    command = [sys.executable, "-m", "autograder", str(folder), "--lang", "en"] + (["--live"] if live else [])
    done = subprocess.run(command, capture_output=True, env=environment(), cwd=str(ROOT), timeout=100)
    output = done.stdout + done.stderr
    assert b"blink" in output, output[-2000:]
    assert b"\x1b[5m" not in output and b"\x9b2J" not in output and b"\xc2\x9b" not in output


@POSIX_ROOT
@pytest.mark.timeout(30)
def test_the_sweep_removes_a_uids_sysv_ipc_objects():
    """Without an IPC namespace (a platform that forbids it) the sweep is what ends them."""
    student = PRIVATE_UIDS[0] + 2
    make = ("import ctypes; libc = ctypes.CDLL(None);"
            "libc.shmget.argtypes = [ctypes.c_int, ctypes.c_size_t, ctypes.c_int];"
            "print(libc.shmget(0, 1 << 20, 0o1600), libc.semget(0, 2, 0o1600), libc.msgget(0, 0o1600))")
    python = containment.python_for(student)
    if python is None:
        pytest.skip("no interpreter the student's uid may run")
    subprocess.run([python, "-c", make], user=student, group=student, check=True, timeout=20,
                   capture_output=True)
    owned = lambda uid: uid == student  # noqa: E731
    assert sorted(table for table, _, _ in containment.ipc_objects(owned)) == ["msg", "sem", "shm"]
    containment.sweep_uid(student)
    assert containment.ipc_objects(owned) == []


# --- the kit out of reach, and fewer layers where the platform has fewer ---------------------

def grade_alone(folder: Path, tmp_path: Path, **env) -> dict:
    report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    command = [sys.executable, "-m", "autograder", str(folder), "--json", str(report), "--lang", "en"]
    done = subprocess.run(command, capture_output=True, env=dict(environment(), **env), cwd=str(ROOT), timeout=200)
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    return json.loads(report.read_text(encoding="utf-8"))


def test_the_kit_is_out_of_reach_of_a_student_graded_alone(tmp_path):
    report = grade_alone(FIXTURES / "hostile" / "run_reference", tmp_path)
    if "student-root" not in report["sandbox"]:
        pytest.skip("no root of its own here (not root, or no mount namespace)")
    assert {"hidepid", "private-tmpfs", "ipc-namespace"} <= set(report["sandbox"])
    assert report["score"] == 0


def test_without_the_optional_layers_grading_still_works_and_says_so(tmp_path):
    report = grade_alone(REFERENCE, tmp_path, CHATLAB_SANDBOX="basic")
    assert report["score"] == 100
    assert set(report["sandbox"]) == set(containment.base_layers())
