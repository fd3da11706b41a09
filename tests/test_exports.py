"""Reports people read (Markdown, HTML) and platforms' formats (Gradescope, GitHub Classroom).

Renderers are tested on a report built from data, without sockets; the
platforms' formats on real runs: ``autograde`` with ``--gradescope`` and
``--github-output``, and the Gradescope bundle run the way Gradescope runs
it, with a temp folder standing in for ``/autograder``.
"""
from __future__ import annotations

import ast
import base64
import json
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import cli
from autograder.export import classroom, gradescope, scoring
from autograder.report import html, markdown
from autograder.results import CheckResult, Report, msg
import classroom_reporter as reporter
from containment_helpers import autograde, copy_tree
from grading_helpers import FIXTURES, ROOT

PACKAGE = ROOT / "autograder"
GRADESCOPE_STATUSES = {"passed", "failed"}
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}

pytestmark = [pytest.mark.timeout(120), pytest.mark.xdist_group("containment")]  # see test_batch.py


def sample_report(threading_used: bool = True) -> Report:
    transcript = [
        {"t": 0.001, "who": "alice", "kind": "note", "text": "connected"},
        {"t": 0.002, "who": "alice", "kind": "send", "text": "alice⏎\n"},
        {"t": 0.004, "who": "alice", "kind": "recv", "text": "NICK⏎\n"},
        {"t": 0.010, "who": "bob", "kind": "send", "text": "hi <script>alert(1)</script>⏎\n"},
        {"t": 0.020, "who": "alice", "kind": "recv", "text": "bob: hi \u00a0there ␍⏎\n"},
    ]
    checks = [
        CheckResult("starts", "passed", 5, 5),
        CheckResult("broadcast", "failed", 0, 15, message=msg("fail.broadcast.missing", count=1, missing="x"),
                    hint=msg("hint.broadcast.missing"), expected="bob: hi\n", actual="bob: hi \r\n```\t",
                    transcript=transcript, server_output="Traceback: <boom>"),
        CheckResult("names", "skipped", 0, 10, message=msg("skip.dependency", check="broadcast", status="failed")),
        CheckResult("threads", "passed" if threading_used else "failed", 10 if threading_used else 0, 10),
    ]
    earned = sum(c.points for c in checks)
    score = round(100 * earned / 40 * (1 if threading_used else 0.5), 1)
    return Report(submission="anna <b>", variant="tcp-multi", score=score, max_score=100, cap=100,
                  cap_reason=msg("variant.tcp-multi"), detected={"uses_threading": threading_used},
                  files={"server": "server.py"}, checks=checks, sandbox=["session", "uid", "something-new"],
                  duration=3.2)


# --- Markdown and HTML --------------------------------------------------------------------

@pytest.mark.timeout(30)
def test_html_is_one_self_contained_file():
    page = html.render(sample_report().to_dict("en"), "en")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<link" not in page and "src=" not in page and "@import" not in page
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"]  # the SVG namespace, not a fetch
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "anna &lt;b&gt;" in page


@pytest.mark.timeout(30)
def test_html_draws_the_failed_scenario_as_a_sequence_diagram():
    page = html.render(sample_report().to_dict("en"), "en")
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    lanes = re.findall(r'<text class="lane"[^>]*>([^<]*)</text>', svg)
    assert lanes == ["server", "alice", "bob"]
    assert len(re.findall(r"<line [^>]*marker-end", svg)) == 4  # one arrow per send and recv
    assert "0.020" in svg  # timestamps
    section = page[page.index('id="check-broadcast"'):]
    assert "expected" in section and "received" in section
    assert "⏎" in section and "␍" in section and "⇥" in section and "⍽" in section  # invisible characters shown
    assert 'id="check-names"' not in page  # only what did not pass gets a section


@pytest.mark.timeout(30)
def test_html_and_markdown_speak_the_report_language():
    data = sample_report().to_dict("ru")
    page = html.render(data, "ru")
    text = markdown.render(data, "ru")
    for rendered in (page, text):
        assert "итог" in rendered and "подсказка" in rendered and "ожидалось" in rendered
        assert "score:" not in rendered
    assert '<html lang="ru">' in page and "сервер" in page
    assert "отдельный непривилегированный пользователь" in page and "something-new" in page


