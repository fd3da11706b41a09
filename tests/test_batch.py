"""Grading a class: one folder or a class, safe zips, every row, nothing lost or changed.

The end-to-end test grades a small mixed class (good, buggy, a Moodle-style
folder holding a zip, an unsafe zip, a syntax error, two hostile ones) with
``--jobs 2``; the rest are fast tests of the pieces, with stand-in graders
where a grader has to crash or hang.
"""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import re
import shutil
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from rich.console import Console

from autograder.classroom import batch
from autograder.grading import rubric as rubric_module
from containment_helpers import (MARKER, PRIVATE_UIDS, autograde, copy_tree, leftover_files, snapshot, survivors,
                                 tree_hash)
from grading_helpers import FIXTURES, ROOT, SERVER_CHECKS

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REFERENCE = ROOT / "reference_solution" / "tcp"
BUGGY = FIXTURES / "tcp" / "no_broadcast"

# In one xdist group: "nothing survived" counts every process of the private
# uids, so these tests must not run beside each other.
pytestmark = [pytest.mark.timeout(300), pytest.mark.xdist_group("containment")]


def zip_folder(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target


def write(root: Path, files: dict) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


# --- the whole thing, end to end ----------------------------------------------------

@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    base = tmp_path_factory.mktemp("mixed")
    cls = base / "class"
    cls.mkdir()
    copy_tree(REFERENCE, cls / "good")
    copy_tree(BUGGY, cls / "buggy")
    moodle = cls / "Ivan Petrov_1234_assignsubmission_file_"
    moodle.mkdir()
    zip_folder(REFERENCE, moodle / "lab.zip", prefix="chat/")
    with zipfile.ZipFile(cls / "sneaky.zip", "w") as archive:
        archive.writestr("server.py", "print('hi')\n")
        archive.writestr("../escaped.py", "print('out')\n")
    write(cls / "syntax", {"server.py": "import socket\ndef serve(:\n"})
    copy_tree(FIXTURES / "hostile" / "fork_bomb", cls / "fork_bomb")
    copy_tree(FIXTURES / "hostile" / "kill_grader", cls / "kill_grader")
    (cls / "grades_from_lms.csv").write_text("not a submission\n")
    before = tree_hash(cls)
    existing = snapshot()
    out = base / "out"
    done = autograde(cls, "--jobs", "2", "--out", out, "--lang", "en", timeout=280)
    return {"done": done, "out": out, "cls": cls, "unchanged": tree_hash(cls) == before, "base": base,
            "survivors": survivors([str(base)], before=existing), "leftovers": leftover_files(existing)}


def rows(mixed):
    text = (mixed["out"] / "gradebook.csv").read_text(encoding="utf-8-sig")
    return {row["name"]: row for row in csv.DictReader(io.StringIO(text))}


def report(mixed, name):
    return json.loads((mixed["out"] / name / "report.json").read_text(encoding="utf-8"))


def buggy_score(result):
    spec = tomllib.loads((FIXTURES / "expected.toml").read_text(encoding="utf-8"))["tcp/no_broadcast"]
    wrong = (set(spec.get("failed", [])) | set(spec.get("skipped", []))) & set(SERVER_CHECKS)  # scored ones
    got = {c["id"]: c["status"] for c in result["checks"] if c["id"] in SERVER_CHECKS}
    assert {k for k, v in got.items() if v != "passed"} == wrong
    points = rubric_module.load().points
    available = sum(points[c["id"]] for c in result["checks"] if c["status"] != "error")
    return round(100 * sum(points[c["id"]] for c in result["checks"] if c["status"] == "passed") / available, 1)


def test_every_row_is_present(mixed):
    assert mixed["done"].returncode == 0, mixed["done"].stdout[-3000:]
    assert sorted(rows(mixed)) == sorted(["good", "buggy", "Ivan Petrov_1234_assignsubmission_file_", "sneaky",
                                          "syntax", "fork_bomb", "kill_grader"])


def test_scores_are_right(mixed):
    table = rows(mixed)
    assert float(table["good"]["score"]) == 100
    assert float(table["Ivan Petrov_1234_assignsubmission_file_"]["score"]) == 100
    assert float(table["buggy"]["score"]) == buggy_score(report(mixed, "buggy"))
    assert table["sneaky"]["status"] == "ungradable" and float(table["sneaky"]["score"]) == 0
    assert "unsafe path" in table["sneaky"]["error"]
    # A syntax error is the student's: graded, `starts` failed with the line and a caret, and in the mean.
    assert table["syntax"]["status"] == "graded" and float(table["syntax"]["score"]) == 0
    starts = next(c for c in report(mixed, "syntax")["checks"] if c["id"] == "starts")
    assert starts["status"] == "failed" and "server.py, line 2" in starts["message"], starts
    assert "def serve(:" in starts["server_output"] and "^" in starts["server_output"], starts
    summary = json.loads((mixed["out"] / "summary.json").read_text(encoding="utf-8"))
    graded = [float(row["score"]) for row in table.values() if row["status"] == "graded"]
    assert summary["mean"] == round(sum(graded) / len(graded), 1) and "syntax" in {
        name for name, row in table.items() if row["status"] == "graded"}
    # One source for durations: the page says what the gradebook says.
    for name, row in table.items():
        assert round(float(report(mixed, name)["duration"]), 1) == float(row["seconds"]), name
    for name in ("fork_bomb", "kill_grader"):
        result = report(mixed, name)
        if "uid" not in result["sandbox"] and name == "kill_grader":
            continue
        assert {c["id"] for c in result["checks"] if c["status"] == "passed"} >= set(SERVER_CHECKS), result


def test_per_submission_and_class_files(mixed):
    out = mixed["out"]
    for name in rows(mixed):
        folder = out / name
        assert {p.name for p in folder.iterdir()} == {"report.json", "report.md", "report.html", "results.json"}
        assert report(mixed, name)["schema"] == 1 and report(mixed, name)["submission"] == name
    header = (out / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:5] == ["name", "variant", "score", "max_score", "status"] and set(SERVER_CHECKS) <= set(header)
    suites = ET.parse(out / "junit.xml").getroot()
    assert suites.tag == "testsuites" and len(suites.findall("testsuite")) == 7
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["count"] == 7 and {i["name"] for i in summary["not_graded"]} == {"sneaky"}
    assert "Class summary" in (out / "summary.md").read_text(encoding="utf-8")
    assert "Class summary: 7" in mixed["done"].stdout


def test_originals_untouched_and_nothing_left(mixed):
    assert mixed["unchanged"]
    assert not (mixed["cls"].parent / "escaped.py").exists()
    assert mixed["survivors"] == []
    assert mixed["leftovers"] == []


def test_out_inside_the_class_is_refused(tmp_path):
    cls = tmp_path / "class"
    for name in ("a", "b", "c"):
        write(cls / name, {"server.py": "import socket\ns = socket.socket()\ns.bind(('', 1))\ns.listen()\n"})
    done = autograde(cls, "--out", cls / "reports", timeout=60)
    assert done.returncode == 2 and "never written" in done.stdout
    assert not (cls / "reports").exists()


# --- one submission or a class? ----------------------------------------------------------

SERVER = "import socket\nserver = socket.socket()\nserver.bind(('', 9090))\nserver.listen()\n"
CLIENT = "import socket\nsocket.create_connection(('localhost', 9090))\n"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("layout, is_class", [
    ({"server.py": SERVER, "client.py": CLIENT}, False),
    ({"src/server.py": SERVER, "src/client.py": CLIENT}, False),
    ({"server/main.py": SERVER, "client/main.py": CLIENT}, False),
    ({"anna/server.py": SERVER, "boris/server.py": SERVER}, True),
    ({"anna/a.py": "x = 1", "boris/b.py": "x = 2", "vera/c.py": "x = 3"}, True),
    ({"anna.zip": b"", "README.txt": "x"}, True),
])
def test_one_submission_or_a_class(tmp_path, layout, is_class):
    root = write(tmp_path / "path", layout)
    for name in layout:
        if name.endswith(".zip"):
            with zipfile.ZipFile(root / name, "w") as archive:
                archive.writestr("server.py", SERVER)
    assert batch.is_class(root) is is_class


@pytest.mark.timeout(30)
def test_a_zip_is_read_as_the_folder_it_holds(tmp_path):
    one = tmp_path / "one.zip"
    with zipfile.ZipFile(one, "w") as archive:
        archive.writestr("lab/server.py", SERVER)
        archive.writestr("lab/client.py", CLIENT)
    assert not batch.is_class(one)
    many = tmp_path / "class.zip"
    with zipfile.ZipFile(many, "w") as archive:
        for student in ("anna", "boris", "vera"):
            archive.writestr(f"downloads/{student}/server.py", SERVER)
    assert batch.is_class(many)


# --- zips, safely ----------------------------------------------------------------------------

@pytest.mark.timeout(30)
@pytest.mark.parametrize("member", ["../up.py", "/etc/passwd_copy.py", "a/../../up.py", "C:/win.py"])
def test_unsafe_member_paths_are_refused(tmp_path, member):
    archive_path = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("server.py", SERVER)
        archive.writestr(member, "x = 1\n")
    with pytest.raises(batch.UnsafeArchive):
        batch.safe_extract(archive_path, tmp_path / "into")
    assert not (tmp_path / "up.py").exists()


@pytest.mark.timeout(30)
def test_zip_bombs_stop_at_the_cap(tmp_path):
    archive_path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("server.py", SERVER)
        archive.writestr("padding.bin", b"\0" * (batch.MAX_SUBMISSION_BYTES + 1024))
    assert archive_path.stat().st_size < 1024 * 1024
    with pytest.raises(batch.UnsafeArchive, match="MB"):
        batch.safe_extract(archive_path, tmp_path / "into")
    written = sum(p.stat().st_size for p in (tmp_path / "into").rglob("*") if p.is_file())
    assert written <= batch.MAX_SUBMISSION_BYTES + 65536


@pytest.mark.timeout(30)
def test_links_are_skipped_and_russian_names_decoded(tmp_path):
    archive_path = tmp_path / "lab.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        link = zipfile.ZipInfo("passwd.py")
        link.external_attr = (0o120777 << 16)
        archive.writestr(link, "/etc/passwd")
        archive.writestr("XXXXXX.py", SERVER)
    # Windows' own zip on a Russian system writes names in cp866, without the UTF-8 flag.
    data = archive_path.read_bytes().replace(b"XXXXXX.py", "сервер.py".encode("cp866"))
    archive_path.write_bytes(data)
    folder = batch.safe_extract(archive_path, tmp_path / "into")
    assert sorted(p.name for p in folder.iterdir()) == ["сервер.py"]


# --- a grader that crashes or hangs costs only its own row ----------------------------

def stand_in(behaviour: dict):
    """A worker command that behaves as told for each submission's folder name."""
    def command(folder, lang, rubric_path):
        return [sys.executable, "-c", behaviour[Path(folder).name]]
    return command


GOOD_JSON = ("import json; print('noise'); print(json.dumps({'schema': 1, 'submission': 'x', 'score': 42.0, "
             "'max_score': 100, 'variant': 'tcp-multi', 'checks': [], 'error': None, 'lang': 'en'}))")
CRASH = "import sys; sys.stderr.write('Traceback: boom\\n'); sys.exit(3)"
GARBAGE = "print('{not json')"
HANG = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
        f"'{MARKER}-grandchild']); time.sleep(300)")


