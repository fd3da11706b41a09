"""The programs inside a report: Markdown documents and notebooks as submissions.

Many students hand in one document rather than two files: the assignment, their
code in fenced blocks under headings (``### server.py``, ``## Сервер``,
``**Клиент:**``), screenshots and an explanation; or a notebook.  The grader
grades programs, so the programs are taken out of the document first, and the
report says which block was taken as what, so that a student who disagrees
sees at once where we looked.

Which block is which, strongest evidence first:

1. a file name the block gives itself: ``# server.py`` on its first lines,
   ``title="server.py"`` on the fence (MkDocs), ``%%writefile server.py``, a
   fence whose info string is a path or an editor's citation
   (```` ```12:40:lab1/task4_server.py ````: judged by its code, not a language);
2. a file name in the nearest label above it: a heading, a bold or short line,
   an MkDocs tab (``=== "client.py"``);
3. what the code does, when that is unmistakable over TCP: ``listen``/``accept``
   make a server, ``connect`` without them a client;
4. a role word in the nearest label, when it names the part (``## Сервер``,
   ``Код клиента:``, ``Client side``) rather than something the part does
   (``### Обработка клиента`` inside the server's section is not the client);
5. weaker hints in a self-contained block (``bind`` and ``recvfrom`` vs ``sendto``);
6. otherwise the block continues the previous program (a server split over
   two blocks); definitions before any program (imports, ``HOST``/``PORT``)
   are a prelude shared by the server and the client.

A whole-lab report holds every task of the lab (a UDP echo, a calculator, an
HTTP server, the chat, a web form), each with its own server and client, in
sections (``## Задание 4``, ``### Task 4``, ``Часть 4``, MkDocs tabs and
admonitions titled so).  When two or more sections hold a server, each is
scored as the chat task (``tasks``: its heading and file names, chat-shaped
code) and only the best is graded; the report names it and lists the others
as another task.  Two complete programs (each with its own socket and its own
loop or main guard) are never joined: a repeated part starts a new candidate,
only fragments continue the block before.  The same code twice (tabs
"Клиент 1" / "Клиент 2") is kept once.

Blocks that are not programs (shell commands, program output, interactive
sessions, other languages) are left out and listed.  Indented (unfenced) code
blocks are used only when a document has no fenced Python at all, and a
document without any blocks counts only if it is Python as a whole.

The files written keep the document's line numbers (blank lines fill the
gaps), so "server.py, line 57" in a traceback is line 57 of the report.
Notebook cells have no common numbering; their code is joined as it stands.

Pure: no sockets, no subprocesses; reading the document and writing the files
is all the I/O.
"""
from __future__ import annotations

import ast
import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from autograder.intake import safe_files, static, tasks
from autograder.results import Joined, Msg, Report, msg, said

MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
NOTEBOOK_SUFFIXES = (".ipynb",)
DOCUMENT_SUFFIXES = MARKDOWN_SUFFIXES + NOTEBOOK_SUFFIXES
MAX_DOCUMENT_BYTES = 5 * 1024**2

PYTHON_LANGS = {"python", "py", "python3", "py3", "python2", "ipython", "ipython3", "sage"}
SKIPPED_LANGS = {
    "bash", "sh", "shell", "zsh", "console", "shell-session", "shellsession", "powershell", "ps", "ps1", "pwsh",
    "cmd", "bat", "batch", "doscon", "text", "txt", "output", "out", "plain", "plaintext", "log", "none",
    "nohighlight", "stdout", "pycon", "pytb", "python-console", "pyconsole", "ipython-console", "json", "yaml",
    "yml", "toml", "ini", "html", "xml", "css", "javascript", "js", "java", "c", "cpp", "c++", "csharp", "cs",
    "go", "rust", "sql", "diff", "markdown", "md", "mermaid", "dockerfile", "makefile",
}

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
ATX_HEADING = re.compile(r"^ {0,3}(?P<level>#{1,6})(?:\s+(?P<text>.*?))?\s*#*\s*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-{2,})\s*$")
PY_NAME = re.compile(r"(?<![\w.\-])([\w\-]+(?:\.[\w\-]+)*\.py)(?![\w])", re.UNICODE)
SAFE_NAME = re.compile(r"^[\w\-][\w\-. ]{0,63}$", re.UNICODE)
WRITEFILE = re.compile(r"^\s*%%writefile\s+(?P<append>(?:-a|--append)\s+)?(?P<name>\S+)\s*$")
# A comment that names the file: "# server.py", "# файл: client.py", "# --- File: chat/server.py ---".
NAME_COMMENT = re.compile(
    r"^\s*#+[\s\-=*~#]*(?:(?:file(?:\s*name)?|filename|файл|имя\s+файла|module|модуль)\s*[:\-—–]?\s*)?"
    r"[`'\"]?(?P<name>[\w\-./\\]+\.py)[`'\"]?(?P<rest>.*)$",
    re.IGNORECASE | re.UNICODE,
)
NAME_DOCSTRING = re.compile(r"^\s*[rRuU]?(?:\"\"\"|''')\s*(?P<name>[\w\-]+\.py)\b")
FUTURE_IMPORT = re.compile(r"^from\s+__future__\s+import\s+[\w\s,]+$")
INFO_PATH = re.compile(r"^\d+:\d+|[/\\]|^[\w\-]+\.\w{1,4}$")  # editor citation, path, bare file name
FENCE_TITLE = re.compile(r"""(?:title|file(?:name)?)\s*=\s*["']?(?P<name>[^"'\s}]+)""", re.IGNORECASE)

