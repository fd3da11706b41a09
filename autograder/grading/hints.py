"""Hints that teach: the mistakes real submissions make, recognised from a
failed check's evidence, each with a short explanation and the fix.

A signature looks at one failed check together with what the grader knows
(the exceptions the program's threads raised, its source) and says whether
this is *that* mistake.  The first signature that matches replaces the
check's generic hint.  Every signature is tied to a fixture submission that
makes the mistake (``tests/test_hints.py``).  Pure: no sockets, no processes.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

from autograder.results import CheckResult, Joined, msg


@dataclass
class Evidence:
    """What a signature may look at besides the check itself."""

    server_source: str = ""
    client_source: str = ""
    variant: str = "tcp-multi"


@dataclass(frozen=True)
class Signature:
    id: str
    checks: tuple  # the checks whose failure it can explain
    # Falsy: not this mistake (its evidence is absent, so no hint); a dict with ``line``/``code``
    # (and ``type``, ``file`` for an exception): the evidence, which the hint opens with.
    matches: Callable[[CheckResult, Evidence], Any]
    fixture: str  # the fixture that makes this mistake (tests/fixtures/...)


def _raised(result: CheckResult, *types: str, text: str = "") -> bool:
    return any(e.get("type") in types and text.lower() in str(e.get("message", "")).lower()
               for e in result.exceptions)


_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)')
_RAISED = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning))\b(?::\s*(?P<message>.*))?$")
CLOSED_CONNECTION = ("OSError", "ConnectionResetError", "ConnectionAbortedError", "BrokenPipeError",
                     "ConnectionError", "ConnectionRefusedError")


def crash_in(text: Optional[str]) -> Optional[Dict[str, str]]:
    """The last exception of a printed traceback: its type and the student's last frame (file, line, code).

    Tracebacks are recorded with the student's frames only, so the last frame is
    the student's line that raised."""
    if not text or "Traceback" not in text:
        return None
    crash: Optional[Dict[str, str]] = None
    where: Dict[str, str] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines):
        frame = _FRAME.match(line)
        if frame:
            code = lines[number + 1].strip() if number + 1 < len(lines) else ""
            where = {"file": frame.group("file").rsplit("/", 1)[-1], "line": frame.group("line"),
                     "code": "" if _FRAME.match(code) else code}
            continue
        raised = _RAISED.match(line.strip()) if not line.startswith(" ") else None
        if raised:
            crash = {"type": raised.group("type").rsplit(".", 1)[-1], **where}
    return crash


def client_ended_keyboard(result: CheckResult, evidence: "Evidence"):
    """EOFError from input(): the keyboard ended (Ctrl+D, Ctrl+Z) and nothing caught it."""
    crash = crash_in(result.actual)
    if crash and crash["type"] == "EOFError" and crash.get("line"):
        return crash
    return None


def client_recv_after_close(result: CheckResult, evidence: "Evidence"):
    """A socket error (or a closed socket's ValueError) from the client's own receive or send line."""
    crash = crash_in(result.actual)
    if not crash or not crash.get("line"):
        return None
    if crash["type"] in CLOSED_CONNECTION or (crash["type"] == "ValueError" and "recv" in crash.get("code", "")):
        return crash
    return None


def _message(result: CheckResult, *keys: str) -> bool:
    return result.message is not None and result.message.key in keys


def _parse(source: str) -> Optional[ast.AST]:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


def removes_while_iterating(source: str) -> bool:
    """``for c in clients: … clients.remove(c)`` (or ``.pop``, ``del clients[…]``)."""
    tree = _parse(source)
    if tree is None:
        return False
    for loop in ast.walk(tree):
        if not isinstance(loop, ast.For):
            continue
        iterated = loop.iter
        if isinstance(iterated, ast.Call) and getattr(iterated.func, "id", None) == "enumerate" and iterated.args:
            iterated = iterated.args[0]
        if not isinstance(iterated, ast.Name):
            continue
        for node in ast.walk(loop):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("remove", "pop") and getattr(node.func.value, "id", None) == iterated.id):
                return True
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id.startswith("remove"):
                return True  # a helper that removes from the list being iterated (remove_user(idx))
    return False


def starts_threads(source: str) -> bool:
    return "Thread(" in source or "start_new_thread" in source or "ThreadPoolExecutor" in source \
        or "Threading" in source


def decodes_ascii(source: str) -> bool:
    lowered = source.replace('"', "'").lower()
    return "'ascii'" in lowered or "encoding='ascii'" in lowered


SENDS = ("send", "sendall")
SHRINKS = ("remove", "pop", "discard", "clear", "popitem")


def _sends(node: ast.AST, senders: set) -> bool:
    """A send/sendall call in ``node``, or a call of a module function that sends."""
    for call in ast.walk(node):
        if not isinstance(call, ast.Call):
            continue
        if isinstance(call.func, ast.Attribute) and call.func.attr in SENDS:
            return True
        name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", None)
        if name in senders:
            return True
    return False


