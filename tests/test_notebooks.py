"""The step-by-step notebooks.

* The committed notebooks are exactly what ``python -m autograder.notebook.build`` writes.
* Every instructor notebook, both languages, runs top to bottom in a real Jupyter kernel (this
  interpreter, through a kernelspec written to a temp dir) with every in-notebook check passing.
* Every student notebook runs top to bottom too — only cells tagged ``raises-exception`` may raise,
  so "Run All" works for students — and every check in it says "not yet" with a reason.
* Run top to bottom, the instructor notebooks leave ``my_submission/tcp``, ``udp`` and ``two_user``, which
  ``autograde`` scores 100, 80 and 60; the student notebooks write nothing while TODOs remain.

The notebooks of one audience and language run in order in one temp dir (notebooks 2-5 write
``my_submission/`` there, notebook 6 grades it), three groups at a time, once per session.
"""
from __future__ import annotations

import ast
import asyncio
import json
import os
import re
import sys
import threading
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from autograder import i18n  # noqa: E402
from autograder.notebook import Checker, build, checklist, inprocess  # noqa: E402
from grading_helpers import ROOT, run_autograde  # noqa: E402

SOURCES = sorted(p.stem for p in (ROOT / "notebooks" / "src").glob("[0-9][0-9]-*.py"))
NOTEBOOKS = [f"{audience}/{lang}/{stem}" for audience in build.AUDIENCES for lang in build.LANGUAGES
             for stem in SOURCES]
KERNEL = "chatlab-test-python"
CONCURRENT_KERNELS = 3
CELL_SECONDS = 300  # one cell (notebook 6 runs autograde; a student's hand-in fails slowly)
NOTEBOOK_SECONDS = 600
CHECK_CALL = re.compile(r"^check\.\w+\(", re.MULTILINE)