@pytest.mark.timeout(60)
def test_grader_crash_and_hang_are_rows_and_the_rest_goes_on(tmp_path):
    cls = tmp_path / "class"
    for name in ("crash", "garbage", "hang", "ok"):
        write(cls / name, {"server.py": SERVER})
    out = tmp_path / "out"
    behaviour = {"crash": CRASH, "garbage": GARBAGE, "hang": HANG, "ok": GOOD_JSON}
    existing = snapshot()
    result = batch.grade_class(cls, jobs=2, out=out, lang="en", timeout=4, console=Console(file=io.StringIO()),
                               command=stand_in(behaviour))
    by_name = {row.name: row for row in result.rows}
    assert by_name["ok"].status == "graded" and by_name["ok"].score == 42.0
    assert by_name["crash"].status == "error" and "boom" in by_name["crash"].report["error"]
    assert by_name["garbage"].status == "error"
    assert by_name["hang"].status == "timeout" and by_name["hang"].seconds < 30
    assert survivors(wait=5, before=existing) == []
    for name in behaviour:
        assert json.loads((out / name / "report.json").read_text(encoding="utf-8"))["schema"] == 1
    assert (out / "gradebook.csv").exists()


@pytest.mark.timeout(30)
def test_gradebook_cells_are_not_formulas():
    from autograder.export import gradebook

    row = batch.Row("=HYPERLINK(\"http://x\")", "graded", {"score": 1, "checks": []}, 1.0)
    text = gradebook.gradebook_csv([row])
    assert "'=HYPERLINK" in text


