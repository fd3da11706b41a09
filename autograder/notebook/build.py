"""Build the step-by-step notebooks from their text sources.

    python -m autograder.notebook.build           # write notebooks/{student,instructor}/{en,ru}/
    python -m autograder.notebook.build --check   # exit 1 if a committed notebook is stale

The source of truth is ``notebooks/src/NN-name.py``: one file per notebook,
both languages in it, in the "percent" format that jupytext, VS Code and
Spyder understand (``# %%`` starts a cell).  From each source we write four
notebooks: student and instructor, English and Russian.  Output is
deterministic (no outputs, no execution counts, cell ids from content), so
``--check`` and ``tests/test_notebooks.py`` can compare byte for byte.

The format, in full:

``# %% [markdown] lang="en"`` / ``lang="ru"``
    prose; every line starts with ``# `` (or is a bare ``#``).  Every
    markdown cell has a language, and each run of language cells holds as
    many English as Russian cells: a missing translation is a build error.
``# %%`` (optionally ``lang="…"``, ``tags=["…"]``, ``only="student"``/``"instructor"``)
    code, shared by both languages unless ``lang`` is given.
``#[en] text`` / ``#[ru] text`` (a line in a code cell)
    a comment for one language: ``# text`` in that notebook, gone in the other.
``#[en]> code`` / ``#[ru]> code`` (a line in a code cell)
    a line of code for one language (what a shared cell prints, in the
    notebook's language): ``code`` in that notebook, gone in the other.
``# BEGIN SOLUTION`` … ``# END SOLUTION`` (in a code cell)
    the instructor keeps the code; the student gets, at the same indentation,
    the ``# TODO[en]: …`` / ``# TODO[ru]: …`` lines that must open the block,
    as a comment and as ``raise NotImplementedError("TODO: …")``.
``tags=["student-raises-exception"]``
    becomes ``raises-exception`` in the student notebook only (a demo that
    calls unfinished code), so "Run All" goes on past it there, while the
    instructor notebook must run clean.

Lines before the first ``# %%`` are notes for authors and are not copied.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

LANGUAGES = ("en", "ru")
AUDIENCES = ("student", "instructor")
STUDENT_ONLY_TAG = "student-raises-exception"

MARKER = re.compile(r"^# %%(?P<rest>.*)$")
ATTRIBUTE = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\[[^\]]*\])')
LANG_COMMENT = re.compile(r"^(?P<indent>\s*)#\[(?P<lang>en|ru)\] ?(?P<text>.*)$")
LANG_CODE = re.compile(r"^(?P<indent>\s*)#\[(?P<lang>en|ru)\]> ?(?P<code>.*)$")
BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*# END SOLUTION\s*$")
TODO = re.compile(r"^\s*# TODO\[(?P<lang>en|ru)\]: ?(?P<text>.*)$")

BANNER = {
    "en": "*Generated from `{source}` by `python -m autograder.notebook.build` ({audience} version). "
          "Edit the source, not this file.*",
    "ru": "*Создано из `{source}` командой `python -m autograder.notebook.build` ({audience}). "
          "Правьте исходник, а не этот файл.*",
}
AUDIENCE_NAMES = {"en": {"student": "student", "instructor": "instructor"},
                  "ru": {"student": "версия для студентов", "instructor": "версия для преподавателя"}}


class SourceError(ValueError):
    """A mistake in a notebook source, with the line it is on."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")


@dataclass
class Cell:
    kind: str  # "markdown" | "code"
    lines: List[str]
    line: int  # where the cell starts in the source, for error messages
    lang: Optional[str] = None
    tags: List[str] = field(default_factory=list)
    only: Optional[str] = None


# -- reading a source ----------------------------------------------------------------
def parse(text: str, path: Path = Path("<source>")) -> List[Cell]:
    cells: List[Cell] = []
    current: Optional[Cell] = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        match = MARKER.match(line)
        if match:
            current = _new_cell(match.group("rest"), number, path)
            cells.append(current)
        elif current is not None:
            current.lines.append(line)
    for cell in cells:
        while cell.lines and not cell.lines[-1].strip():
            cell.lines.pop()
        while cell.lines and not cell.lines[0].strip():
            cell.lines.pop(0)
        if cell.kind == "markdown":
            cell.lines = [_unprefix(l, path, cell) for l in cell.lines]
    _validate(cells, path)
    return cells


