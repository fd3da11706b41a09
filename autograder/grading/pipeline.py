"""Grade one submission: intake, probe, every check at once, then pure stages.

``grade(PATH)`` is the one call the CLI makes; it returns a ``Report`` and
never raises for anything a submission does.  The path of a verdict:

1. intake (``intake.extract`` / ``intake.discover``): which files, how run;
2. the probe (``probe.Probe``): the server started once, the handshake and
   relay learnt, in the background while the checks already run;
3. ``runner.run``: every check of the variant at once, each with its own
   server and users, bounded by its deadline;
4. ``drivers.other_ways``: the checks that failed because the grader's users
   could not speak the chat's protocol, once more through the student's own
   frames or client copies;
5. pure stages: merge what was detected, hints, score.
"""
from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from typing import Iterable, List, Optional

from autograder.grading import drivers, hints, registry, rubric as rubric_module, runner
from autograder.grading.probe import Probe
from autograder.grading.session import Session, Submission
from autograder.intake import discover, extract, roles, static
from autograder.results import Report, msg
from autograder.sandbox import containment
from autograder.sandbox.launch import START_DEADLINE, spawn_server, start_server
from autograder.sandbox.process import Limits, prepare_workdir

# A server not listening after this long may never: its client is examined meanwhile.
LATE_SERVER = 1.0


def grade(
    path: Path,
    *,
    rubric_path: Optional[Path] = None,
    limits: Optional[Limits] = None,
    observer: Optional[object] = None,
    launch: Optional[dict] = None,
    extra_checks: Iterable[registry.Check] = (),
    at_once: Optional[bool] = None,
) -> Report:
    """``launch``: the instructor's ``{"server": "FILE ARGS", "client": …}`` (roles.override), and
    ``"trust_submission"``: whether a ``chatlab.toml`` inside the submission may say how to start it.
    ``extra_checks``: an instructor's own (registry.load_file). ``at_once``: False runs the checks
    one after another (the same verdicts, slower; the default with a live view, which a room reads)."""
    started = time.monotonic()
    path = Path(path).resolve()
    document = extract.find_document(path)
    if document is not None:  # a report or notebook: grade the programs it holds
        folder, extraction = extract.materialise(document)
        try:
            report = grade(folder, rubric_path=rubric_path, limits=limits, observer=observer, launch=launch,
                           extra_checks=extra_checks, at_once=at_once)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return extract.annotate(report, extraction)
    rubric = rubric_module.load(rubric_path)
    launch = launch or {}
    said = roles.override(path, launch.get("server"), launch.get("client"),
                          trust_submission=bool(launch.get("trust_submission")))
    found = discover.find(path, said)
    report = Report(submission=path.name, files=found.files(), notes=list(found.notes))
    if found.error:
        report.error = found.error
        report.duration = time.monotonic() - started
        return report
    if at_once is None:
        at_once = observer is None
    facts = static.analyse(found.server)
    if facts.manages_processes:  # its copies must not meet: a kill or a fork bomb would reach the others
        at_once = False

    workdir = prepare_workdir(found.root)
    submission = Submission(
        server_file=workdir / found.server.relative_to(found.root),
        client_file=(workdir / found.client.relative_to(found.root)) if found.client else None,
        workdir=workdir, server_argv=tuple(found.server_argv), client_argv=tuple(found.client_argv),
        client_source=_source_or_nothing(found.client), root=found.root)
    session = Session(submission, limits=limits or Limits(), observer=observer)
    try:
        outcome, probe = _run_checks(session, facts, list(extra_checks), at_once)
    finally:
        session.close(timeout=START_DEADLINE + 5)
        shutil.rmtree(workdir, ignore_errors=True)

    report.variant = session.variant
    report.cap = rubric.cap(report.variant)
    report.cap_reason = msg(f"variant.{report.variant}")
    uses_threading = threading_as_required(report.variant, facts, found)
    report.detected = {**merge_detected(probe, outcome), "uses_threading": uses_threading}
    how = found.launch
    if how.get("how") not in (None, "plain") or any(how.get(k) for k in ("overridden", "missing", "refused",
                                                                          "ignored")):
        report.detected["launch"] = how
    report.checks = list(outcome.results.values())
    if found.server_problem is not None:
        syntax_error_verdict(outcome.results.get("starts"), found.server_problem)
    points = {**{c.id: c.points for c in extra_checks if c.points is not None}, **rubric.points}
    for result in report.checks:
        result.max_points = points.get(result.id, 0.0)
        result.points = result.max_points if result.status == "passed" else 0.0
        result.hidden = result.id in rubric.hidden
    hints.apply(report.checks, hints.Evidence(
        server_source=static.read_source(found.server),
        client_source=submission.client_source,  # read once, before any student code ran
        variant=report.variant))
    report.threading_factor = 1.0 if uses_threading else rubric.no_threading_factor
    report.score, report.score_up_to = rubric_module.scores(
        report.cap, report.threading_factor, ((r.status, r.max_points) for r in report.checks))
    report.max_score = report.cap
    report.sandbox = containment.current().layers()
    report.duration = time.monotonic() - started
    return report


