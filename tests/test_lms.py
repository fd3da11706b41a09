"""A class as an LMS gives it: Moodle names, zips inside zips, loose reports, similar code.

The end-to-end test grades a Moodle-style download (a zip holding a zip, a
zip holding a folder, a loose Markdown report, a loose text file with no
code) with ``--jobs 2`` and reads ``moodle_grades.csv`` back with
``csv.DictReader``; the rest are fast tests of the pieces.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from autograder.classroom import batch
from autograder.export import moodle
from containment_helpers import autograde, tree_hash
from grading_helpers import FIXTURES, ROOT

pytestmark = pytest.mark.timeout(400)

REFERENCE = ROOT / "reference_solution" / "tcp"
INDEPENDENT = FIXTURES / "tcp" / "nick_first"
SERVER = "import socket\nserver = socket.socket()\nserver.bind(('', 9090))\nserver.listen()\nserver.accept()\n"

# A search-and-replace of the reference's names: the "renamed copy" a class often holds.
RENAMES = {"Connection": "Member", "ChatRoom": "Hall", "read_lines": "lines_from", "serve_user": "handle_member",
           "choose_nickname": "ask_name", "relay_messages": "pass_on", "broadcast": "send_all", "buffer": "pending",
           "chunk": "piece", "listener": "srv", "user": "member", "room": "hall", "outbox": "queue_out"}


def renamed(text: str) -> str:
    for old, new in RENAMES.items():
        text = re.sub(rf"\b{old}\b", new, text)
        text = text.replace(f"_{old}", f"_{new}")
    return "# Лабораторная работа 1, чат\n" + text


def zip_of(target: Path, files: dict) -> Path:
    """A zip with ``files`` (name -> text or bytes)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return target


def folder_files(folder: Path, prefix: str = "", rename=lambda text: text, names=None) -> dict:
    return {prefix + (names or {}).get(p.name, p.name): rename(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob("*.py"))}


def report_of(folder: Path) -> str:
    parts = ["# Лабораторная работа 1: чат", ""]
    for name in ("server.py", "client.py"):
        parts += [f"### {name}", "", "```python", (folder / name).read_text(encoding="utf-8").rstrip("\n"), "```", ""]
    return "\n".join(parts)


# --- Moodle names and the worksheet ------------------------------------------------------------

@pytest.mark.timeout(30)
@pytest.mark.parametrize("name, expected", [
    ("Анна Смирнова_101_assignsubmission_file_", {"student": "Анна Смирнова", "participant": "101"}),
    ("Ivan Petrov_1234_assignsubmission_file_lab.zip", {"student": "Ivan Petrov", "participant": "1234"}),
    ("Mary_Ann Lee_77_assignsubmission_onlinetext_onlinetext.html", {"student": "Mary_Ann Lee", "participant": "77"}),
    ("lab.zip", None),
    ("Ivan Petrov_assignsubmission_file_", None),
])
def test_moodle_names(name, expected):
    assert moodle.identity(name) == expected


@pytest.mark.timeout(30)
def test_a_flat_moodle_download_is_grouped_by_student(tmp_path):
    # "Download all submissions" without "Download submissions in folders".
    cls = tmp_path / "download"
    cls.mkdir()
    good = ROOT / "reference_solution" / "tcp"
    for student in ("Анна Смирнова_101", "Ivan Petrov_1234"):
        for name in ("server.py", "client.py"):
            (cls / f"{student}_assignsubmission_file_{name}").write_bytes((good / name).read_bytes())
    (cls / "Ivan Petrov_1234_assignsubmission_file_report.md").write_text("# Отчёт\n", encoding="utf-8")
    assert batch.is_class(cls)
    entries = batch.collect(cls, tmp_path / "scratch")
    assert {e.meta["student"]: sorted(p.name for p in e.folder.iterdir()) for e in entries} == {
        "Анна Смирнова": ["client.py", "server.py"], "Ivan Petrov": ["client.py", "report.md", "server.py"]}
    assert sorted(p.name for p in cls.iterdir())[0].startswith("Ivan Petrov_1234")  # the download is untouched


def check(cid, title, status):
    return {"id": cid, "title": title, "status": status, "points": 0.0}


