"""Positive evidence that a chat speaks a protocol the grader cannot speak.

A check becomes ``manual`` (a person must look) only on such evidence: frames
the grader saw and could not read as chat text (JSON objects, length-prefixed
frames, pickled data), or a client whose code sends serialised frames.
"Nothing arrived" is no evidence (a server that relays nothing looks the same),
and neither is an ``import json`` on its own.  Pure: bytes and source in, a
name of what was found out.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Iterable, Optional

from autograder.intake import static

# Calls that turn a value into wire bytes of a format of its own.
SERIALISERS = {"dumps", "pack", "packb", "pack_into"}
SERIALISER_MODULES = {"json", "struct", "pickle", "marshal", "msgpack", "ujson", "orjson", "simplejson"}
SENDS = {"send", "sendall", "sendto", "write", "writelines"}
_SEPARATORS = re.compile(rb"[\r\n\x00]+")


def frame_kind(data: bytes) -> Optional[str]:
    """"json", "length-prefixed" or "pickle" when ``data`` is framed that way, else None."""
    data = bytes(data or b"")
    if not data.strip():
        return None
    if _json_frames(data):
        return "json"
    if _length_prefixed(data):
        return "length-prefixed"
    if len(data) > 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return "pickle"
    return None


def kind_in(chunks: Iterable[bytes]) -> Optional[str]:
    """The first protocol of its own found in any of ``chunks``."""
    return next((kind for kind in map(frame_kind, chunks) if kind), None)


def _json_frames(data: bytes) -> bool:
    """Every frame (a line, or a NUL-ended piece) is a JSON object or array."""
    pieces = [piece.strip() for piece in _SEPARATORS.split(data) if piece.strip()]
    if not pieces:
        return False
    for piece in pieces:
        if piece[:1] not in (b"{", b"["):
            return False
        try:
            json.loads(piece.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return False
    return True


def _length_prefixed(data: bytes) -> bool:
    """Frames of ``length + body`` that use the bytes up exactly (2 or 4 bytes, either order)."""
    for size in (4, 2):
        for order in ("big", "little"):
            at, frames = 0, 0
            while at + size <= len(data):
                length = int.from_bytes(data[at:at + size], order)
                if length == 0 or at + size + length > len(data):
                    break
                at, frames = at + size + length, frames + 1
            if frames and at == len(data):
                return True
    return False


def client_sends_serialised(path: Optional[Path]) -> bool:
    """The client's code sends what ``json.dumps`` / ``struct.pack`` / ``pickle.dumps`` made."""
    if path is None:
        return False
    try:
        tree = ast.parse(static.read_source(Path(path)))
    except (SyntaxError, ValueError, OSError):
        return False
    for scope in [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        serialised = {target.id for node in ast.walk(scope) if isinstance(node, ast.Assign) and _serialises(node.value)
                      for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(scope):
            if isinstance(node, ast.Call) and _method(node) in SENDS:
                for argument in node.args:
                    if _serialises(argument) or {n.id for n in ast.walk(argument) if isinstance(n, ast.Name)} & serialised:
                        return True
    return False


def _serialises(node: ast.AST) -> bool:
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        if (isinstance(func, ast.Attribute) and func.attr in SERIALISERS and isinstance(func.value, ast.Name)
                and func.value.id in SERIALISER_MODULES):
            return True
    return False


def _method(call: ast.Call) -> Optional[str]:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None