SERVER_WORD = r"(?:server|сервер\w*|serv)"
CLIENT_WORD = r"(?:client|клиент\w*)"
ROLE_WORDS = {"server": re.compile(rf"^{SERVER_WORD}$", re.IGNORECASE),
              "client": re.compile(rf"^{CLIENT_WORD}$", re.IGNORECASE)}
# A label that names the part: the role word first, maybe after "code of the" and the like.
_FILLER = r"(?:tcp|udp|chat|чат|чата|multi-?user|многопользовательск\w*|simple|прост\w*|the|a|an|our|my|мой|наш\w*)"
_CODE = (r"(?:код|code|листинг|listing|файл|file|программ\w*|program|реализаци\w*|implementation|скрипт\w*|script"
         r"|исходн\w*\s+код|source(?:\s+code)?)")
_LINK = r"(?:для|of|for|the|a|на|со?|стороны|side|части|part|чата|чат|chat|tcp|udp)"
ROLE_LABEL = re.compile(
    rf"^(?:(?:part|часть|шаг|step|задание|task)\s*)?\d*[.):]?\s*"
    rf"(?:{_FILLER}[\s\-]+)*(?:{_CODE}\s+(?:{_LINK}\s+){{0,3}})?(?:{_FILLER}[\s\-]+)*"
    rf"(?P<role>{SERVER_WORD}|{CLIENT_WORD})",
    re.IGNORECASE | re.UNICODE,
)
MAX_LABEL_WORDS = 8
MAX_SECTION_WORDS = 12  # "Лабораторная работа 1. Задание 4: многопользовательский чат на TCP"
SHELL_LINE = re.compile(r"^\s*(?:\$|>>>|\.\.\.|PS\s|[A-Za-z]:\\|(?:python3?|py|pip3?|cd|ls|dir|git|conda|source)\s)")
PYTHON_LINE = re.compile(
    r"^\s*(?:import\s|from\s+[\w.]+\s+import\s|def\s|class\s|async\s|if\s|elif\s|else\s*:|while\s|for\s|try\s*:"
    r"|except\b|finally\s*:|with\s|return\b|raise\b|break\b|continue\b|pass\b|global\s|nonlocal\s|print\s*\("
    r"|@\w|[\w.\[\]'\"]+\s*(?:[-+*/%|&^]?=|\()|#|[\])}]\s*$|\"\"\"|''')"
)


@dataclass
class Block:
    """One piece of code in the document, with what its surroundings say about it."""

    code: str
    first_line: int                 # 1-based: in the document (Markdown) or the cell (notebook)
    last_line: int
    label: str = ""                 # the heading or label line shown in the report, as written
    cell: Optional[int] = None      # notebook cell number, 1-based
    info: str = ""                  # fence info string or the cell magic
    name: Optional[str] = None      # a file name the block gives itself
    label_name: Optional[str] = None
    label_role: Optional[str] = None
    replaces: bool = False          # %%writefile without -a: the file starts again
    section: str = ""               # the task section it sits in ("## Задание 4"), as written
    section_key: str = ""           # its task: "Задание 4.1" and "Задание 4.2" are both task 4
    outer: str = ""                 # the nearest heading above its label ("## Чат" over "### server.py")
    other_task: bool = False        # left out because another section is the chat task
    # why it is not a program (None: it is one): a language or magic as written, or a sentence
    skipped: Optional[Union[str, Msg]] = None

    def where(self) -> Msg:
        if self.cell is not None:
            return msg("extract.cell", cell=self.cell)
        return msg("extract.lines", first=self.first_line, last=self.last_line)


@dataclass
class Part:
    """One extracted file and the blocks it is made of."""

    name: str
    role: Optional[str] = None      # "server", "client" or None (a helper module)
    blocks: List[Block] = field(default_factory=list)
    given_name: Optional[str] = None  # the name the document used, when we write it under another
    prelude: List[Block] = field(default_factory=list)

    def source(self) -> str:
        blocks = sorted(self.prelude + self.blocks, key=lambda b: (b.cell or 0, b.first_line))
        future: List[str] = []

        def lines_of(block: Block) -> List[str]:
            # "from __future__" must open the file: joined blocks would put it in the middle.
            out = []
            for line in block.code.rstrip("\n").split("\n"):
                if FUTURE_IMPORT.match(line):
                    if line.strip() not in future:
                        future.append(line.strip())
                    line = ""
                out.append(line)
            return out

        if any(b.cell is not None for b in blocks):
            text = "\n\n".join("\n".join(lines_of(b)) for b in blocks)
            return "\n".join(future + [text]) + "\n"
        lines: List[str] = []
        for block in blocks:
            # Pad so that the block sits on its own line numbers of the document.
            lines.extend([""] * max(0, block.first_line - 1 - len(lines)))
            lines.extend(lines_of(block))
        if future:
            head = lines[:len(future)]
            lines = future + (lines[len(future):] if not any(l.strip() for l in head) else lines)
        return "\n".join(lines) + "\n"


