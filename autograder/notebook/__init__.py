"""Checks a student runs inside a Jupyter notebook, right under their code.

    from autograder.notebook import Checker
    check = Checker("en")            # or Checker("ru")

    check.step("03-chat")            # finds handle_client in the notebook
    check.chat_server(handle_client) # the same, with the function given
    check.write_program("tcp", "server")  # my_submission/tcp/server.py from the notebook's functions
    check.autograde("my_submission/tcp")  # notebook 6: the real grader, on files

A check starts the student's function-level code in threads of the kernel
(servers on free loopback ports), drives it with the scripted users the
grader uses, and returns a ``Checklist`` that Jupyter shows as a list of
passed / not yet, each "not yet" with the reason, a hint and the transcript.
Checks never hang the kernel, can be re-run after an edit, and speak of
"public checks passed", never of a grade.

The modules: ``steps`` (what each check does), ``inprocess`` (running
student code in the kernel safely), ``student_code`` (finding functions and
TODOs), ``checklist`` (the result and its rendering), ``handin``
(``autograde`` on a folder), ``assemble`` (the files handed in, from the
notebook's functions), ``build`` (the notebooks themselves).
"""
from __future__ import annotations

import sys
from typing import Callable, Dict, List

from autograder import i18n
from autograder.notebook.checklist import Checklist, Item

__all__ = ["Checker", "Checklist", "Item"]


class Checker:
    """The ``check`` object of a notebook, in the notebook's language."""

    def __init__(self, lang: str = "en") -> None:
        if lang not in i18n.LANGUAGES:
            raise ValueError(f"lang must be one of {', '.join(i18n.LANGUAGES)}")
        self.lang = lang

    def step(self, step_id: str, *values, _namespace: Dict[str, object] = None, **named) -> Checklist:
        """Run the public checks of ``step_id`` on the student's code.

        Functions the step needs are taken from ``values`` (in the order the
        step lists them), then ``named``, then the calling cell's globals.
        """
        from autograder.notebook.steps import STEPS, run_step

        found = STEPS.get(step_id)
        if found is None:
            raise ValueError(i18n.translate("nb.ui.unknown_step", self.lang,
                                            {"step": step_id, "known": ", ".join(sorted(STEPS))}))
        namespace = _namespace if _namespace is not None else sys._getframe(1).f_globals
        given = dict(zip(found.needs + found.optional, values))
        given.update(named)
        return run_step(step_id, self.lang, namespace, given)

    def write_program(self, variant: str, role: str = None, folder="my_submission") -> Checklist:
        """Write ``folder/variant/role.py`` (both roles if none is named) from the functions in the notebook."""
        from autograder.notebook.assemble import write_program

        return write_program(variant, role, self.lang, sys._getframe(1).f_globals, folder)

    def autograde(self, folder="my_submission") -> Checklist:
        """Run ``autograde`` on a folder, as a terminal would, and show its report."""
        from autograder.notebook.handin import autograde

        return autograde(folder, self.lang)

    def steps(self) -> List[str]:
        from autograder.notebook.steps import STEPS

        return sorted(STEPS)

    def __getattr__(self, name: str) -> Callable[..., Checklist]:
        """``check.broadcast(...)``-style shortcuts: one per step, by its short name."""
        if name.startswith("_"):
            raise AttributeError(name)
        from autograder.notebook.steps import STEPS

        for found in STEPS.values():
            if found.short == name:
                def shortcut(*values, **named):
                    namespace = sys._getframe(1).f_globals
                    return self.step(found.id, *values, _namespace=namespace, **named)
                shortcut.__name__ = name
                shortcut.__doc__ = f"check.step({found.id!r}, ...)"
                return shortcut
        raise AttributeError(name)

    def __dir__(self):
        from autograder.notebook.steps import STEPS

        return sorted(set(super().__dir__()) | {s.short for s in STEPS.values()})

    def __repr__(self) -> str:
        return f"Checker(lang={self.lang!r}): check.step(id) for id in {', '.join(self.steps())}"
