"""``autograde``: argument parsing only, then one call into the library."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import List, Optional

from . import i18n

ALLOW_PACKAGES_ENV = "CHATLAB_ALLOW_PACKAGES"  # how a class run hands --allow-packages to its graders


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="autograde",
        description="Grade a socket + threading chat submission (a folder with server.py and client.py).",
    )
    p.add_argument("path", type=Path, help="a submission (folder or .zip), or a class: a folder of them")
    p.add_argument("--json", type=Path, metavar="FILE",
                   help="also write the machine report (schema 1) to FILE; '-' writes only it, to stdout")
    p.add_argument("--lang", choices=i18n.LANGUAGES, default=None, help="report language (default: from the locale)")
    p.add_argument("--rubric", type=Path, metavar="FILE", help="use another rubric file (TOML)")
    p.add_argument("--fail-under", type=float, metavar="N", help="exit 1 when the score is below N")
    p.add_argument("--live", action="store_true",
                   help="show the conversation with the submission as it happens (for a projector)")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--batch", action="store_true", help="PATH is a class: grade every submission in it")
    kind.add_argument("--single", action="store_true", help="PATH is one submission, whatever it looks like")
    kind.add_argument("--course", action="store_true",
                      help="PATH is a course repository (students/<group>/<name>/... or students/<name>/...): "
                           "find each student's chat task and grade it, a row per student")
    p.add_argument("--jobs", type=int, metavar="N", help="class: submissions graded at once (default: CPU count)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="class: write per-submission reports, gradebook.csv, junit.xml and the summary to DIR")
    p.add_argument("--timeout", type=float, metavar="SECONDS", default=None,
                   help="class: wall-clock bound per submission (default: 300)")
    p.add_argument("--gradescope", type=Path, metavar="FILE", help="also write Gradescope's results.json to FILE")
    p.add_argument("--server", metavar="'FILE ARGS'", default=None,
                   help="one submission: the server's file and arguments, e.g. 'task4_chat.py server' "
                        "(default: found by name and code; a chatlab.toml in the submission can say it too)")
    p.add_argument("--client", metavar="'FILE ARGS'", default=None, help="one submission: the client's file and arguments")
    p.add_argument("--allow-packages", metavar="NAMES", default=os.environ.get(ALLOW_PACKAGES_ENV, ""),
                   help="comma-separated packages submissions may import (e.g. colorama), installed into "
                        "a separate folder for the sandbox; a class passes it on to every submission")
    p.add_argument("--github-output", type=Path, metavar="FILE",
                   help="append the GitHub Classroom runner result (result=...) to FILE, e.g. $GITHUB_OUTPUT")
    return p


def export_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograde export",
                                description="Generate what a grading platform needs to run autograde.")
    p.add_argument("target", choices=("gradescope", "github-classroom"))
    p.add_argument("--out", type=Path, metavar="DIR", default=None,
                   help="where to write (default: ./gradescope-autograder, or . for github-classroom)")
    p.add_argument("--lang", choices=i18n.LANGUAGES, default="en", help="language of the students' reports")
    p.add_argument("--rubric", type=Path, metavar="FILE", help="gradescope: bundle this rubric instead of the default")
    p.add_argument("--install", metavar="SPEC", default=None,
                   help="github-classroom: what `pip install` gets chatlab from (e.g. git+https://...)")
    return p


def export_main(argv: List[str]) -> int:
    args = export_parser().parse_args(argv)
    from .export import classroom, gradescope

    if args.target == "gradescope":
        written = gradescope.build_bundle(args.out or Path("gradescope-autograder"), args.lang, args.rubric)
    else:
        written = classroom.write_workflow(args.out or Path("."), args.install or classroom.DEFAULT_INSTALL, args.lang)
    for path in written:
        print(i18n.translate("ui.export.written", args.lang, {"path": path}))
    return 0


def batch_main(args: argparse.Namespace, lang: str) -> int:
    from rich.console import Console

    from . import batch, course
    from .report import summary

    console = Console()
    grade = course.grade_course if args.course else batch.grade_class
    try:
        result = grade(args.path, jobs=args.jobs, out=args.out, lang=lang, rubric_path=args.rubric,
                       timeout=args.timeout or batch.DEFAULT_TIMEOUT, console=console, reap_orphans=True)
    except ValueError as error:
        parser().error(str(error))
    summary.render_console(result.summary, console)
    if result.out is not None:
        console.print(i18n.translate("ui.batch.written", lang, {"path": result.out}))
    return 0


def demo_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograde demo",
                                description="Run the reference chat server for the room, with a live panel.")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on (default: every network of this machine)")
    p.add_argument("--port", type=int, default=9090)
    p.add_argument("--bots", type=int, default=0, metavar="N", help="fill the room with N chatty scripted users")
    p.add_argument("--bot-rate", type=float, default=0.5, metavar="R", help="messages per second per bot")
    p.add_argument("--duration", type=float, default=None, metavar="SECONDS", help="stop by itself after this long")
    p.add_argument("--server", type=Path, default=None, help="another chat server to run (default: the reference)")
    p.add_argument("--lang", choices=i18n.LANGUAGES, default=None)
    return p


def demo_main(argv: List[str]) -> int:
    args = demo_parser().parse_args(argv)
    from .demo import REFERENCE_SERVER, Demo

    server = args.server or REFERENCE_SERVER
    if not server.is_file():
        demo_parser().error(f"no such server: {server} (run from a clone of chatlab, or pass --server)")
    demo = Demo(args.host, args.port, server, args.bots, args.bot_rate, args.lang or i18n.default_language())
    return demo.run(args.duration)


def main(argv: Optional[List[str]] = None) -> int:
    raw = sys.argv[1:] if argv is None else list(argv)
    if raw[:1] == ["export"]:
        return export_main(raw[1:])
    if raw[:1] == ["demo"]:
        return demo_main(raw[1:])
    args = parser().parse_args(raw)
    lang = args.lang or i18n.default_language()
    if not args.path.exists():
        parser().error(f"no such file or folder: {args.path}")
    if args.rubric and not args.rubric.is_file():
        parser().error(f"no such rubric file: {args.rubric}")

    from . import batch, containment
    from .report import json_report, text

    if args.allow_packages:
        os.environ[ALLOW_PACKAGES_ENV] = args.allow_packages  # the class's graders inherit it
    if args.course or args.batch or (not args.single and batch.is_class(args.path)):
        return batch_main(args, lang)
    if argv is None:
        containment.isolate(raw)  # returns unless this run can move into namespaces of its own
    observer = None
    if args.live:
        from .live import LiveView

        observer = LiveView(lang=lang)
    limits = None
    if args.allow_packages:
        from . import packages
        from .sandbox import Limits

        try:
            limits = Limits(packages=str(packages.install(packages.names_from(args.allow_packages))))
        except packages.PackageError as error:
            print(i18n.translate("error.packages", lang, {"detail": str(error)}), file=sys.stderr)
            return 2
    report = batch.grade_single(args.path, rubric_path=args.rubric, observer=observer, limits=limits,
                                launch={"server": args.server, "client": args.client})
    if args.json is not None and str(args.json) == "-":
        print(json.dumps(report.to_dict(lang), ensure_ascii=False), flush=True)
    else:
        text.render(report, lang)
    if args.json is not None and str(args.json) != "-":
        args.json.write_text(json_report.render(report, lang), encoding="utf-8")
    if args.gradescope or args.github_output:
        from .export import classroom, gradescope

        data = report.to_dict(lang)
        if args.gradescope:
            args.gradescope.write_text(json.dumps(gradescope.results(data, lang), ensure_ascii=False, indent=2),
                                       encoding="utf-8")
        if args.github_output:
            with open(args.github_output, "a", encoding="utf-8") as handle:
                handle.write(classroom.output_line(data, lang))
    if args.fail_under is not None and report.score < args.fail_under:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
