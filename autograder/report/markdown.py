"""The report a student sees pasted into an LMS comment (Markdown).

Short on top (score, variant, one line per check), then for every check that
did not pass: what went wrong, the hint, expected vs received with invisible
characters shown, and the last steps of the scenario.  Reads the JSON report
(schema 1) and the catalogue; knows no check by name.
"""
from __future__ import annotations

import re
from typing import List, Optional

from autograder.i18n import entry_text, entry_who, translate
from autograder.results import points_text, report_score_sentence
from autograder.report.invisible import label, output, shown

MARKS = {"passed": "✅", "failed": "❌", "skipped": "⏭️", "error": "⚠️", "manual": "👀"}
TRANSCRIPT_TAIL = 14


def render(report: dict, lang: Optional[str] = None, show_hidden: bool = False) -> str:
    lang = lang or report.get("lang") or "en"
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731 - a local shorthand
    out: List[str] = [f"## {t('ui.report.title', submission=escape(report.get('submission', '')))}", ""]
    out.append(f"**{report_score_sentence(report).text(lang)}**")
    out.append("")
    if report.get("review"):
        out += [f"{MARKS['manual']} {t('ui.review', checks=', '.join(report['review']))}", ""]
    out += [f"⚠️ {escape(note)}\n" for note in report.get("notes") or []]
    if report.get("error"):
        out += [t("ui.error", error=escape(report["error"])), ""]
        return finish(out, report, lang)
    out.append(t("ui.variant", variant=report.get("variant", ""), reason=report.get("cap_reason") or ""))
    files = report.get("files") or {}
    if files:
        out.append("")
        out.append(t("ui.files", server=f"`{files.get('server', '—')}`", client=f"`{files.get('client', '—')}`"))
    out.append("")
    checks = [c for c in report.get("checks", []) if show_hidden or not c.get("hidden")]
    out += [f"| | {t('ui.report.check')} | {t('ui.report.points')} |", "|---|---|---|"]
    for check in checks:
        way = check.get("driven_by") or "wire"
        how = check.get("driven_how") or way
        driven = f" _({t(f'ui.driven.{how}')})_" if way != "wire" else ""
        out.append(f"| {MARKS.get(check['status'], '')} | {escape(check.get('title') or check['id'])}{driven} "
                   f"| {_points(check, t)} |")
    out.append("")
    if report.get("detected", {}).get("uses_threading") is False:
        out += [f"⚠️ {t('ui.threading_penalty', factor=report.get('threading_factor', 0.5))}", ""]
    problems = [c for c in checks if c["status"] in ("failed", "error", "manual")]
    if not problems:
        out += [t("ui.report.all_passed"), ""]
    for check in problems:
        out += check_section(check, lang)
    skipped = [c for c in checks if c["status"] == "skipped"]
    if skipped:
        out += [f"### {MARKS['skipped']} {t('ui.report.skipped')}", ""]
        out += [f"- {escape(c.get('title') or c['id'])}: {escape(c.get('message') or '')}" for c in skipped]
        out.append("")
    return finish(out, report, lang)


def check_section(check: dict, lang: str) -> List[str]:
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731
    out = [f"### {MARKS.get(check['status'], '')} {escape(check.get('title') or check['id'])}", ""]
    if check.get("message"):
        out += [escape(check["message"]), ""]
    if check.get("hint"):
        out += [f"💡 **{t('ui.hint')}:** {escape(check['hint'])}", ""]
    actual = check.get("actual") or (t("ui.nothing_arrived") if check.get("expected") else None)
    for key, value in ((t("ui.expected"), check.get("expected")), (t("ui.actual"), actual)):
        if value:
            out += [f"**{key}:**", ""] + fenced(shown(value))
    transcript = check.get("transcript") or []
    if transcript:
        tail = transcript[-TRANSCRIPT_TAIL:]
        rows = [transcript_row(entry, lang) for entry in tail]
        if len(transcript) > len(tail):
            rows.insert(0, t("ui.report.earlier_steps", count=len(transcript) - len(tail)))
        out += [f"<details><summary>{t('ui.transcript')}</summary>", ""] + fenced("\n".join(rows)) + ["</details>", ""]
    if check.get("server_output"):
        out += [f"**{t('ui.server_said')}:**", ""] + fenced(output(check["server_output"], 1500, lang))
    return out


def transcript_row(entry: dict, lang: str) -> str:
    server = translate("ui.report.server", lang)
    who = entry_who(entry, lang)
    arrow = {"send": f"{who} → {server}", "recv": f"{server} → {who}"}.get(entry.get("kind"), f"· {who}")
    return f"{float(entry.get('t') or 0):7.3f}s  {arrow}: {label(entry_text(entry, lang), 110)}"


def fenced(text: str) -> List[str]:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", text.rstrip("\n"), fence, ""]


def finish(out: List[str], report: dict, lang: str) -> str:
    out.append(f"<sub>{translate('ui.not_a_grade', lang)}</sub>")
    return "\n".join(out) + "\n"


def escape(text: str) -> str:
    """Markdown and HTML that a student's text must not trigger in an LMS comment."""
    text = str(text).replace("\\", "\\\\")
    text = re.sub(r"([`*_\[\]|<>#])", r"\\\1", text)
    return text.replace("\n", " ")




def _points(check: dict, t) -> str:
    """A failed check worth nothing is advice: say so rather than "0 / 0"."""
    if not check["max_points"] and check["status"] in ("passed", "failed"):
        return f"_{t('ui.advisory')}_"
    return f"{points_text(check['points'])} / {points_text(check['max_points'])}"
