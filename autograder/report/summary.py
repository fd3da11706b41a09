"""The class at a glance: live progress while grading, a summary at the end.

``summarize`` turns the rows of a batch into data (distribution, the checks
most often failed, the submissions that could not be graded and why);
``render_console`` and ``render_markdown`` turn that data into text.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
from typing import Dict, Optional

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from autograder.i18n import translate

BUCKETS = [(0, 10), (10, 20), (20, 30), (30, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 90), (90, 100)]
MARKS = {"graded": ("✔", "green"), "ungradable": ("✘", "red"), "error": ("!", "magenta"), "timeout": ("⧗", "magenta"),
         "not_found": ("∅", "yellow")}
FRAGMENT_LINES = 12  # of the shared code shown for a similar pair


class LiveProgress:
    """A progress bar with done / failed / running, and a line per finished submission."""

    def __init__(self, total: int, lang: str, console: Optional[Console] = None) -> None:
        self.total = total
        self.lang = lang
        self.console = console or Console(stderr=True)
        self.done_count = self.failed = self.running = 0
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                 MofNCompleteColumn(), TimeElapsedColumn(), console=self.console, transient=True)
        self.task = None
        self._running: set = set()

    def __enter__(self) -> "LiveProgress":
        self.progress.start()
        self.task = self.progress.add_task(self._description(), total=self.total)
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def _description(self) -> str:
        return translate("ui.batch.progress", self.lang,
                         {"done": self.done_count, "total": self.total, "failed": self.failed, "running": self.running})

    def started(self, entry) -> None:
        self._running.add(entry.name)
        self.running = len(self._running)
        self.progress.update(self.task, description=self._description())

    def done(self, row) -> None:
        self._running.discard(row.name)
        self.running = len(self._running)
        self.done_count += 1
        if row.status != "graded":
            self.failed += 1
        mark, colour = MARKS.get(row.status, ("?", "white"))
        line = Text()
        line.append(f" {mark} ", style=f"bold {colour}")
        line.append(row.name)
        line.append(f"  {row.score:g}/{row.report.get('max_score') or 0:g}", style=colour)
        if row.report.get("review"):  # the rest waits for a person (autograde review)
            line.append("  " + translate("ui.summary.pending", self.lang, {"score_up_to": row.report.get(
                "score_up_to", row.score), "count": len(row.report["review"])}), style="blue")
        line.append(f"  {status_word(row.status, self.lang)}", style="dim")
        line.append("  " + translate("ui.seconds", self.lang, {"seconds": f"{row.seconds:.1f}"}), style="dim")
        if row.report.get("error"):
            line.append(f"  {row.report['error'][:120]}", style="dim")
        self.progress.console.print(line)
        self.progress.update(self.task, advance=1, description=self._description())


def summarize(rows, lang: str, duration: float = 0.0, similar=()) -> dict:
    """The class as data; ``similar``: ``similarity.Pair`` values (a signal, not a penalty)."""
    scores = [row.score for row in rows if row.status == "graded"]
    distribution = []
    for low, high in BUCKETS:
        count = sum(1 for s in scores if low <= s < high or (high == 100 and s >= 100))
        distribution.append({"range": f"{low}–{high}" if high < 100 else f"{low}–100", "count": count})
    failed: Counter = Counter()
    titles: Dict[str, str] = {}
    for row in rows:
        for check in row.report.get("checks", []):
            titles.setdefault(check["id"], check.get("title") or check["id"])
            if check["status"] in ("failed", "error"):
                failed[check["id"]] += 1
    return {
        "count": len(rows),
        "graded": len(scores),
        "statuses": {status: sum(1 for r in rows if r.status == status) for status in MARKS},
        "mean": round(statistics.mean(scores), 1) if scores else None,
        "median": round(statistics.median(scores), 1) if scores else None,
        "distribution": distribution,
        "most_failed": [{"id": cid, "title": titles[cid], "count": count} for cid, count in failed.most_common(8)],
        "not_graded": [{"name": r.name, "status": r.status, "reason": r.report.get("error") or ""}
                       for r in rows if r.status != "graded"],
        "similar": [{**pair.as_dict(), "fragment": _clip(pair.fragment), "message": pair.message().text(lang)}
                    for pair in similar],
        "course": course_summary(rows),
        "duration": round(duration, 1),
        "lang": lang,
    }


def course_summary(rows) -> Optional[dict]:
    """Course runs: how many students' tasks were found, which were ambiguous (with the candidates)."""
    metas = [(row.name, getattr(row, "meta", {})) for row in rows]
    if not any("task_status" in meta for _, meta in metas):
        return None
    statuses = Counter(meta.get("task_status") for _, meta in metas)
    return {"students": len(metas), "found": statuses["found"] + statuses["ambiguous"],
            "ambiguous": [{"name": name, "graded": meta.get("task_path", ""), "candidates": meta.get("candidates", [])}
                          for name, meta in metas if meta.get("task_status") == "ambiguous"],
            "not_found": [name for name, meta in metas if meta.get("task_status") == "not_found"]}


