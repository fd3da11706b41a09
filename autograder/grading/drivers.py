"""Which way the server checks drive a student's server, and when to try another.

A third of the chats in the course speak a protocol of their own, and the
grader's text users cannot join them; an instructor would chat through the
student's own client instead.  So there are three ways to play the users of a
scenario, tried in this order and only as far as needed:

* ``wire``: the grader's text users (``clients.ScriptedUser``): fast and precise;
* ``learned``: the same users speaking the frames learnt from the student's
  client (``frames.py``: JSON lines, length prefixes, ``NICK:`` …);
* ``puppet``: copies of the student's client, typed into, judged by what their
  screens show (``puppet.PuppetUser``).

A check passes if any way shows the behaviour; each result says which way
produced it and which ways were tried.  A text-protocol chat the wire users
can join never costs a second pass.  Where no way can judge a behaviour (the
protocol is the student's own and their client has a window, or none), the
check is ``manual``: counted apart from failures, and flagged for a person.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import replace
from typing import Callable, Dict, List, Optional

from autograder.grading import evidence
from autograder.intake import static
from autograder.results import CheckResult, msg

WAYS = ("wire", "learned", "puppet")
PUPPET_CHECKS_AT_ONCE = 4
MULTI_USER = ("tcp-multi", "udp-multi")
# A client with a window cannot be typed into through stdin.
GUI_MODULES = {"tkinter", "Tkinter", "customtkinter", "PyQt5", "PyQt6", "PySide2", "PySide6", "kivy", "wx",
               "pygame", "flet", "eel", "dearpygui", "PySimpleGUI", "flask", "flask_socketio", "toga"}
# What a puppet pass shows about the student's client, when it shows the server's behaviour.
CLIENT_SHOWN_BY = {
    "client_connects": ("handshake",),
    "client_handshake": ("join_notice", "names"),
    "client_sends": ("broadcast",),
    "client_receives": ("broadcast",),
}


def is_server_check(check_id: str) -> bool:
    return not check_id.startswith("client_")


def gui_toolkit(path) -> Optional[str]:
    """The window toolkit a client imports, if any."""
    if path is None:
        return None
    imports = {name.split(".")[0] for name in static.analyse(path).imports}
    return next((name for name in sorted(GUI_MODULES) if name in imports), None)


def other_ways(outcome, checks, session, probe, at_once: bool = True):
    """The wire way's outcome, and the other ways where the wire users could not join: a new outcome."""
    from autograder.grading.runner import Outcome

    results = {cid: replace(r, driven_by="wire", tried=["wire"]) for cid, r in outcome.results.items()}
    state = Outcome(results, list(outcome.detected), list(outcome.profiles), list(outcome.heard), dict(outcome.extra))
    toolkit = gui_toolkit(session.client_file)
    try:
        _other_ways(state, checks, session, probe, toolkit, at_once)
    finally:
        # A window cannot be typed into through stdin: a person tries it, if it is a chat client at all.
        if toolkit and _talks_over_sockets(session.client_file):
            _mark_client_manual(state.results, toolkit)
        run = session.client_session() if session.client_file is not None else None
        if run is not None:
            state.extra.update({f"client_{k}": v for k, v in run.learned.items()})
            if run.profile.nickname_step is not None:  # the nickname the client typed went out as chat
                state.extra["nickname_step"] = run.profile.nickname_step
    state.results = _in_order(state.results, checks)
    return state


def _other_ways(state, checks, session, probe, toolkit: Optional[str], at_once: bool) -> None:
    if session.variant not in MULTI_USER or not _some_server_check_failed(state.results):
        return
    client = session.client_session()  # waits until the client has been examined
    reasons: Dict[str, str] = {}
    if client is not None and session.transport == "tcp" and client.own_protocol:
        reasons["learned"] = "own_frames"
        _rerun(state, checks, session, probe, "learned", at_once, frames=client.frames)
    if _wire_cannot_join(state.results):
        why_not = _why_no_puppets(session, client, toolkit)
        if why_not is None:
            reasons["puppet"] = "wire_cannot_join"
            _rerun(state, checks, session, probe, "puppet", at_once)
            _client_shown_by_puppets(state.results)
        elif _own_protocol(state, session, probe, client):
            _mark_manual(state.results, session, why_not)
    state.extra["drivers"] = {"ways": ["wire"] + list(reasons), "why": reasons}


def _some_server_check_failed(results) -> bool:
    return any(r.status != "passed" for cid, r in results.items() if is_server_check(cid))


def _wire_cannot_join(results) -> bool:
    """Nobody got in, or not one message went through and the server never
    spoke of our users either: a protocol mismatch, not a bug in one behaviour
    (a server that announces the wire users' joins understood them)."""
    def status(check_id: str) -> Optional[str]:
        return results[check_id].status if check_id in results else None

    if status("handshake") != "passed":
        return status("starts") == "passed"
    if "passed" in (status("join_notice"), status("leave_notice")):
        return False
    broadcast = results.get("broadcast")
    return broadcast is not None and broadcast.status == "failed" and broadcast.facts.get("delivered") == 0


def _why_no_puppets(session, client, toolkit: Optional[str]) -> Optional[str]:
    if session.client_file is None:
        return "no_client"
    if toolkit:
        return "gui"
    if client is None or client.outcomes.get("connects") is not None:
        return "client_needs_package" if missing_package(session) else "client_broken"
    return None