@pytest.mark.timeout(30)
def test_the_worksheet_round_trips_through_a_csv_parser():
    rows = [
        batch.Row("a", "graded", {"score": 85.5, "max_score": 100, "checks": [
            check("broadcast", "A message reaches every other user", "failed"),
            check("names", "Messages carry the sender's name", "passed"),
            check("threads", "The server uses threading", "error")]}, 3.0, {"student": "Анна, \"Аня\" Смирнова",
                                                                            "participant": "101"}),
        batch.Row("b", "graded", {"score": 100.0, "max_score": 100, "checks": [check("names", "t", "passed")]}, 3.0,
                  {"student": "Boris", "participant": "102"}),
        batch.Row("c", "ungradable", {"score": 0, "max_score": 0, "checks": [], "error": "no Python files\nat all"},
                  0.1, {"student": "Vera", "participant": "103"}),
        batch.Row("d", "timeout", {"score": 0, "checks": [], "error": "took too long"}, 300.0,
                  {"student": "Gleb", "participant": "104"}),  # our failure: nothing is uploaded
        batch.Row("e", "graded", {"score": 50, "checks": []}, 1.0, {}),  # no id: not a Moodle row
    ]
    now = datetime(2024, 6, 3, 10, 15, tzinfo=timezone.utc)
    reader = csv.DictReader(io.StringIO(moodle.worksheet_csv(rows, "en", now)))
    assert reader.fieldnames == ["Identifier", "Full name", "Grade", "Last modified (grade)", "Feedback comments"]
    got = list(reader)
    assert [r["Identifier"] for r in got] == ["Participant 101", "Participant 102", "Participant 103"]
    assert got[0]["Full name"] == "Анна, \"Аня\" Смирнова" and got[0]["Grade"] == "85.5"
    assert got[0]["Last modified (grade)"] == "2024-06-03T10:15:00+00:00"
    # Only the student's failures: "threads" errored on our side.
    assert got[0]["Feedback comments"] == "Score 85.5/100. Failed: A message reaches every other user."
    assert got[1]["Grade"] == "100" and got[1]["Feedback comments"] == "Score 100/100. Every check passed."
    assert got[2]["Grade"] == "0" and "could not be graded: no Python files at all" in got[2]["Feedback comments"]
    assert all("\n" not in r["Feedback comments"] for r in got)
    russian = list(csv.DictReader(io.StringIO(moodle.worksheet_csv(rows[:1], "ru", now))))
    assert russian[0]["Feedback comments"].startswith("Итог 85.5 из 100. Не пройдено:")


# --- zips inside zips ------------------------------------------------------------------------------

@pytest.mark.timeout(30)
def test_a_zip_in_a_zip_is_unpacked_and_the_original_kept(tmp_path):
    inner = zip_of(tmp_path / "build" / "inner.zip", {"chat/server.py": SERVER, "chat/client.py": "x = 1\n"})
    outer = zip_of(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes(), "__MACOSX/._inner.zip": b"junk"})
    before = outer.read_bytes()
    folder = batch.extract_submission(outer, tmp_path / "into")
    assert sorted(p.name for p in folder.iterdir()) == ["client.py", "server.py"]
    assert outer.read_bytes() == before and not list((tmp_path / "into").rglob("*.zip"))


@pytest.mark.timeout(30)
def test_nesting_is_bounded(tmp_path):
    data = zip_of(tmp_path / "z0.zip", {"server.py": SERVER}).read_bytes()
    for level in range(1, batch.MAX_NESTING + 2):
        data = zip_of(tmp_path / f"z{level}.zip", {f"level{level}.zip": data}).read_bytes()
    with pytest.raises(batch.UnsafeArchive, match="nested"):
        batch.extract_submission(tmp_path / f"z{batch.MAX_NESTING + 1}.zip", tmp_path / "deep")
    ok = batch.extract_submission(tmp_path / f"z{batch.MAX_NESTING}.zip", tmp_path / "fine")
    assert [p.name for p in ok.rglob("*.py")] == ["server.py"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("inner_files, match", [
    ({"../../escaped.py": "x = 1\n", "server.py": SERVER}, "unsafe path"),
    ({"padding.bin": b"\0" * (batch.MAX_SUBMISSION_BYTES + 1024)}, "MB"),
])
def test_an_inner_zip_gets_the_same_checks(tmp_path, inner_files, match):
    inner = zip_of(tmp_path / "build" / "inner.zip", inner_files)
    outer = zip_of(tmp_path / "outer.zip", {"inner.zip": inner.read_bytes()})
    with pytest.raises(batch.UnsafeArchive, match=match):
        batch.extract_submission(outer, tmp_path / "into" / "x")
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path / "into" / "escaped.py").exists()


# --- loose documents are submissions ----------------------------------------------------------------

