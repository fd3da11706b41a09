"""The intake corpus (``fixtures/intake/``, issue 12): submissions whose shape must be read
the way a person reads it, graded end to end to the verdicts in its ``expected.toml``.

Whole-lab reports are graded on their chat task and say which section was taken and which
were left out as another task; split folders, the student's own tests and one file with
role arguments are one submission run the way its author meant; a course tree with folder
levels between a group and its people has one row per person.
"""
import sys

import pytest

from autograder.classroom import course
from autograder.intake import extract
from grading_helpers import FIXTURES, run_autograde, statuses

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

INTAKE = FIXTURES / "intake"
EXPECTED = tomllib.loads((INTAKE / "expected.toml").read_text(encoding="utf-8"))
LAB = INTAKE / "lab"


def same_code(written: str, expected: str) -> bool:
    strip = lambda text: [l for l in text.splitlines() if l.strip()]  # noqa: E731
    return strip(written) == strip(expected)


@pytest.mark.timeout(30)
def test_the_reports_are_built_from_the_lab_tasks():
    sys.path.insert(0, str(INTAKE))
    try:
        import make_reports
    finally:
        sys.path.remove(str(INTAKE))
    for name, text in make_reports.build().items():
        assert (INTAKE / "reports" / name).read_text(encoding="utf-8") == text, f"rerun {INTAKE}/make_reports.py"


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(n for n, spec in EXPECTED["reports"].items() if "task" in spec))
def test_a_whole_lab_report_gives_its_chat_task(name):
    spec = EXPECTED["reports"][name]
    found = extract.extract(INTAKE / "reports" / name)
    assert found.error is None
    assert same_code(found.server.source(), (LAB / "task4_server.py").read_text(encoding="utf-8"))
    assert same_code(found.client.source(), (LAB / "task4_client.py").read_text(encoding="utf-8"))
    for lang, another in (("en", "another task, not graded"), ("ru", "другое задание, не проверялось")):
        notes = found.notes(lang)
        assert spec["task"] in notes["task"]
        assert another in notes["other_tasks"] and notes["other_tasks"].count("' (") == spec["others"]
    assert len(found.other_tasks) == spec["others"]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(EXPECTED["reports"]))
def test_reports_get_a_persons_verdict(name):
    spec = EXPECTED["reports"][name]
    code, report, output = run_autograde(INTAKE / "reports" / name, "--lang", "en", timeout=280)
    assert code == 0 and report is not None, output
    assert report["score"] == spec["score"], output
    if "error" in spec:
        assert spec["error"] in report["error"], report["error"]
        return
    assert report["variant"] == "tcp-multi"
    assert all(c["status"] == "passed" for c in report["checks"] if c["max_points"]), statuses(report)
    assert spec["task"] in report["files"]["task"] and "another task" in report["files"]["other_tasks"]
    # Every renderer shows the server's line: the choice is said there, in the terminal too.
    assert spec["task"] in report["files"]["server"] and "another task, not graded" in report["files"]["server"]
    assert "another task, not graded" in " ".join(output.split())


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(EXPECTED["folders"]))
def test_folders_run_as_their_author_meant(name):
    spec = EXPECTED["folders"][name]
    code, report, output = run_autograde(INTAKE / name, timeout=280)
    assert code == 0 and report is not None, output
    assert report["files"]["server"] == spec["server"] and report["files"]["client"] == spec["client"], report["files"]
    assert report["score"] == spec["score"], output


@pytest.mark.timeout(60)
def test_course_rows_are_people_whatever_sits_between():
    root = INTAKE / "course" / "students"
    rows = {f"{s.group}/{s.name}": (s.status, s.candidates[0].path.relative_to(root).as_posix() if s.candidates else "")
            for s in course.survey(root)}
    assert rows == {person: ("found", task) for person, task in EXPECTED["course"]["rows"].items()}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", sorted(EXPECTED["hints"]))
def test_hints_name_the_mistake_a_person_would(name):
    spec = EXPECTED["hints"][name]
    code, report, output = run_autograde(INTAKE / "hints" / name, timeout=280)
    assert code == 0 and report is not None, output
    failed = {c["id"] for c in report["checks"] if c["status"] == "failed" and c["max_points"]}
    assert failed == set(spec["failed"]), output
    for check in report["checks"]:
        if check["id"] in spec["mistake"]:
            assert check["mistake"] == spec["mistake"][check["id"]], check


