"""``autograde``: argument parsing only, then one call into the library."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import List, Optional

from . import i18n


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="autograde",
        description="Grade a socket + threading chat submission (a folder with server.py and client.py).",
    )
    p.add_argument("path", type=Path, help="the submission folder")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the machine report (schema 1) to FILE")
    p.add_argument("--lang", choices=i18n.LANGUAGES, default=None, help="report language (default: from the locale)")
    p.add_argument("--rubric", type=Path, metavar="FILE", help="use another rubric file (TOML)")
    p.add_argument("--fail-under", type=float, metavar="N", help="exit 1 when the score is below N")
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    lang = args.lang or i18n.default_language()
    if not args.path.exists():
        parser().error(f"no such file or folder: {args.path}")
    if args.rubric and not args.rubric.is_file():
        parser().error(f"no such rubric file: {args.rubric}")

    from .report import json_report, text
    from .runner import grade

    report = grade(args.path, rubric_path=args.rubric)
    text.render(report, lang)
    if args.json:
        args.json.write_text(json_report.render(report, lang), encoding="utf-8")
    if args.fail_under is not None and report.score < args.fail_under:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