def _run_checks(session: Session, facts: static.Facts, extra: List[registry.Check], at_once: bool):
    """Probe, then every check of the variant; then the other ways where the wire users could not join."""
    probe = session.probe = Probe(session)
    guessed = "udp" if facts.uses_udp and not facts.uses_tcp else "tcp"
    late = threading.Timer(LATE_SERVER, session.examine_client_early, args=(guessed,))
    late.daemon = True
    late.start()
    first = spawn_server(session)  # before any other: the first start is the one everything waits for
    if at_once:
        # The interpreters of the servers the checks will take start while the first one does.
        threading.Thread(target=session.prepare_servers, args=(servers_wanted(variant_of(guessed, facts), extra),),
                         daemon=True).start()
    try:
        probe.first = start_server(session, child=first)
    finally:
        late.cancel()
    if probe.listening():
        session.drop_early_client()
    session.transport = probe.first.kind or guessed
    session.variant = variant_of(session.transport, facts)
    learning = probe.learn(multi_user=session.variant in registry.MULTI_USER)
    if not at_once:
        learning.join()  # one program at a time: the probe's server is gone before a check starts one
    checks = registry.for_variant(session.variant, extra)
    # `starts` judges the first start alone; without a listening server nothing else can start one.
    started = runner.run(checks[:1], session, probe, at_once=False)
    if not probe.listening():
        session.drop_spare_servers()
    if session.client_file is not None and (probe.listening() or session.transport == "tcp"):
        session.start_client_session()
    rest = runner.run(checks[1:], session, probe, at_once=at_once, prior=started.results)
    session.drop_spare_servers()
    return drivers.other_ways(started.then(rest), checks, session, probe, at_once), probe


def servers_wanted(variant: str, extra: List[registry.Check]) -> int:
    """How many servers the checks of a variant start (each its own, `starts` the first), and the client's."""
    checks = registry.for_variant(variant, extra)
    return sum(1 for c in checks[1:] if {"server", "room"} & set(c.fixtures)) + 1


def merge_detected(probe: Probe, outcome: runner.Outcome) -> dict:
    """What the report says was detected: the probe's, then what each check reported, in report order."""
    merged = dict(probe.facts())
    for profile in outcome.profiles:
        merged.update({k: v for k, v in profile.items() if k in ("notices", "nickname_step", "names")})
    for facts in outcome.detected:
        for key, value in facts.items():
            if isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = merged[key] + value
            else:
                merged[key] = value
    merged.update(outcome.extra)
    return merged


def syntax_error_verdict(starts, problem: static.SourceProblem) -> None:
    """A server that does not compile fails `starts` with its own line and a caret, Python's way."""
    if starts is None or starts.status == "passed":
        return
    starts.status = "failed"
    starts.message = msg("fail.starts.syntax", file=problem.file, line=problem.line or "?", detail=problem.detail)
    starts.hint = msg("hint.starts.python2" if problem.key == "error.python2" else "hint.starts.syntax")
    code = problem.code.expandtabs(4)
    indent = len(code) - len(code.lstrip())
    caret = " " * max(indent, (problem.column or 1) - 1) + "^"
    starts.server_output = f'  File "{problem.file}", line {problem.line or "?"}\n    {code.strip()}\n    {caret[indent:]}\n' \
                           f"SyntaxError: {problem.detail}"


def _source_or_nothing(path: Optional[Path]) -> str:
    try:
        return static.read_source(path) if path else ""
    except OSError:  # not a regular file: discovery says why; no quit word to learn
        return ""


def threading_as_required(variant: str, server_facts: static.Facts, submission) -> bool:
    """Where the lab demands threads: a TCP server's clients; a UDP client's
    receiving; either side of a two-user chat (both must listen and type)."""
    client_facts = static.analyse(submission.client) if submission.client else static.Facts()
    if variant == "udp-multi":
        return client_facts.uses_threading
    if "two-user" in variant:
        return server_facts.uses_threading or client_facts.uses_threading
    return server_facts.uses_threading


def variant_of(transport: str, facts: static.Facts) -> str:
    return f"{transport}-{'two-user' if facts.two_user else 'multi'}"

