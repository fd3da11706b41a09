"""Helpers for the tests of batch grading and containment.

Graders started here give student code uids from a range of their own
(``CHATLAB_SANDBOX_UIDS``), so "nothing survived" can be checked exactly:
no process and no file of those uids, and no process that names the marker
or the folders of the run.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Dict, Iterable, List

import psutil

from autograder.sandbox import containment
from grading_helpers import ROOT


def _worker_number() -> int:
    """0 outside xdist, else N of ``gwN``: each worker watches uids of its own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) + 1 if worker.startswith("gw") and worker[2:].isdigit() else 0


# Tests on other workers grade at the same time; "nothing survived" and "nothing
# left" must not see their students, so each worker has its own range and marker
# (not a scheduling group: pytest-xdist's loadgroup has broken before).
# Checkouts tested side by side on one machine (worktrees) get ranges of their own too.
_CHECKOUT = 200000 + 1000 * (zlib.crc32(str(ROOT).encode("utf-8")) % 1000)
PRIVATE_UIDS = (_CHECKOUT + 100 * _worker_number(), _CHECKOUT + 99 + 100 * _worker_number())
MARKER = f"chatlab-hostile-w{_worker_number()}"
SCRATCH = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def environment() -> dict:
    return dict(os.environ, COLUMNS="200", CHATLAB_SANDBOX_UIDS=f"{PRIVATE_UIDS[0]}-{PRIVATE_UIDS[1]}")


def autograde(*args, timeout: float) -> subprocess.CompletedProcess:
    """Run ``autograde`` as a user does; on timeout its whole group is killed."""
    command = [sys.executable, "-m", "autograder", *map(str, args)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment(),
                               cwd=str(ROOT), start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        output, _ = process.communicate()
        raise AssertionError(f"autograde {args} ran over {timeout} s:\n{output.decode('utf-8', 'replace')[-3000:]}")
    finally:
        kill_group(process)
    return subprocess.CompletedProcess(command, process.returncode, output.decode("utf-8", "replace"), "")


def kill_group(process: subprocess.Popen) -> None:
    try:
        victims = psutil.Process(process.pid).children(recursive=True)
    except psutil.Error:
        victims = []
    try:
        os.killpg(process.pid, 9)
    except OSError:
        pass
    for victim in victims:
        try:
            victim.kill()
        except psutil.Error:
            pass


def tree_hash(root: Path) -> Dict[str, str]:
    """Every file and folder under ``root``: content hash and mode."""
    found = {}
    for path in sorted(Path(root).rglob("*")):
        info = path.lstat()
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not path.is_symlink():
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest() + f" {info.st_mode:o}"
        else:
            found[rel] = f"dir-or-link {info.st_mode:o}"
    return found


def copy_tree(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    return target


def _ours(proc: psutil.Process, needles: Iterable[str]) -> bool:
    try:
        uids = proc.uids()
        if any(PRIVATE_UIDS[0] <= uid <= PRIVATE_UIDS[1] for uid in uids):
            return True
        command = " ".join(proc.cmdline())
    except psutil.Error:
        return False
    return any(needle in command for needle in needles)


def snapshot() -> dict:
    """What already exists before a test grades anything: another test of the
    same group may have been killed mid-run, and its leftovers are not ours."""
    return {"pids": {p.pid for p in psutil.process_iter() if _ours(p, [MARKER])}, "files": set(leftover_files()),
            "ipc": set(ipc_objects())}


def survivors(needles: Iterable[str] = (), wait: float = 10.0, before: dict = None) -> List[str]:
    """Processes of the private uids or naming a needle, after waiting up to ``wait`` s for them to go."""
    needles = [MARKER, *needles]
    known = (before or {}).get("pids", set())
    deadline = time.monotonic() + wait
    while True:
        me = os.getpid()
        found = [p for p in psutil.process_iter() if p.pid != me and p.pid not in known and _ours(p, needles)]
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    out = []
    for proc in found:
        try:
            out.append(f"{proc.pid} uid={proc.uids().real} {' '.join(proc.cmdline())[:200]}")
        except psutil.Error:
            pass
    return out


def leftover_files(before: dict = None) -> List[str]:
    """Files the private uids left where anyone may write (and were not there ``before``)."""
    known = (before or {}).get("files", set())
    left = []
    for top in SCRATCH:
        for folder, dirs, files in os.walk(top):
            depth = Path(folder).relative_to(top).parts
            if len(depth) > 3:
                dirs[:] = []
            for name in dirs + files:
                path = os.path.join(folder, name)
                try:
                    uid = os.lstat(path).st_uid
                except OSError:
                    continue
                if PRIVATE_UIDS[0] <= uid <= PRIVATE_UIDS[1] and path not in known:
                    left.append(path)
    return left


def ipc_objects(before: dict = None) -> List[str]:
    """SysV shared memory, queues and semaphores of the private uids (that were not there ``before``)."""
    known = (before or {}).get("ipc", set())
    found = [f"{table} {id_} uid={uid}" for table, id_, uid in
             containment.ipc_objects(lambda uid: PRIVATE_UIDS[0] <= uid <= PRIVATE_UIDS[1])]
    return [name for name in found if name not in known]
