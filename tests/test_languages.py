"""Every report format, in both languages, for a failing submission: no
sentence of the other language and no catalogue key left untranslated; under
--lang ru no English the code wrote straight into a report, a transcript or
the command line."""
import copy
import html as html_module
import io
import os
import re
import subprocess
import sys

import pytest
from rich.console import Console

from autograder import i18n
from autograder.wire.clients import make_entry
from autograder.export import classroom, gradescope, moodle
from autograder.report.live import LiveView
from autograder.notebook.checklist import Checklist
from autograder.notebook.handin import from_report
from autograder.report import html, markdown
from autograder.report import text as text_report
from autograder.results import CheckResult, Report, msg
from grading_helpers import FIXTURES, run_autograde

pytestmark = pytest.mark.timeout(300)

KEY = re.compile(r"\b(?:fail|hint|error|skip|ui|check|variant|mistake|nb|demo|extract|similar|note|who|cli|zip)\.[a-z_]+(?:\.[a-z_]+)*\b")
# Sentences shorter than this are too generic to tell languages apart ("OK", a unit).
MIN_SENTENCE = 12


def other_language_sentences(lang):
    """Fixed parts of every sentence of the other language (the text between placeholders)."""
    other = "ru" if lang == "en" else "en"
    pieces = set()
    for key, entry in i18n.CATALOGUE.items():
        if entry[other] == entry[lang]:
            continue  # the same in both (a name, a command)
        for piece in re.split(r"\{[^}]*\}", entry[other]):
            piece = piece.strip(" .,:;()«»“”\"'")
            if len(piece) >= MIN_SENTENCE and piece not in entry[lang]:
                pieces.add(piece)
    return pieces


@pytest.fixture(scope="module")
def failing_reports():
    """One failing submission, graded once per language (text on stdout, JSON beside it)."""
    out = {}
    for lang in i18n.LANGUAGES:
        code, report, text = run_autograde(FIXTURES / "tcp" / "no_names", "--lang", lang)
        assert code == 0 and report["score"] < 100, text
        out[lang] = (report, text)
    return out


@pytest.mark.xdist_group("failing_reports")  # one worker grades them once
@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_format_speaks_only_its_language(failing_reports, lang):
    report, text = failing_reports[lang]
    rendered = {
        "text": text,
        "markdown": markdown.render(report, lang),
        "html": html_module.unescape(re.sub(r"<[^>]+>", " ", html.render(report, lang))),
    }
    foreign = other_language_sentences(lang)
    for name, body in rendered.items():
        assert not KEY.findall(body.replace("autograder.", "")), (name, KEY.findall(body)[:5])
        leaked = sorted(piece for piece in foreign if piece in body)
        assert not leaked, (name, leaked[:5])
    if lang == "ru":
        assert any(word in rendered["text"] for word in ("подсказка", "не пройдена"))


# --- hard-coded English under --lang ru ---------------------------------------------------------
#
# The catalogue check above only sees sentences that are in the catalogue.  What follows catches
# English written straight into the code: every renderer of a failing report whose transcripts
# have notes (users who connect, vanish, leave; the student's client run against the grader's
# server), in Russian, with the program's own words (what was sent and received, its output)
# taken out, must hold no run of three lowercase English words.

# What the grader wrote into transcripts before notes were catalogue sentences (the literals
# of clients.py, puppet.py, fakeserver.py, clientrun.py, notebook/inprocess.py and steps.py).
OLD_NOTES = [
    "connect failed:", "connection reset by server", "server closed the connection", "send failed:",
    "closes the connection", "vanishes (connection reset)", "leaves and closes the socket",
    "vanishes without a word", "the student's server did not take the connection",
    "connected to the grader's server", "closes the keyboard (end of input)", "starts the student's client",
    "the client exited (code", "closes the client", "the client is killed", "end of input (Ctrl+D)",
    "closes its side (shutdown SHUT_WR)", "the server closed the connection",
    "connected (and will stop reading after the nickname)", "the server goes away", "entries …",
]
# Three or more lowercase English words in a row, as prose has them: not part of code
# (``stop.is_set()``, ``--allow-packages``, ``'task4_chat.py server'``) or of a path.
_WORD = r"[a-z]{2,}(?:'[a-z]+)?"
ENGLISH_RUN = re.compile(rf"(?<![\w.(/\\\-'\"`=<>@$%{{\[*]){_WORD}(?: {_WORD}){{2,}}(?![\w'\"`(\[{{/\\=_*-]|\.\w)")
# The formats that show transcripts; the platforms' (Gradescope, GitHub Classroom, Moodle) show only verdicts.
WITH_TRANSCRIPTS = ("text", "live", "markdown", "html", "notebook text", "notebook html")
PROGRAM = "◆"  # stands for the program's own words in a report whose English is looked for