@pytest.mark.timeout(30)
def test_markdown_for_an_lms_comment():
    text = markdown.render(sample_report().to_dict("en"), "en")
    assert text.startswith("## ") and "**score: 37.5 / 100**" in text
    assert "| ✅ | The server starts and listens within 10 s | 5 / 5 |" in text
    assert "### ❌ A message reaches every other user" in text
    fences = re.findall(r"^(`{3,})text$", text, re.M)
    assert fences[:2] == ["```", "````"]  # the received text holds ``` itself: a longer fence
    assert "bob: hi·␍⏎" in text and "⇥" in text  # the space before CR LF shows
    assert "anna \\<b\\>" in text  # a student's name cannot inject markup
    assert "<details>" in text and "alice → server: alice⏎" in text


@pytest.mark.timeout(30)
def test_renderers_are_pure():
    forbidden = {"socket", "subprocess", "threading"}
    for folder in ("report", "export"):
        for path in (PACKAGE / folder).glob("*.py"):
            if path.name == "live.py":
                continue  # the live view paces its lines for a room from a thread of its own: not a renderer
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
            assert not names & forbidden, path


# --- scores that add up --------------------------------------------------------------------

@pytest.mark.timeout(30)
@pytest.mark.parametrize("threading_used", [True, False])
def test_items_add_up_to_the_score(threading_used):
    data = sample_report(threading_used).to_dict("en")
    items = scoring.items(data, "en")
    assert scoring.float_sum(i["score"] for i in items) == data["score"]
    assert round(sum(i["max_score"] for i in items), 1) == 100
    if not threading_used:
        assert items[0]["id"] == "threading" and items[0]["status"] == "failed"


def validate_gradescope(results: dict) -> None:
    """Gradescope's documented fields and their types."""
    assert isinstance(results["score"], (int, float)) and isinstance(results["output"], str)
    assert results.get("visibility", "visible") in GRADESCOPE_VISIBILITY
    assert results.get("stdout_visibility", "hidden") in GRADESCOPE_VISIBILITY
    assert isinstance(results["tests"], list) and results["tests"]
    for test in results["tests"]:
        assert set(test) <= {"name", "score", "max_score", "status", "output", "visibility", "number", "tags",
                             "name_format", "output_format", "extra_data"}
        assert isinstance(test["name"], str) and test["name"]
        if "score" in test or "max_score" in test:
            assert isinstance(test["score"], (int, float)) and isinstance(test["max_score"], (int, float))
        else:
            assert "status" not in test  # information: no points, neither passed nor failed
        assert test.get("status", "passed") in GRADESCOPE_STATUSES
        if test.get("status") == "passed":
            assert test["score"] == test["max_score"]  # full points on a pass
        assert isinstance(test["output"], str)
        assert test["visibility"] in GRADESCOPE_VISIBILITY
    assert scoring.float_sum(t.get("score", 0) for t in results["tests"]) == results["score"]


@pytest.mark.timeout(30)
def test_gradescope_results_for_an_ungradable_submission():
    data = Report(submission="x", error=msg("error.syntax", file="server.py", line=1, detail="invalid")).to_dict("en")
    results = gradescope.results(data, "en")
    validate_gradescope(results)
    assert results["score"] == 0 and "syntax error" in results["tests"][0]["output"]


# --- real runs --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference-run")
    github = out / "github_output"
    github.write_text("earlier=1\n")
    done = autograde(ROOT / "reference_solution" / "tcp", "--json", out / "report.json", "--gradescope",
                     out / "results.json", "--github-output", github, "--lang", "en", timeout=110)
    return done, out