@pytest.mark.timeout(30)
def test_the_students_own_tests_and_drivers_are_never_server_or_client():
    from autograder.classroom import batch
    from autograder.intake import discover

    assert discover.find(INTAKE / "with_tests").files() == {"server": "chat_server.py", "client": "chat_client.py"}
    assert discover.find(INTAKE / "single_file_roles").files() == {"server": "messenger.py server",
                                                                   "client": "messenger.py client"}
    assert not batch.is_class(INTAKE / "split_folders")


@pytest.mark.timeout(30)
def test_a_zip_of_role_folders_is_one_submission(tmp_path):
    import zipfile

    from autograder.classroom import batch

    archive = tmp_path / "chat.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted((INTAKE / "split_folders").rglob("*.py")):
            out.write(path, "chat/" + path.relative_to(INTAKE / "split_folders").as_posix())
    assert not batch.is_class(archive)


def lab_code(task: int, role: str) -> str:
    return (LAB / f"task{task}_{role}.py").read_text(encoding="utf-8")


@pytest.mark.timeout(30)
def test_tasks_under_unnumbered_headings_are_told_apart_by_their_code(tmp_path):
    titles = {1: "UDP эхо", 2: "Калькулятор", 3: "HTTP", 4: "Чат", 5: "Форма"}
    text = "# Отчёт\n\n" + "\n".join(
        f"## {titles[t]}\n\n### server.py\n\n```python\n{lab_code(t, 'server')}```\n\n"
        f"### client.py\n\n```python\n{lab_code(t, 'client')}```\n" for t in range(1, 6))
    (tmp_path / "report.md").write_text(text, encoding="utf-8")
    found = extract.extract(tmp_path / "report.md")
    assert same_code(found.server.source(), lab_code(4, "server")) and same_code(found.client.source(), lab_code(4, "client"))
    assert "'## Чат'" in found.notes()["task"] and found.notes()["other_tasks"].count("' (") == 4


@pytest.mark.timeout(30)
def test_a_whole_lab_notebook_writing_every_tasks_files_gives_the_chat(tmp_path):
    import json

    cells = []
    for task in range(1, 6):
        cells.append({"cell_type": "markdown", "metadata": {}, "source": f"## Задание {task}"})
        cells += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                   "source": f"%%writefile {role}.py\n" + lab_code(task, role)} for role in ("server", "client")]
    (tmp_path / "lab.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    found = extract.extract(tmp_path / "lab.ipynb")
    assert same_code(found.server.source(), lab_code(4, "server")) and same_code(found.client.source(), lab_code(4, "client"))
    assert "'## Задание 4' (cells 11-12)" in found.notes()["task"]


@pytest.mark.timeout(600)
def test_a_course_with_levels_between_group_and_people_grades_one_row_per_person(tmp_path):
    import csv
    import io

    from containment_helpers import autograde

    out = tmp_path / "out"
    done = autograde(INTAKE / "course" / "students", "--course", "--jobs", "2", "--out", out, timeout=560)
    assert done.returncode == 0, done.stdout[-3000:]
    text = (out / "gradebook.csv").read_text(encoding="utf-8-sig")
    rows = {f"{row['group']}/{row['student']}": row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == set(EXPECTED["course"]["rows"]), rows
    for person, row in rows.items():
        assert row["status"] == "graded" and float(row["score"]) == 100, (person, row)


@pytest.mark.timeout(30)
def test_a_task_split_into_numbered_sub_sections_stays_one_task(tmp_path):
    text = "# Отчёт\n\n" + "\n".join(
        f"## Задание {t}.1. Сервер\n\n```python\n{lab_code(t, 'server')}```\n\n"
        f"## Задание {t}.2. Клиент\n\n```python\n{lab_code(t, 'client')}```\n" for t in (1, 2, 4))
    (tmp_path / "report.md").write_text(text, encoding="utf-8")
    found = extract.extract(tmp_path / "report.md")
    assert same_code(found.server.source(), lab_code(4, "server")) and same_code(found.client.source(), lab_code(4, "client"))
    assert found.notes()["other_tasks"].count("' (") == 2


@pytest.mark.timeout(30)
def test_people_who_each_handed_in_one_part_are_still_a_class(tmp_path):
    from autograder.classroom import batch

    for person, role in (("Ivanov", "server"), ("Petrova", "client"), ("Sidorov", "server")):
        (tmp_path / person).mkdir()
        (tmp_path / person / f"{role}.py").write_text(lab_code(4, role), encoding="utf-8")
    assert batch.is_class(tmp_path)