_NO_MODULE = re.compile(r"No module named '([^'.]+)")


def missing_package(session) -> Optional[str]:
    """The package the student's client needs and this environment lacks (not a
    module of the submission's own, not the standard library), if that stopped it."""
    client = session.client_session()
    child = getattr(getattr(client, "client", None), "child", None)
    crash = child.first("exception") if child is not None else None
    if not crash or crash["type"] not in ("ModuleNotFoundError", "ImportError"):
        return None
    found = _NO_MODULE.search(crash.get("message") or "")
    if found is None or found.group(1) in sys.stdlib_module_names:
        return None
    name = found.group(1)
    folder = session.client_file.parent
    if (folder / f"{name}.py").exists() or (folder / name).is_dir():
        return None  # the student's own module, missing from the hand-in: their mistake
    return name


def _own_protocol(state, session, probe, client) -> bool:
    """Positive evidence of a protocol the text users cannot speak (evidence.py): frames
    seen from the client or the server, or a client whose code sends serialised frames.
    Silence, or an import, is none: a server that relays nothing must not wait for a person."""
    if client is not None and client.own_protocol:
        found = "client-frames"
    else:
        greeting = probe.handshake.result().greeting if probe.handshake.done() else None
        found = evidence.kind_in(state.heard) or (
            "server-greeting" if _json_object(greeting) else None) or (
            "client-code" if evidence.client_sends_serialised(session.client_file) else None)
    if found:
        state.extra["own_protocol_evidence"] = found
    return found is not None


def _talks_over_sockets(path) -> bool:
    """A window with no socket code is no chat client: its checks fail rather than wait for a person."""
    facts = static.analyse(path)
    roots = {name.split(".")[0] for name in facts.imports}
    return bool(roots & {"socket", "socketserver", "asyncio"}
                or facts.calls & {"connect", "create_connection", "sendall", "sendto", "open_connection"})


def _json_object(data: Optional[bytes]) -> bool:
    """A JSON object as the server's first words: a protocol of the student's own."""
    line = (data or b"").strip().split(b"\n", 1)[0]
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _rerun(state, checks, session, probe, way: str, at_once: bool, frames=None) -> None:
    """Run the server checks that did not pass once more, played the ``way`` way."""
    from autograder.grading import runner

    earlier = {cid: r for cid, r in state.results.items() if is_server_check(cid) and r.status != "passed"}
    if not earlier:
        return
    again = [c for c in checks if c.id in earlier]
    kept = {cid: r for cid, r in state.results.items() if cid not in earlier}
    # Each puppet check starts copies of the student's client (ten in many_clients): a few checks at a time.
    outcome = runner.run(again, session, probe, driver=way, frames=frames, at_once=at_once, prior=kept,
                         limit=PUPPET_CHECKS_AT_ONCE if way == "puppet" else None)
    state.detected += outcome.detected
    state.profiles += outcome.profiles
    for cid, old in earlier.items():
        new = outcome.results.get(cid)
        if new is None:
            continue
        new.driven_by, new.tried = way, old.tried + [way]
        if way == "learned" and frames and all(shape.text_line for shape in frames.values() if shape):
            new.driven_how = "learned_text"  # learnt lines of text: the student's wording, not a protocol
        state.results[cid] = new


def _in_order(results, checks):
    rank = {c.id: i for i, c in enumerate(checks)}
    return dict(sorted(results.items(), key=lambda item: rank.get(item[0], len(rank))))


def _client_shown_by_puppets(results) -> None:
    """What the student's clients did while they played the users counts for the
    client checks too (a scrambled protocol the fake server cannot read)."""
    for cid, shown_by in CLIENT_SHOWN_BY.items():
        result = results.get(cid)
        proofs = [results.get(s) for s in shown_by]
        proof = next((p for p in proofs if p is not None and p.status == "passed" and p.driven_by == "puppet"), None)
        if result is None or result.status == "passed" or proof is None:
            continue
        results[cid] = CheckResult(id=cid, status="passed", title_key=result.title_key,
                                           message=msg("drive.client_shown", check=proof.id),
                                           driven_by="puppet", tried=result.tried + ["puppet"])


MANUAL_WHY = {"no_client": "manual.no_client", "gui": "manual.gui", "client_broken": "manual.client_broken",
              "client_needs_package": "manual.client_needs_package"}


def _mark_manual(results, session, why_not: str) -> None:
    package = missing_package(session) if why_not == "client_needs_package" else None
    why = msg(MANUAL_WHY[why_not], package=package) if package else msg(MANUAL_WHY[why_not])
    for cid, result in results.items():
        if is_server_check(cid) and cid not in ("starts", "threads") and result.status in ("failed", "skipped"):
            _to_manual(result, why)
    if package:  # the client is no worse than its environment: a person runs it with the package
        for cid, result in results.items():
            if not is_server_check(cid) and result.status in ("failed", "skipped"):
                _to_manual(result, msg("manual.client_package", package=package))


def _mark_client_manual(results, toolkit: str) -> None:
    for cid, result in results.items():
        if not is_server_check(cid) and result.status in ("failed", "skipped"):
            _to_manual(result, msg("manual.gui_client", toolkit=toolkit))


def _to_manual(result: CheckResult, why) -> None:
    result.status = "manual"
    result.message, result.hint = why, msg("hint.manual")