def test_gradescope_results_of_a_real_run(reference_run):
    done, out = reference_run
    assert done.returncode == 0, done.stdout[-2000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    validate_gradescope(results)
    assert results["score"] == json.loads((out / "report.json").read_text(encoding="utf-8"))["score"] == 100


def test_github_classroom_result_of_a_real_run(reference_run):
    done, out = reference_run
    lines = (out / "github_output").read_text().splitlines()
    assert lines[0] == "earlier=1" and lines[1].startswith("result=") and len(lines) == 2
    result = json.loads(base64.b64decode(lines[1][len("result="):]))
    assert result["version"] == 1 and result["max_score"] == 100 and result["status"] == "pass"
    assert round(sum(t["score"] for t in result["tests"]), 1) == 100
    for test in result["tests"]:
        assert test["status"] in ("pass", "fail") and {"name", "score", "message"} <= set(test)


@pytest.mark.timeout(30)
def test_github_classroom_workflow_runs_a_command_we_accept(tmp_path):
    written = classroom.write_workflow(tmp_path, "git+https://example.invalid/chatlab.git", "ru")
    text = written[0].read_text(encoding="utf-8")
    assert written[0] == tmp_path / ".github" / "workflows" / "classroom.yml"
    assert text.startswith("# Generated by `autograde export github-classroom`")
    assert "\t" not in text  # YAML forbids tabs
    workflow = reporter.load_workflow(text)
    assert set(workflow["on"]) == {"push", "repository_dispatch", "workflow_dispatch"}
    report_step = reporter.step(workflow, "classroom-resources/autograding-grading-reporter")
    assert report_step["uses"].endswith("@v1") and report_step["if"] == "always()"
    assert report_step["with"]["runners"] == "${{ steps.chatlab.outputs.runners }}"
    grade = reporter.step(workflow, "chatlab")
    assert grade["if"] == "${{ !cancelled() }}"  # a failed install is still recorded, as a crash
    command = next(line for line in grade["run"].splitlines() if "-m autograder" in line).split("-m autograder", 1)[1]
    command = command.split("||")[0]  # what follows keeps the step alive when the grader dies
    args = shlex.split(command.replace('"$GITHUB_OUTPUT"', "out.txt").replace('"$GITHUB_ENV"', "env.txt"))
    parsed = cli.parser().parse_args(args)
    assert parsed.single and parsed.lang == "ru" and str(parsed.github_output) == "out.txt"
    assert str(parsed.github_env) == "env.txt"


def test_gradescope_bundle_is_deterministic_and_says_it_is_generated(tmp_path):
    first = gradescope.build_bundle(tmp_path / "a")
    second = gradescope.build_bundle(tmp_path / "b")
    assert [p.name for p in first] == ["setup.sh", "run_autograder", "chatlab", "autograder.zip"]
    assert (tmp_path / "a" / "autograder.zip").read_bytes() == (tmp_path / "b" / "autograder.zip").read_bytes()
    for name in ("setup.sh", "run_autograder", "chatlab/pyproject.toml"):
        assert "Generated by `autograde export gradescope`" in (tmp_path / "a" / name).read_text().splitlines()[1 if name != "chatlab/pyproject.toml" else 0]
    for script in ("setup.sh", "run_autograder"):
        assert os.access(tmp_path / "a" / script, os.X_OK)
        subprocess.run(["bash", "-n", str(tmp_path / "a" / script)], check=True)
    names = zipfile.ZipFile(tmp_path / "a" / "autograder.zip").namelist()
    assert {"setup.sh", "run_autograder", "chatlab/autograder/sandbox/harness/child.py", "chatlab/autograder/grading/rubric.toml",
            "chatlab/autograder/grading/checks/server_tcp.py"} <= set(names)


def test_cli_export_writes_both(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "export", "gradescope", "--out", str(tmp_path / "gs")],
                          capture_output=True, text=True, timeout=60, cwd=str(ROOT))
    assert done.returncode == 0 and (tmp_path / "gs" / "autograder.zip").is_file(), done.stderr
    done = subprocess.run([sys.executable, "-m", "autograder", "export", "github-classroom", "--out",
                           str(tmp_path / "repo")], capture_output=True, text=True, timeout=60, cwd=str(ROOT))
    assert done.returncode == 0 and (tmp_path / "repo" / ".github" / "workflows" / "classroom.yml").is_file()