def test_a_grader_over_its_time_is_killed_with_all_it_started(tmp_path):
    """A real grader, stopped mid-run by --timeout: its row says so, and nothing of it is left."""
    cls = tmp_path / "class"
    copy_tree(FIXTURES / "hostile" / "fork_bomb", cls / "fork_bomb")
    out = tmp_path / "out"
    existing = snapshot()
    done = autograde(cls, "--batch", "--jobs", "1", "--timeout", "5", "--out", out, "--lang", "en", timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    row = rows({"out": out})["fork_bomb"]
    assert row["status"] == "timeout" and "longer than 5 s" in row["error"]
    assert survivors([str(tmp_path)], before=existing) == []
    assert leftover_files(existing) == []
    first, last = PRIVATE_UIDS
    uids = [int(m.group(1)) for m in (re.match(r"chatlab-run-(\d+)-", p.name) for p in Path("/tmp").iterdir()) if m]
    assert not [uid for uid in uids if first <= uid <= last]  # the harness copy of a killed grader is gone too


@pytest.mark.timeout(60)
@pytest.mark.skipif(os.name != "posix", reason="uid claims are POSIX flocks")
def test_two_graders_on_one_machine_never_share_a_uid():
    # Another process (another class being graded) claims uids; ours must not get them.
    from autograder.sandbox import containment

    first = PRIVATE_UIDS[1] - 9
    claim = ("import sys, time; from autograder.sandbox import containment as c; "
             f"ok = [c.reserve_uid(u) for u in range({first}, {first + 5})]; print(all(ok), flush=True); "
             "time.sleep(60)")
    other = subprocess.Popen([sys.executable, "-c", claim], stdout=subprocess.PIPE, text=True, cwd=str(ROOT))
    try:
        assert other.stdout.readline().strip() == "True"
        env = {**os.environ, containment.UID_RANGE_ENV: f"{first}-{first + 9}"}
        chosen = subprocess.run([sys.executable, "-c", "from autograder.sandbox import containment as c; "
                                 "print(*c.free_uids(10))"], capture_output=True, text=True, env=env,
                                cwd=str(ROOT), timeout=50).stdout.split()
        assert sorted(map(int, chosen)) == list(range(first + 5, first + 10))
    finally:
        other.kill()
        other.wait()
