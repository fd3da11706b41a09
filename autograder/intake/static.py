"""What a student's source says without running it.

Pure functions over source text (``ast``): is it Python 3 at all, what does it
import, does it look like a server or a client, which transport.  Local
modules the file imports are followed one level, so a server split into
``server.py`` + ``chat/handlers.py`` is judged as a whole.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Set, Tuple

from autograder.intake import safe_files

THREADING_MODULES = {"threading", "_thread", "concurrent.futures", "concurrent"}
SERVER_CALLS = {"listen", "accept", "recvfrom", "serve_forever"}
CLIENT_CALLS = {"connect", "connect_ex", "create_connection"}


@dataclass
class SourceProblem:
    """Why a file cannot be run, in one line (the catalogue key says the kind)."""

    key: str
    file: str
    line: Optional[int] = None
    detail: str = ""
    code: str = ""  # the offending line, as written
    column: Optional[int] = None  # 1-based, where Python points its caret


# Problems that are the student's own mistake in a program that is Python: a grade, not "cannot be graded".
GRADED_PROBLEMS = ("error.syntax", "error.python2")


PROCESS_CALLS = {"fork", "forkpty", "kill", "killpg", "setsid", "system", "spawnl", "spawnv", "spawnlp", "spawnvp",
                 "execv", "execl", "execvp", "execlp", "posix_spawn", "Popen"}
PROCESS_MODULES = {"multiprocessing", "subprocess", "psutil", "pty"}


@dataclass
class Facts:
    imports: Set[str] = field(default_factory=set)
    calls: Set[str] = field(default_factory=set)
    uses_threading: bool = False
    uses_udp: bool = False
    uses_tcp: bool = False
    reads_stdin: bool = False
    accepts_in_loop: bool = False
    relays_to_many: bool = False  # ``for c in clients: c.send(...)``: sends to each of a collection
    types_in_loop: bool = False  # ``input()`` inside a loop: a person chatting, not a start-up question

    @property
    def two_user(self) -> bool:
        """A chat for two: one ``accept`` never repeated (TCP), or a UDP
        program with a person typing at it in a loop — multi-user UDP servers
        relay and do not chat from the keyboard.  A server that sends to each
        of its users is never for two, whatever it asks at start-up."""
        if self.relays_to_many:
            return False
        if "accept" in self.calls:
            return not self.accepts_in_loop and self.reads_stdin
        return self.uses_udp and self.types_in_loop and "serve_forever" not in self.calls

    @property
    def manages_processes(self) -> bool:
        """It forks, signals or starts processes: copies of it running side by side could meet
        (a kill aimed at one hits another, forks share one uid's process limit)."""
        return bool(self.calls & PROCESS_CALLS) or any(name.split(".")[0] in PROCESS_MODULES for name in self.imports)

    @property
    def server_score(self) -> int:
        return len(self.calls & SERVER_CALLS) + ("bind" in self.calls)

    @property
    def client_score(self) -> int:
        return len(self.calls & CLIENT_CALLS) + ("sendto" in self.calls and "bind" not in self.calls)


def read_source(path: Path) -> str:
    """Source text the way the sandbox will see it (UTF-8, or cp1251 turned into it)."""
    return decode_student_text(safe_files.read_bytes(path))


def decode_student_text(data: bytes) -> str:
    """UTF-8 (a BOM dropped), or cp1251 as Russian Windows saves it."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def problem_with(path: Path) -> Optional[SourceProblem]:
    """None if the file is Python 3 that compiles, else what is wrong."""
    data = safe_files.read_bytes(path)
    if b"\x00" in data[:8192]:
        return SourceProblem("error.binary", path.name)
    source = read_source(path)
    try:
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as error:
        detail = (error.msg or "").strip()
        key = "error.python2" if looks_like_python2(source, detail) else "error.syntax"
        lines = source.splitlines()
        code = lines[error.lineno - 1] if error.lineno and 0 < error.lineno <= len(lines) else (error.text or "")
        return SourceProblem(key, path.name, error.lineno, detail, code.rstrip("\r\n"), error.offset)
    except ValueError as error:  # e.g. null bytes deeper in the file
        return SourceProblem("error.binary", path.name, None, str(error))
    nested = nested_main_guard(source)
    if nested:
        # Not repaired for the student: the file as written starts nothing, and they should see where.
        return SourceProblem("error.main_guard_nested", path.name, nested[1], nested[0])
    return None


def runs_on_its_own(source: str) -> bool:
    """Running the file does something: a loop, a main guard or a call of its own code at the top level."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for node in tree.body:
        if isinstance(node, (ast.While, ast.For)) or is_main_guard(node):
            return True
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            root = node.value.func
            while isinstance(root, (ast.Attribute, ast.Call)):
                root = root.value if isinstance(root, ast.Attribute) else root.func
            if getattr(root, "id", None) in defined:
                return True
    return False


def is_main_guard(node: ast.AST) -> bool:
    """``if __name__ == "__main__":``"""
    if not isinstance(node, ast.If):
        return False
    names = {n.id for n in ast.walk(node.test) if isinstance(n, ast.Name)}
    texts = {n.value for n in ast.walk(node.test) if isinstance(n, ast.Constant)}
    return "__name__" in names and "__main__" in texts


def nested_main_guard(source: str) -> Optional[Tuple[str, int]]:
    """(function, line) of a main guard indented into a function's body (a document
    pasted one level too deep), when nothing at the file's top level runs."""
    if not re.search(r"^[ \t]+if\s*\(?\s*__name__", source, re.MULTILINE):
        return None  # no indented guard at all: the usual case, without parsing again
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    if runs_on_its_own(source):
        return None  # something at the top level runs: the stray guard is not what stops it
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in function.body:
                if is_main_guard(node):
                    return function.name, node.lineno
    return None


_PY2 = re.compile(r"^\s*print\s+[\"'\w]|raw_input\s*\(|^\s*except\s+\w+\s*,\s*\w+\s*:", re.MULTILINE)


def looks_like_python2(source: str, detail: str) -> bool:
    return "Missing parentheses" in detail or bool(_PY2.search(source))


_IMPORT_LINE = re.compile(r"^\s*(?:import|from)\s+([\w.]+)", re.MULTILINE)


def facts_of(source: str) -> Facts:
    facts = Facts()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        # A file that does not compile still says what it imports (threading is judged on that).
        facts.imports.update(_IMPORT_LINE.findall(source))
        roots = {name.split(".")[0] for name in facts.imports}
        facts.uses_threading = bool(roots & {m.split(".")[0] for m in THREADING_MODULES})
        return facts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            facts.imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            facts.imports.add(node.module)
            if node.module == "socketserver":
                facts.imports.update(f"socketserver.{a.name}" for a in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name:
                facts.calls.add(name)
        elif isinstance(node, ast.Attribute):
            if node.attr == "SOCK_DGRAM":
                facts.uses_udp = True
            elif node.attr == "SOCK_STREAM":
                facts.uses_tcp = True
            elif node.attr in ("ThreadingTCPServer", "ThreadingUDPServer", "ThreadingMixIn"):
                facts.uses_threading = True
        elif isinstance(node, ast.Name):
            if node.id == "SOCK_DGRAM":
                facts.uses_udp = True
            elif node.id in ("ThreadingTCPServer", "ThreadingUDPServer", "ThreadingMixIn"):
                facts.uses_threading = True
    acceptors = _functions_that_accept(tree)
    loops = [node for node in ast.walk(tree) if isinstance(node, (ast.While, ast.For))]
    facts.accepts_in_loop = any(_accepts_again_and_again(loop, acceptors) for loop in loops)
    facts.relays_to_many = any(_sends_to_each(loop) for loop in loops if isinstance(loop, ast.For))
    facts.types_in_loop = any(_calls(loop, "input") for loop in loops)
    roots = {name.split(".")[0] for name in facts.imports}
    if roots & {m.split(".")[0] for m in THREADING_MODULES} or any("Threading" in n for n in facts.imports):
        facts.uses_threading = True
    # A person at the keyboard: input() or sys.stdin. (readline alone is no
    # evidence: servers read sockets through makefile().readline too.)
    facts.reads_stdin = ("input" in facts.calls
                         or any(isinstance(n, ast.Attribute) and n.attr == "stdin" for n in ast.walk(tree)))
    return facts


def _called_name(node: ast.AST) -> Optional[str]:
    if not isinstance(node, ast.Call):
        return None
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)


def _calls(tree: ast.AST, name: str) -> bool:
    return any(_called_name(node) == name for node in ast.walk(tree))


def _is_accept(node: ast.AST) -> bool:
    """``something.accept()``: a bare ``accept()`` is some function of the student's."""
    return _called_name(node) == "accept" and isinstance(node.func, ast.Attribute)


def _names_in(node: ast.AST) -> Set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _functions_that_accept(tree: ast.AST) -> Set[str]:
    """Names of the functions (and methods) whose body calls ``accept``:
    ``while True: conn, nick = wait_for_user()`` accepts again and again too."""
    return {node.name for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(map(_is_accept, ast.walk(node)))}


def _sends_to_each(loop: ast.For) -> bool:
    """``for c in clients: c.send(...)`` or ``for a in addresses: s.sendto(data, a)``."""
    targets = _names_in(loop.target)
    for node in ast.walk(loop):
        name = _called_name(node)
        if name in ("send", "sendall") and isinstance(node.func, ast.Attribute) and _names_in(node.func.value) & targets:
            return True
        if name == "sendto" and len(node.args) >= 2 and _names_in(node.args[1]) & targets:
            return True
    return False


def _accepts_again_and_again(loop: ast.AST, acceptors: Set[str] = frozenset()) -> bool:
    """A loop that calls ``accept`` (itself or through a function of the file)
    and does not leave after it: a server for many.  (``while True: try: conn
    = s.accept(); break`` is one accept with retries, as a two-user server
    waiting with a timeout does.  Leaving from an ``except`` handler is giving
    up on an error, not a plan: still many.)"""
    accepts = leaves = False
    stack = [(child, False) for child in ast.iter_child_nodes(loop)]
    while stack:
        node, in_handler = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        if _is_accept(node) or (_called_name(node) in acceptors - {"accept"}):
            accepts = True
        if isinstance(node, (ast.Break, ast.Return)) and not in_handler:
            leaves = True
        in_handler = in_handler or isinstance(node, ast.ExceptHandler)
        stack.extend((child, in_handler) for child in ast.iter_child_nodes(node))
    return accepts and not leaves


def local_modules(path: Path, imports: Set[str]) -> List[Path]:
    """Files of the submission that ``imports`` refer to (one level deep)."""
    found = []
    for name in imports:
        parts = name.split(".")
        for candidate in (path.parent.joinpath(*parts).with_suffix(".py"),
                          path.parent.joinpath(*parts, "__init__.py"),
                          path.parent.joinpath(parts[0]).with_suffix(".py")):
            if safe_files.is_regular(candidate) and candidate != path:
                found.append(candidate)
                break
    return found


def analyse(path: Path) -> Facts:
    """Facts of a file together with the local modules it imports."""
    facts = facts_of(read_source(path))
    for module in local_modules(path, set(facts.imports)):
        more = facts_of(read_source(module))
        facts.calls |= more.calls
        facts.uses_threading |= more.uses_threading
        facts.uses_udp |= more.uses_udp
        facts.uses_tcp |= more.uses_tcp
        facts.accepts_in_loop |= more.accepts_in_loop
        facts.relays_to_many |= more.relays_to_many
        facts.types_in_loop |= more.types_in_loop
    return facts


def imports_followed(path: Path, depth: int = 3, limit: int = 40) -> Set[str]:
    """Every module a program imports, through the local modules and packages it
    imports (relative imports too), ``depth`` levels deep: an entry file that only
    imports ``chat/`` shows what ``chat/`` needs."""
    seen_files, found, layer = {path}, set(), [path]
    for _ in range(depth):
        following = []
        for file in layer:
            try:
                tree = ast.parse(read_source(file))
            except (SyntaxError, ValueError):
                continue
            for node in ast.walk(tree):
                for name, base in _imported(node, file):
                    found.add(name)
                    for module in local_modules(base / "_", {name}) + local_modules(base / "_", {name.split(".")[-1]}):
                        if module not in seen_files and len(seen_files) < limit:
                            seen_files.add(module)
                            following.append(module)
        layer = following
    return found


def _imported(node: ast.AST, file: Path):
    """(module name, folder it is relative to) for each import in ``node``."""
    if isinstance(node, ast.Import):
        return [(alias.name, file.parent) for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if not node.level:
        return [(node.module, file.parent)] if node.module else []
    base = file.parents[node.level - 1] if node.level - 1 < len(file.parents) else file.parent
    if node.module:  # from .protocol import encode; from .. import x
        return [(node.module, base)] + [(f"{node.module}.{alias.name}", base) for alias in node.names]
    return [(alias.name, base) for alias in node.names]  # from . import protocol
