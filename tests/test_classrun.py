"""A class run week to week: Canvas and roster intake, reports reused, late work, parts merged.

Graders here are stand-ins (real processes that print a report) so the class
machinery is tested in seconds; ``test_three_shards_merged_equal_one_run``
grades real submissions.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import struct
import sys
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import pytest
from rich.console import Console

from autograder.classroom import batch, classrun, lateness, regrade, roster
from autograder.export import canvas, gradebook
from containment_helpers import autograde, copy_tree
from grading_helpers import FIXTURES, ROOT

pytestmark = [pytest.mark.timeout(120), pytest.mark.xdist_group("containment")]

REFERENCE = ROOT / "reference_solution" / "tcp"
QUIET = dict(console=None)


def stand_in(log: Path, score: float = 42.0):
    """A worker command printing a report of ``score``, and logging which folder it graded."""
    def command(folder, lang, rubric_path):
        code = ("import json, sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n'); "
                "print(json.dumps({'schema': 1, 'submission': 'x', 'score': %r, 'max_score': 100, "
                "'variant': 'tcp-multi', 'checks': [{'id': 'starts', 'status': 'passed', 'points': 5, "
                "'max_points': 5}, {'id': 'framing', 'status': 'failed', 'points': 0, 'max_points': 0}], "
                "'error': None, 'lang': 'en'}))" % score)
        return [sys.executable, "-c", code, str(log), Path(folder).name]
    return command


def grade(path: Path, out: Path, log: Path, **plan) -> batch.ClassResult:
    return batch.grade_class(path, out=out, lang="en", jobs=2, console=Console(file=io.StringIO()),
                             command=stand_in(log), plan=classrun.Plan(**plan))


def csv_rows(path: Path, encoding: str = "utf-8-sig") -> list:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding=encoding))))


def canvas_download(target: Path) -> Path:
    """A flat Canvas download of two students, one late and resubmitted."""
    target.mkdir(parents=True)
    for name in ("server.py", "client.py"):
        shutil.copy(REFERENCE / name, target / f"doejohn_12345_678901_{name}")
    shutil.copy(REFERENCE / "server.py", target / "ivanovaanna_LATE_23456_700001_server.py")
    shutil.copy(REFERENCE / "server.py", target / "ivanovaanna_LATE_23456_700002_server-1.py")
    shutil.copy(REFERENCE / "client.py", target / "ivanovaanna_LATE_23456_700001_client.py")
    return target


def test_canvas_names():
    assert canvas.identity("doejohn_12345_678901_server.py") == {
        "student": "doejohn", "canvas_id": "12345", "late": False, "attachment": "678901", "file": "server.py"}
    found = canvas.identity("doejohn_LATE_12345_678902_client-1.py")
    assert found["late"] and found["file"] == "client.py"
    assert canvas.identity("server.py") is None and canvas.identity("Anna_1_assignsubmission_file_s.py") is None


def test_a_canvas_download_is_a_class_and_goes_back_as_canvas_import(tmp_path):
    download = canvas_download(tmp_path / "download")
    assert batch.is_class(download)
    result = grade(download, tmp_path / "out", tmp_path / "log", reuse=False)
    by_name = {row.name: row for row in result.rows}
    assert set(by_name) == {"doejohn_12345", "ivanovaanna_23456"}
    assert by_name["ivanovaanna_23456"].meta["late"] is True and by_name["doejohn_12345"].meta["late"] is False
    lines = (tmp_path / "out" / canvas.FILENAME).read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,chatlab"
    assert lines[1].startswith("Points Possible,")
    parsed = list(csv.DictReader(lines[:1] + lines[2:]))
    assert {(r["ID"], r["chatlab"]) for r in parsed} == {("12345", "42"), ("23456", "42")}


def canvas_import(path: Path):
    """(assignment heading, points possible, {Canvas user id: score}) read as Canvas's importer reads it."""
    header, points, *students = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] and len(header) == 6
    assert points[0] == "Points Possible"
    return header[5], points[5], {row[1]: row[5] for row in students}