@dataclass
class Extraction:
    document: Path
    parts: Dict[str, Part] = field(default_factory=dict)
    blocks: List[Block] = field(default_factory=list)   # every block seen, in order
    error: Optional[Msg] = None
    task: Optional[Joined] = None                        # the section graded, when the document holds several
    other_tasks: List[Joined] = field(default_factory=list)  # the sections left out as other tasks

    @property
    def programs(self) -> List[Block]:
        return [b for b in self.blocks if b.skipped is None]

    @property
    def ignored(self) -> List[Block]:
        return [b for b in self.blocks if b.skipped is not None and not b.other_task]

    def part(self, role: str) -> Optional[Part]:
        return next((p for p in self.parts.values() if p.role == role), None)

    @property
    def server(self) -> Optional[Part]:
        return self.part("server")

    @property
    def client(self) -> Optional[Part]:
        return self.part("client")

    def describe(self, name: str) -> Union[Msg, Joined]:
        """Where the file ``name`` came from, in one line for ``report.files`` (in the reader's language)."""
        part = self.parts.get(name)
        if part is None:
            return Joined((self.document.name, name), ": ")
        where = Joined(tuple(_describe_blocks(part.prelude, shared=True) + _describe_blocks(part.blocks)), " + ")
        if part.given_name and part.given_name != part.name:
            return msg("extract.written_as", document=self.document.name, where=where, name=part.name)
        return Joined((self.document.name, where), ": ")

    def note_msgs(self) -> Dict[str, Union[Msg, Joined]]:
        """``report.files``: server and client first, then other files, then what was left out."""
        out: Dict[str, Union[Msg, Joined]] = {}
        main = [self.part(role) for role in ("server", "client")]
        for role, part in zip(("server", "client"), main):
            if part:
                out[role] = self.describe(part.name)
        for name, part in self.parts.items():
            if part not in main:
                out[name] = self.describe(name)
        if self.task is not None:
            out["task"] = msg("extract.task_taken", document=self.document.name, task=self.task)
            out["other_tasks"] = msg("extract.other_tasks", document=self.document.name,
                                     tasks=Joined(tuple(self.other_tasks), "; "))
        if self.ignored:
            blocks = Joined(tuple(Joined((b.where(), " (", b.skipped, ")"), "") for b in self.ignored[:8]))
            more = " …" if len(self.ignored) > 8 else ""
            out["ignored"] = Joined((self.document.name, ": ", blocks, more), "")
        return out

    def notes(self, lang: str = "en") -> Dict[str, str]:
        """``note_msgs`` as text in ``lang``."""
        return {name: note.text(lang) for name, note in self.note_msgs().items()}

    def write(self, folder: Path) -> List[Path]:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, part in self.parts.items():
            target = folder / name
            target.write_text(part.source(), encoding="utf-8")
            written.append(target)
        return written


# (shared, several) -> how cells are named; (shared, several, under a heading) -> how blocks are
CELL_KEYS = {(False, False): "extract.cell", (False, True): "extract.cells",
             (True, False): "extract.shared_cell", (True, True): "extract.shared_cells"}
BLOCK_KEYS = {(False, False, False): "extract.block", (False, False, True): "extract.block_under",
              (False, True, False): "extract.blocks", (False, True, True): "extract.blocks_under",
              (True, False, False): "extract.shared_block", (True, False, True): "extract.shared_block_under",
              (True, True, False): "extract.shared_blocks", (True, True, True): "extract.shared_blocks_under"}


def _describe_blocks(blocks: List[Block], shared: bool = False) -> List[Union[Msg, Joined]]:
    """"block under '## Сервер' (lines 20-40)", "2 blocks under ...", "cell 3 (%%writefile server.py)"."""
    groups: List[List[Block]] = []
    for block in blocks:
        if groups and groups[-1][-1].label == block.label:
            groups[-1].append(block)
        else:
            groups.append([block])
    pieces: List[Union[Msg, Joined]] = []
    for group in groups:
        first, many = group[0], len(group) > 1
        if first.cell is not None:
            numbers = ", ".join(str(b.cell) for b in group)
            cells = msg(CELL_KEYS[shared, many], cell=numbers, cells=numbers)
            if first.info.startswith("%%") and not many:
                pieces.append(Joined((cells, f"({first.info})"), " "))
            elif first.label:
                pieces.append(msg("extract.under", cells=cells, label=first.label))
            else:
                pieces.append(cells)
        else:
            lines = ", ".join(f"{b.first_line}-{b.last_line}" for b in group)
            key = BLOCK_KEYS[shared, many, bool(first.label)]
            pieces.append(msg(key, count=len(group), label=first.label, lines=lines))
    return pieces


# --- the entry points ---------------------------------------------------------------

def is_document(path: Path) -> bool:
    path = Path(path)
    return safe_files.is_regular(path) and path.suffix.lower() in DOCUMENT_SUFFIXES


def find_document(path: Path) -> Optional[Path]:
    """The document to grade: ``path`` itself, or the one report in a folder that has no Python files."""
    path = Path(path)
    if is_document(path):
        return path
    if not path.is_dir():
        return None
    from autograder.intake import discover

    if discover.python_files(path):
        return None
    candidates = sorted(p for p in path.iterdir() if is_document(p) and not p.name.startswith("."))
    with_server = [p for p in candidates if extract(p).server is not None]
    # Several reports with servers: a class handed in as documents, not one submission.
    return with_server[0] if len(with_server) == 1 else None


