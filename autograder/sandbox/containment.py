"""What stands between student code and the machine, layer by layer.

Student code is hostile until proven otherwise.  ``sandbox.Child`` always
gives it a process of its own (own session and process group), resource
limits, a temp copy of the submission as working directory, capped output,
and a kill of the whole tree at the end.  This module adds what the OS and
our privileges allow on top, detects what worked, and names every active
layer (``Report.sandbox``), so a report never claims more than was true:

``pid-namespace``, ``net-namespace``
    Linux, ``unshare`` permitted.  The *grader process itself* re-executes
    inside ``unshare --net --pid --fork --mount-proc --kill-child``: the
    scripted clients live in the grader and must reach the student's server,
    so both share one network namespace with only ``lo`` (brought up here),
    nothing reaches beyond it, and the grader is PID 1 of a namespace whose
    every process the kernel kills when the grader ends.  Non-root users get
    the same through a user namespace (``--map-root-user``) where allowed.
``small-tcp-buffers``
    Inside our own network namespace the TCP buffer sysctls are ours to
    shrink, so a flood stalls the flooder rather than filling memory.
``uid``
    When the grader runs as root, student code runs as a dedicated
    unprivileged uid (one per submission, no passwd entry): it cannot signal
    the grader, read or write its reports, touch the submissions, or reach
    another submission's processes, and everything it leaves behind (a
    process, a file in /tmp) carries that uid and is swept at the end.  With
    a uid of its own, ``RLIMIT_NPROC`` caps its processes and threads.
``cgroup``
    Root with a writable cgroup hierarchy: one memory and pids cap for the
    grader of one submission and everything below it (a fork that allocates
    cannot multiply its memory limit).
``subreaper``
    Linux: the grader adopts orphans, so a grandchild that called ``setsid``
    to leave the process group is still found and killed.

Everything here is best effort and degrades quietly: containers that forbid
``unshare``, macOS and Windows simply get fewer layers, and say so.
"""
from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Set

import psutil

from autograder.sandbox import student_root

LINUX = sys.platform.startswith("linux")
POSIX = os.name == "posix"

# Set by the parent for the re-executed grader: "root" (plain namespaces, we
# are real root) or "user" (inside a user namespace; root only in name).
NAMESPACE_ENV = "CHATLAB_NAMESPACE"
# A batch hands each of its graders a uid of its own.
UID_ENV = "CHATLAB_SANDBOX_UID"
# "basic" turns the optional layers off (debugging, or a platform that lies).
MODE_ENV = "CHATLAB_SANDBOX"

UID_RANGE = (61000, 64999)  # no passwd entries there on any distribution we know
UID_RANGE_ENV = "CHATLAB_SANDBOX_UIDS"  # "FIRST-LAST" to use other uids (tests watch a range of their own)
STUDENT_PROCESSES = 512  # RLIMIT_NPROC for a dedicated uid: threads count too
CGROUP_MEMORY = 3 * 1024**3  # the grader of one submission and all below it
CGROUP_PIDS = 1024
TCP_BUFFERS = "4096 16384 65536"
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")  # where any uid may write
UNSHARE_FLAGS = ["--net", "--pid", "--ipc", "--fork", "--mount-proc", "--kill-child"]

BASE_LAYERS_POSIX = ["session", "rlimits", "temp-copy", "output-cap", "kill-tree"]
BASE_LAYERS_WINDOWS = ["process-group", "temp-copy", "output-cap", "kill-tree"]


