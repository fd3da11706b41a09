"""``autograde``: argument parsing only, then one call into the library."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Iterator, List, Optional

from autograder import i18n
from autograder.results import Refused, msg

ALLOW_PACKAGES_ENV = "CHATLAB_ALLOW_PACKAGES"  # how a class run hands --allow-packages to its graders
STUDENT_OVERRIDES_ENV = "CHATLAB_ALLOW_STUDENT_OVERRIDES"  # and --allow-student-overrides
CHECKS_ENV = "CHATLAB_CHECKS"  # and --checks (files joined by os.pathsep)
ONE_AT_A_TIME_ENV = "CHATLAB_ONE_AT_A_TIME"  # and --one-at-a-time


def wanted_language(argv: List[str]) -> str:
    """``--lang X`` (or ``--lang=X``; the last one, as argparse) if the command line says it, else the locale's."""
    said = None
    for arg, following in zip(argv, argv[1:] + [""]):
        if arg == "--":
            break
        value = following if arg == "--lang" else arg.partition("=")[2] if arg.startswith("--lang=") else None
        if value in i18n.LANGUAGES:
            said = value
    return said or i18n.default_language()


@contextlib.contextmanager
def argparse_language(lang: Optional[str]) -> Iterator[None]:
    """argparse's own phrases ("usage:", "error:", "the following arguments are required") in ``lang``.

    argparse looks its phrases up through its module's ``_``/``ngettext`` (gettext) each time it
    needs one; for as long as this lasts they come from ``i18n.ARGPARSE_RU``.  Phrases it lacks stay
    as argparse says them.
    """
    if (lang or "en") == "en":
        yield
        return
    saved = argparse._, argparse.ngettext
    argparse._ = lambda text: i18n.argparse_phrase(text, lang)
    argparse.ngettext = lambda one, many, n: i18n.argparse_phrase(one if n == 1 else many, lang)
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


def usage_error(p: argparse.ArgumentParser, lang: str, key: str, **params) -> None:
    """Exit 2 with argparse's usage line and one sentence from the catalogue."""
    with argparse_language(lang):
        p.error(i18n.translate(key, lang, {k: str(v) for k, v in params.items()}))


