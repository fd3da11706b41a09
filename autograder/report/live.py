"""``--live``: the grader's conversation with a submission, for a projector.

A room must be able to follow it, so the view is paced and bounded: each
check gets a header, at most ``LINES_PER_CHECK`` lines of its conversation
(how it began, as it happens, then "… N more" and how it ended), and its verdict; lines leave at most one per ``pace``
seconds, from a printer thread, so the grading itself never waits for the
screen.  One message per line (a ``recv`` holding two messages is shown as
two lines), and one clock: seconds since the view started, taken when a
line was seen, so time never goes backwards.  Each scripted user has its
own colour; on a pipe rich prints the same words without colour codes.
"""
from __future__ import annotations

import queue
import sys
import threading
import time
from collections import deque
from typing import Dict, List, Optional

from rich.console import Console
from rich.text import Text

from autograder.i18n import entry_text, entry_who, translate
from autograder.wire.protocol import visible
from autograder.report.text import MARKS

PALETTE = ("bright_cyan", "bright_magenta", "bright_yellow", "bright_green", "bright_blue", "orange1",
           "deep_pink2", "spring_green2", "gold1", "medium_purple1")
ARROWS = {"send": "→", "recv": "←", "type": "⌨", "note": "·"}
MAX_TEXT = 100
LINES_PER_CHECK = 12  # a room reads a dozen lines of a check; the report holds the rest
OPENING_LINES = 4  # of those, how the check began (shown as it happens); the rest is how it ended
DEFAULT_PACE = 0.15  # seconds between lines with --live: ~7 lines a second, readable aloud


def messages_of(entry: dict, lang: str) -> List[str]:
    """An entry as the messages it holds, one per line (recorded breaks are ``⏎`` + newline)."""
    text = entry_text(entry, lang)
    parts = [part.replace("\n", " ").strip() for part in text.split("⏎\n")]
    parts = [part for part in parts if part] or [text.replace("\n", " ").strip()]
    return [part if len(part) <= MAX_TEXT else part[: MAX_TEXT - 1] + "…" for part in parts]


class LiveView:
    """An observer of one grading run (see ``grading.session.Session.observer``)."""

    def __init__(self, console: Optional[Console] = None, lang: str = "en", pace: float = 0.0,
                 lines_per_check: int = LINES_PER_CHECK) -> None:
        # Bound to the stdout of the moment it is made (a test may swap sys.stdout afterwards).
        self.console = console or Console(file=sys.stdout, highlight=False)
        self.lang = lang
        self.pace = max(0.0, pace)
        self.lines_per_check = lines_per_check
        self.started = time.monotonic()
        self._colours: Dict[str, str] = {}
        self._lock = threading.Lock()
        self._shown = 0
        self._held_back = 0
        self._ending: deque = deque(maxlen=max(0, lines_per_check - OPENING_LINES))
        self._lines: "queue.Queue[Optional[tuple]]" = queue.Queue()
        self._printer = threading.Thread(target=self._print_lines, name="live-view", daemon=True)
        self._printer.start()

    # -- what the grader tells the view ---------------------------------------------
    def check_started(self, check_id: str, title_key: Optional[str] = None) -> None:
        title = translate(title_key or f"check.{check_id}", self.lang)
        with self._lock:
            self._shown = self._held_back = 0
            self._ending.clear()
            self._lines.put((Text(""), False))
            self._lines.put((Text(f"▶ {title}  [{check_id}]", style="bold white on grey23"), True))

    def entry(self, entry: dict) -> None:
        seen = time.monotonic() - self.started
        who = entry_who(entry, self.lang)
        with self._lock:
            for text in messages_of(entry, self.lang):
                line = Text(f"{seen:6.2f}s ", style="dim")
                line.append(f"{who:>8} ", style=f"bold {self._colour(who)}")
                line.append(f"{ARROWS.get(entry['kind'], ' ')} ", style="bold")
                line.append(text, style="italic dim" if entry["kind"] == "note" else self._colour(who))
                if self._shown < min(OPENING_LINES, self.lines_per_check):
                    self._shown += 1
                    self._lines.put((line, True))
                else:
                    if len(self._ending) == self._ending.maxlen:
                        self._held_back += 1
                    self._ending.append(line)

    def check_finished(self, result) -> None:
        mark, colour = MARKS[result.status]
        with self._lock:
            if self._held_back:
                more = translate("ui.live.more", self.lang, {"count": self._held_back})
                self._lines.put((Text(f"         {more}", style="dim"), False))
            for line in self._ending:
                self._lines.put((line, True))
            self._ending.clear()
            self._lines.put((Text(f"{mark} {result.title(self.lang)}", style=f"bold {colour}"), True))
            if result.message and result.status != "passed":
                self._lines.put((Text("  " + visible(result.message.text(self.lang), 2000), style=colour), False))

    def close(self, timeout: float = 600.0) -> None:
        """Grading is over: let the room read what is still to come, then return."""
        self._lines.put(None)
        self._printer.join(timeout)

    # -- the screen --------------------------------------------------------------------
    def _colour(self, who: str) -> str:
        if who not in self._colours:
            self._colours[who] = PALETTE[len(self._colours) % len(PALETTE)]
        return self._colours[who]

    def _print_lines(self) -> None:
        while True:
            item = self._lines.get()
            if item is None:
                return
            line, paced = item
            self.console.print(line)
            if paced and self.pace:
                time.sleep(self.pace)  # the room's reading speed, not a wait for an event
