"""What an in-notebook check shows: a checklist, as data, rendered twice.

A ``Checklist`` is the notebook's counterpart of a graded report: one
``Item`` per thing checked (passed / not yet / skipped / error), each with
the why (``message``, ``expected``/``actual``, ``hint``), the scenario
(``transcript``) and what the student's code printed or raised meanwhile.
Jupyter shows ``text/html``; terminals, nbclient and ``print`` see the same
words as ``text/plain``.  A small machine summary travels in the output's
metadata (``chatlab``), where frontends ignore it and tests can read it.

Pure: no sockets, no threads, no clock.  Texts are ``Msg`` values (or plain
strings that are already translated, e.g. from an ``autograde`` JSON report).
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import List, Optional, Union

from autograder.i18n import entry_text, entry_who, translate
from autograder.wire.protocol import visible
from autograder.results import Msg

Text = Union[Msg, str]

MARKS = {"passed": ("✔", "#1a7f37"), "failed": ("✘", "#cf222e"), "skipped": ("–", "#9a6700"),
         "error": ("!", "#8250df")}
ARROWS = {"send": "→", "recv": "←", "note": "·", "shown": "▸", "typed": "⌨"}
TRANSCRIPT_TAIL = 24  # entries shown; the start of a scenario is rarely the interesting part
OUTPUT_TAIL = 1500  # characters of printed output shown


def say(value: Optional[Text], lang: str) -> str:
    if value is None:
        return ""
    return value.text(lang) if isinstance(value, Msg) else str(value)


@dataclass
class Item:
    """One line of the checklist."""

    id: str
    title: Text
    status: str = "passed"  # passed | failed | skipped | error
    message: Optional[Text] = None
    hint: Optional[Text] = None
    expected: Optional[str] = None
    actual: Optional[str] = None
    transcript: List[dict] = field(default_factory=list)
    output: Optional[str] = None  # what the student's code printed or raised meanwhile
    duration: float = 0.0
    advisory: bool = False  # a check worth no points: shown, never what keeps a step from passing


@dataclass
class Checklist:
    """The result of one ``check.step(...)`` call."""

    step: str
    title: Text
    lang: str = "en"
    items: List[Item] = field(default_factory=list)
    notes: List[Text] = field(default_factory=list)
    score: Optional[str] = None  # "score of max", for autograde reports only

    @property
    def passed(self) -> bool:
        return bool(self.items) and all(item.status == "passed" or item.advisory for item in self.items)

    def counts(self) -> tuple:
        scored = [item for item in self.items if not item.advisory]
        return sum(item.status == "passed" for item in scored), len(scored)

    def summary(self) -> str:
        passed, total = self.counts()
        if self.passed:
            # autograde's report carries a score: say "checks passed", not "public checks passed"
            key = "nb.ui.graded_passed" if self.score is not None else "nb.ui.passed"
            return translate(key, self.lang, {"passed": passed, "total": total})
        return translate("nb.ui.not_yet", self.lang, {"passed": passed, "total": total})

    def machine(self) -> dict:
        """What tests (and tools) read: no prose, only ids and statuses."""
        return {"step": self.step, "passed": self.passed,
                "items": {item.id: item.status for item in self.items},
                "first_problem": next((say(i.message, "en") for i in self.items if i.status != "passed"), None)}

    # -- rendering -------------------------------------------------------------
    def to_text(self) -> str:
        lang = self.lang
        lines = [self._header()]
        if self.score is not None:
            lines.append(self.score)
        for note in self.notes:
            lines.append("  * " + say(note, lang))
        for item in self.items:
            mark, _ = MARKS[item.status]
            lines.append(f" {mark} {say(item.title, lang)}" + _status_suffix(item, lang))
            if item.status == "passed":
                continue
            for detail in _details(item, lang):
                lines.append("     " + detail.replace("\n", "\n     "))
        lines.append(self.summary())
        lines.append(self._footer())
        return "\n".join(lines)

    def to_html(self) -> str:
        lang = self.lang
        e = html.escape
        colour = MARKS["passed" if self.passed else "failed"][1]
        out = [f'<div class="chatlab-checklist" style="border-left:4px solid {colour};padding:4px 10px;'
               'margin:4px 0;font-family:var(--jp-ui-font-family,sans-serif)">',
               f'<div style="font-weight:bold">{e(self._header())}</div>']
        if self.score is not None:
            out.append(f'<div style="font-weight:bold">{e(self.score)}</div>')
        for note in self.notes:
            out.append(f'<div style="color:#9a6700">{e(say(note, lang))}</div>')
        out.append('<ul style="list-style:none;padding-left:0;margin:4px 0">')
        for item in self.items:
            mark, item_colour = MARKS[item.status]
            out.append(f'<li style="margin:2px 0"><span style="color:{item_colour};font-weight:bold">{mark}</span> '
                       f'{e(say(item.title, lang))}'
                       f'<span style="color:{item_colour}">{e(_status_suffix(item, lang))}</span>')
            if item.status != "passed":
                out.append(_html_details(item, lang))
            out.append("</li>")
        out.append("</ul>")
        out.append(f'<div style="font-weight:bold;color:{colour}">{e(self.summary())}</div>')
        out.append(f'<div style="color:#57606a;font-size:90%">{e(self._footer())}</div></div>')
        return "".join(out)

    def _footer(self) -> str:
        """Public checks never give a score; autograde gives the default rubric's, and the instructor the grade."""
        return translate("nb.ui.score_not_a_grade" if self.score is not None else "ui.not_a_grade", self.lang)

    def _header(self) -> str:
        return translate("nb.ui.header", self.lang, {"step": self.step, "title": say(self.title, self.lang)})

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return ({"text/plain": self.to_text(), "text/html": self.to_html()}, {"chatlab": self.machine()})

    def __repr__(self) -> str:
        return self.to_text()

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.to_text())