def parser(lang: Optional[str] = None) -> argparse.ArgumentParser:
    lang = lang or i18n.default_language()
    h = lambda key: i18n.translate(f"cli.{key}", lang)  # noqa: E731 - help texts, in the CLI's language
    with argparse_language(lang):
        p = argparse.ArgumentParser(prog="autograde", description=h("description"), epilog=commands_epilog(lang),
                                    formatter_class=argparse.RawDescriptionHelpFormatter,
                                    usage=f"autograde [grade] {h('meta.path')} [{h('meta.options')}]\n"
                                          f"       autograde {{{','.join(c for c in SUBCOMMANDS if c != 'grade')}}} …")
        p.add_argument("path", type=Path, metavar=h("meta.path"), help=h("help.path"))
        p.add_argument("--json", type=Path, metavar=h("meta.file"), help=h("help.json"))
        p.add_argument("--lang", choices=i18n.LANGUAGES, default=None, help=h("help.lang"))
        p.add_argument("--rubric", type=Path, metavar=h("meta.file"), help=h("help.rubric"))
        p.add_argument("--fail-under", type=float, metavar="N", help=h("help.fail_under"))
        p.add_argument("--live", action="store_true", help=h("help.live"))
        p.add_argument("--pace", type=float, metavar=h("meta.seconds"), default=None, help=h("help.pace"))
        kind = p.add_mutually_exclusive_group()
        kind.add_argument("--batch", action="store_true", help=h("help.batch"))
        kind.add_argument("--single", action="store_true", help=h("help.single"))
        kind.add_argument("--course", action="store_true", help=h("help.course"))
        p.add_argument("--jobs", type=int, metavar="N", help=h("help.jobs"))
        p.add_argument("--out", type=Path, metavar=h("meta.dir"), help=h("help.out"))
        p.add_argument("--timeout", type=float, metavar=h("meta.seconds"), default=None, help=h("help.timeout"))
        p.add_argument("--gradescope", type=Path, metavar=h("meta.file"), help=h("help.gradescope"))
        p.add_argument("--server", metavar=h("meta.file_args"), default=None, help=h("help.server"))
        p.add_argument("--client", metavar=h("meta.file_args"), default=None, help=h("help.client"))
        p.add_argument("--allow-packages", metavar=h("meta.names"), default=os.environ.get(ALLOW_PACKAGES_ENV, ""),
                       help=h("help.allow_packages"))
        p.add_argument("--github-output", type=Path, metavar=h("meta.file"), help=h("help.github_output"))
        p.add_argument("--github-env", type=Path, metavar=h("meta.file"), help=h("help.github_env"))
        p.add_argument("--allow-student-overrides", action="store_true",
                       default=os.environ.get(STUDENT_OVERRIDES_ENV) == "1", help=h("help.allow_student_overrides"))
        p.add_argument("--checks", type=Path, action="append", metavar=h("meta.file"),
                       default=[Path(f) for f in os.environ.get(CHECKS_ENV, "").split(os.pathsep) if f],
                       help=h("help.checks"))
        p.add_argument("--one-at-a-time", action="store_true", default=os.environ.get(ONE_AT_A_TIME_ENV) == "1",
                       help=h("help.one_at_a_time"))
        p.add_argument("--html", type=Path, metavar=h("meta.file"), help=h("help.html"))
        p.add_argument("--md", type=Path, metavar=h("meta.file"), help=h("help.md"))
        # a class: its roster, deadline, parts, and reports kept from the last run (classrun.py)
        p.add_argument("--roster", type=Path, metavar=h("meta.file"), help=h("help.roster"))
        p.add_argument("--deadline", metavar="YYYY-MM-DDTHH:MM", help=h("help.deadline"))
        p.add_argument("--only", nargs="+", default=(), metavar="NAME", help=h("help.only"))
        p.add_argument("--no-cache", action="store_true", help=h("help.no_cache"))
        p.add_argument("--shard", metavar="K/N", help=h("help.shard"))
        p.add_argument("--canvas-assignment", metavar=h("meta.canvas_assignment"), help=h("help.canvas_assignment"))
    return p


def merge_parser(lang: Optional[str] = None) -> argparse.ArgumentParser:
    lang = lang or i18n.default_language()
    h = lambda key: i18n.translate(f"cli.{key}", lang)  # noqa: E731
    with argparse_language(lang):
        p = argparse.ArgumentParser(prog="autograde merge", description=h("merge.description"))
        p.add_argument("parts", nargs="+", type=Path, metavar=h("meta.dir"), help=h("merge.help.parts"))
        p.add_argument("--out", type=Path, required=True, metavar=h("meta.dir"), help=h("merge.help.out"))
        p.add_argument("--roster", type=Path, metavar=h("meta.file"), help=h("help.roster"))
        p.add_argument("--canvas-assignment", metavar=h("meta.canvas_assignment"), help=h("help.canvas_assignment"))
        p.add_argument("--lang", choices=i18n.LANGUAGES, default=None, help=h("help.lang"))
    return p


def merge_main(argv: List[str], lang: Optional[str] = None, own_process: bool = False) -> int:
    lang = lang or i18n.default_language()
    with argparse_language(lang):
        args = merge_parser(lang).parse_args(argv)
    from rich.console import Console

    from autograder.classroom import classrun
    from autograder.export import canvas
    from autograder.report import summary

    lang = args.lang or lang
    try:
        canvas_assignment = canvas.assignment_column(args.canvas_assignment) if args.canvas_assignment else None
        result = classrun.merge(args.parts, args.out, lang, args.roster, canvas_assignment)
    except Refused as error:
        with argparse_language(lang):
            merge_parser(lang).error(error.message.text(lang))
    except ValueError as error:
        usage_error(merge_parser(lang), lang, "cli.error.bad_option", detail=error)
    console = Console()
    summary.render_console(result.summary, console)
    console.print(i18n.translate("ui.batch.written", lang, {"path": result.out}))
    return 0


