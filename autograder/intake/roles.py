"""How a student's program is started: the arguments it wants.

Most chats are ``python server.py`` and ``python client.py``.  Some are one
file with a role (``python chat.py server``, ``--mode client``), some want a
port or a host on the command line.  We read what the code does with
``argparse`` and ``sys.argv`` and supply what a person would type; the port
and host we give do not matter (the harness rewrites every bind and
connect).  An instructor can say it outright: ``chatlab.toml`` in the
submission (or ``<folder>.chatlab.toml`` beside it), or ``--server`` /
``--client`` on the command line, each ``"FILE ARGS…"``.

Pure functions over source text, except ``override`` which reads that file.
"""
from __future__ import annotations

import ast
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Dict, List, Optional

from autograder.intake import safe_files

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

SERVER_WORDS = ("server", "serve", "srv", "s", "host", "сервер")
CLIENT_WORDS = ("client", "cli", "c", "connect", "join", "клиент")
PORT = "9090"
HOST = "127.0.0.1"
OVERRIDE_FILE = "chatlab.toml"


@dataclass
class Launch:
    server: List[str] = field(default_factory=list)
    client: List[str] = field(default_factory=list)
    how: str = "plain"  # plain | argparse | argv | override
    two_roles: bool = False  # one file plays both parts

    def describe(self) -> Dict[str, object]:
        return {"server_args": self.server, "client_args": self.client, "how": self.how}


def guess(source: str) -> Launch:
    """The arguments a person would give this program, as server and as client."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return Launch()
    return _from_argparse(tree) or _from_argv(tree) or Launch()


def _strings(node: ast.AST) -> List[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _role_pair(words: List[str]):
    lowered = {w.lower(): w for w in words}
    server = next((lowered[w] for w in SERVER_WORDS if w in lowered), None)
    client = next((lowered[w] for w in CLIENT_WORDS if w in lowered), None)
    return (server, client) if server and client else None


def _from_argparse(tree: ast.AST) -> Optional[Launch]:
    server: List[str] = []
    client: List[str] = []
    roles = False
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "add_argument"):
            continue
        flags = [s for arg in call.args for s in _strings(arg)]
        if not flags:
            continue
        options = {k.arg: k.value for k in call.keywords if k.arg}
        choices = _strings(options["choices"]) if "choices" in options else []
        positional = not flags[0].startswith("-")
        required = positional or _is_true(options.get("required"))
        flag = max(flags, key=len)
        pair = _role_pair(choices)
        if pair:
            roles = True
            server += ([] if positional else [flag]) + [pair[0]]
            client += ([] if positional else [flag]) + [pair[1]]
        elif _is_store_true(options) and flag.strip("-").lower() in SERVER_WORDS:
            roles = True
            server.append(flag)
        elif _is_store_true(options) and flag.strip("-").lower() in CLIENT_WORDS:
            roles = True
            client.append(flag)
        elif required and "default" not in options:
            value = _value_for(flag.strip("-"), options)
            server += ([] if positional else [flag]) + [value]
            client += ([] if positional else [flag]) + [value]
    if not roles and not server:
        return None
    return Launch(server=server, client=client, how="argparse", two_roles=roles)


def _is_true(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _is_store_true(options) -> bool:
    action = options.get("action")
    return isinstance(action, ast.Constant) and action.value == "store_true"


def _value_for(name: str, options=None) -> str:
    name = name.lower()
    if any(word in name for word in ("host", "ip", "addr", "server_address")):
        return HOST
    if any(word in name for word in ("nick", "name", "user")):
        return "alice"
    return PORT


def _from_argv(tree: ast.AST) -> Optional[Launch]:
    """``sys.argv[N]`` used: role words compared with it, int() of a port, a host."""
    used: Dict[int, str] = {}
    names: Dict[str, int] = {}  # variables assigned from sys.argv[N]
    for node in ast.walk(tree):
        index = _argv_index(node)
        if index is not None:
            used.setdefault(index, "")
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value.args[0] if isinstance(node.value, ast.Call) and node.value.args else node.value
            index = _argv_index(value)
            if index is not None:
                names[node.targets[0].id] = index
                used[index] = node.targets[0].id
                if isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "int":
                    used[index] = "port"
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "int" and node.args:
            index = _argv_index(node.args[0])
            if index is not None:
                used[index] = "port"
    if not used:
        return None
    compared: Dict[int, List[str]] = {}
    for node in (n for n in ast.walk(tree) if isinstance(n, ast.Compare)):
        sides = [node.left] + list(node.comparators)
        index = next((i for i in (_argv_index(s) if _argv_index(s) is not None else names.get(getattr(s, "id", "")) for s in sides) if i is not None), None)
        if index is not None:
            compared.setdefault(index, []).extend(w for s in sides for w in _strings(s))
    server: List[str] = []
    client: List[str] = []
    roles = False
    for index in range(1, max(used) + 1):
        pair = _role_pair(compared.get(index, []))
        if pair:
            roles = True
            server.append(pair[0])
            client.append(pair[1])
        else:
            value = _value_for(used.get(index, ""))
            server.append(value)
            client.append(value)
    return Launch(server=server, client=client, how="argv", two_roles=roles)


def _argv_index(node: ast.AST) -> Optional[int]:
    """N for ``sys.argv[N]`` (N ≥ 1), else None."""
    if not isinstance(node, ast.Subscript):
        return None
    target = node.value
    is_argv = (isinstance(target, ast.Attribute) and target.attr == "argv") or \
        (isinstance(target, ast.Name) and target.id == "argv")
    index = node.slice
    if isinstance(index, ast.Index):  # pragma: no cover - Python 3.8 AST
        index = index.value
    if is_argv and isinstance(index, ast.Constant) and isinstance(index.value, int) and index.value >= 1:
        return index.value
    return None


class Said(dict):
    """``{"server": [FILE, ARGS…], "client": […]}`` and where each came from."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: Dict[str, str] = {}  # role -> "command line" or the file that said it
        self.ignored: Optional[str] = None  # a chatlab.toml inside the submission, not allowed