def materialise(path: Path) -> Tuple[Path, Extraction]:
    """Extract the programs of a document into a new temp folder; the caller removes the folder."""
    extraction = extract(Path(path))
    folder = Path(tempfile.mkdtemp(prefix="chatlab-doc-"))
    try:
        if extraction.error is None:
            extraction.write(folder)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, extraction


def annotate(report: Report, extraction: Extraction) -> Report:
    """Say in the report which block was graded as what (or why nothing could be)."""
    report.submission = extraction.document.name
    if extraction.error is not None:
        report.error = extraction.error
        report.score = 0.0
        report.checks = []
    notes = extraction.note_msgs()
    files: Dict[str, object] = {}
    for role, name in (report.files or {}).items():
        files[role] = extraction.describe(name) if name in extraction.parts else notes.get(role, name)
    for key, value in notes.items():
        if key not in files and all(said(value, "en") != said(known, "en") for known in files.values()):
            files[key] = value
    if extraction.task is not None and "server" in files:
        # Every renderer shows the server's line: the task chosen and those left out are said there too.
        files["server"] = Joined((files["server"], msg("extract.in_task", task=extraction.task,
                                                       tasks=Joined(tuple(extraction.other_tasks), "; "))), "; ")
    report.files = files
    return report


def extract(path: Path) -> Extraction:
    path = Path(path)
    extraction = Extraction(document=path)
    try:
        data = safe_files.read_bytes(path, MAX_DOCUMENT_BYTES)
    except OSError as error:
        extraction.error = msg("extract.unreadable", document=path.name, detail=error.strerror or str(error))
        return extraction
    text = static.decode_student_text(data)
    if path.suffix.lower() in NOTEBOOK_SUFFIXES:
        try:
            extraction.blocks = notebook_blocks(json.loads(text))
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            extraction.error = msg("extract.unreadable", document=path.name, detail=msg("extract.not_notebook", error=error))
            return extraction
    else:
        extraction.blocks = markdown_blocks(text)
    _drop_repeats(extraction.blocks)
    choose_task(extraction)
    assign(extraction)
    return extraction


# --- finding the blocks ----------------------------------------------------------------

class _Context:
    """Headings and label lines seen so far: what a block's surroundings say about it."""

    def __init__(self) -> None:
        self.headings: List[Tuple[int, str]] = []   # (level, text as written)
        self.label: Optional[str] = None              # a label line after the last heading
        self.label_fresh = False                      # set since the last block
        self.section = ""                             # the task section we are in ("## Задание 4")
        self.section_key = ""
        self.regions = 0                              # stretches outside any task, counted
        self.section_level = 0                        # a heading at this level or above ends it

    def heading(self, level: int, text: str) -> None:
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        if tasks.section_number(_clean_label(text)) is not None:
            self._open_section(text, level)
        elif self.section and level <= self.section_level:
            self._open_section("", 0)
        self.headings.append((level, text))
        self.label = None
        self.label_fresh = False

    def _open_section(self, text: str, level: int) -> None:
        self.section, self.section_level = text, level
        number = tasks.section_number(_clean_label(text)) if text else None
        if number is None:
            self.regions += 1
        self.section_key = f"task {number}" if number is not None else f"outside {self.regions}"

    def line(self, raw: str) -> None:
        cleaned = _clean_label(raw)
        if cleaned and len(cleaned.split()) <= MAX_SECTION_WORDS and tasks.section_number(cleaned) is not None:
            # "**Задание 4**", '=== "Task 4"', '!!! note "Часть 4"': a section inside the current heading.
            self._open_section(raw.strip(), self.headings[-1][0] if self.headings else 0)
        if not cleaned or len(cleaned.split()) > MAX_LABEL_WORDS:
            return
        if _single_name(cleaned) or _role_of_label(cleaned) or raw.lstrip().startswith("==="):
            self.label = raw.strip()
            self.label_fresh = True

    def after_block(self, was_program: bool) -> None:
        # "Запускаем server.py:" before a shell block says nothing about the next program.
        if not was_program and self.label_fresh:
            self.label = None
        self.label_fresh = False

    def apply(self, block: Block) -> None:
        block.section, block.section_key = self.section, self.section_key
        candidates = ([self.label] if self.label else []) + [text for _, text in reversed(self.headings)]
        for text in candidates:
            name = _single_name(_clean_label(text))
            if name:
                block.label_name, block.label = name, text
                break
        for text in candidates:
            role = _role_of_label(_clean_label(text))
            if role:
                block.label_role = role
                block.label = block.label or text
                break
        if not block.label and candidates:
            block.label = candidates[0]
        block.outer = next((text for _, text in reversed(self.headings) if text != block.label), "")


def _clean_label(text: str) -> str:
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"^\s*(?:#{1,6}|={3}|[!?]{3}\+?\s*[\w\-]+|[-*+>]|\d+[.)])\s+", "", text)
    # Underscores only as emphasis (_x_, __x__): task4_server.py keeps its own.
    text = re.sub(r"(?<!\w)_+|_+(?!\w)", "", text)
    text = re.sub(r"[*`\"'«»“”]", "", text)
    text = re.sub(r"[\s:;.!,()\[\]{}—–-]+$", "", text)
    return text.strip()