def class_plan(args: argparse.Namespace, lang: str):
    """The class run's ``classrun.Plan`` from the options (ValueError: a one-line reason)."""
    from autograder.classroom import classrun, lateness

    plan = classrun.Plan(roster=args.roster, only=tuple(args.only), reuse=not args.no_cache)
    if args.canvas_assignment:
        from autograder.export import canvas

        plan.canvas_assignment = canvas.assignment_column(args.canvas_assignment)
    if args.shard:
        plan.shard = classrun.parse_shard(args.shard)
    if args.deadline:
        try:
            plan.deadline = lateness.parse_deadline(args.deadline)
        except ValueError:
            raise Refused(msg("cli.error.deadline", value=args.deadline)) from None
    if args.roster:
        from autograder.classroom import roster

        roster.load(args.roster)  # a bad roster stops the run before any grading
    return plan


def export_parser(lang: Optional[str] = None) -> argparse.ArgumentParser:
    lang = lang or i18n.default_language()
    h = lambda key: i18n.translate(f"cli.{key}", lang)  # noqa: E731
    with argparse_language(lang):
        p = argparse.ArgumentParser(prog="autograde export", description=h("export.description"))
        p.add_argument("target", choices=("gradescope", "github-classroom"), metavar="{gradescope,github-classroom}",
                       help=h("export.help.target"))
        p.add_argument("--out", type=Path, metavar=h("meta.dir"), default=None, help=h("export.help.out"))
        p.add_argument("--lang", choices=i18n.LANGUAGES, default="en", help=h("export.help.lang"))
        p.add_argument("--rubric", type=Path, metavar=h("meta.file"), help=h("export.help.rubric"))
        p.add_argument("--install", metavar=h("meta.spec"), default=None, help=h("export.help.install"))
    return p


def export_main(argv: List[str], lang: Optional[str] = None, own_process: bool = False) -> int:
    with argparse_language(lang):
        args = export_parser(lang).parse_args(argv)
    from autograder.export import classroom, gradescope

    if args.target == "gradescope":
        written = gradescope.build_bundle(args.out or Path("gradescope-autograder"), args.lang, args.rubric)
    else:
        written = classroom.write_workflow(args.out or Path("."), args.install or classroom.DEFAULT_INSTALL, args.lang)
    for path in written:
        print(i18n.translate("ui.export.written", args.lang, {"path": path}))
    return 0


def review_parser(lang: Optional[str] = None) -> argparse.ArgumentParser:
    lang = lang or i18n.default_language()
    h = lambda key: i18n.translate(f"cli.{key}", lang)  # noqa: E731
    with argparse_language(lang):
        p = argparse.ArgumentParser(prog="autograde review", description=h("review.description"))
        p.add_argument("out", type=Path, metavar=h("meta.dir"), help=h("review.help.out"))
        p.add_argument("--set", nargs=3, metavar=("NAME", "CHECK", "VERDICT"), default=None, help=h("review.help.set"))
        p.add_argument("--lang", choices=i18n.LANGUAGES, default=None, help=h("help.lang"))
    return p


def review_main(argv: List[str], lang: Optional[str] = None, own_process: bool = False) -> int:
    with argparse_language(lang):
        args = review_parser(lang).parse_args(argv)
    lang = args.lang or lang or "en"
    from autograder.classroom import review

    try:
        outcome = review.run(args.out, lang, tuple(args.set) if args.set else None)
    except review.ReviewError as error:
        print(i18n.translate(error.key, lang, error.params), file=sys.stderr)
        return 2
    for name in outcome.unknown:
        print(i18n.translate("review.unknown", lang, {"row": name}), file=sys.stderr)
    print(i18n.translate("review.done", lang, {"applied": outcome.applied, "pending": outcome.pending,
                                                "sheet": outcome.path}))
    return 0


