"""The report a person reads in a terminal: a line per check, then the why.

Rendered with rich: colours and symbols on a terminal, plain text on a pipe
(rich decides), the same words either way.
"""
from __future__ import annotations

from typing import Optional

from rich.console import Console
from rich.text import Text

from autograder.i18n import entry_text, entry_who, translate
from autograder.wire.protocol import visible
from autograder.results import CheckResult, Report, said
from autograder.report.detected import in_words
from autograder.sandbox.excerpt import tail
from autograder.report.invisible import label, shown

MARKS = {"passed": ("✔", "green"), "failed": ("✘", "red"), "skipped": ("–", "yellow"), "error": ("!", "magenta"),
         "manual": ("?", "blue")}


def render(report: Report, lang: str, console: Optional[Console] = None, show_hidden: bool = False) -> None:
    console = console or Console()
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731 - a local shorthand
    console.print(Text(t("ui.title", submission=visible(report.submission)), style="bold"))
    if report.files:  # names a student chose: an ESC in one must not reach the terminal
        console.print(Text(t("ui.files", server=visible(said(report.files.get("server", "—"), lang)),
                             client=visible(said(report.files.get("client", "—"), lang)))))
    for note in report.notes:
        console.print(Text(note.text(lang), style="yellow"))
    if report.error:
        console.print(Text(t("ui.error", error=visible(report.error.text(lang), 2000)), style="bold red"))
        console.print(Text(report.score_sentence().text(lang), style="bold"))
        return
    console.print(t("ui.variant", variant=report.variant,
                    reason=report.cap_reason.text(lang) if report.cap_reason else ""))
    if report.detected:
        facts = in_words(report.detected, lang)
        if facts:
            console.print(Text(t("ui.detected", detected=facts), style="dim"))
    console.print()
    for result in report.checks:
        if result.hidden and not show_hidden:
            continue
        render_check(console, result, lang)
    console.print()
    if report.detected.get("uses_threading") is False:
        console.print(Text(t("ui.threading_penalty", factor=report.threading_factor), style="yellow"))
    console.print(Text(report.score_sentence().text(lang), style="bold"))
    if report.review:
        console.print(Text(t("ui.review", checks=", ".join(report.review)), style="bold blue"))
    console.print(Text(t("ui.duration", seconds=round(report.duration, 1)), style="dim"))


def render_check(console: Console, result: CheckResult, lang: str) -> None:
    mark, colour = MARKS[result.status]
    line = Text()
    line.append(f" {mark} ", style=f"bold {colour}")
    line.append(result.title(lang))
    line.append(f"  [{result.id}]", style="dim")
    if result.driven_by != "wire":
        line.append(f"  ({translate(f'ui.driven.{result.driven_how or result.driven_by}', lang)})", style="dim")
    if result.max_points == 0 and result.status in ("passed", "failed"):
        line.append(f"  ({translate('ui.advisory', lang)})", style="yellow")
    else:
        line.append(f"  {format_points(result.points)}/{format_points(result.max_points)}", style=colour)
    console.print(line)
    if result.status == "passed":
        return
    t = lambda key: translate(key, lang)  # noqa: E731
    if result.message:
        console.print(Text("     " + visible(result.message.text(lang), 2000), style=colour))
    if result.status in ("skipped", "manual"):
        return
    expected = said(result.expected, lang)
    actual = result.actual or (t("ui.nothing_arrived") if expected else None)
    for name, value in ((t("ui.expected"), expected), (t("ui.actual"), actual)):
        if value:
            console.print(Text(f"     {name}: {label(shown(value), 300)}", style="dim"))
    if result.hint:
        console.print(Text(f"     {t('ui.hint')}: {result.hint.text(lang)}", style="cyan"))
    if result.server_output:
        console.print(Text(f"     {t('ui.server_said')}:", style="dim"))
        kept, earlier = tail(result.server_output, 800)
        rows = kept.splitlines()[-8:]
        earlier += len(kept.splitlines()) - len(rows)
        if earlier:
            console.print(Text("       " + translate("ui.report.earlier_lines", lang, {"count": earlier}), style="dim"))
        for row in rows:
            console.print(Text("       " + shown(row), style="dim"))
    if result.transcript:
        console.print(Text(f"     {t('ui.transcript')}:", style="dim"))
        for entry in result.transcript[-14:]:
            console.print(Text("       " + transcript_line(entry, lang), style="dim"))


def transcript_line(entry: dict, lang: str = "en") -> str:
    server = translate("ui.report.server", lang)
    arrow = {"send": f"→ {server}", "recv": f"← {server}", "note": "  ",
             "type": f"⌨ {translate('ui.transcript.types', lang)}"}.get(entry["kind"], "")
    text = entry_text(entry, lang).replace("\n", " ")
    if len(text) > 110:
        text = text[:107] + "…"
    return f"{entry['t']:7.3f}s {entry_who(entry, lang):>6} {arrow}: {text}"


def format_points(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"