def _clip(text: str) -> str:
    lines = text.splitlines()
    return "\n".join(lines[:FRAGMENT_LINES] + (["…"] if len(lines) > FRAGMENT_LINES else []))


def render_console(summary: dict, console: Optional[Console] = None) -> None:
    console = console or Console()
    lang = summary["lang"]
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731 - a local shorthand
    console.print()
    console.print(Text(t("ui.summary.title", count=summary["count"]), style="bold"))
    console.print(t("ui.summary.scores", graded=summary["graded"], count=summary["count"],
                    mean=_dash(summary["mean"]), median=_dash(summary["median"])))
    console.print(Text(t("ui.summary.duration", seconds=summary["duration"]), style="dim"))
    widest = max((b["count"] for b in summary["distribution"]), default=0) or 1
    table = Table(title=t("ui.summary.distribution"), show_header=False, box=None, title_justify="left")
    for bucket in summary["distribution"]:
        table.add_row(bucket["range"], "█" * round(20 * bucket["count"] / widest), str(bucket["count"]))
    console.print(table)
    if summary["most_failed"]:
        failed = Table(title=t("ui.summary.most_failed"), show_header=False, box=None, title_justify="left")
        for item in summary["most_failed"]:
            failed.add_row(str(item["count"]), item["title"], Text(f"[{item['id']}]", style="dim"))
        console.print(failed)
    if summary["not_graded"]:
        console.print(Text(t("ui.summary.not_graded"), style="bold"))
        for item in summary["not_graded"]:
            console.print(f"  {item['name']}: {status_word(item['status'], lang)} — {item['reason']}")
    if summary.get("course"):
        counts, ambiguous = _course_lines(summary["course"], lang)
        console.print(Text(counts, style="bold"))
        for name, text in ambiguous:
            console.print(Text(f"  {name}: {text}"))
    if summary.get("similar"):
        console.print(Text(t("ui.summary.similar"), style="bold"))
        for item in summary["similar"]:
            console.print(Text(f"  {item['message']}"))
            console.print(Text("\n".join("      " + line for line in item["fragment"].splitlines()), style="dim"))


def render_markdown(summary: dict) -> str:
    lang = summary["lang"]
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731
    lines = [f"# {t('ui.summary.title', count=summary['count'])}", "",
             t("ui.summary.scores", graded=summary["graded"], count=summary["count"],
               mean=_dash(summary["mean"]), median=_dash(summary["median"])), "",
             t("ui.summary.duration", seconds=summary["duration"]), "",
             f"## {t('ui.summary.distribution')}", "", "| | |", "|---|---|"]
    lines += [f"| {b['range']} | {b['count']} |" for b in summary["distribution"]]
    lines += ["", f"## {t('ui.summary.most_failed')}", ""]
    lines += [f"- {item['title']} (`{item['id']}`): {item['count']}" for item in summary["most_failed"]] or \
        [f"- {t('ui.none')}"]
    lines += ["", f"## {t('ui.summary.not_graded')}", ""]
    lines += [f"- **{_md(item['name'])}**: {status_word(item['status'], lang)} — {_md(item['reason'])}"
              for item in summary["not_graded"]] or [f"- {t('ui.none')}"]
    if summary.get("course"):
        counts, ambiguous = _course_lines(summary["course"], lang)
        lines += ["", f"## {t('ui.course.title')}", "", counts, ""]
        lines += [f"- **{_md(name)}**: {_md(text)}" for name, text in ambiguous]
    lines += ["", f"## {t('ui.summary.similar')}", ""]
    for item in summary.get("similar", []):
        fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", item["fragment"])), default=0))
        lines += [f"- {_md(item['message'])}", "", f"  {fence}python"]
        lines += [f"  {line}" for line in item["fragment"].splitlines()] + [f"  {fence}", ""]
    if not summary.get("similar"):
        lines += [f"- {t('ui.none')}"]
    return "\n".join(lines) + "\n"


def _course_lines(course: dict, lang: str):
    """The counts line, and (student, "several candidates …") for each ambiguous one."""
    counts = translate("ui.course.counts", lang, {"students": course["students"], "found": course["found"],
                                                  "ambiguous": len(course["ambiguous"]),
                                                  "not_found": len(course["not_found"])})
    return counts, [(item["name"], translate("ui.course.ambiguous", lang,
                                             {"candidates": "; ".join(item["candidates"]), "graded": item["graded"]}))
                    for item in course["ambiguous"]]


def status_word(status: str, lang: str) -> str:
    return translate(f"ui.batch.status.{status}", lang)


def _dash(value) -> str:
    return "—" if value is None else f"{value:g}"


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("*", "\\*").replace("_", "\\_").replace("\n", " ")