def test_the_canvas_column_names_the_assignment_as_the_import_wants(tmp_path):
    download = canvas_download(tmp_path / "download")
    grade(download, tmp_path / "out", tmp_path / "log", reuse=False, canvas_assignment="Lab 1 (12345)")
    heading, points, scores = canvas_import(tmp_path / "out" / canvas.FILENAME)
    found = canvas.TITLE_AND_ID.match(heading)  # Canvas: Assignment.title_and_id
    assert heading == "Lab 1 (12345)" and (found["title"], found["id"]) == ("Lab 1", "12345")
    assert points == "100" and scores == {"12345": "42", "23456": "42"}
    # Graded in parts, the merge keeps the heading (or takes a new one)
    for k in (1, 2):
        grade(download, tmp_path / f"part{k}", tmp_path / "log", reuse=False, shard=(k, 2),
              canvas_assignment="Lab 1 (12345)")
    classrun.merge([tmp_path / "part1", tmp_path / "part2"], tmp_path / "merged", "en")
    assert canvas_import(tmp_path / "merged" / canvas.FILENAME) == (heading, points, scores)
    classrun.merge([tmp_path / "part1", tmp_path / "part2"], tmp_path / "again", "en", canvas_assignment="Lab 2 (777)")
    assert canvas_import(tmp_path / "again" / canvas.FILENAME)[0] == "Lab 2 (777)"


def test_a_canvas_column_canvas_would_misread_is_refused(tmp_path):
    assert canvas.assignment_column("  12345 ") == "chatlab (12345)"  # a bare id: Canvas matches on the id
    assert canvas.assignment_column("Лабораторная 1") == "Лабораторная 1"  # a title alone: matched by title
    for bad in ("", "Lab\n1 (5)", "Final Grade", "Lab 1 Current Score", "Section", "ID"):
        with pytest.raises(ValueError, match="--canvas-assignment"):
            canvas.assignment_column(bad)
    done = autograde(canvas_download(tmp_path / "download"), "--out", tmp_path / "out", "--canvas-assignment",
                     "Final Score", timeout=60)
    assert done.returncode == 2 and "own columns" in done.stdout and not (tmp_path / "out").exists()


def test_roster_adds_who_handed_in_nothing_and_its_ids_go_everywhere(tmp_path):
    download = canvas_download(tmp_path / "download")
    (tmp_path / "roster.csv").write_text("id,name,group,email\n12345,John Doe,ИВТ-1,j@x\n"
                                         "s2,Anna Ivanova,ИВТ-1,\ns3,Пётр Петров,ИВТ-2,\n", encoding="utf-8")
    result = grade(download, tmp_path / "out", tmp_path / "log", roster=tmp_path / "roster.csv", reuse=False)
    rows = {r["name"]: r for r in csv_rows(tmp_path / "out" / "gradebook.csv")}
    assert rows["doejohn_12345"]["roster_id"] == "12345" and rows["ivanovaanna_23456"]["roster_id"] == "s2"
    assert rows["Пётр Петров"]["status"] == "missing" and float(rows["Пётр Петров"]["score"]) == 0
    assert rows["Пётр Петров"]["roster_id"] == "s3" and rows["Пётр Петров"]["group"] == "ИВТ-2"
    assert result.summary["count"] == 3 and result.summary["not_graded"][0]["status"] == "missing"
    exported = csv_rows(tmp_path / "out" / canvas.FILENAME, "utf-8")
    assert {r["SIS User ID"] for r in exported if r["Student"] != "Points Possible"} == {"12345", "s2"}


def test_a_roster_without_ids_is_refused_with_a_reason(tmp_path):
    (tmp_path / "roster.csv").write_text("who,mail\nx,y\n", encoding="utf-8")
    with pytest.raises(roster.RosterError, match="'id' and 'name'"):
        roster.load(tmp_path / "roster.csv")


def test_names_match_in_any_order_and_squeezed():
    students = [roster.Student("1", "Doe John"), roster.Student("2", "Иванова Анна Сергеевна")]
    rows = [batch.Row("doejohn_12345", "graded", {}, meta={"student": "doejohn"}),
            batch.Row("x", "graded", {}, meta={"student": "Иванова Анна Сергеевна"})]
    assert {k: s.id for k, s in roster.match(students, rows).items()} == {"doejohn_12345": "1", "x": "2"}