def english_runs(body):
    return [m.group(0) for m in ENGLISH_RUN.finditer(body)]


def test_the_english_detector_is_not_trivially_passing():
    assert english_runs("bob: closes the connection") == ["closes the connection"]
    assert english_runs("0.1s client · the server goes away") == ["the server goes away"]
    assert english_runs("alice · starts the student's client") == ["starts the student's client"]
    assert not english_runs("подсказка: крутите цикл, пока not stop.is_set(); --allow-packages ИМЯ")
    assert not english_runs("например 'task4_chat.py server' или students/<группа>/<имя>/...")
    caught = [note for note in OLD_NOTES if english_runs(note)]
    assert len(caught) >= len(OLD_NOTES) // 2, caught  # the rest is OLD_NOTES' own job


class Said:
    """A sentence already in the report's language (the JSON report holds text, not keys)."""

    def __init__(self, text):
        self._text = text

    def text(self, lang):
        return self._text


def without_program_data(report):
    """The report with every word the program said replaced by ◆: only the grader's words stay."""
    report = copy.deepcopy(report)
    report["detected"] = {}
    for check in report["checks"]:
        for field in ("expected", "actual", "server_output"):
            if check.get(field):
                check[field] = PROGRAM
        check["transcript"] = [entry if entry.get("kind") == "note" else dict(entry, text=PROGRAM)
                               for entry in check.get("transcript") or []]
    return report


def old_style(report):
    """The report as the code used to write it: notes as English text, without key and params."""
    report = copy.deepcopy(report)
    for check in report["checks"]:
        check["transcript"] = [{k: v for k, v in dict(entry, text=i18n.entry_text(entry, "en")).items()
                                if k not in ("key", "params")} if entry.get("key") else entry
                               for entry in check["transcript"]]
    return report


def as_report(data):
    """A JSON report as the ``Report`` the text renderer and the live view take."""
    said = lambda value: Said(value) if value else None  # noqa: E731
    checks = [CheckResult(c["id"], c["status"], c["points"], c["max_points"], message=said(c.get("message")),
                          hint=said(c.get("hint")), expected=c.get("expected"), actual=c.get("actual"),
                          transcript=c.get("transcript") or [], server_output=c.get("server_output"),
                          driven_by=c.get("driven_by") or "wire") for c in data["checks"]]
    return Report(data["submission"], data["variant"], data["score"], data["max_score"],
                  cap_reason=said(data.get("cap_reason")), detected=data.get("detected") or {},
                  files=data.get("files") or {}, checks=checks, error=said(data.get("error")),
                  duration=data.get("duration") or 0.0)


def every_rendering(data, lang):
    """The report in every format a person reads, as plain text."""
    report = as_report(data)
    console = Console(file=io.StringIO(), width=200, color_system=None)
    text_report.render(report, lang, console=console, show_hidden=True)
    # Every line of every check (a projector sees a bounded share; every sentence must be in the language).
    live = LiveView(Console(file=io.StringIO(), width=200, color_system=None), lang=lang, lines_per_check=10**6)
    for result in report.checks:
        live.check_started(result.id)
        for entry in result.transcript:
            live.entry(entry)
        live.check_finished(result)
    live.close()
    checklist = from_report(data, lang, Checklist("autograde", msg("nb.step.autograde", folder="x"), lang))
    graded = gradescope.results(data, lang)
    plain = lambda page: html_module.unescape(re.sub(r"<[^>]+>", " ", page))  # noqa: E731
    return {
        "text": console.file.getvalue(),
        "live": live.console.file.getvalue(),
        "markdown": markdown.render(data, lang, show_hidden=True),
        "html": plain(html.render(data, lang, show_hidden=True)),
        "notebook text": checklist.to_text(),
        "notebook html": plain(checklist.to_html()),
        "gradescope": "\n".join([graded["output"]] + [f"{t['name']}\n{t['output']}" for t in graded["tests"]]),
        "github classroom": "\n".join(f"{t['name']}\n{t['message']}" for t in classroom.runner_result(data, lang)["tests"]),
        "moodle feedback": moodle.feedback(data, lang),
    }