def test_gradescope_bundle_runs_as_gradescope_runs_it(tmp_path):
    """/autograder laid out in a temp folder; the bundled source, not the installed one, grades."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    gradescope.build_bundle(tmp_path / "bundle")
    zipfile.ZipFile(tmp_path / "bundle" / "autograder.zip").extractall(root / "source")
    copy_tree(FIXTURES / "tcp" / "no_broadcast", root / "submission")
    (root / "results").mkdir()
    (root / "results" / "results.json").write_text('{"score": 100, "forged": true}')  # stale: must be replaced
    env = dict(os.environ, CHATLAB_AUTOGRADER_ROOT=str(root), CHATLAB_PYTHON=sys.executable,
               PYTHONPATH=str(root / "source" / "chatlab"))
    which = subprocess.run([sys.executable, "-c", "import autograder; print(autograder.__file__)"], env=env,
                           capture_output=True, text=True, timeout=30, cwd=str(root))  # run_autograder works there
    assert which.stdout.startswith(str(root / "source" / "chatlab"))
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=110)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    validate_gradescope(results)
    assert "forged" not in results and 0 < results["score"] < 100
    broadcast = next(t for t in results["tests"] if t["name"] == "A message reaches every other user")
    assert broadcast["status"] == "failed" and broadcast["score"] == 0 and broadcast["output"]


def test_a_grader_that_cannot_start_still_leaves_results(tmp_path):
    root = tmp_path / "autograder"
    gradescope.build_bundle(root / "source")
    (root / "submission").mkdir()
    env = dict(os.environ, CHATLAB_AUTOGRADER_ROOT=str(root), CHATLAB_PYTHON=str(tmp_path / "no-such-python"))
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 0 and "autograder itself failed" in results["output"]


# --- GitHub Classroom: the workflow's grade step, run as the runner runs it -----------------------

def run_workflow(tmp_path: Path, submission: Path, python: str):
    """The generated workflow's grade step in bash (a stand-in ``sudo`` runs its command), then its
    reporter step's inputs as the Actions runner builds them: ``(runner results, the reporter's view)``."""
    workflow = reporter.load_workflow(classroom.workflow("git+https://example.invalid/chatlab.git", "en"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sudo").write_text('#!/bin/sh\n[ "$1" = "-E" ] && shift\nexec "$@"\n')
    (bin_dir / "sudo").chmod(0o755)
    output, job_env = tmp_path / "github_output", tmp_path / "github_env"
    output.write_text("")
    job_env.write_text("")
    (tmp_path / "step.sh").write_text(reporter.step(workflow, "chatlab")["run"])
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", GITHUB_OUTPUT=str(output),
               GITHUB_ENV=str(job_env), CHATLAB_PYTHON=python)
    done = subprocess.run(["bash", "-e", "-o", "pipefail", str(tmp_path / "step.sh")], cwd=str(submission), env=env,
                          capture_output=True, text=True, timeout=200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]  # the reporter step always runs
    outputs = reporter.read_key_values(output)
    assert [line for line in output.read_text().splitlines() if line.startswith("runners=")] == [
        "runners=" + outputs["runners"]]
    runners = reporter.reporter_inputs(workflow, {"chatlab": outputs}, reporter.read_key_values(job_env))
    return runners, reporter.report(runners)


def assert_log_agrees(view: dict, score: float) -> None:
    """The reporter's table, its total and what it sends Classroom: all the score out of 100."""
    assert view["points"] == view["table_total"] == score
    assert view["max_points"] == view["table_max"] == 100
    assert view["notice"] == f"Points {reporter.js_number(score)}/100"
    for runner, test_score, max_score in view["rows"]:
        assert test_score in (0, max_score), runner  # all or nothing: the row shows what was sent


def classroom_runners(data: dict):
    """``--github-env`` and ``--github-output`` as the grade step writes them, read back."""
    env, runners = classroom.env_lines(data, "en")
    values = dict(line.split("=", 1) for line in env.splitlines())
    ids = runners.strip().split("=", 1)[1].split(",")
    return [(runner, reporter.decode(values[classroom.env_name(runner)])) for runner in ids]


@pytest.mark.timeout(240)
def test_classroom_full_marks_run_is_green_and_log_agrees(tmp_path):
    submission = tmp_path / "repo"
    copy_tree(ROOT / "reference_solution" / "tcp", submission)
    runners, view = run_workflow(tmp_path, submission, sys.executable)
    assert_log_agrees(view, 100)
    assert not view["red"] and all(r["status"] == "pass" for _, r in runners)
    advisory = {runner: r for runner, r in runners if runner in ("framing", "slow_reader")}
    assert len(advisory) == 2
    assert all(r["max_score"] == 0 and "(0/0)" in r["tests"][0]["name"] for r in advisory.values())


