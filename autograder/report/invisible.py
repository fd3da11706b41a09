"""Invisible characters made visible, for the renderers a person reads.

``expected``/``actual`` are raw text: ``shown`` marks line breaks (⏎, and
keeps the break), carriage returns (␍), tabs (⇥), escapes, NUL and other
control bytes, non-breaking and zero-width spaces, and spaces at the end of a
line (·) — the characters that make "it looks the same" differ.
A program's output (``server_output``) is stored raw and marked here, once.
Transcript entries were already made visible when recorded (``⏎`` followed
by the real break); ``label`` turns one into a single line for an arrow.
"""
from __future__ import annotations

import re

from autograder.i18n import translate
from autograder.wire.protocol import visible
from autograder.sandbox.excerpt import tail

SPECIAL = {
    "\u00a0": "⍽",  # no-break space
    "\u200b": "[ZWSP]",
    "\u200c": "[ZWNJ]",
    "\u200d": "[ZWJ]",
    "\u2060": "[WJ]",
    "\ufeff": "[BOM]",
}
_TRAILING = re.compile(r" +(?=␍?⏎|␍?\n|$)")
LIMIT = 4000


def extras(text: str) -> str:
    for char, mark in SPECIAL.items():
        text = text.replace(char, mark)
    return _TRAILING.sub(lambda m: "·" * len(m.group(0)), text)


def shown(text: str, limit: int = LIMIT) -> str:
    return extras(visible(text, limit))


def output(text: str, limit: int, lang: str) -> str:
    """A program's raw output for a report: its last lines within ``limit``
    characters, cut at a line's start, "… N earlier lines" above, marked once."""
    kept, earlier = tail(text, limit)
    head = translate("ui.report.earlier_lines", lang, {"count": earlier}) + "\n" if earlier else ""
    return head + shown(kept, limit + 200)


def label(text: str, limit: int = 90) -> str:
    """One transcript entry as one line (its breaks already marked ⏎)."""
    line = extras(text).replace("\n", "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
