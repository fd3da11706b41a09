"""Gradescope: a submission's ``results.json``, and the autograder bundle.

``results`` follows Gradescope's documented format: top-level ``score``,
``output``, ``tests`` with ``name``/``score``/``max_score``/``status``/
``output``/``visibility``.  The items add up to the report's score (see
``scoring``); checks the rubric hides become ``after_published``.

``build_bundle`` writes what Gradescope's "Configure Autograder" takes:
``setup.sh`` (run once when the image is built), ``run_autograder`` (run
per submission; reads ``/autograder/submission``, writes
``/autograder/results/results.json``), the chatlab source beside them, and
the same as ``autograder.zip``.  Both scripts honour
``CHATLAB_AUTOGRADER_ROOT`` in place of ``/autograder`` so the bundle can
be tried locally, and ``CHATLAB_PYTHON`` for the interpreter.  The output
is deterministic: the same source gives the same bytes.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Dict, List, Optional

from autograder import __name__ as package_name
from autograder.i18n import translate
from autograder.results import report_score_sentence
from autograder.export import scoring

PACKAGE = Path(__file__).resolve().parent.parent
SOURCE_PYPROJECT = PACKAGE.parent / "pyproject.toml"
# Only when neither a source tree nor an installed distribution says (kept in step with pyproject by a test).
FALLBACK_DEPENDENCIES = ("pytest>=7.4", "pytest-timeout>=2.2", "rich>=13", "psutil>=5.9",
                         "tomli>=2; python_version < '3.11'")
SOURCE_SUFFIXES = (".py", ".toml", ".ini")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def results(report: dict, lang: str) -> dict:
    lang = report.get("lang") or lang
    return {
        "score": float(report.get("score") or 0.0),
        "execution_time": round(float(report.get("duration") or 0.0), 1),
        "output": summary_output(report, lang),
        "output_format": "md",
        "test_output_format": "text",
        # Shown once the instructor publishes, not at once, while a check waits for a person.
        "visibility": "after_published" if report.get("review") else "visible",
        "stdout_visibility": "hidden",
        "tests": [test(item) for item in scoring.items(report, lang)],
    }


def test(item: dict) -> dict:
    """One Gradescope test.  Information (advisory, pending review, our error) carries no
    points and no pass/fail, so Gradescope shows it neutral instead of as a failed 0/0 test."""
    shown = {"name": item["name"], "output": item["output"],
             "visibility": "after_published" if item["hidden"] else "visible"}
    if item["kind"] in scoring.NO_POINTS:
        return shown
    shown.update(score=item["score"], max_score=item["max_score"])
    if item["status"] != scoring.INFO:
        shown["status"] = item["status"]
    return shown


def summary_output(report: dict, lang: str) -> str:
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731 - a local shorthand
    lines = [f"**{report_score_sentence(dict(report, max_score=100)).text(lang)}**"]
    if report.get("error"):
        lines.append(t("ui.error", error=report["error"]))
    elif report.get("variant"):
        lines.append(t("ui.variant", variant=report["variant"], reason=report.get("cap_reason") or ""))
    if scoring.pending_review(report):
        lines.append(scoring.review_line(report, lang))
    lines.append("")
    lines.append(t("ui.not_a_grade"))
    return "\n".join(lines)


# --- the bundle --------------------------------------------------------------

def _project() -> dict:
    """The ``[project]`` table of the source tree's pyproject.toml, when the bundle is built from one."""
    try:
        from autograder.grading.rubric import tomllib

        with open(SOURCE_PYPROJECT, "rb") as handle:
            return tomllib.load(handle).get("project", {})
    except (OSError, ValueError):
        return {}


def _installed() -> Optional[str]:
    """The installed distribution that holds this package (whatever it is named)."""
    try:
        from importlib.metadata import packages_distributions

        names = packages_distributions().get(package_name) or []
    except Exception:  # Python 3.9 has no packages_distributions
        names = []
    return names[0] if names else None


def _version() -> str:
    project = _project()
    if project.get("version"):
        return str(project["version"])
    try:
        from importlib.metadata import version

        return version(_installed() or "chatlab-kit")
    except Exception:  # neither a source tree nor installed
        return "0"