@pytest.mark.timeout(60)
def test_loose_reports_are_submissions_and_a_readme_is_not(tmp_path):
    cls = tmp_path / "class"
    cls.mkdir()
    (cls / "anna.md").write_text(report_of(REFERENCE), encoding="utf-8")
    (cls / "boris.txt").write_text(report_of(INDEPENDENT), encoding="utf-8")
    (cls / "README.md").write_text("# Lab 1\n\n```python\n" + SERVER + "```\n", encoding="utf-8")
    (cls / "grades.csv").write_text("x\n", encoding="utf-8")
    assert batch.is_class(cls)
    entries = batch.collect(cls, tmp_path / "scratch")
    assert [(e.name, e.folder.name) for e in entries] == [("anna", "anna.md"), ("boris", "boris.txt")]


# --- a Moodle download, graded ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def download(tmp_path_factory):
    base = tmp_path_factory.mktemp("moodle")
    cls = base / "submissions"
    build = base / "build"
    # A zip holding a zip holding the code.
    inner = zip_of(build / "inner.zip", folder_files(REFERENCE, "chat/"))
    zip_of(cls / "Анна Смирнова_101_assignsubmission_file_" / "outer.zip", {"inner.zip": inner.read_bytes()})
    # A zip holding a folder: the reference with every name changed.
    zip_of(cls / "Boris Ivanov_102_assignsubmission_file_" / "lab1.zip",
           folder_files(REFERENCE, "lab1/", renamed, {"server.py": "chat_server.py", "client.py": "chat_client.py"}))
    # Loose files, as Moodle names them without "download in folders".
    (cls / "Vera Petrova_103_assignsubmission_file_report.md").write_text(report_of(INDEPENDENT), encoding="utf-8")
    (cls / "Gleb Orlov_104_assignsubmission_file_otchet.txt").write_text("Я не успел.\n", encoding="utf-8")
    before = tree_hash(cls)
    out = base / "out"
    done = autograde(cls, "--jobs", "2", "--out", out, "--lang", "en", timeout=380)
    return {"done": done, "out": out, "unchanged": tree_hash(cls) == before}


def test_every_submission_is_a_row(download):
    assert download["done"].returncode == 0, download["done"].stdout[-3000:]
    text = (download["out"] / "gradebook.csv").read_text(encoding="utf-8-sig")
    rows = {r["participant"]: r for r in csv.DictReader(io.StringIO(text))}
    assert {k: (r["student"], r["status"], float(r["score"])) for k, r in rows.items()} == {
        "101": ("Анна Смирнова", "graded", 100.0), "102": ("Boris Ivanov", "graded", 100.0),
        "103": ("Vera Petrova", "graded", 100.0), "104": ("Gleb Orlov", "ungradable", 0.0)}
    assert download["unchanged"]


def test_the_moodle_worksheet(download):
    text = (download["out"] / "moodle_grades.csv").read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == moodle.COLUMNS
    got = {r["Identifier"]: r for r in reader}
    assert sorted(got) == ["Participant 101", "Participant 102", "Participant 103", "Participant 104"]
    assert got["Participant 101"]["Full name"] == "Анна Смирнова" and got["Participant 101"]["Grade"] == "100"
    assert got["Participant 102"]["Feedback comments"] == "Score 100/100. Every check passed."
    gleb = got["Participant 104"]
    assert gleb["Grade"] == "0" and "could not be graded" in gleb["Feedback comments"]
    datetime.fromisoformat(got["Participant 101"]["Last modified (grade)"])


def test_the_renamed_copy_is_listed_and_the_independent_solution_is_not(download):
    summary = json.loads((download["out"] / "summary.json").read_text(encoding="utf-8"))
    students = [p for p in summary["similar"] if not p.get("kit")]
    assert [(p["a"], p["b"]) for p in students] == [
        ("Boris Ivanov_102_assignsubmission_file_", "Анна Смирнова_101_assignsubmission_file_")]
    assert students[0]["score"] > 0.9 and students[0]["fragment"].strip()
    # Both hand in the kit's reference (issue 13): each is flagged against it, the independent one is not.
    assert {p["a"] for p in summary["similar"] if p.get("kit")} == {
        "Boris Ivanov_102_assignsubmission_file_", "Анна Смирнова_101_assignsubmission_file_"}
    assert "Unusually similar code" in download["done"].stdout
    assert "Unusually similar code" in (download["out"] / "summary.md").read_text(encoding="utf-8")


@pytest.mark.timeout(30)
def test_an_advisory_failure_is_named_as_advice():
    report = {"score": 100.0, "max_score": 100, "checks": [
        {**check("slow_reader", "A user who stops reading does not hold up the others", "failed"), "max_points": 0.0},
        {**check("names", "Messages carry the sender's name", "passed"), "max_points": 10.0}]}
    assert moodle.feedback(report, "en") == ("Score 100/100. Failed: A user who stops reading does not hold up "
                                             "the others (advisory, no points).")
    assert "(рекомендация, без баллов)" in moodle.feedback(report, "ru")
