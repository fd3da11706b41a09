"""Layers you can see: a module imports only from its own layer or the ones below it.

Bottom to top: the shared vocabulary (results, i18n, waiting), intake, wire,
sandbox, grading, report, export, classroom, notebook, and the commands
(cli, demo).  Only the modules whose job it is touch sockets and processes;
the matchers and renderers stay pure.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograder"
LAYERS = ["results", "intake", "wire", "sandbox", "grading", "report", "export", "classroom", "notebook", "cli"]
# The package's own __init__ is the facade an instructor's check file imports from: the top.
LAYER_OF = {"results": "results", "i18n": "results", "waiting": "results", "__init__": "cli",
            "cli": "cli", "__main__": "cli", "demo": "cli"}
PURE = ["wire/protocol.py", "wire/frames.py", "wire/names.py", "grading/registry.py", "grading/hints.py",
        "grading/rubric.py", "intake/extract.py", "intake/static.py", "report/text.py", "report/html.py",
        "report/markdown.py", "notebook/checklist.py"]

pytestmark = pytest.mark.timeout(30)


def layer(module: str) -> str:
    parts = module.split(".")[1:]
    if parts and parts[0] in LAYER_OF:
        return LAYER_OF[parts[0]]
    if not parts or parts[0].startswith("__"):
        return "results"  # the package's name and version
    return parts[0]


def imports(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("autograder"):
            for alias in node.names:
                yield f"{node.module}.{alias.name}" if node.module == "autograder" else node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("autograder"))


def test_imports_only_go_down():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        if "harness" in path.parts:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        own = LAYERS.index(layer(module))
        for target in imports(path):
            if LAYERS.index(layer(target)) > own:
                wrong.append(f"{module} -> {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_every_layer_says_what_it_is_for():
    for sub in LAYERS[1:-1]:
        doc = ast.get_docstring(ast.parse((PACKAGE / sub / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc) > 150, sub


@pytest.mark.parametrize("name", PURE)
def test_pure_modules_touch_no_socket_thread_or_process(name):
    found = set(imports_of_stdlib(PACKAGE / name)) & {"socket", "subprocess", "threading", "multiprocessing"}
    assert not found, (name, found)


def imports_of_stdlib(path: Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module.split(".")[0]