def sends_under_lock(source: str) -> bool:
    """``with lock:`` around a send (directly or through a function that sends,
    e.g. ``with lock: broadcast(msg)``), the lock being anything named *lock*."""
    tree = _parse(source)
    if tree is None:
        return False
    functions = [f for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    senders: set = set()
    for _ in range(3):  # a helper that calls a helper that sends
        senders |= {f.name for f in functions if _sends(f, senders)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.With):
            continue
        locked = any("lock" in ast.unparse(item.context_expr).lower() for item in node.items)
        if locked and any(_sends(statement, senders) for statement in node.body):
            return True
    return False


def buffers_stream(source: str) -> bool:
    """The server reads the stream up to a delimiter: lines from ``makefile``/
    ``readline``/``socketserver``, or a buffer it appends to and cuts."""
    if any(word in source for word in ("makefile", "readline", "socketserver", "recv_exactly", "MSG_WAITALL")):
        return True
    tree = _parse(source)
    if tree is None:
        return False
    grown = {ast.unparse(n.target) for n in ast.walk(tree)
             if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Add)}
    for call in ast.walk(tree):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr in ("split", "partition", "find", "index", "splitlines")
                and ast.unparse(call.func.value) in grown):
            return True
    return False


def removes_users(source: str):
    """Where the code takes a user out of a collection it sends to (``clients.remove(conn)``,
    ``del users[nick]``): the first such line as ``{"line", "code"}``, else None."""
    tree = _parse(source)
    if tree is None:
        return None
    looped = {name.id for loop in ast.walk(tree) if isinstance(loop, ast.For)
              for name in ast.walk(loop.iter) if isinstance(name, ast.Name)}
    lines = source.splitlines()
    for node in ast.walk(tree):
        target = None
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SHRINKS
                and isinstance(node.func.value, ast.Name)):
            target = node.func.value.id
        elif isinstance(node, ast.Delete):
            target = next((t.value.id for t in node.targets
                           if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)), None)
        if target in looped:
            return {"line": node.lineno, "code": lines[node.lineno - 1].strip()}
    return None


def registry_never_shrinks(source: str) -> bool:
    """The users' collection, which nothing ever removes from (no remove/pop/discard/del,
    never rebuilt).  A collection is the users' only if the code sends to its items or puts
    what ``accept()`` returned in it: a history of messages replayed to newcomers also only
    grows, and rightly so."""
    tree = _parse(source)
    if tree is None:
        return False
    added, shrunk = set(), set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)):
            if node.func.attr in ("append", "add", "insert", "setdefault"):
                added.add(node.func.value.id)
            elif node.func.attr in SHRINKS:
                shrunk.add(node.func.value.id)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    # users[:] = [...] rebuilds the list; users[conn] = name adds to it
                    (shrunk if isinstance(target.slice, ast.Slice) else added).add(target.value.id)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    shrunk.add(target.value.id)
    # Rebuilt inside a function (``clients = [c for c in clients if c is not dead]``) counts as shrinking.
    for function in ast.walk(tree):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(function):
                if isinstance(node, ast.Assign):
                    shrunk |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    looped = {n.id for node in ast.walk(tree) if isinstance(node, (ast.For, ast.comprehension))
              for n in ast.walk(node.iter) if isinstance(n, ast.Name)}
    return bool((added & (_sent_to(tree) | (_holds_accepted(tree) & looped))) - shrunk)


def _sent_to(tree: ast.AST) -> set:
    """Collections whose items a loop sends to: ``for c in clients: c.send(…)``, ``sendto(…, addr)``."""
    found = set()
    for loop in ast.walk(tree):
        if not isinstance(loop, ast.For):
            continue
        targets = {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
        for call in ast.walk(loop):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            receiver = {n.id for n in ast.walk(call.func.value) if isinstance(n, ast.Name)}
            to = {n.id for arg in call.args[1:2] for n in ast.walk(arg) if isinstance(n, ast.Name)}
            if (call.func.attr in SENDS and receiver & targets) or (call.func.attr == "sendto" and to & targets):
                found |= {n.id for n in ast.walk(loop.iter) if isinstance(n, ast.Name)}
    # A copy taken to send outside the lock (targets = list(clients)) stands for what it copies.
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in found for t in node.targets):
            found |= {n.id for n in ast.walk(node.value) if isinstance(n, ast.Name)}
    return found


def _holds_accepted(tree: ast.AST) -> set:
    """Collections that get what ``accept()`` returned: ``conn, addr = s.accept(); clients.append(conn)``."""
    accepted = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and getattr(node.value.func, "attr", None) == "accept"):
            accepted |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    found = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                and node.func.attr in ("append", "add", "insert", "setdefault")
                and any(isinstance(n, ast.Name) and n.id in accepted for a in node.args for n in ast.walk(a))):
            found.add(node.func.value.id)
        elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)
                and {n.id for n in ast.walk(t.slice) if isinstance(n, ast.Name)} & accepted for t in node.targets):
            found |= {t.value.id for t in node.targets if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name)}
    return found


