"""``--live``: the grader's conversation with a submission, as it happens.

For a projector: each scripted user in its own colour, what it sends and
receives, and each check's verdict as it lands.  On a pipe, rich prints
the same words without colour codes.
"""
from __future__ import annotations

import sys
import threading
from typing import Dict, Optional

from rich.console import Console
from rich.text import Text

from .i18n import entry_text, entry_who, translate
from .protocol import visible
from .report.text import MARKS

PALETTE = ("bright_cyan", "bright_magenta", "bright_yellow", "bright_green", "bright_blue", "orange1",
           "deep_pink2", "spring_green2", "gold1", "medium_purple1")
ARROWS = {"send": "→", "recv": "←", "type": "⌨", "note": "·"}
MAX_TEXT = 100


class LiveView:
    """An observer of one grading run (see ``plugin.GradingContext.observer``)."""

    def __init__(self, console: Optional[Console] = None, lang: str = "en") -> None:
        # Bound to the real stdout now: the runner silences pytest's own output later.
        self.console = console or Console(file=sys.stdout, highlight=False)
        self.lang = lang
        self._colours: Dict[str, str] = {}
        self._lock = threading.Lock()

    def _colour(self, who: str) -> str:
        if who not in self._colours:
            self._colours[who] = PALETTE[len(self._colours) % len(PALETTE)]
        return self._colours[who]

    def check_started(self, check_id: str, title_key: Optional[str] = None) -> None:
        title = translate(title_key or f"check.{check_id}", self.lang)
        with self._lock:
            self.console.print()
            self.console.print(Text(f"▶ {title}  [{check_id}]", style="bold white on grey23"))

    def entry(self, entry: dict) -> None:
        who = entry_who(entry, self.lang)
        text = entry_text(entry, self.lang).replace("⏎\n", " ").replace("\n", " ").strip()
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        line = Text(f"{entry['t']:6.2f}s ", style="dim")
        line.append(f"{who:>8} ", style=f"bold {self._colour(who)}")
        line.append(f"{ARROWS.get(entry['kind'], ' ')} ", style="bold")
        line.append(text, style="italic dim" if entry["kind"] == "note" else self._colour(who))
        with self._lock:
            self.console.print(line)

    def check_finished(self, result) -> None:
        mark, colour = MARKS[result.status]
        line = Text(f"{mark} {result.title(self.lang)}", style=f"bold {colour}")
        with self._lock:
            self.console.print(line)
            if result.message and result.status != "passed":
                self.console.print(Text("  " + visible(result.message.text(self.lang), 2000), style=colour))
