"""Course repositories: each student's chat task found among their folders, and graded.

The trees are built here: groups and students as a course repository has
them, the chat under many folder names beside other tasks (a calculator, a
hello world), one student with only a Markdown report, one with two chat
folders, one with nothing.  The end-to-end test grades such a tree with one
``autograde --course`` and reads the gradebook; the others only look.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from autograder.classroom import course
from containment_helpers import autograde, tree_hash
from grading_helpers import FIXTURES, ROOT

pytestmark = pytest.mark.timeout(600)

REFERENCE = ROOT / "reference_solution" / "tcp"
GOOD = {name: FIXTURES / "tcp" / name for name in ("nick_first", "nick_prompt", "class_based", "dict_registry")}
CALCULATOR = "a = float(input('a: '))\nb = float(input('b: '))\nprint(a + b)\n"
HELLO = "print('Hello, world!')\n"


def put(folder: Path, files: dict) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return folder


def chat(source: Path, target: Path) -> Path:
    """A student's copy of a chat submission (server.py and client.py)."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def report_of(source: Path, title: str) -> str:
    """A MkDocs-style report with the code in fenced blocks under ``### server.py`` / ``### client.py``."""
    parts = [f"# {title}", "", "Цель работы: написать чат на socket и threading.", ""]
    for name in ("server.py", "client.py"):
        code = (source / name).read_text(encoding="utf-8")
        parts += [f"### {name}", "", "```python", code.rstrip("\n"), "```", ""]
    parts += ["## Вывод", "", "Чат работает.", ""]
    return "\n".join(parts)


def build_course(root: Path) -> dict:
    """students/<group>/<Surname_Name>/…; returns student -> (status, task path relative to students/)."""
    s = root / "students"
    expected = {}

    def student(group, name, status, task=None):
        expected[f"{group}/{name}"] = (status, f"{group}/{name}/{task}" if task else "")
        return s / group / name

    chat(REFERENCE, student("ИВТ-21", "Ivanov_Ivan", "found", "Lab1/4task") / "Lab1" / "4task")
    put(s / "ИВТ-21" / "Ivanov_Ivan", {"Lab1/task3/calculator.py": CALCULATOR, "Lab1/task1/hello.py": HELLO})
    chat(GOOD["nick_first"], student("ИВТ-21", "Petrova_Anna", "found", "lab1/task_4") / "lab1" / "task_4")
    put(s / "ИВТ-21" / "Petrova_Anna", {"lab1/task_3/calculator.py": CALCULATOR})
    chat(GOOD["nick_prompt"], student("ИВТ-21", "Sidorov_Petr", "found", "Lr1/task4") / "Lr1" / "task4")
    chat(GOOD["class_based"], student("ИВТ-22", "Smirnova_Olga", "found", "ЛР1/Задание 4") / "ЛР1" / "Задание 4")
    put(s / "ИВТ-22" / "Smirnova_Olga", {"ЛР1/Задание 3/calculator.py": CALCULATOR, "README.md": "# Смирнова О.\n"})
    # Only a report: the code lives in fenced blocks of a Markdown file.
    popov = student("ИВТ-22", "Popov_Dmitry", "found", "docs/lab1.md")
    put(popov, {"docs/lab1.md": report_of(GOOD["dict_registry"], "Лабораторная работа 1. Задание 4: чат"),
                "docs/index.md": "# Отчёты\n", "task3/calculator.py": CALCULATOR})
    # Two chat folders: ambiguous, both listed, the best one graded (as good a name, and shallower).
    vasilieva = student("ПИ-11", "Vasilieva_Maria", "ambiguous", "чат")
    chat(REFERENCE, vasilieva / "Lab1" / "task4")
    chat(GOOD["nick_first"], vasilieva / "чат")
    put(vasilieva, {"Lab1/task3/calc.py": CALCULATOR})
    # Nothing of the chat at all.
    put(student("ПИ-11", "Morozov_Ivan", "not_found"),
        {"Lab1/task1/hello.py": HELLO, "Lab1/task3/calculator.py": CALCULATOR})
    # The chat in a folder with no telling name: found by its code.
    chat(REFERENCE, student("ПИ-11", "Zaitseva_Elena", "found", "project") / "project")
    put(s / "ПИ-11" / "Zaitseva_Elena", {"homework/calculator.py": CALCULATOR})
    return expected


# --- finding the task, without grading ------------------------------------------------------