@pytest.fixture(scope="module")
def russian_runs():
    """Two failing submissions graded in Russian with --live: in one the student's client crashes when
    the grader's server goes away (``client_exits``), in the other a user vanishes (``drop_survival``)."""
    runs = {}
    for fixture, failing in (("client/crash_on_close", "client_exits"), ("tcp/crash_on_disconnect", "drop_survival")):
        code, report, output = run_autograde(FIXTURES / fixture, "--lang", "ru", "--live")
        assert code == 0 and report is not None, output
        assert {c["id"]: c["status"] for c in report["checks"]}[failing] == "failed", output
        runs[fixture] = (report, output)
    return runs


@pytest.mark.xdist_group("russian_runs")  # one worker grades them once
def test_notes_are_stored_with_their_key_and_in_the_report_language(russian_runs):
    notes = [e for report, _ in russian_runs.values() for c in report["checks"] for e in c["transcript"]
             if e["kind"] == "note"]
    keys = {e.get("key") for e in notes}
    assert {"note.connected", "note.vanishes_reset", "note.connected_to_grader", "note.server_goes_away"} <= keys
    assert all(e.get("key") for e in notes), [e for e in notes if not e.get("key")][:3]
    vanished = next(e for e in notes if e["key"] == "note.vanishes_reset")
    assert vanished["text"] == i18n.translate("note.vanishes_reset", "ru")  # readable as it is stored


@pytest.mark.xdist_group("russian_runs")  # one worker grades them once
def test_a_russian_report_re_renders_in_either_language(russian_runs):
    report, _ = russian_runs["tcp/crash_on_disconnect"]
    assert "vanishes (connection reset)" in markdown.render(report, "en")
    assert "vanishes (connection reset)" not in markdown.render(report, "ru")
    assert i18n.translate("note.vanishes_reset", "ru") in markdown.render(report, "ru")
    # and a report written before notes had keys still renders, as it was written
    assert "vanishes (connection reset)" in markdown.render(old_style(report), "ru")


@pytest.mark.xdist_group("russian_runs")  # one worker grades them once
def test_no_english_in_any_russian_rendering(russian_runs):
    for fixture, (report, _) in russian_runs.items():
        for name, body in every_rendering(without_program_data(report), "ru").items():
            assert not english_runs(body), (fixture, name, english_runs(body)[:5])
            old = [note for note in OLD_NOTES if note in body]
            assert not old, (fixture, name, old)
            assert not KEY.findall(body.replace("autograder.", "")), (fixture, name, KEY.findall(body)[:5])


@pytest.mark.xdist_group("russian_runs")  # one worker grades them once
def test_the_detector_would_have_caught_the_old_notes(russian_runs):
    """The same reports as the code wrote them before: the detector alone flags every format."""
    report, _ = russian_runs["client/crash_on_close"]
    rendered = every_rendering(without_program_data(old_style(report)), "ru")
    notes = {i18n.entry_text(e, "en") for c in report["checks"] for e in c.get("transcript") or [] if e.get("key")}
    for name in WITH_TRANSCRIPTS:
        caught = " | ".join(english_runs(rendered[name]))
        # The renderers show a failed check's transcript in part; every note they show is caught.
        shown = [note for note in notes if note in rendered[name] and english_runs(note)]
        assert "the server goes away" in caught and shown, (name, caught)
        assert all(note in caught for note in shown), (name, shown, caught)


def program_lines(report):
    """Every line the program said, as the renderers print it, to take out of the console text."""
    lines = set()
    for check in report["checks"]:
        for value in [check.get("expected"), check.get("actual"), check.get("server_output")] + [
                e["text"] for e in check.get("transcript") or [] if e.get("kind") != "note"]:
            for line in re.split(r"⏎|\n", value or ""):
                if len(line.strip()) >= 3:
                    lines.add(line.strip())
    return sorted(lines, key=len, reverse=True)


