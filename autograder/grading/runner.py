"""Grade one submission: discover, run the checks under pytest, score.

This is the one call the CLI makes (``grade``); it returns a ``Report`` and
never raises for anything a submission does.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Optional

import pytest

from autograder.sandbox import containment
from autograder.intake import discover, extract, roles, static
from autograder.grading import drivers, hints, rubric as rubric_module
from autograder.sandbox.deadline import ThreadDeadline
from autograder.sandbox.launch import START_DEADLINE, start_server
from autograder.grading.plugin import ChatlabPlugin, GradingContext
from autograder.results import Report, msg
from autograder.sandbox.process import Limits, prepare_workdir

CHECKS = Path(__file__).with_name("checks")
TIMEOUT_METHOD_ENV = "CHATLAB_TIMEOUT_METHOD"  # "thread" tries on Linux what Windows does
# A server not listening after this long may never: its client is examined meanwhile.
LATE_SERVER = 1.0
# Which check modules grade which variant, in order (server first: the
# client's fake server greets like the student's own server did).
CHECK_MODULES = {
    "tcp-multi": ["server_tcp.py", "client.py"],
    "udp-multi": ["server_udp.py", "client.py"],
    "tcp-two-user": ["two_user.py", "client.py"],
    "udp-two-user": ["two_user.py", "client.py"],
}


def grade(
    path: Path,
    *,
    rubric_path: Optional[Path] = None,
    limits: Optional[Limits] = None,
    observer: Optional[object] = None,
    launch: Optional[dict] = None,
) -> Report:
    """``launch``: the instructor's ``{"server": "FILE ARGS", "client": …}`` (roles.override), and
    ``"trust_submission"``: whether a ``chatlab.toml`` inside the submission may say how to start it."""
    started = time.monotonic()
    path = Path(path).resolve()
    document = extract.find_document(path)
    if document is not None:  # a report or notebook: grade the programs it holds
        folder, extraction = extract.materialise(document)
        try:
            report = grade(folder, rubric_path=rubric_path, limits=limits, observer=observer, launch=launch)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return extract.annotate(report, extraction)
    rubric = rubric_module.load(rubric_path)
    launch = launch or {}
    said = roles.override(path, launch.get("server"), launch.get("client"),
                          trust_submission=bool(launch.get("trust_submission")))
    submission = discover.find(path, said)
    report = Report(submission=path.name, files=submission.files(), notes=list(submission.notes))
    if submission.error:
        report.error = submission.error
        report.duration = time.monotonic() - started
        return report

    workdir = prepare_workdir(submission.root)
    context = GradingContext(
        server_file=workdir / submission.server.relative_to(submission.root),
        client_file=(workdir / submission.client.relative_to(submission.root)) if submission.client else None,
        workdir=workdir,
        limits=limits or Limits(),
        observer=observer,
        server_argv=submission.server_argv,
        client_argv=submission.client_argv,
        client_source=_source_or_nothing(submission.client),
    )
    facts = static.analyse(submission.server)
    guessed = "udp" if facts.uses_udp and not facts.uses_tcp else "tcp"
    late = threading.Timer(LATE_SERVER, context.examine_client_early, args=(guessed,))
    late.daemon = True
    try:
        late.start()
        context.first_server = start_server(context)
        late.cancel()
        if context.first_server.address is not None:
            context.drop_early_client()
        context.transport = context.first_server.kind or guessed
        context.variant = variant_of(context.transport, facts)
        drivers.drive(context, CHECK_MODULES[context.variant], run_checks)
    finally:
        late.cancel()
        context.settle_background(timeout=START_DEADLINE + 5)
        for child in context.children:
            child.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    report.variant = context.variant
    report.cap = rubric.cap(report.variant)
    report.cap_reason = msg(f"variant.{report.variant}")
    uses_threading = threading_as_required(report.variant, facts, submission)
    report.detected = {**context.profile.as_dict(), **context.profile_extra, "uses_threading": uses_threading}
    launch = submission.launch
    if launch.get("how") not in (None, "plain") or any(launch.get(k) for k in ("overridden", "missing", "refused",
                                                                              "ignored")):
        report.detected["launch"] = launch
    report.checks = list(context.results.values())
    if submission.server_problem is not None:
        syntax_error_verdict(context.results.get("starts"), submission.server_problem)
    for result in report.checks:
        result.max_points = rubric.points.get(result.id, 0.0)
        result.points = result.max_points if result.status == "passed" else 0.0
        result.hidden = result.id in rubric.hidden
    hints.apply(report.checks, hints.Evidence(
        server_source=static.read_source(submission.server),
        client_source=context.client_source,  # read once, before any student code ran
        variant=report.variant))
    report.threading_factor = 1.0 if uses_threading else rubric.no_threading_factor
    report.score, report.score_up_to = rubric_module.scores(
        report.cap, report.threading_factor, ((r.status, r.max_points) for r in report.checks))
    report.max_score = report.cap
    report.sandbox = containment.current().layers()
    report.duration = time.monotonic() - started
    return report


def run_checks(context: GradingContext, modules) -> None:
    plugin = ChatlabPlugin(context)
    args = [str(CHECKS / name) for name in modules] + [
        "-c", str(CHECKS / "pytest.ini"),
        "--rootdir", str(CHECKS),
        "-p", "no:cacheprovider",
        "-p", "pytest_timeout",
        "-q",
        "--capture=no",  # checks print nothing; a live view must reach the terminal
    ]
    # SIGALRM where there is one; else (Windows) a thread, whose overrun deadline.py turns into a failed check
    method = os.environ.get(TIMEOUT_METHOD_ENV) or ("signal" if os.name != "nt" else "thread")
    args += ["--timeout-method", method]
    # Other pytest plugins the instructor has installed have no business here.
    previous = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main(args, plugins=[plugin, ThreadDeadline(lambda: stop_programs(context))])
    finally:
        context.drop_spare_server()  # started for a check that was then skipped
        if previous is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = previous


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


def stop_programs(context: GradingContext) -> None:
    """A check overran: stop the student's programs, so the waits on them end."""
    for child in list(context.children):
        child.stop()


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

