"""Reading what a student handed in, from the grader's own process.

Git keeps symlinks, so a submission may hold ``notes.py -> /dev/zero`` or a
link to a FIFO: following it blocks the class run forever or reads until the
grader dies.  Everything the grader reads itself (discovery, static analysis,
class and course detection, similarity, overrides, documents) goes through
here: regular files only, decided by ``lstat`` (a link is never followed),
opened without following and without blocking, and never more than a cap.
Student code never runs here; this is about the grader's own reads.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Union

# Folders never copied or searched: tools', editors' and environments' own.
SKIP_DIRS = {".git", "__pycache__", "venv", ".venv", "env", ".idea", ".vscode", "node_modules", ".mypy_cache"}

MAX_BYTES = 8 * 1024**2  # a chat's source is kilobytes; a report with images inlined, a few MB

_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
          | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))


class NotRegular(OSError):
    """A link, a FIFO, a device or a socket where a file was expected."""


def is_regular(path: Union[str, Path]) -> bool:
    """A regular file itself, not a link to one (never blocks, never follows)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_bytes(path: Union[str, Path], limit: int = MAX_BYTES) -> bytes:
    """At most ``limit`` bytes of a regular file; ``NotRegular`` (an ``OSError``) for anything else."""
    if not is_regular(path):
        raise NotRegular(f"not a regular file: {os.fspath(path)}")
    fd = os.open(path, _FLAGS)  # swapped for a FIFO since the lstat: O_NONBLOCK, and the fstat below
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(f"not a regular file: {os.fspath(path)}")
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1024**2))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