TASK_FOLDERS = ["Lab1/4task", "lab1/task_4", "Lr1/task4", "ЛР1/Задание 4", "chat", "чат", "labs/lab1/task-04",
                "LR_1/zadanie4", "Лабораторная 1/4", "Laba1/Chat_TCP", "lab_1/Task 4", "ЛР-1/задача_4",
                "practice/4_task"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("folder", TASK_FOLDERS)
def test_the_chat_is_found_under_every_usual_name(tmp_path, folder):
    student = tmp_path / "Ivanov_Ivan"
    chat(REFERENCE, student / folder)
    put(student, {"Lab1/task3/calculator.py": CALCULATOR, "Lab1/task5/server.py": "import socket\n"})
    found = course.candidates_in(student)
    assert [c.path.relative_to(student).as_posix() for c in found][:1] == [folder]
    assert found[0].named and found[0].chat_code
    assert len([c for c in found if c.tier == found[0].tier]) == 1


@pytest.mark.timeout(60)
def test_names_and_titles_are_weighed():
    assert course.TASK.search("Задание №4") and course.TASK.search("4task") and course.TASK.search("task_04")
    assert not course.TASK.search("task41") and not course.TASK.search("subtask4") and not course.TASK.search("task3")
    assert course._names_say(("project",), "Задание 4. Многопользовательский чат")[0]
    assert not course._names_say(("Lab2", "task4"))[0]  # task 4 of another lab is another task
    assert course._names_say(("Lab2", "chat"))[0]


@pytest.mark.timeout(60)
def test_a_readme_title_names_the_task(tmp_path):
    student = tmp_path / "Petrov"
    chat(REFERENCE, student / "work_a")
    chat(GOOD["nick_first"], student / "work_b")
    put(student, {"work_b/README.md": "# Задание 4\n\nМногопользовательский чат.\n"})
    found = course.candidates_in(student)
    assert found[0].path.name == "work_b" and found[0].named and not found[1].named


@pytest.mark.timeout(60)
def test_code_is_preferred_over_a_report_and_a_report_is_the_fallback(tmp_path):
    student = tmp_path / "Kim"
    chat(REFERENCE, student / "Lab1" / "task4")
    put(student, {"docs/report.md": report_of(REFERENCE, "Задание 4: чат")})
    assert [c.report for c in course.candidates_in(student)] == [False]
    shutil.rmtree(student / "Lab1")
    found = course.candidates_in(student)
    assert [c.path.name for c in found] == ["report.md"] and found[0].report and found[0].chat_code


@pytest.mark.timeout(60)
def test_students_in_groups_or_at_one_level(tmp_path):
    expected = build_course(tmp_path)
    students = course.survey(tmp_path / "students")
    got = {f"{s.group}/{s.name}": s.status for s in students}
    assert got == {name: status for name, (status, _) in expected.items()}
    flat = tmp_path / "flat"
    chat(REFERENCE, flat / "Ivanov" / "chat")
    put(flat, {"Petrov/Lab1/task1/hello.py": HELLO, "Sidorova/odd_name/notes.txt": "x", "Kim/report.md": "# чат\n",
               "Lee/.venv/lib/x.py": "x = 1\n", "Lee/venv2/pyvenv.cfg": "",
               "Lee/venv2/Lib/site-packages/chat/server.py": "x"})
    assert [n for g, n, _ in course.find_students(flat)] == ["Ivanov", "Kim", "Lee", "Petrov", "Sidorova"]
    assert course.candidates_in(flat / "Lee") == []  # a committed virtual environment is not looked into


# --- the whole course, graded ----------------------------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("course")
    expected = build_course(base)
    before = tree_hash(base / "students")
    out = base / "out"
    done = autograde(base / "students", "--course", "--jobs", "2", "--out", out, "--lang", "ru", timeout=580)
    return {"done": done, "out": out, "expected": expected, "unchanged": tree_hash(base / "students") == before}


def gradebook(graded) -> dict:
    text = (graded["out"] / "gradebook.csv").read_text(encoding="utf-8-sig")
    return {f"{row['group']}/{row['student']}": row for row in csv.DictReader(io.StringIO(text))}


def test_every_student_has_a_row_with_the_right_status(graded):
    assert graded["done"].returncode == 0, graded["done"].stdout[-3000:]
    rows = gradebook(graded)
    assert set(rows) == set(graded["expected"])
    for key, (status, task) in graded["expected"].items():
        row = rows[key]
        assert row["task_status"] == status, (key, row)
        assert row["task_path"] == task, (key, row)
        if status == "not_found":
            assert row["status"] == "not_found" and float(row["score"]) == 0 and row["candidates"] == ""
            assert "чат" in row["error"]
        else:
            assert row["status"] == "graded" and float(row["score"]) == 100, (key, row)
    ambiguous = rows["ПИ-11/Vasilieva_Maria"]["candidates"].split("; ")
    assert ambiguous == ["ПИ-11/Vasilieva_Maria/чат", "ПИ-11/Vasilieva_Maria/Lab1/task4"]
    assert graded["unchanged"]


def test_reports_and_summary_per_student(graded):
    out = graded["out"]
    report = json.loads((out / "ИВТ-22" / "Popov_Dmitry" / "report.json").read_text(encoding="utf-8"))
    assert "lab1.md" in report["files"]["server"] and report["score"] == 100
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["course"]["students"] == 8 and summary["course"]["found"] == 7
    assert summary["course"]["not_found"] == ["ПИ-11/Morozov_Ivan"]
    assert [a["name"] for a in summary["course"]["ambiguous"]] == ["ПИ-11/Vasilieva_Maria"]
    # Two pairs of copies among independent solutions: a signal in the summary, not a penalty.
    assert {(p["a"], p["b"]) for p in summary["similar"] if not p["kit"]} == {
        ("ИВТ-21/Ivanov_Ivan", "ПИ-11/Zaitseva_Elena"), ("ИВТ-21/Petrova_Anna", "ПИ-11/Vasilieva_Maria")}
    # The pair that handed in the kit's reference is also flagged against it (issue 13).
    assert {p["a"] for p in summary["similar"] if p["kit"]} == {"ИВТ-21/Ivanov_Ivan", "ПИ-11/Zaitseva_Elena"}
    assert all(p["fragment"].strip() and "%" in p["message"] for p in summary["similar"])
    console = graded["done"].stdout
    assert "неоднозначно: 1" in console and "не найдено: 1" in console and "задание не найдено" in console
    assert "Необычно похожий код" in console
    assert "Задание «чат» в репозитории курса" in (out / "summary.md").read_text(encoding="utf-8")


@pytest.mark.timeout(60)
def test_a_course_with_no_students_is_a_usage_error(tmp_path):
    (tmp_path / "students").mkdir()
    done = autograde(tmp_path / "students", "--course", "--lang", "en", timeout=50)
    assert done.returncode == 2 and "no student folders" in done.stdout


# --- folder levels between a group and its people (issue 12) -----------------------------------

def test_people_are_recognised_by_name_shaped_folders():
    for name in ("Surname_Name", "Фамилия Имя", "SurnameName", "Ivanov_I_I", "Иванов И.И."):
        assert course.name_shaped(name), name
    for name in ("laboratory_works", "labs", "Lab1", "ИВТ-21", "chat4-server", "task4"):
        assert not course.name_shaped(name), name


@pytest.mark.timeout(60)
def test_a_level_between_group_and_people_is_not_a_student(tmp_path):
    s = tmp_path / "students"
    chat(REFERENCE, s / "ИВТ-21" / "laboratory_works" / "Ivanov_Ivan" / "Lr1" / "task4")
    chat(GOOD["nick_first"], s / "ИВТ-21" / "laboratory_works" / "Петрова Анна" / "ЛР1" / "Задание 4")
    chat(GOOD["nick_prompt"], s / "ИВТ-22" / "labs" / "SidorovPetr" / "lab1" / "4task")
    chat(GOOD["class_based"], s / "ИВТ-22" / "Kuznetsova_Olga" / "Lab1" / "task4")
    got = {(g, n): st.status for (g, n, _), st in zip(course.find_students(s), course.survey(s))}
    assert got == {("ИВТ-21", "Ivanov_Ivan"): "found", ("ИВТ-21", "Петрова Анна"): "found",
                   ("ИВТ-22", "SidorovPetr"): "found", ("ИВТ-22", "Kuznetsova_Olga"): "found"}


@pytest.mark.timeout(60)
def test_server_and_client_in_folders_of_their_own_are_one_task(tmp_path):
    task = tmp_path / "Ivanov_Ivan" / "Lr1" / "task4"
    put(task, {"chat4-server/server.py": (REFERENCE / "server.py").read_text(encoding="utf-8"),
               "chat4-client/client.py": (REFERENCE / "client.py").read_text(encoding="utf-8"),
               "chat4-client-v2/client.py": (REFERENCE / "client.py").read_text(encoding="utf-8") + "# v2\n"})
    found = course.candidates_in(tmp_path / "Ivanov_Ivan")
    assert [c.path for c in found] == [task]


def test_a_folder_named_for_both_parts_is_the_whole_program():
    assert course._role_part("chat4-server") and course._role_part("chat4-client-v2") and course._role_part("src")
    assert not course._role_part("client_server_chat") and not course._role_part("my_chat")
