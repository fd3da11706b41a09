"""Packages an instructor allows a submission to import (``--allow-packages``).

Students reach for ``colorama`` or ``termcolor``; the grading environment has
only the standard library.  The instructor may allow such packages: they are
pip-installed once into a folder of their own (cached by the set of names),
readable by the sandbox's unprivileged uid, and put on the child's
``sys.path`` after the submission's own folder.  Nothing is installed into
the grader's environment.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable, List

from autograder.results import Msg, msg

INSTALL_TIMEOUT = 600  # seconds pip may take


class PackageError(RuntimeError):
    """pip could not install what was allowed (a name that does not exist, no network).

    ``reason`` is what to tell a person: our sentence (a ``Msg``) or pip's own last line.
    """

    def __init__(self, reason) -> None:
        super().__init__(reason.text("en") if isinstance(reason, Msg) else reason)
        self.reason = reason


def names_from(text: str) -> List[str]:
    return sorted({part.strip() for part in (text or "").replace(";", ",").split(",") if part.strip()})


def cache_root() -> Path:
    """Never in a world-writable place: whoever could make ``<tmp>/chatlab-packages/<hash>`` first
    would plant a fake ``colorama`` for every submission graded with it."""
    base = os.environ.get("CHATLAB_PACKAGE_CACHE")
    if base:
        return Path(base)
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home()) / "chatlab" / "packages"
    if os.geteuid() == 0:
        return Path("/var/cache/chatlab/packages")  # readable by the sandbox's uid, unlike /root
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chatlab" / "packages"


def trusted(folder: Path) -> bool:
    """Ours alone: a real folder (not a link), owned by us, writable by no one else."""
    if os.name == "nt":
        return folder.is_dir()
    try:
        info = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid() and not info.st_mode & 0o022


def install(names: Iterable[str]) -> Path:
    """A folder holding ``names`` and what they need; made once per set of names."""
    names = sorted(set(names))
    key = hashlib.sha256(",".join(names).encode("utf-8")).hexdigest()[:16]
    root = cache_root()
    target = root / key
    if trusted(target) and (target / ".complete").is_file():
        return target
    root.mkdir(mode=0o755, parents=True, exist_ok=True)
    if not trusted(root):
        raise PackageError(msg("error.packages.untrusted", folder=str(root)))
    os.chmod(root, 0o755)  # the sandbox's uid reads it
    if trusted(target):  # half made by us: made again
        shutil.rmtree(target, ignore_errors=True)
    if target.exists() or target.is_symlink():  # not ours: never used
        raise PackageError(msg("error.packages.untrusted", folder=str(target)))
    staging = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=root))
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-input", "--target", str(staging)] + names
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT)
    except subprocess.TimeoutExpired as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise PackageError(msg("error.packages.timeout", seconds=INSTALL_TIMEOUT)) from error
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        said = (done.stderr or done.stdout).strip().splitlines()
        raise PackageError(said[-1] if said else msg("error.packages.failed"))
    _readable_by_all(staging)
    (staging / ".complete").write_text(",".join(names), encoding="utf-8")
    try:
        os.replace(staging, target)
    except OSError:  # another grader made it first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _readable_by_all(folder: Path) -> None:
    for path, dirs, files in os.walk(folder):
        os.chmod(path, 0o755)
        for name in files:
            os.chmod(os.path.join(path, name), 0o644)
