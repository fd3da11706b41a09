"""The filesystem student code sees: a small root of its own (Linux, as root).

A student's server can read whatever its uid may read: ``/proc/1/cmdline``
names the grader's install, the editable-install finder leads to the kit,
and ``runpy`` of ``reference_solution/tcp/server.py`` earns full marks; the
class folder and earlier reports lie open beside it.  So inside the grader's
private mount namespace (``containment``) we build, once per graded
submission, a root on a size-capped tmpfs, and ``chroot`` every student
program into it (``unshare --root``, then the student's uid):

``/usr /bin /sbin /lib* /etc``
    the system, bound read-only (the interpreter and its standard library);
    an interpreter living elsewhere gets its prefix bound the same way
``/dev``
    null, zero, full, random, urandom, and a ``shm`` folder
``/proc``
    the grader's PID namespace with ``hidepid=2``: a student sees only the
    processes of its own uid (not PID 1, the grader)
``/tmp /var/tmp /run/lock /dev/shm``
    world-writable folders on the tmpfs
``/home/chatlab-*``
    the submission's copies; ``/chatlab`` the harness

Not there: the kit (reference solutions, the grader's source and install),
the class folder, other submissions, reports.  Everything a student writes
lands on the capped tmpfs, which vanishes with the namespace, so no sweep
of shared folders is needed for it.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import threading
from pathlib import Path
from typing import List, Optional, Set

SIZE = 256 * 1024**2  # bytes of the tmpfs: copies, temp files, /dev/shm together
INODES = 20000
SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
WRITABLE = ("tmp", "var/tmp", "run/lock", "dev/shm")

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2

_libc = None


def _mount(source: str, target: Path, fstype: Optional[str], flags: int, data: Optional[str] = None) -> None:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    encode = (lambda text: text.encode() if text is not None else None)
    if _libc.mount(encode(source), encode(str(target)), encode(fstype), ctypes.c_ulong(flags), encode(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {source} on {target}: {os.strerror(error)}")


def _bind_read_only(source: Path, target: Path) -> None:
    _mount(str(source), target, None, MS_BIND | MS_REC)
    _mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID)


class StudentRoot:
    """A built root: host paths in, paths as the student sees them out."""

    def __init__(self, top: Path, unshare: str) -> None:
        self.top = top
        self.unshare = unshare  # util-linux: chroot, chdir, drop to the uid, exec
        self._exposed: Set[str] = set()
        self._lock = threading.Lock()

    def inside(self, path) -> str:
        """``path`` (on our side, under the root) as the student sees it."""
        return "/" + Path(path).resolve().relative_to(self.top.resolve()).as_posix()

    def holds(self, path) -> bool:
        try:
            self.inside(path)
            return True
        except ValueError:
            return False

    def expose(self, folder: str) -> str:
        """A folder of ours (allowed packages) bound read-only at the same path inside."""
        with self._lock:
            if folder not in self._exposed:
                target = self.top / folder.lstrip("/")
                target.mkdir(parents=True, exist_ok=True)
                _bind_read_only(Path(folder), target)
                self._exposed.add(folder)
        return folder

    @property
    def home(self) -> Path:
        return self.top / "home"

    def command(self, argv: List[str], workdir: Path, uid: int, gid: int) -> List[str]:
        """``argv`` run inside the root, in ``workdir``, as ``uid`` (supplementary groups dropped)."""
        return [self.unshare, f"--root={self.top}", f"--wd={self.inside(workdir)}",
                f"--setuid={uid}", f"--setgid={gid}", "--", *argv]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            _libc.umount2(str(self.top).encode(), MNT_DETACH)


def build(top: Path, python: str) -> StudentRoot:
    """Mount a capped tmpfs on ``top`` (an empty folder of ours) and lay the root out; ``OSError`` if we cannot."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise OSError("unshare is missing")
    _mount("none", Path("/"), None, MS_REC | MS_PRIVATE)  # nothing mounted here may reach the host
    _mount("tmpfs", top, "tmpfs", MS_NOSUID | MS_NODEV, f"size={SIZE},nr_inodes={INODES},mode=0755")
    root = StudentRoot(top, unshare)
    try:
        for name in SYSTEM:
            _place(Path("/") / name, top / name)
        prefix = Path(os.path.realpath(python)).parent.parent
        if not (top / prefix.relative_to("/")).exists():
            (top / prefix.relative_to("/")).mkdir(parents=True)
            _bind_read_only(prefix, top / prefix.relative_to("/"))
        (top / "dev").mkdir()
        for device in DEVICES:
            (top / "dev" / device).touch()
            _mount(f"/dev/{device}", top / "dev" / device, None, MS_BIND)
        for number, name in enumerate(("stdin", "stdout", "stderr")):
            os.symlink(f"/proc/self/fd/{number}", top / "dev" / name)
        os.symlink("/proc/self/fd", top / "dev" / "fd")
        (top / "proc").mkdir()
        _mount("proc", top / "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
        for name in WRITABLE:
            (top / name).mkdir(parents=True, exist_ok=True)
            os.chmod(top / name, 0o1777)
        for name in ("home", "chatlab"):
            (top / name).mkdir(mode=0o755)
    except (OSError, ValueError):
        root.close()
        raise
    return root


def _place(source: Path, target: Path) -> None:
    """A system folder inside: the same symlink (merged /usr), or a read-only bind."""
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_dir():
        target.mkdir()
        _bind_read_only(source, target)
