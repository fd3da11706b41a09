"""A grade must be earned (issue 13).

A check waiting for a person keeps its points in the denominator and earns
nothing until a person passes it; every export says "pending review" and
nothing is marked final meanwhile; ``autograde review OUT/`` records a
person's verdicts and applies them to the class; ``manual`` needs evidence
of a protocol of its own; an override may only start a file of the submission.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import struct

import pytest

from autograder.intake import discover, roles
from autograder.grading import evidence, rubric
from autograder.export import classroom, gradescope, moodle, scoring
from autograder.report import html, markdown
from autograder.results import CheckResult, Report, report_score_sentence
from containment_helpers import autograde, copy_tree
from grading_helpers import FIXTURES, ROOT

pytestmark = pytest.mark.timeout(400)


# --- the score: pure ----------------------------------------------------------------------

def _pending_report() -> Report:
    report = Report(submission="anna", variant="tcp-multi", cap=100.0, max_score=100.0)
    report.checks = [CheckResult(id="starts", status="passed", points=10, max_points=10),
                     CheckResult(id="broadcast", status="manual", max_points=20),
                     CheckResult(id="names", status="failed", max_points=10),
                     CheckResult(id="unicode", status="error", max_points=60)]
    report.score, report.score_up_to = rubric.scores(100.0, 1.0, ((c.status, c.max_points) for c in report.checks))
    return report


def test_a_check_waiting_for_a_person_stays_in_the_denominator():
    assert rubric.scores(100.0, 1.0, [("passed", 10), ("manual", 20), ("failed", 10), ("error", 60)]) == (25.0, 75.0)
    assert rubric.scores(80.0, 0.5, [("passed", 10), ("failed", 10)]) == (20.0, 20.0)
    assert rubric.scores(100.0, 1.0, [("manual", 10)]) == (0.0, 100.0)  # unjudgeable alone earns nothing


def test_reports_say_now_and_up_to_after_review_in_both_languages():
    data = _pending_report().to_dict("en")
    assert (data["score"], data["score_up_to"], data["review"]) == (25.0, 75.0, ["broadcast"])
    assert "25 now, up to 75 after review" in report_score_sentence(data).text("en")
    assert "25 сейчас, до 75 после проверки человеком" in report_score_sentence(data).text("ru")
    assert "up to 75 after review" in markdown.render(data, "en")
    assert "до 75 после проверки" in html.render(_pending_report().to_dict("ru"), "ru")
    done = Report(submission="b", cap=100.0, score=50.0, checks=[CheckResult(id="starts", status="passed")])
    assert done.to_dict("en")["score_up_to"] == 50.0 and "after review" not in report_score_sentence(
        done.to_dict("en")).text("en")


def test_exports_say_pending_review_and_mark_nothing_final():
    data = _pending_report().to_dict("en")
    items = scoring.items(data, "en")
    assert round(sum(i["score"] for i in items), 1) == 25.0 and round(sum(i["max_score"] for i in items)) == 100
    feedback = moodle.feedback(data, "en")
    assert "pending review" in feedback and "Every check passed" not in feedback
    assert "ждёт проверки" in moodle.feedback(_pending_report().to_dict("ru"), "ru")

    class Row:
        name, status, report, seconds = "anna", "graded", data, 1.0
        meta = {"participant": "7", "student": "Anna"}
        score = 25.0

    sheet = list(csv.reader(moodle.worksheet_csv([Row()], "en").splitlines()))
    assert sheet[1][2] == ""  # Moodle skips an empty grade: nothing uploaded as final
    assert classroom.runner_result(data, "en")["status"] == "fail"
    assert gradescope.results(data, "en")["visibility"] == "after_published"


# --- manual needs evidence: pure ----------------------------------------------------------

def test_frames_of_a_protocol_of_its_own_are_evidence_silence_and_text_are_not():
    assert evidence.frame_kind(b'{"type": "join", "name": "x"}\n{"type": "msg"}\n') == "json"
    assert evidence.frame_kind(struct.pack(">I", 5) + b"hello" + struct.pack(">I", 2) + b"hi") == "length-prefixed"
    assert evidence.frame_kind(b"\x80\x04\x95\x00.") == "pickle"
    for text in (b"", b"NICK\n", b"ruben\n", b"* welcome, ruben!\n", "Введите имя: ".encode()):
        assert evidence.frame_kind(text) is None, text


def test_a_client_that_sends_serialised_frames_is_evidence_an_import_is_not(tmp_path):
    sends = tmp_path / "sends.py"
    sends.write_text("import json, socket\ns = socket.socket()\n"
                     "def say(obj):\n    data = json.dumps(obj).encode()\n    s.sendall(data)\n", encoding="utf-8")
    imports = tmp_path / "imports.py"
    imports.write_text("import json, socket\ns = socket.socket()\ns.sendall(input().encode())\n", encoding="utf-8")
    assert evidence.client_sends_serialised(sends)
    assert not evidence.client_sends_serialised(imports)
    assert evidence.client_sends_serialised(FIXTURES / "protocol" / "gui_client" / "client.py")


# --- overrides stay inside the submission ------------------------------------------------------

def test_override_paths_outside_the_submission_are_refused(tmp_path):
    mallory = tmp_path / "mallory"
    shutil.copytree(FIXTURES / "hostile" / "outside_override", mallory)
    (mallory / "linked.py").symlink_to(ROOT / "reference_solution" / "tcp" / "server.py")
    assert roles.refusal(mallory, "server.py") is None
    for name, why in (("../bob/server.py", "parent"), (str(ROOT / "reference_solution" / "tcp" / "server.py"),
                                                      "absolute"), ("linked.py", "symlink"), ("C:\\x\\server.py",
                                                                                              "absolute")):
        assert roles.refusal(mallory, name) == why, name
        found = discover.find(mallory, roles.override(mallory, server=name))
        said = found.launch["refused"]["server"]  # as the shell would split it: C:\x\server.py is C:xserver.py
        assert found.server == mallory / "server.py" and said in (name, name.replace("\\", ""))
        assert found.notes and said in found.notes[0].text("en")
    # A student's own chatlab.toml is the student's word: ignored unless the instructor allows it.
    assert dict(roles.override(mallory)) == {} and roles.override(mallory).ignored == "chatlab.toml"
    assert roles.override(mallory, trust_submission=True)["server"] == ["../reference_copy/server.py"]


def test_an_allowed_student_override_leaving_the_folder_scores_low_and_says_why(tmp_path):
    """Another student's good server, named from this one's chatlab.toml, is not graded as this one's."""
    klass = tmp_path / "class"
    copy_tree(ROOT / "reference_solution" / "tcp", klass / "bob")
    mallory = copy_tree(FIXTURES / "hostile" / "outside_override", klass / "mallory")
    (mallory / "chatlab.toml").write_text('server = "../bob/server.py"\n', encoding="utf-8")
    done = autograde(mallory, "--allow-student-overrides", "--json", tmp_path / "report.json", "--lang", "en",
                     timeout=300)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stdout[-2000:]
    assert report["files"]["server"] == "server.py" and report["score"] < 30, report["score"]
    assert report["detected"]["launch"]["refused"] == {"server": "../bob/server.py"}
    assert any("“..” leads out of the submission" in note for note in report["notes"]), report["notes"]
    assert "leads out of the submission" in done.stdout