def _dependencies() -> List[str]:
    """The runtime requirements, with their pins: the source tree's pyproject, else the installed metadata."""
    found = list(_project().get("dependencies") or [])
    if not found:
        try:
            from importlib.metadata import requires

            found = [d for d in requires(_installed() or "chatlab-kit") or [] if "extra ==" not in d]
        except Exception:
            found = []
    return found or list(FALLBACK_DEPENDENCIES)


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's, for what a requirement holds)."""
    return json.dumps(text, ensure_ascii=True)


HEADER = "Generated by `autograde export gradescope` (chatlab {version}); rebuild it instead of editing."

SETUP_SH = """#!/usr/bin/env bash
# {header}
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
ROOT="${{CHATLAB_AUTOGRADER_ROOT:-/autograder}}"
SOURCE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -q
    # util-linux brings unshare (namespaces, where the container permits them)
    apt-get install -y -q python3 python3-venv python3-pip util-linux
fi
PYTHON="${{CHATLAB_PYTHON:-python3}}"
"$PYTHON" -m venv "$ROOT/chatlab-venv"
"$ROOT/chatlab-venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/chatlab-venv/bin/python" -m pip install --quiet "$SOURCE/chatlab"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# {header}
# Gradescope runs this for every submission: the submission is in $ROOT/submission,
# the result goes to $ROOT/results/results.json. Student code runs sandboxed as an
# unprivileged user, so it cannot write that file itself.
set -u
ROOT="${{CHATLAB_AUTOGRADER_ROOT:-/autograder}}"
if [ -n "${{CHATLAB_PYTHON:-}}" ]; then
    PYTHON="$CHATLAB_PYTHON"
elif [ -x "$ROOT/chatlab-venv/bin/python" ]; then
    PYTHON="$ROOT/chatlab-venv/bin/python"
else
    PYTHON=python3
fi
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
cd "$ROOT"
"$PYTHON" -m autograder "$ROOT/submission" --single --lang {lang} --gradescope "$RESULTS"
status=$?
if [ ! -s "$RESULTS" ]; then
    printf '{{"score": 0, "output": "{crashed}", "tests": []}}\\n' "$status" > "$RESULTS"
fi
exit 0
"""

PYPROJECT = """# {header}
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "chatlab"
version = "{version}"
description = "chatlab autograder (Gradescope bundle)"
requires-python = ">=3.9"
dependencies = [
{dependencies}
]

[project.scripts]
autograde = "autograder.cli:main"

[tool.setuptools.packages.find]
include = ["autograder*"]

[tool.setuptools.package-data]
autograder = ["grading/*.toml", "sandbox/harness/*.py"]
"""


def bundle_files(lang: str = "en", rubric_path: Optional[Path] = None) -> Dict[str, bytes]:
    """Every file of the bundle, by its path inside the zip (the instructor's rubric, if given)."""
    version = _version()
    header = HEADER.format(version=version)
    files = {
        "setup.sh": SETUP_SH.format(header=header).encode(),
        # the exit code is printf's %s; the sentence sits inside a JSON string inside '...'
        "run_autograder": RUN_AUTOGRADER.format(header=header, lang=lang, crashed=translate(
            "ui.gradescope.crashed", lang, {"code": "%s"}).replace("'", "’").replace('"', "”")).encode(),
        "chatlab/pyproject.toml": PYPROJECT.format(
            header=header, version=version,
            dependencies="\n".join(f"    {toml_string(d)}," for d in _dependencies())).encode(),
    }
    for path in sorted(PACKAGE.rglob("*")):
        if not path.is_file() or path.suffix not in SOURCE_SUFFIXES or "__pycache__" in path.parts:
            continue
        files[f"chatlab/{package_name}/{path.relative_to(PACKAGE).as_posix()}"] = path.read_bytes()
    if rubric_path is not None:
        files[f"chatlab/{package_name}/rubric.toml"] = Path(rubric_path).read_bytes()
    return files


def build_bundle(out: Path, lang: str = "en", rubric_path: Optional[Path] = None) -> List[Path]:
    """Write the bundle's files and ``autograder.zip`` into ``out``; returns the top-level entries."""
    out = Path(out)
    files = bundle_files(lang, rubric_path)
    for name, data in files.items():
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        target.chmod(0o755 if name in ("setup.sh", "run_autograder") else 0o644)
    archive = out / "autograder.zip"
    archive.write_bytes(zip_bytes(files))
    return [out / "setup.sh", out / "run_autograder", out / "chatlab", archive]


def zip_bytes(files: Dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.external_attr = (0o100755 if name in ("setup.sh", "run_autograder") else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()