def batch_main(args: argparse.Namespace, lang: str) -> int:
    from rich.console import Console

    from autograder.classroom import batch, course
    from autograder.report import summary

    console = Console()
    grade = course.grade_course if args.course else batch.grade_class
    try:
        plan = class_plan(args, lang)
        result = grade(args.path, jobs=args.jobs, out=args.out, lang=lang, rubric_path=args.rubric,
                       timeout=args.timeout or batch.DEFAULT_TIMEOUT, console=console, reap_orphans=True, plan=plan)
    except ValueError as error:  # a roster, a deadline, a shard: said in the run's language
        with argparse_language(lang):
            parser(lang).error(error.message.text(lang) if isinstance(error, Refused) else str(error))
    summary.render_console(result.summary, console)
    if plan.reused:
        console.print(i18n.translate("ui.batch.reused", lang, {"reused": plan.reused,
                                                                "graded": len(result.rows) - plan.reused}))
    if result.out is not None:
        console.print(i18n.translate("ui.batch.written", lang, {"path": result.out}))
    return 0


def demo_parser(lang: Optional[str] = None) -> argparse.ArgumentParser:
    lang = lang or i18n.default_language()
    h = lambda key: i18n.translate(f"cli.{key}", lang)  # noqa: E731
    with argparse_language(lang):
        p = argparse.ArgumentParser(prog="autograde demo", description=h("demo.description"))
        p.add_argument("--host", default="0.0.0.0", metavar=h("meta.host"), help=h("demo.help.host"))
        p.add_argument("--port", type=int, default=9090, metavar=h("meta.port"), help=h("demo.help.port"))
        p.add_argument("--bots", type=int, default=0, metavar="N", help=h("demo.help.bots"))
        p.add_argument("--bot-rate", type=float, default=0.5, metavar="R", help=h("demo.help.bot_rate"))
        p.add_argument("--duration", type=float, default=None, metavar=h("meta.seconds"), help=h("demo.help.duration"))
        p.add_argument("--server", type=Path, default=None, metavar=h("meta.file"), help=h("demo.help.server"))
        p.add_argument("--lang", choices=i18n.LANGUAGES, default=None, help=h("help.lang"))
    return p


def demo_main(argv: List[str], lang: Optional[str] = None, own_process: bool = False) -> int:
    lang = lang or i18n.default_language()
    with argparse_language(lang):
        args = demo_parser(lang).parse_args(argv)
    from autograder.demo import REFERENCE_SERVER, Demo

    server = args.server or REFERENCE_SERVER
    if not server.is_file():
        usage_error(demo_parser(lang), lang, "cli.error.no_server", server=server)
    demo = Demo(args.host, args.port, server, args.bots, args.bot_rate, args.lang or lang)
    return demo.run(args.duration)


def commands_epilog(lang: str) -> str:
    """The subcommands, one line each, under the options of ``autograde --help``."""
    rows = [translate_cli("commands", lang)]
    rows += [f"  {name:<8} {translate_cli(f'command.{name}', lang)}" for name in SUBCOMMANDS]
    return "\n".join(rows)


def translate_cli(key: str, lang: str) -> str:
    return i18n.translate(f"cli.{key}", lang)


def main(argv: Optional[List[str]] = None) -> int:
    raw = sys.argv[1:] if argv is None else list(argv)
    # The language of --help and of usage errors, known before argparse speaks.
    lang = wanted_language(raw)
    command = SUBCOMMANDS.get(raw[0]) if raw else None
    if command is not None:
        return command(raw[1:], lang, argv is None)
    return grade_main(raw, lang, argv is None)


def load_checks(args: argparse.Namespace, lang: str) -> list:
    """The instructor's own checks (``--checks FILE``), loaded before any submission is graded."""
    from autograder.grading import registry

    found = []
    for path in dict.fromkeys(args.checks):
        try:
            found += registry.load_file(path)
        except registry.CheckFileError as error:
            usage_error(parser(lang), lang, "cli.error.bad_checks", detail=error)
    return found


def say_ignored(args: argparse.Namespace, lang: str) -> None:
    """Options for a class that one submission does not use: said, not silently dropped."""
    for option in CLASS_ONLY:
        if getattr(args, option.lstrip("-").replace("-", "_")) is not None:
            print(i18n.translate("cli.warning.class_only", lang, {"option": option}), file=sys.stderr)