def test_a_second_run_reuses_what_did_not_change(tmp_path):
    cls = tmp_path / "class"
    for name in ("anna", "boris", "vera"):
        copy_tree(REFERENCE, cls / name)
    log, out = tmp_path / "log", tmp_path / "out"
    grade(cls, out, log)
    assert sorted(log.read_text().split()) == ["anna", "boris", "vera"]
    log.unlink()
    with open(cls / "boris" / "server.py", "a", encoding="utf-8") as handle:
        handle.write("\n# changed\n")
    second = grade(cls, out, log)
    assert log.read_text().split() == ["boris"] and second.summary["reused"] == 2
    assert len(csv_rows(out / "gradebook.csv")) == 3  # the gradebook is whole
    log.unlink()
    third = grade(cls, out, log, only=("vera",))
    assert log.read_text().split() == ["vera"] and third.summary["reused"] == 2
    assert regrade.key(cls / "anna", None, "en") != regrade.key(cls / "anna", None, "ru")


def test_late_work_loses_what_the_rubric_says_shown_apart(tmp_path):
    cls = tmp_path / "class"
    for name in ("early", "late"):
        copy_tree(REFERENCE, cls / name)
    deadline = lateness.parse_deadline("2026-10-01T23:59+00:00")
    on_time, two_days_late = deadline.timestamp() - 3600, deadline.timestamp() + 30 * 3600
    for name, moment in (("early", on_time), ("late", two_days_late)):
        for file in (cls / name).iterdir():
            os.utime(file, (moment, moment))
    rubric = tmp_path / "rubric.toml"
    rubric.write_text((ROOT / "autograder" / "grading" / "rubric.toml").read_text(encoding="utf-8")
                      .replace("percent_per_day = 0", "percent_per_day = 10"), encoding="utf-8")
    result = batch.grade_class(cls, out=tmp_path / "out", lang="en", jobs=2, console=Console(file=io.StringIO()),
                               command=stand_in(tmp_path / "log"), rubric_path=rubric,
                               plan=classrun.Plan(deadline=deadline, reuse=False))
    rows = {r["name"]: r for r in csv_rows(tmp_path / "out" / "gradebook.csv")}
    assert float(rows["early"]["late_hours"]) == 0 and float(rows["early"]["score"]) == 42
    assert float(rows["late"]["late_hours"]) == 30 and float(rows["late"]["late_penalty"]) == 8.4  # 2 days × 10 %
    assert float(rows["late"]["score"]) == 33.6
    assert {row.name: row.score for row in result.rows} == {"early": 42.0, "late": 33.6}