# --- a person's verdicts, end to end on a class ------------------------------------------------

def test_a_persons_verdicts_are_applied_to_the_class(tmp_path):
    """gui_client's chat checks wait for a person: pending everywhere, then graded by the review sheet."""
    klass = tmp_path / "class"
    name = "Anna Lee_4242_assignsubmission_file_"
    copy_tree(FIXTURES / "protocol" / "gui_client", klass / name)
    out = tmp_path / "out"
    done = autograde(klass, "--out", out, "--lang", "en", "--jobs", "1", timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "after review" in done.stdout  # the class's progress line says the rest waits
    folder = next(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))
    before = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    waiting = before["review"]
    assert waiting and before["score"] < before["score_up_to"]
    sheet = list(csv.DictReader((out / "moodle_grades.csv").read_text(encoding="utf-8").splitlines()))
    assert sheet[0]["Grade"] == "" and "pending review" in sheet[0]["Feedback comments"]

    first = autograde("review", out, "--lang", "en", timeout=120)
    assert first.returncode == 0 and "still wait" in first.stdout, first.stdout
    rows = list(csv.DictReader((out / "review.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert sorted(r["check"] for r in rows) == sorted(waiting) and all(r["verdict"] == "" for r in rows)

    for row in rows:  # the person passes everything but one
        row["verdict"] = "fail" if row["check"] == "unicode" else "pass"
    with open(out / "review.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert autograde("review", out, timeout=120).returncode == 0
    after = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    statuses = {c["id"]: c["status"] for c in after["checks"]}
    assert after["review"] == [] and statuses["unicode"] == "failed" and statuses[waiting[0]] == "passed"
    assert after["score"] == after["score_up_to"] and before["score"] < after["score"] < before["score_up_to"]
    book = {r["name"]: r for r in csv.DictReader((out / "gradebook.csv").read_text(encoding="utf-8-sig")
                                                 .splitlines())}
    assert float(book[folder.name]["score"]) == after["score"] and book[folder.name]["review"] == ""
    sheet = list(csv.DictReader((out / "moodle_grades.csv").read_text(encoding="utf-8").splitlines()))
    assert float(sheet[0]["Grade"]) == after["score"] and "pending" not in sheet[0]["Feedback comments"]
    assert "after review" not in (folder / "report.md").read_text(encoding="utf-8")

    # One verdict changed from the command line; a bad word is refused in one line.
    assert autograde("review", out, "--set", folder.name, "unicode", "pass", timeout=120).returncode == 0
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["score"] == before["score_up_to"]
    bad = autograde("review", out, "--set", folder.name, "unicode", "maybe", timeout=120)
    assert bad.returncode == 2 and "pass or fail" in bad.stdout


def test_review_of_a_folder_that_is_no_class_output_says_so(tmp_path):
    done = autograde("review", tmp_path, "--lang", "ru", timeout=60)
    assert done.returncode == 2 and "нет gradebook.csv" in done.stdout
    assert not os.listdir(tmp_path)


# --- the patched socket looks like the real one --------------------------------------------------

IDENTITY = '''import socket, sys
s = socket.socket()
facts = [socket.socket.__name__, socket.socket.__qualname__, socket.socket.__module__, repr(socket.socket),
         socket.socket.__bases__ == (socket.SocketType,), type(s) is socket.socket,
         isinstance(s, socket.socket), repr(s).split(" ")[0], socket.socket.bind.__qualname__,
         socket.socket.connect.__qualname__, socket.socket.mro()]
s.close()
print(repr(facts))
'''


def test_the_graded_socket_class_is_the_real_one(tmp_path):
    """A program cannot tell a graded run by its socket class (and serve the grader alone)."""
    import subprocess
    import sys

    from autograder.sandbox.process import Child, prepare_workdir

    (tmp_path / "probe.py").write_text(IDENTITY, encoding="utf-8")
    at_home = subprocess.run([sys.executable, "-I", str(tmp_path / "probe.py")], capture_output=True, text=True,
                             timeout=60).stdout.strip()
    workdir = prepare_workdir(tmp_path)
    child = Child(workdir / "probe.py", workdir, "server").start()
    try:
        assert child.wait_exit(60)
        graded = child.stdout.text.strip()
    finally:
        child.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    assert "GradedSocket" not in graded and graded == at_home, (graded, at_home)