def grade_main(raw: List[str], lang: str, own_process: bool = False) -> int:
    """``autograde [grade] PATH``: one submission, or a class."""
    with argparse_language(lang):
        args = parser(lang).parse_args(raw)
    lang = args.lang or lang
    if not args.path.exists():
        usage_error(parser(lang), lang, "cli.error.no_path", path=args.path)
    if args.rubric and not args.rubric.is_file():
        usage_error(parser(lang), lang, "cli.error.no_rubric", path=args.rubric)

    from autograder.classroom import batch
    from autograder.sandbox import containment
    from autograder.report import json_report, text

    if args.allow_packages:
        os.environ[ALLOW_PACKAGES_ENV] = args.allow_packages  # the class's graders inherit it
    if args.allow_student_overrides:
        os.environ[STUDENT_OVERRIDES_ENV] = "1"
    extra_checks = load_checks(args, lang)
    if args.checks:
        os.environ[CHECKS_ENV] = os.pathsep.join(str(f.resolve()) for f in dict.fromkeys(args.checks))
    if args.one_at_a_time:
        os.environ[ONE_AT_A_TIME_ENV] = "1"
    if args.course or args.batch or (not args.single and batch.is_class(args.path)):
        return batch_main(args, lang)
    if own_process:
        containment.isolate(sys.argv[1:])  # returns unless this run can move into namespaces of its own
    say_ignored(args, lang)  # after isolating: the run that goes on says it, once
    observer = None
    if args.live:
        from autograder.report.live import DEFAULT_PACE, LiveView

        observer = LiveView(lang=lang, pace=DEFAULT_PACE if args.pace is None else args.pace)
    limits = None
    if args.allow_packages:
        from autograder.sandbox import packages
        from autograder.sandbox.process import Limits

        try:
            limits = Limits(packages=str(packages.install(packages.names_from(args.allow_packages))))
        except packages.PackageError as error:
            print(msg("error.packages", detail=error.reason).text(lang), file=sys.stderr)
            return 2
    report = batch.grade_single(args.path, rubric_path=args.rubric, observer=observer, limits=limits,
                                launch={"server": args.server, "client": args.client,
                                        "trust_submission": args.allow_student_overrides},
                                extra_checks=extra_checks, at_once=False if args.one_at_a_time else None)
    if observer is not None:
        observer.close()  # the room reads the last check before the report
    if args.json is not None and str(args.json) == "-":
        print(json.dumps(report.to_dict(lang), ensure_ascii=False), flush=True)
    else:
        text.render(report, lang)
    if args.json is not None and str(args.json) != "-":
        args.json.write_text(json_report.render(report, lang), encoding="utf-8")
    if args.html or args.md:
        from autograder.report import html, markdown

        data = report.to_dict(lang)
        for target, render in ((args.html, html.render), (args.md, markdown.render)):
            if target is not None:
                target.write_text(render(data, lang), encoding="utf-8")
                print(i18n.translate("ui.single.written", lang, {"path": target}),
                      file=sys.stderr if str(args.json) == "-" else sys.stdout)
    if args.gradescope or args.github_output or args.github_env:
        from autograder.export import classroom, gradescope

        data = report.to_dict(lang)
        if args.gradescope:
            args.gradescope.write_text(json.dumps(gradescope.results(data, lang), ensure_ascii=False, indent=2),
                                       encoding="utf-8")
        runners = ""
        if args.github_env:  # the runners' results first: `runners=` says they are all there
            env, runners = classroom.env_lines(data, lang)
            with open(args.github_env, "a", encoding="utf-8") as handle:
                handle.write(env)
        if args.github_output:
            with open(args.github_output, "a", encoding="utf-8") as handle:
                handle.write(runners + classroom.output_line(data, lang))
    if args.fail_under is not None and report.score < args.fail_under:
        return 1
    return 0


# Options only a class uses (a single submission says it ignores them).
CLASS_ONLY = ("--out", "--jobs", "--timeout")

# ``autograde NAME …``: each subcommand is ``main(argv, lang, own_process) -> exit code``; its one-line
# description is ``cli.command.NAME`` in the catalogue.  A folder named like one is graded with ``grade``.
SUBCOMMANDS = {
    "grade": grade_main,
    "demo": demo_main,
    "export": export_main,
    "review": review_main,
    "merge": merge_main,
}


if __name__ == "__main__":
    sys.exit(main())