# -- running notebooks -------------------------------------------------------------------
@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """A kernelspec for the interpreter running the tests, visible only to this test run."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "chatlab tests", "language": "python",
        "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    }), encoding="utf-8")
    saved = {k: os.environ.get(k) for k in ("JUPYTER_PATH", "IPYTHONDIR", "JUPYTER_PLATFORM_DIRS")}
    os.environ["JUPYTER_PATH"] = str(home) + os.pathsep + os.environ.get("JUPYTER_PATH", "")
    os.environ["IPYTHONDIR"] = str(tmp_path_factory.mktemp("ipython"))  # no user profile or startup files
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
    yield KERNEL
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


class Executed:
    def __init__(self, name: str, notebook, workdir: Path, error: str, seconds: float) -> None:
        self.name, self.notebook, self.workdir, self.error, self.seconds = name, notebook, workdir, error, seconds

    def checklists(self):
        """(cell source, machine summary, text) of every checklist the notebook showed, in order."""
        found = []
        for cell in self.notebook.cells:
            for output in cell.get("outputs", []):
                summary = output.get("metadata", {}).get("chatlab")
                if summary is not None:
                    found.append((cell.source, summary, output["data"]["text/plain"]))
        return found

    def check_calls(self) -> int:
        return sum(len(CHECK_CALL.findall(c.source)) for c in self.notebook.cells if c.cell_type == "code")

    def errors(self):
        return [(c.source[:200], o.get("ename"), o.get("evalue", "")[:300]) for c in self.notebook.cells
                for o in c.get("outputs", []) if o.get("output_type") == "error"]


async def _run_one(name: str, kernel_name: str, workdir: Path) -> Executed:
    path = ROOT / "notebooks" / f"{name}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    started = time.monotonic()
    client = nbclient.NotebookClient(notebook, kernel_name=kernel_name, timeout=CELL_SECONDS,
                                     allow_errors=False, resources={"metadata": {"path": str(workdir)}})
    error = None
    try:
        await asyncio.wait_for(client.async_execute(), NOTEBOOK_SECONDS)
    except Exception as problem:  # CellExecutionError, a timeout, a dead kernel: all are findings
        error = f"{type(problem).__name__}: {problem}"[-4000:]
    return Executed(name, notebook, workdir, error, time.monotonic() - started)


@pytest.fixture(scope="module")
def executed(request, kernel, tmp_path_factory):
    """Every notebook the selected tests of this module need, executed once.

    The notebooks of one audience and language run one after another in one working directory, as a
    student runs them: notebooks 2-5 write ``my_submission/`` there and notebook 6 grades it. A notebook
    brings the ones before it along. Audiences and languages run side by side, a few at a time.
    """
    wanted = {item.callspec.params["notebook"] for item in request.session.items
              if item.module is request.module and hasattr(item, "callspec")
              and "notebook" in item.callspec.params}
    groups = {}
    for name in NOTEBOOKS:
        audience, lang, stem = name.split("/")
        if any(w.startswith(f"{audience}/{lang}/") and w.split("/")[2] >= stem for w in wanted):
            groups.setdefault(f"{audience}/{lang}", []).append(name)

    async def run_group(group, names, gate):
        workdir = tmp_path_factory.mktemp(group.replace("/", "-"))
        async with gate:
            return [await _run_one(name, kernel, workdir) for name in names]

    async def run_all():
        gate = asyncio.Semaphore(CONCURRENT_KERNELS)
        done = await asyncio.gather(*(run_group(g, names, gate) for g, names in sorted(groups.items())))
        return [result for group in done for result in group]

    results = {}
    # nbclient wants an event loop of its own; a thread keeps it clear of anything pytest set up.
    box = {}
    runner = threading.Thread(target=lambda: box.update(done=asyncio.run(run_all())), daemon=True)
    runner.start()
    longest = max((len(names) for names in groups.values()), default=0)
    runner.join(NOTEBOOK_SECONDS * longest * (len(groups) // CONCURRENT_KERNELS + 1))
    for result in box.get("done", []):
        results[result.name] = result
    return results


def _instructor(name: str) -> bool:
    return name.startswith("instructor/")


# -- the notebooks run -----------------------------------------------------------------
# One xdist worker runs every notebook test: the notebooks of a group run in order in one folder, and a
# second worker would run the same group again.
RUNS_NOTEBOOKS = pytest.mark.xdist_group("notebooks")


@RUNS_NOTEBOOKS
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("notebook", [n for n in NOTEBOOKS if _instructor(n)])
def test_instructor_notebook_runs_with_every_check_passing(executed, notebook):
    result = executed.get(notebook)
    assert result is not None, "the notebook did not finish in time"
    assert result.error is None, result.error
    shown = result.checklists()
    assert len(shown) == result.check_calls() > 0, "every check cell shows exactly one checklist"
    for source, summary, text in shown:
        assert summary["passed"], f"{source}\n{text}"
        if summary["step"] == "autograde":  # the grader itself: a score, said to be the default rubric's
            assert ("score by the default rubric" in text) or ("баллы по рубрике по умолчанию" in text), text
            assert "Public checks" not in text and "Открытые проверки" not in text, text
        else:
            assert ("Public checks passed" in text) or ("Открытые проверки пройдены" in text)


@RUNS_NOTEBOOKS
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("notebook", [n for n in NOTEBOOKS if not _instructor(n)])
def test_student_notebook_runs_and_every_check_says_not_yet(executed, notebook):
    result = executed.get(notebook)
    assert result is not None, "the notebook did not finish in time"
    assert result.error is None, f"a cell not tagged raises-exception failed:\n{result.error}"
    shown = result.checklists()
    assert len(shown) == result.check_calls() > 0
    lang = notebook.split("/")[1]
    for source, summary, text in shown:
        assert not summary["passed"], f"{source}\n{text}"
        assert summary["first_problem"], text
        assert i18n.translate("nb.ui.not_yet", lang, {"passed": 0, "total": 0}).split(":")[0] in text
    if not notebook.endswith("06-hand-in"):
        # Before anything is filled in, each check names the TODO to do next.
        for source, summary, text in shown:
            assert "TODO" in summary["first_problem"], text


HAND_IN = {"tcp": ("tcp-multi", 100), "udp": ("udp-multi", 80), "two_user": ("tcp-two-user", 60)}


@RUNS_NOTEBOOKS
@pytest.mark.timeout(900)
@pytest.mark.parametrize("notebook", [f"instructor/{lang}/06-hand-in" for lang in build.LANGUAGES])
def test_the_instructor_notebooks_leave_three_folders_at_their_caps(executed, notebook):
    """Run top to bottom, notebooks 2-5 leave my_submission/tcp, udp and two_user; each grades at its cap."""
    result = executed.get(notebook)
    assert result is not None and result.error is None, result and result.error
    for folder, (variant, cap) in HAND_IN.items():
        submission = result.workdir / "my_submission" / folder
        assert sorted(p.name for p in submission.iterdir()) == ["client.py", "server.py"], folder
        if notebook.startswith("instructor/ru/"):
            continue  # the same files as in English but for comments; notebook 6 graded them (every check passed)
        code, report, output = run_autograde(submission, "--lang", "en")
        assert report is not None, output
        assert report["variant"] == variant, output
        assert report["score"] == report["max_score"] == cap, output


@RUNS_NOTEBOOKS
@pytest.mark.timeout(900)
@pytest.mark.parametrize("notebook", [f"student/{lang}/06-hand-in" for lang in build.LANGUAGES])
def test_the_student_notebooks_write_nothing_while_todos_remain(executed, notebook):
    result = executed.get(notebook)
    assert result is not None and result.error is None, result and result.error
    assert not list((result.workdir / "my_submission").glob("*/*.py"))


# -- the committed notebooks ---------------------------------------------------------------
@pytest.mark.timeout(120)
def test_committed_notebooks_are_exactly_what_the_build_writes():
    different, orphans = build.stale(ROOT)
    assert not different and not orphans, (
        f"run: python -m autograder.notebook.build   (stale: {[str(p) for p in different]}, no source: {orphans})")


@pytest.mark.timeout(120)
def test_committed_notebooks_are_valid_clean_and_say_they_are_generated():
    paths = sorted((ROOT / "notebooks").glob("*/*/*.ipynb"))
    assert len(paths) == len(NOTEBOOKS)
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        assert "autograder.notebook.build" in notebook.cells[0].source, path
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path
        student = "/student/" in path.as_posix()
        text = path.read_text(encoding="utf-8")
        assert ("BEGIN SOLUTION" in text) is False, path
        # Notebook 6 only grades the files notebooks 2-5 wrote: nothing in it is left to the student.
        assert ("NotImplementedError(\\\"TODO" in text) is (student and path.stem != "06-hand-in"), path


@pytest.mark.timeout(60)
def test_every_picture_a_notebook_shows_is_committed_in_its_language():
    shown = set()
    for path in sorted((ROOT / "notebooks").glob("*/*/*.ipynb")):
        lang = path.parent.name
        for cell in nbformat.read(path, as_version=4).cells:
            for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", cell.source if cell.cell_type == "markdown" else ""):
                image = (path.parent / target).resolve()
                assert image.is_file(), f"{path.name}: {target}"
                assert image.name.endswith(f".{lang}.svg"), f"{path.name} ({lang}) shows {image.name}"
                shown.add(image.name)
    names = {p.name for p in (ROOT / "notebooks" / "images").glob("*.svg")}
    assert shown == names and len(names) == 6, names - shown


@pytest.mark.timeout(60)
def test_the_build_is_deterministic():
    assert build.build_all(ROOT) == build.build_all(ROOT)


# -- the source format ---------------------------------------------------------------------------
SAMPLE = '''# notes for authors
# %% [markdown] lang="en"
# # Title
#
# Text.
# %% [markdown] lang="ru"
# # Заголовок
# %% tags=["student-raises-exception"]
def f(x):
    #[en] English comment
    #[ru] Русский комментарий
    # BEGIN SOLUTION
    # TODO[en]: double x
    # TODO[ru]: удвойте x
    return 2 * x
    # END SOLUTION
'''


@pytest.mark.timeout(30)
def test_a_shared_cell_prints_in_the_notebooks_language():
    cells = build.parse('# %% [markdown] lang="en"\n# Hi\n# %% [markdown] lang="ru"\n# Привет\n# %%\n'
                        'done = True\n#[en]> print("finished:", done)\n#[ru]> print("закончено:", done)\n')
    for lang, line in (("en", 'print("finished:", done)'), ("ru", 'print("закончено:", done)')):
        code = "".join(build.notebook_for(cells, "src.py", lang, "student")["cells"][-1]["source"])
        assert code == "done = True\n" + line


@pytest.mark.timeout(30)
def test_solutions_become_todos_for_students_and_stay_for_instructors():
    cells = build.parse(SAMPLE)
    student = build.notebook_for(cells, "src.py", "ru", "student")
    instructor = build.notebook_for(cells, "src.py", "en", "instructor")
    student_code = "".join(student["cells"][-1]["source"])
    instructor_code = "".join(instructor["cells"][-1]["source"])
    assert student_code.splitlines()[1:] == [
        "    # Русский комментарий",
        "    # TODO: удвойте x",
        '    raise NotImplementedError("TODO: удвойте x")',
    ]
    assert "return 2 * x" in instructor_code and "TODO" not in instructor_code
    assert "Русский" not in instructor_code and "# English comment" in instructor_code
    assert student["cells"][-1]["metadata"] == {"tags": ["raises-exception"]}
    assert instructor["cells"][-1]["metadata"] == {}
    assert [c["cell_type"] for c in student["cells"]] == ["markdown", "markdown", "code"]
    assert "".join(student["cells"][1]["source"]) == "# Заголовок"
    namespace = {}
    exec(compile(student_code, "<student>", "exec"), namespace)
    with pytest.raises(NotImplementedError, match="TODO: удвойте x"):
        namespace["f"](1)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("broken, problem", [
    (SAMPLE.replace('# %% [markdown] lang="ru"\n# # Заголовок\n', ""), "untranslated"),
    (SAMPLE.replace("    # TODO[ru]: удвойте x\n", ""), "TODO"),
    (SAMPLE.replace("    # END SOLUTION\n", ""), "without END"),
    (SAMPLE.replace('lang="en"', 'lang="de"'), "lang must be"),
    (SAMPLE.replace("# Text.", "Text."), "must start with"),
])
def test_mistakes_in_a_source_are_named_with_their_line(broken, problem):
    with pytest.raises(build.SourceError, match=problem):
        build.parse(broken, Path("sample.py"))


# -- what the checks say, and how --------------------------------------------------------------
@pytest.mark.timeout(30)
def test_every_notebook_message_exists_in_both_languages():
    used = set()
    for path in (ROOT / "autograder" / "notebook").glob("*.py"):
        used |= set(re.findall(r'"(nb\.[\w.\-]+)"', path.read_text(encoding="utf-8")))
    from autograder.notebook.steps import STEPS
    used |= {step.title.key for step in STEPS.values()}
    missing = sorted(key for key in used if key not in i18n.CATALOGUE)
    assert not missing
    for key in used:
        assert set(i18n.CATALOGUE[key]) == set(i18n.LANGUAGES), key


@pytest.mark.timeout(30)
def test_a_checklist_renders_as_html_and_text_and_promises_no_grade():
    from autograder.results import msg
    items = [checklist.Item("a", msg("nb.check.echo_small")),
             checklist.Item("b", msg("nb.check.echo_big"), "failed", msg("nb.fail.echo_short", sent=9, got=4),
                            msg("nb.hint.echo_sendall"), expected="<tag>\n", actual="<t",
                            transcript=[{"t": 0.1, "who": "alice", "kind": "send", "text": "hi⏎\n"}])]
    for lang in i18n.LANGUAGES:
        result = checklist.Checklist("01-echo", msg("nb.step.echo"), lang, items)
        text, html = result.to_text(), result.to_html()
        assert i18n.translate("nb.ui.status.failed", lang) in text
        assert i18n.translate("ui.not_a_grade", lang) in text
        assert "&lt;tag&gt;" in html and "<tag>" not in html
        data, metadata = result._repr_mimebundle_()
        assert set(data) == {"text/plain", "text/html"}
        assert metadata["chatlab"] == {"step": "01-echo", "passed": False, "items": {"a": "passed", "b": "failed"},
                                       "first_problem": "sent 9 bytes, got back 4"}


@pytest.mark.timeout(30)
def test_an_unknown_step_is_a_clear_error():
    with pytest.raises(ValueError, match="01-echo"):
        Checker("en").step("99-nothing", _namespace={})


# -- the kernel's health: checks of broken code end, stop what they started, and can be re-run --------
def _serve_ignoring_errors(listener):
    while True:
        try:
            conn, addr = listener.accept()
        except OSError:
            continue  # the classic mistake: a closed listener would make this spin for ever


def _deadlocking_add_user(nick, conn):
    with _LOCK:
        with _LOCK:
            _USERS[nick] = conn
            return True


def _remove_user(nick):
    with _LOCK:
        _USERS.pop(nick, None)


_LOCK = threading.Lock()
_USERS = {}


@pytest.mark.timeout(120)
def test_a_deadlock_in_student_code_is_reported_not_waited_for():
    started = time.monotonic()
    result = Checker("en").step("03-registry", _deadlocking_add_user, _remove_user, _USERS, _LOCK, _namespace={})
    assert time.monotonic() - started < 30
    assert not result.passed
    assert "did not return" in result.to_text()


@pytest.mark.timeout(120)
def test_an_accept_loop_that_ignores_a_closed_listener_is_parked_not_left_spinning():
    listener = inprocess.Listener()
    thread = threading.Thread(target=_serve_ignoring_errors, args=(listener,), daemon=True)
    thread.start()
    threading.Event().wait(0.2)
    listener.release()
    thread.join(1.0)
    assert thread.is_alive()  # it never returns: that is what the check reports
    assert inprocess.busy_cpu(0.5) < 0.5  # but it sleeps instead of spinning


@pytest.mark.timeout(120)
def test_a_step_can_be_run_again_at_once():
    def handle_echo(conn):
        with conn:
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                conn.sendall(data)

    for _ in range(3):
        assert Checker("ru").step("01-echo", handle_echo, _namespace={}).passed
    assert Checker("en").echo(handle_echo).passed  # the shortcut, by the step's short name


# -- what the checks and the hand-in accept, without a kernel ------------------------------------------------
@pytest.mark.timeout(30)
@pytest.mark.parametrize("got, ok", [
    ("\nbob: hi\n> ", True),
    ("\r\x1b[Kbob: hi\n> ", True),
    ("\nbob: hi!!\n> ", False),  # not the message
    ("\n[12:00] bob: hi\n> ", False),
    ("\nbob: hi> ", False),  # the prompt glued to the message
    ("\nbob: hi\nbob: hi\n> ", False),
    ("bob: hi\n> ", False),  # the half-typed line is overwritten
    (None, False),
])
def test_incoming_accepts_what_it_names_and_nothing_else(got, ok):
    from autograder.notebook.steps import _incoming_ok
    assert _incoming_ok(got, "bob: hi", "> ") is ok


def _is_definition(node, text: str) -> bool:
    """def, class, import, or a plain value such as ``users = {}`` or ``users_lock = threading.Lock()``."""
    if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
        return True
    return isinstance(node, ast.Assign) and ("(" not in text or text.endswith("threading.Lock()"))


def _notebook_module(tmp_path, stem: str, audience: str, name: str):
    """The code cells of a generated notebook as an importable module (so inspect can read its functions)."""
    notebook = nbformat.read(ROOT / "notebooks" / audience / "en" / f"{stem}.ipynb", as_version=4)
    keep = []  # definitions only: no demo runs, no checks
    for cell in notebook.cells:
        if cell.cell_type == "code" and not cell.source.startswith("%"):
            keep += [ast.get_source_segment(cell.source, node) for node in ast.parse(cell.source).body
                     if _is_definition(node, ast.get_source_segment(cell.source, node))]
    path = tmp_path / f"{name}.py"
    path.write_text("import socket, threading, os\n\n" + "\n\n".join(keep), encoding="utf-8")
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


@pytest.mark.timeout(60)
def test_the_hand_in_files_are_the_notebooks_functions_and_refuse_a_todo(tmp_path):
    from autograder.notebook.assemble import write_program
    solved = _notebook_module(tmp_path, "05-udp", "instructor", "udp_solved")
    result = write_program("udp", None, "en", solved, tmp_path / "my_submission")
    assert result.passed, result.to_text()
    for role in ("server", "client"):
        text = (tmp_path / "my_submission" / "udp" / f"{role}.py").read_text(encoding="utf-8")
        compile(text, role, "exec")
        assert "NotImplementedError" not in text and 'if __name__ == "__main__":' in text
    assert "def join_member(" in (tmp_path / "my_submission" / "udp" / "server.py").read_text(encoding="utf-8")
    unsolved = _notebook_module(tmp_path, "02-two-user-chat", "student", "two_user_todo")
    result = write_program("two_user", None, "en", unsolved, tmp_path / "student")
    assert not result.passed and "TODO" in result.machine()["first_problem"]
    assert not (tmp_path / "student").exists()