def override(submission: Path, server: Optional[str] = None, client: Optional[str] = None,
             trust_submission: bool = False) -> Said:
    """What the instructor said: ``{"server": [FILE, ARGS…], "client": […]}``.

    The command line wins over ``chatlab.toml`` in the submission, which wins
    over ``<folder>.chatlab.toml`` beside it.  The one in the submission is the
    student's word, not the instructor's: honoured only with ``trust_submission``
    (``--allow-student-overrides``), else ignored and reported."""
    said = Said()
    beside, inside = submission.parent / f"{submission.name}.{OVERRIDE_FILE}", submission / OVERRIDE_FILE
    for path in (beside, inside):
        if not safe_files.is_regular(path):
            continue
        if path == inside and not trust_submission:
            said.ignored = OVERRIDE_FILE
            continue
        try:
            data = tomllib.loads(safe_files.read_bytes(path, MAX_OVERRIDE).decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        for role in ("server", "client"):
            if data.get(role):
                said[role] = shlex.split(str(data[role]))
                said.sources[role] = path.name if path == inside else f"../{path.name}"
    for role, line in (("server", server), ("client", client)):
        if line:
            said[role] = shlex.split(line)
            said.sources[role] = "command line"
    return said


MAX_OVERRIDE = 64 * 1024


def refusal(root: Path, name: str) -> Optional[str]:
    """Why an override's file may not be used (a key of ``launch.refused.*``), or None.

    Only a file of this submission may be started as its program: not an
    absolute path, nothing through ``..`` or a symlink, nothing that resolves
    outside (another student's server, the kit's reference)."""
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() or PureWindowsPath(name).drive:
        return "absolute"
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        return "parent"
    here = root
    for part in parts:
        here = here / part
        if here.is_symlink():
            return "symlink"
    try:
        here.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return "outside"
    return None