def _single_name(text: str) -> Optional[str]:
    names = {_safe_name(n) for n in PY_NAME.findall(text)} - {None}
    return names.pop() if len(names) == 1 else None


def _role_of_label(text: str) -> Optional[str]:
    match = ROLE_LABEL.match(text)
    if not match:
        return None
    role = "server" if re.match(SERVER_WORD, match.group("role"), re.IGNORECASE) else "client"
    other = "client" if role == "server" else "server"
    # "Клиент-серверный чат", "Server and client": both parts, so neither.
    words = [w for w in re.split(r"[\s\-/,&+]+", text) if w][:3]
    if any(ROLE_WORDS[other].match(w) for w in words):
        return None
    return role


def _safe_name(name: str) -> Optional[str]:
    name = re.split(r"[/\\]", name.strip())[-1]
    if not SAFE_NAME.match(name) or name.startswith(".") or name.strip() != name:
        return None
    return name


def markdown_blocks(text: str) -> List[Block]:
    lines = text.splitlines()
    fenced: List[int] = []
    blocks = _fenced_blocks(lines, fenced)
    if not any(b.skipped is None for b in blocks):
        # Never inside a fence: an indented line of shell output is no code block.
        covered = set(fenced)
        outside = ["" if index in covered else line for index, line in enumerate(lines)]
        indented = _indented_blocks(outside)
        if any(b.skipped is None for b in indented):
            blocks = sorted(blocks + indented, key=lambda b: b.first_line)
        elif not blocks and _is_program(text) and lines:
            blocks = [Block(code=text, first_line=1, last_line=len(lines))]
    return blocks


def _fenced_blocks(lines: List[str], fenced: Optional[List[int]] = None) -> List[Block]:
    """The fenced blocks; ``fenced`` gets the index of every line a fence covers."""
    blocks: List[Block] = []
    context = _Context()
    i = 0
    while i < len(lines):
        line = lines[i]
        opening = FENCE_OPEN.match(line)
        if opening and not (opening.group("fence")[0] == "`" and "`" in opening.group("info")):
            fence, indent = opening.group("fence"), len(opening.group("indent").expandtabs(4))
            closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
            end = i + 1
            while end < len(lines) and not closing.match(lines[end]):
                end += 1
            body = [_unindent(l, indent) for l in lines[i + 1:end]]
            if fenced is not None:
                fenced.extend(range(i, min(end + 1, len(lines))))
            block = _make_block(body, i + 2, opening.group("info").strip())
            if block is not None:
                context.apply(block)
                blocks.extend(_split_on_name_comments(block))
                context.after_block(block.skipped is None)
            i = end + 1
            continue
        heading = ATX_HEADING.match(line)
        if heading and (heading.group("text") or "").strip():
            context.heading(len(heading.group("level")), line.strip())
        elif (line.strip() and i + 1 < len(lines) and SETEXT_UNDERLINE.match(lines[i + 1])
              and not re.match(r"^\s*(?:[-*+>|]|\d+[.)])\s", line)):
            context.heading(1 if lines[i + 1].strip().startswith("=") else 2, line.strip())
            i += 2
            continue
        elif line.strip():
            context.line(line)
        i += 1
    return blocks


def _unindent(line: str, indent: int) -> str:
    taken = 0
    while taken < indent and line[taken:taken + 1] == " ":
        taken += 1
    return line[taken:]


def _indented_blocks(lines: List[str]) -> List[Block]:
    """Four-space code blocks after a blank line (used only when nothing is fenced)."""
    blocks: List[Block] = []
    context = _Context()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(("    ", "\t")) and line.strip() and (i == 0 or not lines[i - 1].strip()):
            end = i
            while end < len(lines) and (lines[end].startswith(("    ", "\t")) or not lines[end].strip()):
                end += 1
            while end > i and not lines[end - 1].strip():
                end -= 1
            body = [l[4:] if l.startswith("    ") else l[1:] if l.startswith("\t") else l for l in lines[i:end]]
            block = Block(code="\n".join(body), first_line=i + 1, last_line=end, info="indented")
            block.skipped = None if _is_program("\n".join(body)) else msg("extract.why.not_program")
            context.apply(block)
            blocks.append(block)
            context.after_block(block.skipped is None)
            i = end
            continue
        heading = ATX_HEADING.match(line)
        if heading and (heading.group("text") or "").strip():
            context.heading(len(heading.group("level")), line.strip())
        elif line.strip():
            context.line(line)
        i += 1
    return blocks