def _new_cell(rest: str, number: int, path: Path) -> Cell:
    kind = "code"
    rest = rest.strip()
    if rest.startswith("[markdown]"):
        kind, rest = "markdown", rest[len("[markdown]"):]
    cell = Cell(kind, [], number)
    consumed = ATTRIBUTE.sub("", rest).strip()
    if consumed:
        raise SourceError(path, number, f"cannot read cell options {consumed!r}")
    for key, value in ATTRIBUTE.findall(rest):
        value = json.loads(value)
        if key == "lang":
            if value not in LANGUAGES:
                raise SourceError(path, number, f"lang must be one of {LANGUAGES}")
            cell.lang = value
        elif key == "tags":
            cell.tags = [str(v) for v in value]
        elif key == "only":
            if value not in AUDIENCES:
                raise SourceError(path, number, f"only must be one of {AUDIENCES}")
            cell.only = value
        else:
            raise SourceError(path, number, f"unknown cell option {key!r}")
    return cell


def _unprefix(line: str, path: Path, cell: Cell) -> str:
    if line == "#":
        return ""
    if line.startswith("# "):
        return line[2:]
    raise SourceError(path, cell.line, f"markdown lines must start with '# ': {line!r}")


def _validate(cells: List[Cell], path: Path) -> None:
    run: List[Cell] = []
    for cell in cells + [Cell("code", [], 0)]:
        if cell.kind == "markdown" and cell.lang is None:
            raise SourceError(path, cell.line, "a markdown cell needs lang=\"en\" or lang=\"ru\"")
        if cell.lang is not None:
            run.append(cell)
            continue
        if run:
            counts = {lang: sum(c.lang == lang for c in run) for lang in LANGUAGES}
            if len(set(counts.values())) != 1:
                raise SourceError(path, run[0].line, f"untranslated cells here: {counts}")
        run = []
    for cell in cells:
        if cell.kind == "code":
            _solutions(cell, "en", "student", path)  # raises on a malformed block


# -- turning a source into one notebook ------------------------------------------------
def _solutions(cell: Cell, lang: str, audience: str, path: Path) -> List[str]:
    out: List[str] = []
    lines = cell.lines
    index = 0
    while index < len(lines):
        line = lines[index]
        begin = BEGIN.match(line)
        if END.match(line):
            raise SourceError(path, cell.line + index + 1, "END SOLUTION without BEGIN SOLUTION")
        if not begin:
            out.append(line)
            index += 1
            continue
        indent = begin.group("indent")
        todos: Dict[str, List[str]] = {l: [] for l in LANGUAGES}
        index += 1
        while index < len(lines) and TODO.match(lines[index]):
            todo = TODO.match(lines[index])
            todos[todo.group("lang")].append(todo.group("text").strip())
            index += 1
        if not all(todos.values()):
            raise SourceError(path, cell.line + index, "a solution block starts with # TODO[en]: and # TODO[ru]: lines")
        body = []
        while index < len(lines) and not END.match(lines[index]):
            if BEGIN.match(lines[index]):
                raise SourceError(path, cell.line + index + 1, "nested BEGIN SOLUTION")
            body.append(lines[index])
            index += 1
        if index == len(lines):
            raise SourceError(path, cell.line, "BEGIN SOLUTION without END SOLUTION")
        index += 1  # the END line
        if audience == "instructor":
            out += body
        else:
            texts = todos[lang]
            out.append(f"{indent}# TODO: {texts[0]}")
            out += [f"{indent}#       {text}" for text in texts[1:]]
            message = json.dumps("TODO: " + " ".join(texts), ensure_ascii=False)
            out.append(f"{indent}raise NotImplementedError({message})")
    return out


def _code_for(cell: Cell, lang: str, audience: str, path: Path) -> str:
    lines = []
    for line in _solutions(cell, lang, audience, path):
        code = LANG_CODE.match(line)
        if code is not None:
            if code.group("lang") == lang:
                lines.append(f"{code.group('indent')}{code.group('code')}".rstrip())
            continue
        comment = LANG_COMMENT.match(line)
        if comment is None:
            lines.append(line)
        elif comment.group("lang") == lang:
            lines.append(f"{comment.group('indent')}# {comment.group('text')}".rstrip())
    return "\n".join(lines)


def _tags_for(cell: Cell, audience: str) -> List[str]:
    tags = []
    for tag in cell.tags:
        if tag == STUDENT_ONLY_TAG:
            if audience == "student":
                tags.append("raises-exception")
        else:
            tags.append(tag)
    return sorted(set(tags))