@pytest.mark.xdist_group("russian_runs")  # one worker grades them once
def test_the_console_and_live_view_speak_russian(russian_runs):
    """What ``autograde --lang ru --live`` printed itself, the program's words left out."""
    for fixture, (report, output) in russian_runs.items():
        kept = [line for line in output.splitlines()
                if not re.search(r"[→←⌨]|^\s*(ожидалось|получено|обнаружено):", line)]
        body = "\n".join(kept)
        for line in program_lines(report):
            body = body.replace(line, PROGRAM)
        assert "·" in body and i18n.translate("note.closes", "ru") in body  # the live view's notes are here
        assert not english_runs(body), (fixture, english_runs(body)[:5])
        assert not [note for note in OLD_NOTES if note in body], fixture


NOTE_PARAMS = {"error": "[Errno 111] ◆", "code": 1, "count": 3, "lines": 2}


def test_every_note_is_translated_by_every_renderer():
    """Notes the fixtures above never produce (puppets, the notebooks, failed sends) too."""
    keys = sorted(k for k in i18n.CATALOGUE if k.startswith("note."))
    entries = [make_entry(0.1 * i, "client" if i % 2 else "alice", "note", msg(key, **NOTE_PARAMS))
               for i, key in enumerate(keys)]
    # a check per 8 notes: the text and Markdown reports show only a transcript's last 14 steps
    checks = [{"id": f"broadcast{i}", "title": i18n.translate("check.broadcast", "ru"), "status": "failed",
               "points": 0, "max_points": 15, "message": i18n.translate("fail.timeout", "ru"), "hint": None,
               "expected": None, "actual": None, "transcript": entries[i:i + 8], "server_output": None}
              for i in range(0, len(entries), 8)]
    report = {"schema": 1, "submission": "x", "variant": "tcp-multi", "score": 0, "max_score": 100,
              "checks": checks, "detected": {}, "files": {}, "error": None, "lang": "ru"}
    english = {i18n.translate(key, "en", NOTE_PARAMS) for key in keys}
    for name, body in every_rendering(report, "ru").items():
        assert not english_runs(body), (name, english_runs(body)[:5])
        assert not [sentence for sentence in english if sentence in body], name
        if name in WITH_TRANSCRIPTS:
            missing = [e["key"] for e in entries if i18n.entry_text(e, "ru").split(" … ")[0] not in body]
            assert not missing, (name, missing)


# --- the command line -----------------------------------------------------------------------

def autograde_cli(*args, **env):
    environment = dict(os.environ, COLUMNS="100", **env)
    return subprocess.run([sys.executable, "-m", "autograder", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=60, env=environment)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("args, needle", [
    (["--lang", "ru", "/no/such/submission"], "нет такого файла или папки"),
    (["--lang", "ru", "--jobs", "many", "."], "аргумент --jobs"),
    (["--lang=ru"], "не хватает обязательных аргументов"),
    (["--lang", "ru", ".", "--no-such-option"], "непонятные аргументы"),
    (["demo", "--lang", "ru", "--bots", "many"], "аргумент --bots"),
    (["export", "--lang", "ru"], "не хватает обязательных аргументов"),
])
def test_a_usage_error_in_russian(args, needle):
    done = autograde_cli(*args, LANG="en_US.UTF-8")
    assert done.returncode == 2, done.stderr
    assert needle in done.stderr and "ошибка:" in done.stderr and "использование:" in done.stderr, done.stderr
    assert "usage:" not in done.stderr and "error:" not in done.stderr
    assert not english_runs(done.stderr), english_runs(done.stderr)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("args, env", [
    (["--lang", "ru", "--help"], {"LANG": "en_US.UTF-8"}),
    (["--help"], {"LANG": "ru_RU.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""}),  # the locale decides
    (["demo", "--help", "--lang", "ru"], {}),
    (["export", "-h", "--lang", "ru"], {}),
])
def test_help_in_russian(args, env):
    done = autograde_cli(*args, **env)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("использование: autograde") and "показать эту справку и выйти" in out, out
    assert "параметры:" in out and "options:" not in out
    assert not english_runs(out), english_runs(out)
    assert not re.search(r"\bcli\.[a-z_.]+", out)


@pytest.mark.timeout(120)
def test_english_usage_is_unchanged():
    done = autograde_cli("/no/such/submission", "--lang", "en", LANG="ru_RU.UTF-8")
    assert done.returncode == 2 and "usage: autograde" in done.stderr
    assert "autograde: error: no such file or folder: /no/such/submission" in done.stderr