def _make_block(body: List[str], first_line: int, info: str) -> Optional[Block]:
    while body and not body[-1].strip():
        body = body[:-1]
    lead = 0
    while lead < len(body) and not body[lead].strip():
        lead += 1
    if lead == len(body):
        return None
    # No dedent: the second half of a class split over two blocks must keep its indentation.
    code = "\n".join(body[lead:])
    block = Block(code=code, first_line=first_line + lead, last_line=first_line + len(body) - 1, info=info)
    lang = re.split(r"[\s{}:,]+", info.strip("{}. ").lower(), maxsplit=1)[0].lstrip(".") if info else ""
    title = FENCE_TITLE.search(info)
    if title:
        block.name = _safe_name(title.group("name")) if title.group("name").endswith(".py") else None
    elif info:
        block.name = _single_name(info)
    if lang not in PYTHON_LANGS | SKIPPED_LANGS and (block.name or INFO_PATH.search(info)):
        lang = ""  # "12:40:src/task4_server.py", "server.py", "src/chat/": a place, not a language
    _read_magic(block)
    if block.name is None:
        block.name = _name_inside(block.code)
    if block.skipped is not None:
        pass  # a cell magic that is not Python (%%bash, %%html)
    elif lang in SKIPPED_LANGS:
        block.skipped = lang
    elif lang in PYTHON_LANGS:
        block.skipped = None if (_parses(code) or _pythonish(code) >= 0.5) and not _interactive(code) else msg("extract.why.not_python")
    elif lang:
        block.skipped = lang
    else:
        block.skipped = None if _is_program(code) else _what_else(code)
    return block


def _read_magic(block: Block) -> None:
    first, _, rest = block.code.partition("\n")
    match = WRITEFILE.match(first)
    if match:
        block.info = first.strip()
        block.name = _safe_name(match.group("name")) or block.name
        block.replaces = not match.group("append")
        block.code = rest
        block.first_line += 1
    elif first.lstrip().startswith("%%"):
        magic = first.split()[0][2:]
        block.info = first.strip()
        if magic in ("time", "timeit", "capture", "prun"):
            block.code = rest
            block.first_line += 1
        else:
            block.skipped = f"%%{magic}"
    # Line magics and shell escapes are not Python: blank them, keeping the line numbers.
    block.code = "\n".join("" if re.match(r"^\s*[%!]", line) else line for line in block.code.split("\n"))


def _name_inside(code: str) -> Optional[str]:
    """A file name on the block's first lines: ``# server.py``, ``# файл: client.py``, a docstring."""
    seen = 0
    for line in code.split("\n"):
        if not line.strip() or line.startswith("#!") or re.match(r"^#.*coding[:=]", line):
            continue
        match = NAME_COMMENT.match(line) or NAME_DOCSTRING.match(line)
        if match:
            return _safe_name(match.group("name"))
        seen += 1
        if seen >= 3:
            break
    return None


def _split_on_name_comments(block: Block) -> List[Block]:
    """One fence holding two files, each introduced by a comment line that is only its name."""
    lines = block.code.split("\n")
    cuts = []
    for index, line in enumerate(lines):
        match = NAME_COMMENT.match(line)
        if (index > 0 and match and not line.startswith((" ", "\t")) and not match.group("rest").strip(" -=*~#")
                and _safe_name(match.group("name"))):
            cuts.append(index)
    if block.skipped is not None or not cuts:
        return [block]
    out = []
    starts = [0] + cuts
    for begin, end in zip(starts, cuts + [len(lines)]):
        chunk = lines[begin:end]
        while chunk and not chunk[-1].strip():
            chunk = chunk[:-1]
        if not any(l.strip() for l in chunk):
            continue
        piece = Block(code="\n".join(chunk), first_line=block.first_line + begin,
                      last_line=block.first_line + begin + len(chunk) - 1, label=block.label, cell=block.cell,
                      info=block.info, label_name=block.label_name, label_role=block.label_role)
        piece.name = _name_inside(piece.code) if begin else block.name
        piece.skipped = None if _is_program(piece.code) or _parses(piece.code) else msg("extract.why.not_program")
        if piece.name and piece.name != block.name:
            piece.label_name = piece.label_role = None
            piece.label = lines[begin].strip()
        out.append(piece)
    return out or [block]


def notebook_blocks(notebook: dict) -> List[Block]:
    cells = notebook.get("cells")
    if cells is None:  # nbformat 3
        cells = [c for sheet in notebook.get("worksheets", []) for c in sheet.get("cells", [])]
    context = _Context()
    blocks: List[Block] = []
    for number, cell in enumerate(cells, start=1):
        source = cell.get("source", cell.get("input", ""))
        text = "".join(source) if isinstance(source, list) else str(source)
        kind = cell.get("cell_type")
        if kind in ("markdown", "heading"):
            if kind == "heading":
                context.heading(int(cell.get("level", 1)), "#" * int(cell.get("level", 1)) + " " + text.strip())
                continue
            for line in text.splitlines():
                heading = ATX_HEADING.match(line)
                if heading and (heading.group("text") or "").strip():
                    context.heading(len(heading.group("level")), line.strip())
                elif line.strip():
                    context.line(line)
            continue
        if kind != "code" or not text.strip():
            continue
        lines = text.split("\n")
        block = Block(code=text, first_line=1, last_line=len(lines), cell=number)
        _read_magic(block)
        if block.name is None:
            block.name = _name_inside(block.code)
        if block.skipped is None and not block.info.startswith("%%writefile"):
            block.skipped = None if _is_program(block.code) or _parses_with_code(block.code) else msg("extract.why.not_program")
        context.apply(block)
        blocks.append(block)
        context.after_block(block.skipped is None)
    if any(b.info.startswith("%%writefile") for b in blocks):
        # The notebook writes its programs to files: the other cells only drive them.
        for block in blocks:
            if block.skipped is None and not block.info.startswith("%%writefile"):
                block.skipped = msg("extract.why.runs_files")
    return blocks