SIGNATURES: List[Signature] = [
    Signature("empty_recv_loop", ("idle_after_leave",), lambda r, e: True, "tcp/busy_loop_empty_recv"),
    Signature("ascii_decoding", ("unicode", "handshake", "broadcast"),
              lambda r, e: _raised(r, "UnicodeDecodeError", "UnicodeEncodeError", text="ascii")
              or decodes_ascii(e.server_source), "tcp/ascii_only"),
    # A list changed while a loop walks it is the more precise story: told first.
    Signature("list_changed_while_iterating", ("drop_survival", "many_clients"),
              lambda r, e: removes_while_iterating(e.server_source), "tcp/list_changed_while_iterating"),
    # A leave that nothing in the code ever notices: the precise story for leave_notice, told
    # before the never-shrinking registry (which still explains drop_survival).
    Signature("leave_not_noticed", ("leave_notice",),
              lambda r, e: e.variant == "tcp-multi" and _parse(e.server_source) is not None
              and removes_users(e.server_source) is None, "tcp/leave_never_noticed"),
    # Before the reset signatures: a user never removed is what makes the dead socket stay.
    Signature("never_removes_users", ("drop_survival", "leave_notice"),
              lambda r, e: e.variant == "tcp-multi" and registry_never_shrinks(e.server_source),
              "tcp/never_removes_users"),
    Signature("reset_not_handled", ("drop_survival",),
              lambda r, e: _raised(r, "ConnectionResetError", "BrokenPipeError", "OSError")
              or _message(r, "fail.drop.dead", "fail.drop.dead_later"), "tcp/crash_on_disconnect"),
    Signature("missing_name", ("names",), lambda r, e: True, "tcp/no_names"),
    Signature("udp_forgets_addresses", ("broadcast",), lambda r, e: e.variant == "udp-multi",
              "udp/forgets_addresses"),
    Signature("echo_only", ("broadcast",), lambda r, e: r.facts.get("echo_to_sender") is True,
              "tcp/echo_only"),
    Signature("one_client_at_a_time", ("broadcast", "threads", "join_notice"),
              lambda r, e: e.variant == "tcp-multi" and "accept" in e.server_source
              and not starts_threads(e.server_source) and "select" not in e.server_source,
              "tcp/one_client_at_a_time"),
    Signature("small_recv_as_message", ("broadcast",), lambda r, e: _message(r, "fail.broadcast.long"),
              "tcp/recv_chunks_relayed"),
    Signature("no_broadcast", ("broadcast",), lambda r, e: e.variant == "tcp-multi", "tcp/no_broadcast"),
    Signature("no_threading", ("threads",), lambda r, e: _message(r, "fail.threads.static"),
              "tcp/no_threads_select"),
    # Only a server that does remove the user leaves silently; one that never notices the leave is told so.
    Signature("silent_leave", ("leave_notice",), lambda r, e: removes_users(e.server_source), "tcp/no_leave_notice"),
    Signature("client_no_receive_thread", ("client_receives",),
              lambda r, e: not starts_threads(e.client_source), "client/no_receive_thread"),
    # The traceback names the mistake: input() at the keyboard's end, or a socket used after the end.
    Signature("client_eof_on_input", ("client_exits",), client_ended_keyboard, "client/eof_on_input"),
    Signature("client_crash_on_close", ("client_exits",), client_recv_after_close, "client/crash_on_close"),
    # A two-user side that alternates recv and input fails whichever direction
    # has to wait first; with no thread at all, that is the lock-step mistake.
    Signature("lockstep", ("duplex", "server_to_client", "client_to_server", "threads"),
              lambda r, e: "two-user" in e.variant and (r.id == "duplex" or not starts_threads(e.server_source)),
              "two_user/tcp_lockstep"),
    # Most chats that fail `slow_reader` send in the receiving thread; the lock makes it everybody's stall.
    Signature("lock_held_while_sending", ("slow_reader",), lambda r, e: sends_under_lock(e.server_source),
              "tcp/lock_while_sending"),
    Signature("one_recv_one_message", ("framing",), lambda r, e: not buffers_stream(e.server_source),
              "tcp/one_recv_per_message"),
    Signature("udp_client_no_thread", ("threads",), lambda r, e: e.variant == "udp-multi",
              "udp/client_no_thread"),
]


def recognise(result: CheckResult, evidence: Evidence) -> Optional[Signature]:
    return _recognised(result, evidence)[0]


def _recognised(result: CheckResult, evidence: Evidence):
    """The first signature whose evidence is there, and that evidence (a dict when it names a line)."""
    if result.status != "failed":
        return None, None
    for signature in SIGNATURES:
        if result.id in signature.checks:
            seen = signature.matches(result, evidence)
            if seen:
                return signature, seen
    return None, None


def apply(results: List[CheckResult], evidence: Evidence) -> None:
    """Give every failed check the hint of the mistake it shows, if known,
    opening with the evidence (the exception and the line) where there is one."""
    for result in results:
        signature, seen = _recognised(result, evidence)
        if signature is None:
            continue
        result.signature = signature.id
        result.hint = msg(f"mistake.{signature.id}")
        if isinstance(seen, dict) and seen.get("line"):
            key = "hint.evidence.raised" if seen.get("type") else "hint.evidence.code"
            seen = {"type": "", "file": "", "code": "", **seen}
            result.hint = Joined((msg(key, **seen), result.hint), " ")