@pytest.mark.timeout(240)
def test_classroom_perfect_udp_chat_is_green_and_records_its_cap(tmp_path):
    submission = tmp_path / "repo"
    copy_tree(ROOT / "reference_solution" / "udp", submission)
    runners, view = run_workflow(tmp_path, submission, sys.executable)
    assert_log_agrees(view, 80)  # was 100.00 (or 94.74) in the log while 80 was recorded
    assert not view["red"]
    variant = dict(runners)["variant"]
    assert variant["status"] == "pass" and variant["max_score"] == 20 and variant["tests"][0]["score"] == 0
    assert "80" in variant["tests"][0]["name"] and variant["tests"][0]["test_code"]  # the log says why


@pytest.mark.timeout(240)
def test_classroom_tcp_chat_without_threading_log_agrees(tmp_path):
    submission = tmp_path / "repo"
    copy_tree(FIXTURES / "tcp" / "no_threads_select", submission)
    runners, view = run_workflow(tmp_path, submission, sys.executable)
    done = autograde(submission, "--json", tmp_path / "report.json", "--lang", "en", timeout=200)
    score = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["score"]
    assert done.returncode == 0 and 0 < score < 50
    assert_log_agrees(view, score)
    by_id = dict(runners)
    assert view["red"] and by_id["threading"]["status"] == "fail" and by_id["threads"]["status"] == "fail"
    assert by_id["threading"]["max_score"] > 40  # half of what the checks could earn: the rule's cost
    assert "threading.Thread" in by_id["threading"]["tests"][0]["test_code"]
    assert by_id["slow_reader"]["status"] == "pass"  # an advisory failure leaves the run as it is


@pytest.mark.timeout(60)
def test_classroom_still_records_a_crash_as_zero_with_the_reason(tmp_path):
    submission = tmp_path / "repo"
    submission.mkdir()
    runners, view = run_workflow(tmp_path, submission, str(tmp_path / "no-such-python"))
    assert [runner for runner, _ in runners] == ["grading"]
    assert_log_agrees(view, 0)
    result = runners[0][1]
    assert view["red"] and result["status"] == "error" and result["tests"][0]["status"] == "error"
    assert "autograder itself failed (exit code 127)" in result["tests"][0]["message"]


@pytest.mark.timeout(30)
def test_classroom_workflow_uses_current_action_majors():
    text = classroom.workflow()
    assert "actions/checkout@v7" in text and "actions/setup-python@v6" in text
    assert "if: always()" in text  # the reporter runs even when grading failed


@pytest.mark.timeout(30)
def test_classroom_failures_carry_their_message_and_pending_review_is_not_final():
    checks = [CheckResult("starts", "passed", 5, 5),
              CheckResult("broadcast", "failed", 0, 15, message=msg("fail.broadcast.missing", count=1, missing="x")),
              CheckResult("names", "manual", 0, 10)]
    data = Report(submission="s", variant="tcp-multi", score=16.7, score_up_to=50.0, cap=100, checks=checks,
                  detected={"uses_threading": True}).to_dict("en")
    runners = classroom_runners(data)
    view = reporter.report(runners)
    assert_log_agrees(view, 16.7)
    by_id = dict(runners)
    broadcast = by_id["broadcast"]["tests"][0]
    assert by_id["broadcast"]["status"] == "fail" and broadcast["status"] == "fail"
    assert "did not reach" in broadcast["message"] and broadcast["test_code"] == broadcast["message"]
    names = by_id["names"]
    assert names["status"] == "fail" and names["max_score"] > 0  # not final: the run stays red until reviewed
    assert names["tests"][0]["test_code"].startswith("pending review: names (up to 50 if they pass)")
    assert by_id["starts"]["tests"][0]["test_code"] == ""  # a passed check prints no explanation