# --- what a block is --------------------------------------------------------------------

def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _parses_with_code(code: str) -> bool:
    """Python that does something (a notebook cell of definitions counts)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in tree.body)


STRUCTURE = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.While, ast.For,
             ast.Try, ast.With, ast.If)


def _is_program(code: str) -> bool:
    """Python with the shape of a program: it parses and imports, defines or loops."""
    if _interactive(code):
        return False
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(node, STRUCTURE) for node in tree.body)


def _interactive(code: str) -> bool:
    lines = [l for l in code.split("\n") if l.strip()]
    return bool(lines) and sum(bool(SHELL_LINE.match(l)) for l in lines) >= max(1, len(lines) // 2)


def _pythonish(code: str) -> float:
    lines = [l for l in code.split("\n") if l.strip()]
    if not lines:
        return 0.0
    return sum(bool(PYTHON_LINE.match(l)) for l in lines) / len(lines)


def _what_else(code: str) -> Msg:
    return msg("extract.why.shell") if _interactive(code) else msg("extract.why.not_program")


def _definitions_only(code: str) -> bool:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    allowed = (ast.Import, ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.FunctionDef, ast.AsyncFunctionDef,
               ast.ClassDef)
    return all(isinstance(n, allowed) or (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
               for n in tree.body)


def code_role(code: str) -> Tuple[Optional[str], bool]:
    """(role, unmistakable) from what the code calls."""
    facts = _code_facts(code)
    if facts.calls & {"listen", "accept", "serve_forever"}:
        return "server", True
    if facts.calls & {"connect", "connect_ex", "create_connection"}:
        return "client", True
    if not facts.calls & {"socket", "socketpair"}:
        return None, False  # not self-contained: a piece of something
    if facts.server_score > facts.client_score:
        return "server", False
    if facts.client_score > facts.server_score:
        return "client", False
    return None, False


def name_role(name: str) -> Optional[str]:
    from autograder.intake.discover import CLIENT_NAME, SERVER_NAME

    stem = Path(name).stem
    if SERVER_NAME.search(stem) and not CLIENT_NAME.search(stem):
        return "server"
    if CLIENT_NAME.search(stem) and not SERVER_NAME.search(stem):
        return "client"
    return None


# --- which block goes where ------------------------------------------------------------

def assign(extraction: Extraction) -> None:
    parts = extraction.parts
    prelude: List[Block] = []
    previous: Optional[Part] = None

    def part_for(role: Optional[str], given: Optional[str]) -> Part:
        if role in ("server", "client"):
            existing = extraction.part(role)
            if existing is not None and (given is None or existing.given_name in (None, given)):
                return existing
            if existing is None:
                name = f"{role}.py"
                if name in parts and parts[name].role != role:
                    parts[name].role = role
                    return parts[name]
                parts[name] = Part(name=name, role=role, given_name=given)
                return parts[name]
        name = given or f"block_{len(parts) + 1}.py"
        if name not in parts:
            parts[name] = Part(name=name, role=None, given_name=given)
        return parts[name]

    for block in extraction.blocks:
        if block.skipped is not None:
            continue
        if block.name and not block.name.endswith(".py"):
            part = parts.setdefault(block.name, Part(name=block.name))
            part.blocks = ([] if block.replaces else part.blocks) + [block]
            continue
        given = block.name or block.label_name
        strong_role, unmistakable = code_role(block.code)
        if given:
            role = name_role(given) or strong_role
            if block.name is None and unmistakable and role != strong_role:
                role, given = strong_role, None  # the heading names the other file
        elif unmistakable:
            role = strong_role
        elif block.label_role:
            role = block.label_role
        elif strong_role:
            role = strong_role
            taken = extraction.part(role)
            other = "client" if role == "server" else "server"
            # A second self-contained program is the other one (a UDP client may bind too).
            if taken is not None and any(code_role(b.code)[0] for b in taken.blocks) and extraction.part(other) is None:
                role = other
        elif previous is not None and previous.blocks and previous.blocks[-1].label == block.label:
            # Same heading, nothing new said: the previous program goes on (a fragment, never a second program).
            if _joins_two_programs(previous, block):
                block.skipped = msg("extract.why.second_program")
                continue
            if block.replaces:
                previous.blocks = []
            previous.blocks.append(block)
            continue
        elif previous is not None:
            block.skipped = msg("extract.why.excerpt")
            continue
        else:
            if _definitions_only(block.code):
                prelude.append(block)
            else:
                block.skipped = msg("extract.why.other_part")
            continue
        part = part_for(role, given)
        if not block.replaces and _joins_two_programs(part, block):
            block.skipped = msg("extract.why.second_program")
            continue
        if block.replaces:
            part.blocks = []
        part.blocks.append(block)
        previous = part
    for part in parts.values():
        if part.role in ("server", "client"):
            part.prelude = [b for b in prelude if not part.blocks or _before(b, part.blocks[0])]
    if not extraction.programs and not extraction.parts:
        extraction.error = msg("extract.no_code", document=extraction.document.name)
    elif extraction.server is None:
        found = ", ".join(parts) or msg("extract.n_blocks", count=len(extraction.programs))
        extraction.error = msg("extract.no_server", document=extraction.document.name, found=found)


def _before(a: Block, b: Block) -> bool:
    return (a.cell or 0, a.first_line) < (b.cell or 0, b.first_line)


def _joins_two_programs(part: Part, block: Block) -> bool:
    """Would ``block`` glue a second self-contained program onto one ``part`` already holds?"""
    return self_contained(block.code) and any(self_contained(b.code) for b in part.blocks)


OWN_SOCKET_CALLS = {"socket", "create_connection", "socketpair", "serve_forever"}


@lru_cache(maxsize=256)
def self_contained(code: str) -> bool:
    """A whole program: it makes its own socket and runs (a loop, a main guard or a call at the top level)."""
    return bool(_code_facts(code).calls & OWN_SOCKET_CALLS) and static.runs_on_its_own(code)


@lru_cache(maxsize=256)
def _code_facts(code: str) -> static.Facts:
    """``static.facts_of``, once per block: choosing the task and assigning blocks both ask (read only)."""
    return static.facts_of(code)


# --- which section is the chat task ---------------------------------------------------------

def _drop_repeats(blocks: List[Block]) -> None:
    """The same code twice (tabs "Клиент 1" / "Клиент 2"): kept once."""
    seen: Dict[str, Block] = {}
    for block in blocks:
        if block.skipped is not None:
            continue
        key = "\n".join(line.rstrip() for line in block.code.strip().splitlines())
        if key in seen:
            block.skipped = msg("extract.why.repeat", where=seen[key].where())
        else:
            seen[key] = block


def _guess_role(block: Block) -> Optional[str]:
    """The part a block most likely is, before ``assign`` decides."""
    named = name_role(block.name or block.label_name or "")
    role, unmistakable = code_role(block.code)
    if named and not (unmistakable and block.name is None):
        return named
    return role if unmistakable else (block.label_role or role)


@dataclass
class _Candidate:
    """One task's programs: a section of the document, or a run of blocks in one."""

    blocks: List[Block]
    roles: List[Optional[str]]

    def describe(self) -> Joined:
        first, last = self.blocks[0], self.blocks[-1]
        label = first.section or first.outer or first.label
        if first.cell is not None:
            where = msg("extract.cells", cells=f"{first.cell}-{last.cell}")
        else:
            where = msg("extract.lines", first=first.first_line, last=last.last_line)
        return Joined((f"'{label}' (", where, ")"), "") if label else Joined(("(", where, ")"), "")

    def score(self) -> int:
        names = {b.section for b in self.blocks} | {b.label for b in self.blocks} | {b.outer for b in self.blocks} \
            | {n for b in self.blocks for n in (b.name, b.label_name) if n}
        server = _facts([b for b, r in zip(self.blocks, self.roles) if r == "server"])
        client = _facts([b for b, r in zip(self.blocks, self.roles) if r == "client"])
        has = set(self.roles)
        return (tasks.names_say(n for n in names if n) + tasks.chat_shape(server, client)
                + 3 * ("server" in has) + ("client" in has))