def notebook_for(cells: List[Cell], source: str, lang: str, audience: str, path: Path = Path("<source>")) -> dict:
    """The notebook as plain JSON data (nbformat 4.5), deterministic."""
    banner = BANNER[lang].format(source=source, audience=AUDIENCE_NAMES[lang][audience])
    out = [_cell_json("markdown", banner, [], "generated")]
    for cell in cells:
        if cell.lang not in (None, lang) or cell.only not in (None, audience):
            continue
        if cell.kind == "markdown":
            out.append(_cell_json("markdown", "\n".join(cell.lines), _tags_for(cell, audience)))
        else:
            out.append(_cell_json("code", _code_for(cell, lang, audience, path), _tags_for(cell, audience)))
    _unique_ids(out)
    return {
        "cells": out,
        "metadata": {
            "chatlab": {"source": source, "lang": lang, "audience": audience},
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _cell_json(kind: str, source: str, tags: List[str], cell_id: Optional[str] = None) -> dict:
    cell = {"cell_type": kind, "id": cell_id or hashlib.sha1(f"{kind}\n{source}".encode("utf-8")).hexdigest()[:12],
            "metadata": {"tags": tags} if tags else {}, "source": source.splitlines(True)}
    if kind == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    return cell


def _unique_ids(cells: List[dict]) -> None:
    seen: Dict[str, int] = {}
    for cell in cells:
        base = cell["id"]
        seen[base] = seen.get(base, 0) + 1
        if seen[base] > 1:
            cell["id"] = f"{base}-{seen[base]}"


def dumps(notebook: dict) -> str:
    """The exact text we commit: what ``nbformat.write`` writes (sources as lists of lines, keys sorted,
    one-space indent, a final newline), so saving an unchanged notebook in Jupyter changes nothing."""
    return json.dumps(notebook, sort_keys=True, indent=1, separators=(",", ": "), ensure_ascii=False) + "\n"


# -- the whole tree ---------------------------------------------------------------------
def default_root() -> Path:
    here = Path(__file__).resolve().parents[2]
    return here if (here / "notebooks" / "src").is_dir() else Path.cwd()


def sources(root: Path) -> List[Path]:
    return sorted((root / "notebooks" / "src").glob("[0-9][0-9]-*.py"))


def build_all(root: Path) -> Dict[Path, str]:
    """Every generated notebook: path -> exact text."""
    out: Dict[Path, str] = {}
    for path in sources(root):
        cells = parse(path.read_text(encoding="utf-8"), path)
        source = path.relative_to(root).as_posix()
        for audience in AUDIENCES:
            for lang in LANGUAGES:
                target = root / "notebooks" / audience / lang / (path.stem + ".ipynb")
                out[target] = dumps(notebook_for(cells, source, lang, audience, path))
    return out


def stale(root: Path) -> Tuple[List[Path], List[Path]]:
    """(notebooks that differ from what the build writes, notebooks with no source)."""
    expected = build_all(root)
    different = [p for p, text in expected.items()
                 if not p.exists() or p.read_text(encoding="utf-8").replace("\r\n", "\n") != text]
    existing = {p for audience in AUDIENCES for lang in LANGUAGES
                for p in (root / "notebooks" / audience / lang).glob("*.ipynb")}
    return different, sorted(existing - set(expected))


def write_all(root: Path) -> List[Path]:
    written = []
    different, orphans = stale(root)
    for path, text in build_all(root).items():
        if path in different:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            written.append(path)
    for path in orphans:
        path.unlink()
    return written


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.notebook.build",
                                     description="Build the chat lab notebooks from notebooks/src/*.py.")
    parser.add_argument("--root", type=Path, default=None, help="the chatlab checkout (default: this one)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if any notebook is stale")
    args = parser.parse_args(argv)
    root = (args.root or default_root()).resolve()
    if not sources(root):
        parser.error(f"no notebook sources in {root / 'notebooks' / 'src'}")
    try:
        if args.check:
            different, orphans = stale(root)
            for path in different:
                print(f"stale: {path.relative_to(root)}")
            for path in orphans:
                print(f"no source: {path.relative_to(root)}")
            return 1 if different or orphans else 0
        for path in write_all(root):
            print(f"wrote {path.relative_to(root)}")
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