def _status_suffix(item: Item, lang: str) -> str:
    if item.advisory and item.status in ("passed", "failed"):
        return f" ({translate('ui.advisory', lang)})"
    if item.status == "passed":
        return ""
    key = "nb.ui.status.failed" if item.status == "failed" else f"ui.status.{item.status}"
    return f" — {translate(key, lang)}"


def _details(item: Item, lang: str) -> List[str]:
    """The why of an item, as plain lines (shared by both renderers' content)."""
    lines = []
    if item.message is not None:
        lines.append(say(item.message, lang))
    if item.status == "skipped":
        return lines
    if item.expected:
        lines.append(f"{translate('ui.expected', lang)}: {visible(item.expected)}")
    if item.actual is not None and (item.expected or item.actual):
        lines.append(f"{translate('ui.actual', lang)}: {visible(item.actual) or '—'}")
    if item.hint is not None:
        lines.append(f"{translate('ui.hint', lang)}: {say(item.hint, lang)}")
    if item.output:
        lines.append(f"{translate('nb.ui.output', lang)}:\n" + _tail(item.output))
    if item.transcript:
        lines.append(f"{translate('ui.transcript', lang)}:\n" + "\n".join(
            transcript_line(entry, lang) for entry in item.transcript[-TRANSCRIPT_TAIL:]))
    return lines


def _html_details(item: Item, lang: str) -> str:
    e = html.escape
    parts = ['<div style="margin-left:1.4em">']
    if item.message is not None:
        parts.append(f"<div>{e(say(item.message, lang))}</div>")
    if item.status != "skipped":
        for label, value in (("ui.expected", item.expected), ("ui.actual", item.actual)):
            if value:
                parts.append(f'<div><b>{e(translate(label, lang))}:</b> <code style="white-space:pre-wrap">'
                             f"{e(visible(value))}</code></div>")
        if item.hint is not None:
            parts.append(f'<div style="color:#0969da"><b>{e(translate("ui.hint", lang))}:</b> '
                         f"{e(say(item.hint, lang))}</div>")
        for label, body in (("nb.ui.output", _tail(item.output) if item.output else ""),
                            ("ui.transcript", "\n".join(transcript_line(entry, lang) for entry in item.transcript[-TRANSCRIPT_TAIL:]))):
            if body:
                parts.append(f"<details><summary>{e(translate(label, lang))}</summary>"
                             f'<pre style="font-size:85%;margin:2px 0">{e(body)}</pre></details>')
    parts.append("</div>")
    return "".join(parts)


def _tail(text: str) -> str:
    text = text.rstrip()
    return ("…" + text[-OUTPUT_TAIL:]) if len(text) > OUTPUT_TAIL else text


def transcript_line(entry: dict, lang: str = "en") -> str:
    """``  0.012s    alice → hello⏎`` — who did what, when, invisible characters shown."""
    arrow = ARROWS.get(entry.get("kind"), " ")
    text = entry_text(entry, lang).replace("⏎\n", "⏎").replace("\n", "⏎")
    if len(text) > 120:
        text = text[:117] + "…"
    return f"{entry.get('t', 0):7.3f}s {entry_who(entry, lang):>8} {arrow} {text}"