def _facts(blocks: List[Block]) -> static.Facts:
    merged = static.Facts()
    for block in blocks:
        facts = _code_facts(block.code)
        merged.calls |= facts.calls
        merged.relays_to_many |= facts.relays_to_many
        merged.uses_threading |= facts.uses_threading
        merged.accepts_in_loop |= facts.accepts_in_loop
    return merged


def _candidates(blocks: List[Block]) -> List[_Candidate]:
    """The programs grouped by task: by section when two or more sections hold a server, and
    a new group wherever a complete program repeats a part the group already has."""
    programs = [b for b in blocks if b.skipped is None and not (b.name and not b.name.endswith(".py"))]
    roles = {id(b): _guess_role(b) for b in programs}
    sections: Dict[str, List[Block]] = {}
    for block in programs:
        sections.setdefault(block.section_key, []).append(block)
    with_server = [g for g in sections.values() if g[0].section and any(roles[id(b)] == "server" for b in g)]
    groups = list(sections.values()) if len(with_server) >= 2 else [programs]
    found: List[_Candidate] = []
    for group in groups:
        current: List[Block] = []
        held: set = set()
        for block in group:
            role = roles[id(block)]
            whole = self_contained(block.code)
            if whole and role is not None and role in held and current:
                found.append(_Candidate(current, [roles[id(b)] for b in current]))
                current, held = [], set()
            current.append(block)
            if whole and role is not None:
                held.add(role)
        if current:
            found.append(_Candidate(current, [roles[id(b)] for b in current]))
    return found


def choose_task(extraction: Extraction) -> None:
    """A whole-lab report: grade the section that is most the chat task, and say which were left out.

    Only groups with a server are tasks: a second client of the same task (another
    nickname, a v2) is left to ``assign``, which never glues it onto the first."""
    candidates = _candidates(extraction.blocks)
    if sum("server" in c.roles for c in candidates) < 2:
        return
    scores = [c.score() for c in candidates]
    best = scores.index(max(scores))  # the first of equals: the order the student wrote them in
    chosen = candidates[best]
    others = [c for c in candidates if c is not chosen
              and ("server" in c.roles or c.blocks[0].section_key != chosen.blocks[0].section_key)]
    for candidate in others:
        for block in candidate.blocks:
            block.skipped, block.other_task = msg("extract.why.another_task"), True
    extraction.task = chosen.describe()
    extraction.other_tasks = [c.describe() for c in others]