def dated_zip(target: Path, files: dict, when: datetime, zip_time: Optional[datetime] = None) -> Path:
    """A zip of ``files`` whose members are dated ``when`` (local time: a zip's dates carry no zone),
    the zip itself dated ``zip_time`` (the platform's file time) or now."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, when.timetuple()[:6]), text)
        archive.writestr(zipfile.ZipInfo("__MACOSX/._server.py", (2030, 1, 1, 0, 0, 0)), b"junk")  # never a time
    if zip_time is not None:
        os.utime(target, (zip_time.timestamp(), zip_time.timestamp()))
    return target


def test_a_zip_gives_the_newest_time_inside_it_when_nothing_better_exists(tmp_path):
    code = {name: (REFERENCE / name).read_text(encoding="utf-8") for name in ("server.py", "client.py")}
    deadline = lateness.parse_deadline("2026-10-01T23:59")
    before, after = datetime(2026, 10, 1, 20, 0), datetime(2026, 10, 3, 11, 59)  # local, as a zip's dates are
    cls = tmp_path / "class"
    dated_zip(cls / "anna.zip", {"chat/server.py": code["server.py"], "chat/client.py": code["client.py"]}, after)
    dated_zip(cls / "boris.zip", {"server.py": code["server.py"], "client.py": code["client.py"]}, before)
    # Moodle's file time (the zip's own time) beats what is inside: packed late, handed in on time
    dated_zip(cls / "Вера Котова_103_assignsubmission_file_" / "lab.zip", code, after,
              zip_time=datetime(2026, 10, 1, 23, 0).astimezone())
    # Canvas's LATE mark beats times that say on time
    dated_zip(cls / "doejohn_LATE_12345_678901_lab.zip", code, before, zip_time=before.astimezone())
    result = grade(cls, tmp_path / "out", tmp_path / "log", reuse=False, deadline=deadline)
    rows = {row.name: row.meta for row in result.rows}
    assert set(rows) == {"anna", "boris", "Вера Котова_103_assignsubmission_file_", "doejohn_12345"}
    assert lateness.parse_deadline(rows["anna"]["submitted"]) == after.astimezone()
    assert rows["anna"]["late_hours"] == 36 and rows["boris"]["late_hours"] == 0
    moodle = rows["Вера Котова_103_assignsubmission_file_"]
    assert moodle["participant"] == "103" and moodle["late_hours"] == 0
    canvas_row = rows["doejohn_12345"]
    assert canvas_row["canvas_id"] == "12345" and canvas_row["late"] and canvas_row["late_hours"] > 0
    # The same class as one zip (Moodle's "Download all"): unpacked, each zip keeps Moodle's time
    with zipfile.ZipFile(tmp_path / "download.zip", "w") as archive:
        for path in sorted(p for p in cls.rglob("*") if p.is_file()):
            moment = datetime.fromtimestamp(path.stat().st_mtime).timetuple()[:6]
            archive.writestr(zipfile.ZipInfo(path.relative_to(cls).as_posix(), moment), path.read_bytes())
    again = grade(tmp_path / "download.zip", tmp_path / "out2", tmp_path / "log", reuse=False, deadline=deadline)
    assert {row.name: row.meta["late_hours"] for row in again.rows} == {
        name: meta["late_hours"] for name, meta in rows.items()}


def test_a_zip_members_own_utc_time_wins_over_its_dos_time():
    info = zipfile.ZipInfo("server.py", (2026, 10, 1, 12, 0, 0))
    moment = datetime(2026, 10, 2, 9, 30, tzinfo=timezone.utc).timestamp()
    info.extra = struct.pack("<HHBi", 0x5455, 5, 1, int(moment))  # Info-ZIP's extended timestamp
    assert lateness.member_time(info) == moment
    filetime = int((moment + 11644473600) * 1e7)  # NTFS: 100 ns since 1601, as 7-Zip writes it
    info.extra = struct.pack("<HHIHHQQQ", 0x000A, 32, 0, 1, 24, filetime, filetime, filetime)
    assert lateness.member_time(info) == moment
    info.extra = b""
    assert lateness.member_time(info) == datetime(2026, 10, 1, 12, 0).timestamp()  # local time, as unzip reads it


def test_gradebook_says_each_checks_status_and_marks_advisory_columns(tmp_path):
    cls = tmp_path / "class"
    for name in ("anna", "boris", "vera"):
        copy_tree(REFERENCE, cls / name)
    grade(cls, tmp_path / "out", tmp_path / "log", reuse=False)
    row = csv_rows(tmp_path / "out" / "gradebook.csv")[0]
    assert row["starts"] == "5" and row["starts status"] == "pass"
    assert row["framing (advisory)"] == "0" and row["framing (advisory) status"] == "fail"


def test_shards_are_deterministic_and_cover_the_class():
    entries = [batch.Entry(f"s{i}", None) for i in range(10)]
    parts = [classrun.select(entries, (k, 3)) for k in (1, 2, 3)]
    assert sorted(i for part in parts for i, _ in part) == list(range(10))
    assert parts[0] == classrun.select(entries, (1, 3))
    for bad in ("0/3", "4/3", "x", "1/0"):
        with pytest.raises(ValueError):
            classrun.parse_shard(bad)


@pytest.mark.timeout(600)
def test_three_shards_merged_equal_one_run(tmp_path):
    """Real grading: the class in one go, and in three parts merged; everything but timings agrees."""
    cls = tmp_path / "class"
    copy_tree(REFERENCE, cls / "anna")
    copy_tree(FIXTURES / "tcp" / "no_broadcast", cls / "boris")
    copy_tree(REFERENCE, cls / "vera")  # alike anna's: the similarity report must find the pair in both runs
    copy_tree(FIXTURES / "tcp" / "no_broadcast", cls / "gleb")
    whole = tmp_path / "whole"
    done = autograde(cls, "--batch", "--jobs", "2", "--out", whole, "--lang", "en", timeout=400)
    assert done.returncode == 0, done.stdout[-2000:]
    parts = []
    for k in (1, 2, 3):
        parts.append(tmp_path / f"part{k}")
        done = autograde(cls, "--batch", "--jobs", "2", "--shard", f"{k}/3", "--out", parts[-1], "--lang", "en",
                         timeout=400)
        assert done.returncode == 0, done.stdout[-2000:]
    merged = tmp_path / "merged"
    done = autograde("merge", *parts, "--out", merged, "--lang", "en", timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert_same_class(whole, merged)


def untimed_gradebook(path: Path) -> list:
    return [{k: v for k, v in row.items() if k != "seconds"} for row in csv_rows(path)]


def assert_same_class(whole: Path, merged: Path) -> None:
    assert untimed_gradebook(whole / "gradebook.csv") == untimed_gradebook(merged / "gradebook.csv")
    one, other = (json.loads((folder / "summary.json").read_text(encoding="utf-8")) for folder in (whole, merged))
    for summary in (one, other):
        summary.pop("duration", None)
        summary.pop("reused", None)
    assert one == other and one["similar"]
    names = sorted(p.name for p in whole.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert names == sorted(p.name for p in merged.iterdir() if p.is_dir() and not p.name.startswith("."))
    for name in names:
        a, b = (json.loads((folder / name / "report.json").read_text(encoding="utf-8")) for folder in (whole, merged))
        assert a["score"] == b["score"] and [c["status"] for c in a["checks"]] == [c["status"] for c in b["checks"]]


def test_the_shipped_sharding_examples_run_commands_we_accept():
    from autograder import cli

    examples = ROOT / "benchmarks" / "sharding"
    workflow = (examples / "github-actions-matrix.yml").read_text(encoding="utf-8")
    assert "--shard ${{ matrix.part }}/${{ env.PARTS }}" in workflow and "-m autograder merge parts/part-*" in workflow
    args = cli.parser().parse_args(["submissions", "--batch", "--shard", "3/8", "--out", "out/part-3"])
    assert classrun.parse_shard(args.shard) == (3, 8)
    assert cli.merge_parser().parse_args(["a", "b", "--out", "class"]).parts == [Path("a"), Path("b")]
    slurm = (examples / "slurm-array.sh").read_text(encoding="utf-8")
    assert '--shard "$PART/$PARTS"' in slurm and "-m autograder merge" in slurm


def test_a_course_repository_gives_the_commit_time(tmp_path):
    import subprocess

    repo = tmp_path / "course"
    copy_tree(REFERENCE, repo / "ИВТ-1" / "Anna" / "Lr1")
    env = dict(os.environ, GIT_AUTHOR_DATE="2026-10-02T10:00:00+00:00", GIT_COMMITTER_DATE="2026-10-02T10:00:00+00:00",
               GIT_AUTHOR_NAME="a", GIT_AUTHOR_EMAIL="a@x", GIT_COMMITTER_NAME="a", GIT_COMMITTER_EMAIL="a@x")
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "lab"]):
        subprocess.run(["git", "-C", str(repo), *command], check=True, env=env, timeout=30)
    folder = repo / "ИВТ-1" / "Anna" / "Lr1"
    moment = lateness.submitted_at(folder, {"task_path": "Lr1"})
    assert moment == lateness.parse_deadline("2026-10-02T10:00:00+00:00")
    facts = lateness.assess({}, moment, lateness.parse_deadline("2026-10-01T23:59+00:00"),
                            lateness.Rule(percent_per_day=10, max_percent=50), 80.0)
    assert facts["late_hours"] == 10.02 and facts["late_penalty"] == 8.0


def test_only_names_a_submission_of_the_class(tmp_path):
    cls = tmp_path / "class"
    for name in ("anna", "boris", "vera"):
        copy_tree(REFERENCE, cls / name)
    with pytest.raises(ValueError, match="no submission named zoya"):
        grade(cls, tmp_path / "out", tmp_path / "log", only=("zoya",))
