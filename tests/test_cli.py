"""The command line: exit codes, the JSON report's fields, one clear line
for submissions that cannot be graded at all."""
import hashlib
import shutil

import pytest

from grading_helpers import REPORTED_SERVER_CHECKS, ROOT, run_autograde

pytestmark = pytest.mark.timeout(120)

TOP_LEVEL = {"schema", "submission", "variant", "score", "max_score", "detected", "checks", "error"}
PER_CHECK = {"id", "title", "status", "points", "max_points", "message", "hint", "transcript"}


def folder(tmp_path, files):
    root = tmp_path / "submission"
    root.mkdir()
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def test_usage_error_exits_2(tmp_path):
    code, report, output = run_autograde(tmp_path / "does-not-exist")
    assert code == 2 and report is None
    assert "no such file" in output


@pytest.mark.parametrize("files, needle", [
    ({"notes.txt": "hello"}, "no Python files"),
    ({"server.py": b"\x7fELF\x00\x00\x01binary"}, "not a text file"),
])
def test_ungradable_submission_gets_zero_and_one_line(tmp_path, files, needle):
    code, report, output = run_autograde(folder(tmp_path, files), "--lang", "en")
    assert code == 0
    assert report["score"] == 0 and report["checks"] == []
    assert needle in report["error"] and "\n" not in report["error"]
    assert needle in output


@pytest.mark.parametrize("files, lang, needles", [
    ({"server.py": "import socket\ndef broken(:\n    pass\n"}, "en", ("server.py, line 2", "def broken(:")),
    ({"server.py": "def f(:\n"}, "ru", ("server.py, строка 1", "def f(:")),
    ({"server.py": "import socket\nprint 'hello'\n", "client.py": "print('x')\n"}, "en", ("line 2", "Python 2")),
])
def test_a_syntax_error_is_a_grade_with_the_line_and_a_caret(tmp_path, files, lang, needles):
    code, report, output = run_autograde(folder(tmp_path, files), "--lang", lang)
    assert code == 0 and report["error"] is None, output
    starts = next(c for c in report["checks"] if c["id"] == "starts")
    assert starts["status"] == "failed" and starts["points"] == 0, starts
    shown = " ".join((starts["message"], starts["hint"], starts["server_output"]))
    assert all(needle in shown for needle in needles), shown
    caret_line = starts["server_output"].splitlines()[2]
    assert caret_line.strip() == "^", starts["server_output"]


def test_help_lists_the_subcommands():
    from autograder import cli

    for lang in ("en", "ru"):
        code, _, output = run_autograde("--help", "--lang", lang)
        assert code == 0
        listed = output.split("\n\n")[-1]
        for name in cli.SUBCOMMANDS:
            assert f"  {name} " in listed, (name, output)
    assert {"grade", "demo", "export"} <= set(cli.SUBCOMMANDS)


def test_grade_is_explicit_and_says_what_a_single_submission_ignores(tmp_path):
    demo = tmp_path / "demo"  # a folder named like a subcommand
    shutil.copytree(ROOT / "reference_solution" / "tcp", demo)
    code, report, output = run_autograde("grade", demo, "--out", tmp_path / "o", "--jobs", "2", "--timeout", "9")
    assert code == 0 and report["score"] == 100, output
    for option in ("--out", "--jobs", "--timeout"):
        assert f"{option} is for a class of submissions" in output
    assert not (tmp_path / "o").exists()


def test_json_report_shape_and_fail_under(tmp_path):
    code, report, output = run_autograde(ROOT / "reference_solution" / "tcp", "--fail-under", "101")
    assert code == 1
    assert TOP_LEVEL <= set(report) and report["schema"] == 1
    assert report["error"] is None
    assert [c["id"] for c in report["checks"]] == REPORTED_SERVER_CHECKS + [
        "client_connects", "client_handshake", "client_sends", "client_receives", "client_exits"]
    for check in report["checks"]:
        assert PER_CHECK <= set(check)
        assert check["status"] in ("passed", "failed", "skipped", "error")
    assert report["detected"]["transport"] == "tcp"


def test_submission_folder_is_never_modified(tmp_path):
    source = ROOT / "tests" / "fixtures" / "tcp" / "nick_first"
    copy = tmp_path / "nick_first"
    shutil.copytree(source, copy)
    before = {p.relative_to(copy): hashlib.sha256(p.read_bytes()).hexdigest() for p in copy.rglob("*") if p.is_file()}
    run_autograde(copy)
    after = {p.relative_to(copy): hashlib.sha256(p.read_bytes()).hexdigest() for p in copy.rglob("*") if p.is_file()}
    assert before == after


def test_cp1251_source_is_graded_like_utf8(tmp_path):
    server = (ROOT / "reference_solution" / "tcp" / "server.py").read_text(encoding="utf-8")
    server = "# Сервер чата, сохранён в cp1251\n" + server
    root = folder(tmp_path, {"server.py": server.encode("cp1251", errors="replace")})
    code, report, output = run_autograde(root)
    assert report["error"] is None, output
    assert report["checks"][0]["status"] == "passed", output


def test_another_rubric_changes_the_threading_factor_everywhere(tmp_path):
    rubric = (ROOT / "autograder" / "grading" / "rubric.toml").read_text(encoding="utf-8")
    custom = tmp_path / "rubric.toml"
    custom.write_text(rubric.replace("no_threading_factor = 0.5", "no_threading_factor = 0.25"), encoding="utf-8")
    code, report, output = run_autograde(ROOT / "tests" / "fixtures" / "tcp" / "no_threads_select",
                                         "--rubric", custom, "--lang", "en")
    assert code == 0, output
    assert report["threading_factor"] == 0.25
    assert "score multiplied by 0.25" in output


def test_a_cp1251_coding_line_is_rewritten_in_the_copy():
    # Left as it was, Python would read the UTF-8 copy as cp1251: "Порт" would become "РџРѕСЂС‚".
    from autograder.sandbox.process import as_utf8

    source = '# -*- coding: cp1251 -*-\nport = input("Порт: ")\n'.encode("cp1251")
    copy = as_utf8(source).decode("utf-8")
    assert copy.splitlines()[0] == "# -*- coding: utf-8 -*-" and '"Порт: "' in copy
    assert as_utf8(b"# coding: utf-8\nprint(1)\n") == b"# coding: utf-8\nprint(1)\n"