@pytest.mark.timeout(30)
def test_classroom_old_workflows_still_get_their_one_runner():
    """A course that installs the newest chatlab into a workflow generated before keeps a score."""
    data = sample_report().to_dict("en")
    line = classroom.output_line(data, "en")
    result = reporter.decode(line.strip().split("=", 1)[1])
    assert line.startswith("result=") and result["max_score"] == 100
    assert scoring.float_sum(t["score"] for t in result["tests"]) == data["score"]


# --- Gradescope: the bundle's dependency list, and information that is not a failure ------------

@pytest.mark.timeout(30)
def test_gradescope_bundle_pyproject_is_toml_with_pyprojects_pins(tmp_path, monkeypatch):
    from autograder.grading.rubric import tomllib

    with open(ROOT / "pyproject.toml", "rb") as handle:
        ours = tomllib.load(handle)["project"]["dependencies"]
    written = tomllib.loads(gradescope.bundle_files()["chatlab/pyproject.toml"].decode())
    assert written["project"]["dependencies"] == ours
    # neither a source tree nor metadata: the fallback list must still be TOML, with the same packages
    monkeypatch.setattr(gradescope, "SOURCE_PYPROJECT", tmp_path / "none.toml")
    monkeypatch.setattr(gradescope, "_installed", lambda: "no-such-distribution-anywhere")
    fallback = tomllib.loads(gradescope.bundle_files()["chatlab/pyproject.toml"].decode())["project"]["dependencies"]
    name = lambda spec: re.split(r"[<>=!~; ]", spec, 1)[0]  # noqa: E731
    assert [name(d) for d in fallback] == [name(d) for d in ours]
    assert "tomli>=2; python_version < '3.11'" in fallback


@pytest.mark.timeout(30)
def test_gradescope_shows_advisory_and_manual_as_information():
    checks = [CheckResult("starts", "passed", 5, 5), CheckResult("framing", "failed", 0, 0),
              CheckResult("names", "manual", 0, 10), CheckResult("broadcast", "passed", 15, 15)]
    # The manual check keeps its 10 points in the denominator: 80 × 20 / 30 now, up to 80 after review.
    data = Report(submission="s", variant="udp-multi", score=53.3, score_up_to=80.0, cap=80, checks=checks,
                  cap_reason=msg("variant.udp-multi"), detected={"uses_threading": True}).to_dict("en")
    tests = {t["name"]: t for t in gradescope.results(data, "en")["tests"]}
    framing = next(t for name, t in tests.items() if "framing" in name.lower() or "advisory" in t["output"])
    assert "status" not in framing and "score" not in framing
    passed = [t for t in tests.values() if t.get("status") == "passed"]
    assert passed and all(t["score"] == t["max_score"] for t in passed)
    assert round(sum(t["max_score"] for t in passed), 2) == 53.33
    manual = next(t for t in tests.values() if t["output"].startswith("needs a person"))
    assert "status" not in manual and "score" not in manual  # pending: information, not a failure
    assert not [t for t in tests.values() if t.get("status") == "failed"]


# --- JUnit: a check waiting for a person is skipped, with why ------------------------------------

@pytest.mark.timeout(30)
def test_junit_marks_a_manual_check_skipped_with_its_reason():
    import xml.etree.ElementTree as ET

    from autograder.classroom.batch import Row
    from autograder.export import gradebook

    checks = [CheckResult("starts", "passed", 5, 5),
              CheckResult("names", "manual", 0, 10, message=msg("fail.timeout"))]
    row = Row("anna", "graded", Report(submission="anna", checks=checks).to_dict("en"), 1.0)
    suite = ET.fromstring(gradebook.junit_xml([row]))[0]
    case = next(c for c in suite if c.get("name", "").startswith("names"))
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message").startswith("manual review: ")
    assert suite.get("skipped") == "1" and suite.get("failures") == "0"


# --- one submission, one page ---------------------------------------------------------------------

@pytest.mark.timeout(240)
def test_one_submission_gets_its_html_and_markdown_page(tmp_path):
    done = autograde(FIXTURES / "tcp" / "no_broadcast", "--html", tmp_path / "report.html", "--md",
                     tmp_path / "report.md", "--lang", "en", timeout=200)
    assert done.returncode == 0, done.stdout[-2000:]
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page  # the sequence diagram of the failure
    assert "broadcast" in (tmp_path / "report.md").read_text(encoding="utf-8").lower()