@dataclass
class Policy:
    """How children are started, and what to clean up afterwards."""

    uid: Optional[int] = None
    gid: Optional[int] = None
    python: Optional[str] = None  # an interpreter the uid can run
    harness: Optional[Path] = None  # a copy of harness/child.py the uid can read
    runtime_dir: Optional[Path] = None
    root: Optional[student_root.StudentRoot] = None  # the filesystem student code sees, if it has its own
    namespace: Optional[str] = None
    dedicated: bool = False  # this process exists to grade: its stray children are student code
    cgroups: List[Path] = field(default_factory=list)
    active: List[str] = field(default_factory=list)
    notes: Dict[str, str] = field(default_factory=dict)  # why a layer is missing
    _children: Set[int] = field(default_factory=set)
    _cleaned: bool = False
    # Children start and stop in several threads at once (the client session
    # runs beside the server checks): a child just started must be registered
    # before another thread's sweep could take it for an escapee.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- what sandbox.Child asks -------------------------------------------
    def environment(self, env: dict, workdir: Path) -> dict:
        if self.root is not None:
            return dict(env, HOME=self.root.inside(workdir), TMPDIR="/tmp", TMP="/tmp", TEMP="/tmp")
        if self.uid is not None:
            env = dict(env, HOME=str(workdir))
        return env

    def popen_kwargs(self) -> dict:
        if self.uid is None:
            return {}
        if self.root is not None:  # unshare changes root and uid after the exec
            return {"umask": 0o077}
        return {"user": self.uid, "group": self.gid, "extra_groups": [], "umask": 0o077}

    def command(self, argv: List[str], workdir: Path) -> List[str]:
        """The command that starts a child: ``argv`` as is, or run inside the student's root."""
        if self.root is None:
            return argv
        return self.root.command(argv, workdir, self.uid, self.gid)

    def child_config(self, config: dict) -> dict:
        """The harness's settings with paths as the child sees them."""
        if self.root is None:
            return config
        return dict(config, script=self.root.inside(config["script"]),
                    paths=[self.root.expose(path) for path in config.get("paths", [])])

    def workspace(self) -> Optional[str]:
        """Where temp copies of the submission go (None: the system's temp folder)."""
        return str(self.root.home) if self.root is not None else None

    def child_limits(self) -> dict:
        return {"processes": STUDENT_PROCESSES} if self.uid is not None else {}

    def hand_over(self, workdir: Path) -> None:
        """Make the temp copy the student's: readable and writable by the uid.

        In a root of its own (no other student can see the copy) the Python
        files stay ours in sticky folders anyone may write: the program can add
        files, but cannot swap the sources we read again and start again (for
        a link to a FIFO, or another program for the next check)."""
        if self.uid is None:
            return
        for root, dirs, files in os.walk(workdir):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                with contextlib.suppress(OSError):
                    if self.root is not None and (name == root or name.endswith(".py")):
                        os.chmod(name, 0o1777 if name == root else 0o644)
                    else:
                        os.chown(name, self.uid, self.gid, follow_symlinks=False)

    def spawning(self) -> threading.Lock:
        """Held while a child is started and registered."""
        return self._lock

    def started(self, process: subprocess.Popen) -> None:
        self._children.add(process.pid)

    def stopped(self, process: subprocess.Popen) -> None:
        """After a child's tree was killed: kill what it left adopted by us."""
        with self._lock:
            self._children.discard(process.pid)
            if self.dedicated:  # elsewhere (a notebook's kernel) other children are not ours to kill
                kill_adopted(set(self._children))

    # -- what the report says ------------------------------------------------
    def layers(self) -> List[str]:
        return list(self.active)

    # -- the end -----------------------------------------------------------
    def cleanup(self) -> None:
        if self._cleaned:
            return
        self._cleaned = True
        if self.dedicated:
            kill_adopted(set())
        if self.root is not None:
            self.root.close()
        if self.uid is not None:
            sweep_uid(self.uid)
        for group in self.cgroups:
            leave_and_remove_cgroup(group)
        if self.runtime_dir is not None:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)


_current: Optional[Policy] = None


def current() -> Policy:
    """The active policy; a plain one (no optional layers) until ``activate``."""
    global _current
    if _current is None:
        _current = Policy(active=base_layers())
    return _current


def base_layers() -> List[str]:
    return list(BASE_LAYERS_POSIX if POSIX else BASE_LAYERS_WINDOWS)


# --- entering the namespaces ------------------------------------------------

def isolate(args: Sequence[str]) -> None:
    """Re-execute this grader run inside new namespaces, if the OS allows.

    Returns only when it did not re-execute (already inside, not Linux,
    not permitted, or turned off); otherwise this process becomes
    ``unshare`` and the grader runs as its child with the same arguments.
    """
    if not LINUX or os.environ.get(NAMESPACE_ENV) or os.environ.get(MODE_ENV) == "basic":
        return
    prefix, kind = namespace_prefix()
    if not prefix:
        return
    os.environ[NAMESPACE_ENV] = kind
    sys.stdout.flush()
    sys.stderr.flush()
    command = prefix + [sys.executable, "-m", "autograder", *args]
    try:
        os.execv(command[0], command)
    except OSError:
        os.environ.pop(NAMESPACE_ENV, None)  # carry on without namespaces


