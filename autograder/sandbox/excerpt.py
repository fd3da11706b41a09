"""What a program printed, as a student should read it.

Two pure steps.  ``student_traceback`` (when the output is recorded) keeps
of every Python traceback only the student's own frames — the grader's
harness (``child.py``, ``runpy``), the standard library and ``<frozen …>``
frames are not the student's to read — and names the student's files
relative to the submission.  ``tail`` (when a report is rendered) keeps
the end of the output, cut at a line boundary, and says how many earlier
lines were left out.  Output is stored raw; invisible characters are marked
once, by the renderer.
"""
from __future__ import annotations

import re
from pathlib import PurePath
from typing import Optional, Tuple

_FRAME = re.compile(r'^(?P<indent>\s*)File "(?P<file>[^"]+)", line (?P<line>\d+)(?P<rest>.*)$')
_HEADER = "Traceback (most recent call last):"


def student_traceback(text: str, own_dir: Optional[str]) -> str:
    """``text`` with every traceback frame outside ``own_dir`` dropped (with its source line).

    A frame's source line is the indented line after ``File "…"``, and the
    caret lines under it; a frame kept has its path made relative to ``own_dir``.
    """
    if not text or "File \"" not in text:
        return text
    root = str(PurePath(own_dir)) + "/" if own_dir else None
    out, keeping, frame_indent = [], True, None
    for line in text.split("\n"):
        frame = _FRAME.match(line)
        if frame:
            path = frame.group("file")
            keeping = root is not None and path.startswith(root)
            frame_indent = len(frame.group("indent"))
            if keeping:
                relative = path[len(root):]
                out.append(f'{frame.group("indent")}File "{relative}", line {frame.group("line")}{frame.group("rest")}')
            continue
        below = frame_indent is not None and len(line) - len(line.lstrip()) > frame_indent and line.strip()
        if below:
            if keeping:
                out.append(line)
            continue
        frame_indent, keeping = None, True
        out.append(line)
    return "\n".join(out)


def tail(text: str, limit: int) -> Tuple[str, int]:
    """The last lines of ``text`` that fit in ``limit`` characters, and how many lines came before.

    Never starts mid-line: a single last line longer than ``limit`` is kept
    from its start and cut at its end instead."""
    lines = text.rstrip("\n").split("\n")
    kept, size = [], 0
    for line in reversed(lines):
        if kept and size + len(line) + 1 > limit:
            break
        kept.append(line)
        size += len(line) + 1
    kept.reverse()
    if len(kept) == 1 and len(kept[0]) > limit:
        kept[0] = kept[0][:limit] + "…"
    return "\n".join(kept), len(lines) - len(kept)


def describe_program(child, limit: int = 1500, show_screen: bool = False) -> Optional[str]:
    """What a program said on its own: exceptions in its threads, stderr's end,
    and for a client (whose stdout is the screen) the screen's end.

    Raw text (renderers mark invisible characters), tracebacks cut down to the
    student's own frames, excerpts starting at a line."""
    own_dir = child.seen_workdir
    lines = []
    for event in child.all("thread_exception") + child.all("exception"):
        lines.append(f"{event.get('type')}: {event.get('message')} "
                     f"({event.get('file')}:{event.get('line')}: {event.get('code')})")
    end = tail(child.stderr.text, limit)[0].strip()
    if end:
        lines.append(student_traceback(end, own_dir))
    if show_screen:
        screen = tail(child.stdout.text, limit // 2)[0].strip()
        if screen:
            lines.append(student_traceback(screen, own_dir))
    return "\n".join(lines) or None