_prefix_cache: Optional[tuple] = None


def namespace_prefix() -> tuple:
    """(argv prefix, "root" | "user") that puts a command in new namespaces, or ([], "")."""
    global _prefix_cache
    if _prefix_cache is not None:
        return _prefix_cache
    _prefix_cache = ([], "")
    unshare = shutil.which("unshare")
    if not LINUX or unshare is None:
        return _prefix_cache
    attempts = []
    if os.geteuid() == 0:
        attempts.append(([unshare] + UNSHARE_FLAGS, "root"))
    attempts.append(([unshare, "--user", "--map-root-user"] + UNSHARE_FLAGS, "user"))
    for prefix, kind in attempts:
        try:
            done = subprocess.run(prefix + ["true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, timeout=10)
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            _prefix_cache = (prefix, kind)
            break
    return _prefix_cache


# --- activation inside the grader ----------------------------------------------

def activate() -> Policy:
    """Set up every layer this process can have; the result is ``current()``."""
    global _current
    policy = Policy(active=base_layers(), dedicated=True)
    _current = policy
    if os.environ.get(MODE_ENV) == "basic":
        policy.notes["all"] = f"{MODE_ENV}=basic"
        return policy
    if LINUX and become_subreaper():
        policy.active.append("subreaper")
    namespace = os.environ.get(NAMESPACE_ENV)
    if namespace:
        policy.namespace = namespace
        if bring_up_loopback():
            policy.active += ["pid-namespace", "net-namespace", "ipc-namespace"]
            if shrink_tcp_buffers():
                policy.active.append("small-tcp-buffers")
        else:
            policy.notes["namespace"] = "loopback could not be brought up"
    elif LINUX:
        policy.notes["namespace"] = "unshare not permitted here"
    if POSIX and os.geteuid() == 0 and namespace != "user":
        drop_to_uid(policy)
    elif POSIX:
        policy.notes["uid"] = "the grader does not run as root"
    if policy.uid is not None:
        policy.cgroups = make_cgroups(f"chatlab-uid{policy.uid}")
        if policy.cgroups:
            policy.active.append("cgroup")
    atexit.register(policy.cleanup)
    return policy


def become_subreaper() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def bring_up_loopback() -> bool:
    """``ip link set lo up``, without needing ``ip``."""
    try:
        import fcntl
        import struct

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            request = struct.pack("16sH14s", b"lo", 0, b"")
            flags = struct.unpack("16sH", fcntl.ioctl(sock, 0x8913, request)[:18])[1]  # SIOCGIFFLAGS
            if not flags & 0x1:  # IFF_UP
                fcntl.ioctl(sock, 0x8914, struct.pack("16sH14s", b"lo", flags | 0x1, b""))  # SIOCSIFFLAGS
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
        return True
    except (OSError, ImportError):
        return False


def shrink_tcp_buffers() -> bool:
    done = True
    for name in ("tcp_rmem", "tcp_wmem"):
        try:
            with open(f"/proc/sys/net/ipv4/{name}", "w") as handle:
                handle.write(TCP_BUFFERS)
        except OSError:
            done = False
    return done


# --- a uid of its own ---------------------------------------------------------

def drop_to_uid(policy: Policy) -> None:
    wanted = os.environ.get(UID_ENV)
    uid = int(wanted) if wanted and wanted.isdigit() else free_uid()
    if uid is None:
        policy.notes["uid"] = "no free uid"
        return
    python = python_for(uid)
    if python is None:
        policy.notes["uid"] = "no Python interpreter the unprivileged uid may run"
        return
    runtime = Path(tempfile.mkdtemp(prefix=f"chatlab-run-{uid}-"))  # named so a batch can sweep it
    os.chmod(runtime, 0o755)
    policy.uid, policy.gid, policy.python = uid, uid, python
    policy.runtime_dir = runtime
    policy.active.append("uid")
    if policy.namespace == "root":  # a mount namespace of our own, and real root to build in it
        try:
            policy.root = student_root.build(runtime, python)
            policy.active += ["student-root", "hidepid", "private-tmpfs"]
        except OSError as error:
            policy.notes["student-root"] = str(error)
    folder = runtime / "chatlab" if policy.root is not None else runtime
    harness = folder / "child.py"
    shutil.copyfile(Path(__file__).with_name("harness") / "child.py", harness)
    os.chmod(harness, 0o644)
    policy.harness = Path(policy.root.inside(harness)) if policy.root is not None else harness
    if policy.root is not None:
        policy.python = os.path.realpath(python)  # a venv's link would point outside the root


def free_uid(exclude: Sequence[int] = ()) -> Optional[int]:
    """A uid with no passwd entry and no process, from ``UID_RANGE``."""
    import pwd

    used = set(exclude)
    for proc in psutil.process_iter(["uids"]):
        with contextlib.suppress(psutil.Error, TypeError):
            used.update(proc.info["uids"])
    first, last = uid_range()
    candidates = list(range(first, last + 1))
    random.shuffle(candidates)
    for uid in candidates:
        if uid in used:
            continue
        try:
            pwd.getpwuid(uid)
        except KeyError:
            if reserve_uid(uid):
                return uid
    return None


_reserved: Dict[int, int] = {}  # uid -> the descriptor whose lock claims it, held for our whole life


def reserve_uid(uid: int) -> bool:
    """Claim ``uid`` against every other grader on this machine.

    "No process has it" is not enough: two classes graded at once would both
    pick a uid before either started a process on it, and each one's sweep
    would kill the other's students.  An exclusive ``flock`` on a file named
    after the uid, in a folder only we may write, is the claim; the kernel lets
    go of it when we exit, however we exit.
    """
    if uid in _reserved:
        return True
    folder = _reservation_folder()
    if folder is None:
        return True  # nowhere safe to keep claims: process-free is the best we know
    import fcntl

    try:
        fd = os.open(folder / str(uid), os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _reserved[uid] = fd
    return True


def _reservation_folder() -> Optional[Path]:
    """``<tmp>/chatlab-uid-claims``, made by us; refused if anyone else could write in it."""
    if not POSIX:
        return None
    folder = Path(tempfile.gettempdir()) / "chatlab-uid-claims"
    with contextlib.suppress(FileExistsError, OSError):
        folder.mkdir(mode=0o755)
    try:
        info = folder.lstat()
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        return None
    return folder


def uid_range() -> tuple:
    wanted = os.environ.get(UID_RANGE_ENV, "")
    try:
        first, last = (int(part) for part in wanted.split("-", 1))
        if 1000 <= first <= last:
            return first, last
    except ValueError:
        pass
    return UID_RANGE


def free_uids(count: int) -> List[int]:
    found: List[int] = []
    for _ in range(count):
        uid = free_uid(found)
        if uid is None:
            break
        found.append(uid)
    return found


_python_cache: Dict[int, Optional[str]] = {}


def python_for(uid: int) -> Optional[str]:
    """The first interpreter (3.9+) the uid can actually run.

    Ours may live where the uid cannot read (a pyenv under /root); student
    code only needs the standard library, so the system Python will do.
    """
    if uid in _python_cache:
        return _python_cache[uid]
    candidates = [sys.executable, os.path.realpath(sys.executable), getattr(sys, "_base_executable", ""),
                  "/usr/bin/python3", "/usr/local/bin/python3", shutil.which("python3") or ""]
    found = None
    for candidate in dict.fromkeys(c for c in candidates if c):
        try:
            done = subprocess.run(
                [candidate, "-I", "-c", "import sys; print(sys.version_info >= (3, 9))"],
                user=uid, group=uid, extra_groups=[], cwd="/", env={"PATH": os.environ.get("PATH", "")},
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError, ValueError):
            continue
        if done.returncode == 0 and done.stdout.strip() == "True":
            found = candidate
            break
    _python_cache[uid] = found
    return found


# --- sweeping up ------------------------------------------------------------

def kill_adopted(keep: Set[int]) -> None:
    """Kill and reap our direct children that we did not start ourselves.

    With the subreaper bit (or as PID 1 of a namespace) every orphan of the
    student's tree is re-parented to us; those are the escapees.  The
    grader starts no other processes while it grades.
    """
    if not POSIX:
        return
    try:
        victims = [c for c in psutil.Process().children() if c.pid not in keep]
    except psutil.Error:
        return
    for child in victims:
        with contextlib.suppress(psutil.Error):
            child.kill()
    psutil.wait_procs(victims, timeout=2)  # reaps them: zombies count against RLIMIT_NPROC


def processes_of(uids: Sequence[int]) -> List[psutil.Process]:
    """Every live process of these uids."""
    found = []
    for proc in psutil.process_iter(["uids", "status"]):
        with contextlib.suppress(psutil.Error, TypeError):
            if proc.info["status"] != psutil.STATUS_ZOMBIE and set(proc.info["uids"]) & set(uids):
                found.append(proc)
    return found


def sweep_uid(uid: int) -> None:
    """Kill every process of ``uid`` and remove what it wrote where anyone may write."""
    if not POSIX:
        return
    for _ in range(3):
        victims = []
        for proc in psutil.process_iter(["uids"]):
            with contextlib.suppress(psutil.Error, TypeError):
                if uid in proc.info["uids"]:
                    victims.append(proc)
        if not victims:
            break
        for proc in victims:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(victims, timeout=2)
    remove_ipc_of(uid)
    for top in SCRATCH_DIRS:
        remove_owned(Path(top), uid)


# Where the kernel lists SysV IPC objects: (file in /proc/sysvipc, column of the owner's uid).
_IPC_TABLES = (("shm", 7), ("msg", 7), ("sem", 4))
IPC_RMID = 0


def remove_ipc_of(uid: int) -> None:
    """Remove the SysV shared memory, message queues and semaphores ``uid`` owns.

    Inside the grader's IPC namespace they die with it anyway; without one they
    would outlive grading (2 x 256 MB per submission, across a class)."""
    objects = ipc_objects(lambda owner: owner == uid)
    if not objects:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    removers = {"shm": lambda id_: libc.shmctl(id_, IPC_RMID, None),
                "msg": lambda id_: libc.msgctl(id_, IPC_RMID, None),
                "sem": lambda id_: libc.semctl(id_, 0, IPC_RMID)}
    for table, id_, _ in objects:
        removers[table](id_)


def ipc_objects(owned_by: Callable[[int], bool]) -> List[tuple]:
    """(table, id, uid) of the SysV IPC objects in our IPC namespace whose owner passes ``owned_by``."""
    found = []
    for table, uid_column in _IPC_TABLES:
        try:
            lines = Path(f"/proc/sysvipc/{table}").read_text().splitlines()[1:]
        except OSError:
            continue  # not Linux, or no SysV IPC
        for line in lines:
            fields = line.split()
            if len(fields) > uid_column and owned_by(int(fields[uid_column])):
                found.append((table, int(fields[1]), int(fields[uid_column])))
    return found


_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)


def remove_owned(top: Path, uid: int, depth: int = 4) -> None:
    """Delete entries owned by ``uid`` below ``top``.

    Another student may still run and rename folders under us, so nothing is
    done by path: every step is relative to a descriptor of a folder already
    opened (no link followed), and we descend only into folders owned by root
    (``/tmp/.X11-unix``), never into one another uid could swap."""
    try:
        fd = os.open(top, _DIRECTORY)
    except OSError:
        return
    try:
        _remove_owned_at(fd, uid, depth)
    finally:
        os.close(fd)


def _remove_owned_at(fd: int, uid: int, depth: int) -> None:
    try:
        names = os.listdir(fd)
    except OSError:
        return
    for name in names:
        try:
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except OSError:
            continue
        if info.st_uid == uid:
            _remove_at(fd, name, stat.S_ISDIR(info.st_mode))
        elif stat.S_ISDIR(info.st_mode) and depth > 0 and info.st_uid == 0 and info.st_mode & stat.S_IWOTH:
            # Only a world-writable folder can hold what the uid wrote.
            with contextlib.suppress(OSError):
                inner = os.open(name, _DIRECTORY, dir_fd=fd)
                try:
                    if os.fstat(inner).st_uid == 0:
                        _remove_owned_at(inner, uid, depth - 1)
                finally:
                    os.close(inner)


def _remove_at(fd: int, name: str, is_dir: bool, depth: int = 64) -> None:
    """Remove ``name`` in the folder ``fd``: a file, or a folder with all below it."""
    with contextlib.suppress(OSError):
        if not is_dir:
            os.unlink(name, dir_fd=fd)
            return
        inner = os.open(name, _DIRECTORY, dir_fd=fd)
        try:
            for child in os.listdir(inner):
                with contextlib.suppress(OSError):
                    child_is_dir = stat.S_ISDIR(os.stat(child, dir_fd=inner, follow_symlinks=False).st_mode)
                    if depth > 0 or not child_is_dir:
                        _remove_at(inner, child, child_is_dir, depth - 1)
        finally:
            os.close(inner)
        os.rmdir(name, dir_fd=fd)


# --- cgroups ----------------------------------------------------------------------

def make_cgroups(name: str) -> List[Path]:
    """Create memory and pids cgroups below our own and move this process in."""
    if not LINUX or os.geteuid() != 0:
        return []
    made = []
    for directory, limits in _cgroup_plan(name):
        try:
            directory.mkdir(exist_ok=True)
            for file, value in limits.items():
                (directory / file).write_text(str(value))
            (directory / "cgroup.procs").write_text("0")
            made.append(directory)
        except OSError:
            with contextlib.suppress(OSError):
                directory.rmdir()
    return made


def _cgroup_plan(name: str) -> List[tuple]:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return []
    plan = []
    mounts = _cgroup_mounts()
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        path = path.lstrip("/")
        for controller, limits in (("memory", {"memory.limit_in_bytes": CGROUP_MEMORY}),
                                   ("pids", {"pids.max": CGROUP_PIDS})):
            if controller in controllers.split(",") and controller in mounts:
                plan.append((mounts[controller] / path / name, limits))
        if controllers == "" and "cgroup2" in mounts:
            base = mounts["cgroup2"] / path
            try:
                enabled = (base / "cgroup.subtree_control").read_text().split()
            except OSError:
                enabled = []
            limits = {}
            if "memory" in enabled:
                limits["memory.max"] = CGROUP_MEMORY
            if "pids" in enabled:
                limits["pids.max"] = CGROUP_PIDS
            if limits and not any(p for p, _ in plan):
                plan.append((base / name, limits))
    return plan


def _cgroup_mounts() -> Dict[str, Path]:
    mounts: Dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return mounts
    for line in lines:
        fields = line.split()
        if len(fields) < 4:
            continue
        if fields[2] == "cgroup2":
            mounts.setdefault("cgroup2", Path(fields[1]))
        elif fields[2] == "cgroup":
            for option in fields[3].split(","):
                if option in ("memory", "pids"):
                    mounts[option] = Path(fields[1])
    return mounts


def leave_and_remove_cgroup(directory: Path) -> None:
    with contextlib.suppress(OSError):
        (directory.parent / "cgroup.procs").write_text("0")
    remove_cgroup(directory)


def remove_cgroup(directory: Path) -> None:
    for _ in range(5):
        try:
            pids = [int(p) for p in (directory / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            pids = []
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            directory.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            psutil.wait_procs([p for p in map(_process, pids) if p], timeout=1)


def _process(pid: int) -> Optional[psutil.Process]:
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


def sweep_cgroups(name: str) -> None:
    """Remove cgroups a grader that was killed could not remove itself."""
    for directory, _ in _cgroup_plan(name):
        if directory.is_dir():
            remove_cgroup(directory)


def sweep(uid: Optional[int]) -> None:
    """Everything a finished (or killed) grader with this uid may have left."""
    if uid is None:
        return
    sweep_uid(uid)
    sweep_cgroups(f"chatlab-uid{uid}")
    for runtime in Path(tempfile.gettempdir()).glob(f"chatlab-run-{uid}-*"):  # a killed grader's harness copy
        shutil.rmtree(runtime, ignore_errors=True)
