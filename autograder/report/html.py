"""The report as one self-contained HTML file (no scripts, fonts or images to fetch).

Every check that did not pass is shown as a sequence diagram of its scenario
— the scripted users and the server as lanes, each message an arrow with
its time — beside what was expected and what was received, invisible
characters shown.  Reads the JSON report (schema 1) and the catalogue only.
"""
from __future__ import annotations

import unicodedata
from html import escape
from typing import List, Optional

from autograder.i18n import entry_text, entry_who, translate
from autograder.results import points_text, report_score_sentence
from autograder.report.invisible import label, output, shown

MARKS = {"passed": "✔", "failed": "✘", "skipped": "–", "error": "!", "manual": "?"}
COLOURS = {"send": "#0969da", "recv": "#1a7f37"}  # user → server, server → user

STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;
padding:0 1rem;color:#1d1d1f}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:1.8rem 0 .4rem}h3{font-size:.95rem;margin:.8rem 0 .3rem}
.score{font-size:1.3rem;font-weight:600}.dim{color:#6e6e73}
table.checks{border-collapse:collapse;margin:1rem 0;width:100%}
table.checks td,table.checks th{border-bottom:1px solid #e5e5ea;padding:.35rem .5rem;text-align:left}
td.num{text-align:right;white-space:nowrap}
.passed{color:#1a7f37}.failed{color:#cf222e}.skipped{color:#9a6700}.error{color:#8250df}
.mark{font-weight:700;width:1.5rem}
section.problem{border-top:2px solid #e5e5ea;margin-top:1.5rem}
.hint{background:#eef6ff;border-left:4px solid #0969da;padding:.4rem .7rem}
.grid{display:flex;flex-wrap:wrap;gap:1.2rem;align-items:flex-start}
.grid>div{flex:1 1 24rem;min-width:0}.grid>div.seq{flex:1 1 100%}
.diagram{overflow-x:auto;border:1px solid #e5e5ea;border-radius:6px;background:#fff}
pre{background:#f6f8fa;border:1px solid #e5e5ea;border-radius:6px;padding:.5rem .7rem;white-space:pre-wrap;
word-break:break-all;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;margin:0}
svg text{font:11px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
svg .lane{font-weight:700;font-family:system-ui,sans-serif;font-size:12px}
svg .halo{paint-order:stroke;stroke:#fff;stroke-width:3px}
footer{margin-top:2.5rem;font-size:.85rem;color:#6e6e73}
"""

ROW = 22  # px per transcript entry (more when its label wraps)
LINE = 14  # px per line of a wrapped label
TOP = 46
TIME_COLUMN = 64
LANE_GAP = 120  # px between lanes, up to five lanes
NARROW_LANE_GAP = 64  # more lanes (ten users at once): the picture still fits a 1280 px screen
CHAR = 7.0  # px per character of the 11 px monospace font, rounded up (DejaVu Sans Mono: 6.6; Menlo, Consolas: 6.6)
LABEL_CHARS = 44  # a label wraps at this many characters
LABEL_LIMIT = 3 * LABEL_CHARS  # longer labels end in "…" (the whole text is the tooltip)


def render(report: dict, lang: Optional[str] = None, show_hidden: bool = False) -> str:
    lang = lang or report.get("lang") or "en"
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731 - a local shorthand
    title = t("ui.report.title", submission=report.get("submission", ""))
    body: List[str] = [f"<h1>{escape(title)}</h1>",
                       f"<p class=\"score\">{escape(report_score_sentence(report).text(lang))}</p>"]
    if report.get("review"):
        body.append(f"<p class=\"manual\">{escape(t('ui.review', checks=', '.join(report['review'])))}</p>")
    body += [f"<p class=\"failed\">{escape(note)}</p>" for note in report.get("notes") or []]
    if report.get("error"):
        body.append(f"<p class=\"failed\">{escape(t('ui.error', error=report['error']))}</p>")
    else:
        body.append(f"<p>{escape(t('ui.variant', variant=report.get('variant', ''), reason=report.get('cap_reason') or ''))}</p>")
        files = report.get("files") or {}
        if files:
            body.append(f"<p class=\"dim\">{escape(t('ui.files', server=files.get('server', '—'), client=files.get('client', '—')))}</p>")
        if report.get("detected", {}).get("uses_threading") is False:
            body.append(f"<p class=\"failed\">{escape(t('ui.threading_penalty', factor=report.get('threading_factor', 0.5)))}</p>")
        checks = [c for c in report.get("checks", []) if show_hidden or not c.get("hidden")]
        body.append(checks_table(checks, lang))
        problems = [c for c in checks if c["status"] in ("failed", "error", "manual")]
        if not problems:
            body.append(f"<p class=\"passed\">{escape(t('ui.report.all_passed'))}</p>")
        body += [problem_section(c, lang) for c in problems]
    body.append(footer(report, lang))
    return ("<!DOCTYPE html>\n"
            f"<html lang=\"{escape(lang)}\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def checks_table(checks: List[dict], lang: str) -> str:
    t = lambda key: translate(key, lang)  # noqa: E731
    rows = [f"<tr><th></th><th>{escape(t('ui.report.check'))}</th><th>{escape(t('ui.report.status'))}</th>"
            f"<th class=\"num\">{escape(t('ui.report.points'))}</th></tr>"]
    for check in checks:
        status = check["status"]
        name = escape(check.get("title") or check["id"])
        if status in ("failed", "error", "manual"):
            name = f"<a href=\"#check-{escape(check['id'])}\">{name}</a>"
        way = check.get("driven_by") or "wire"
        if way != "wire":
            how = check.get("driven_how") or way
            name += f" <span class=\"dim\">({escape(t(f'ui.driven.{how}'))})</span>"
        note = f"<div class=\"dim\">{escape(check['message'])}</div>" if status == "skipped" and check.get("message") else ""
        rows.append(f"<tr class=\"{status}\"><td class=\"mark\">{MARKS.get(status, '')}</td>"
                    f"<td>{name} <span class=\"dim\">[{escape(check['id'])}]</span>{note}</td>"
                    f"<td>{escape(t(f'ui.status.{status}'))}</td>"
                    f"<td class=\"num\">{_points(check, t)}</td></tr>")
    return "<table class=\"checks\">" + "".join(rows) + "</table>"


def _points(check: dict, t) -> str:
    """A failed check worth nothing is advice: say so rather than "0 / 0"."""
    if not check["max_points"] and check["status"] in ("passed", "failed"):
        return escape(t("ui.advisory"))
    return f"{points_text(check['points'])} / {points_text(check['max_points'])}"


def problem_section(check: dict, lang: str) -> str:
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731
    out = [f"<section class=\"problem\" id=\"check-{escape(check['id'])}\">",
           f"<h2 class=\"{check['status']}\">{MARKS.get(check['status'], '')} {escape(check.get('title') or check['id'])}</h2>"]
    if check.get("message"):
        out.append(f"<p>{escape(check['message'])}</p>")
    if check.get("hint"):
        out.append(f"<p class=\"hint\"><b>{escape(t('ui.hint'))}:</b> {escape(check['hint'])}</p>")
    left = []
    transcript = check.get("transcript") or []
    if transcript:
        left.append(f"<h3>{escape(t('ui.report.sequence'))}</h3><div class=\"diagram\">{sequence_svg(transcript, lang)}</div>")
    right = []
    actual = check.get("actual") or (t("ui.nothing_arrived") if check.get("expected") else None)
    for key, value in (("ui.expected", check.get("expected")), ("ui.actual", actual)):
        if value:
            right.append(f"<h3>{escape(t(key))}</h3><pre>{escape(shown(value))}</pre>")
    if check.get("server_output"):
        right.append(f"<h3>{escape(t('ui.server_said'))}</h3><pre>{escape(output(check['server_output'], 3000, lang))}</pre>")
    if left or right:
        out.append("<div class=\"grid\">" + (f"<div class=\"seq\">{''.join(left)}</div>" if left else "")
                   + (f"<div>{''.join(right)}</div>" if right else "") + "</div>")
    out.append("</section>")
    return "\n".join(out)


def sequence_svg(transcript: List[dict], lang: str) -> str:
    """Lanes for the server and every user, an arrow per message, a dot per event.

    Every label sits in a column of its own right of the lanes, so no label
    covers an arrow or its head, and wraps at ``LABEL_CHARS`` characters, so
    the picture's width is known and every label is whole inside it (checked
    in headless Chromium by ``tests/test_report_diagram.py``)."""
    server = translate("ui.report.server", lang)
    users: List[str] = []
    for entry in transcript:
        who = entry_who(entry, lang)
        if who and who not in users and who != server:
            users.append(who)
    lanes = [server] + users
    gap = LANE_GAP if len(lanes) <= 5 else NARROW_LANE_GAP
    x = {name: TIME_COLUMN + 50 + i * gap for i, name in enumerate(lanes)}
    labels_at = x[lanes[-1]] + 24
    width = labels_at + int(LABEL_CHARS * CHAR) + 12
    rows = []
    for entry in transcript:
        who = entry_who(entry, lang)
        kind = entry.get("kind")
        text = entry_text(entry, lang)
        arrow = kind in ("send", "recv") and who in x
        said = label(text, LABEL_LIMIT) if arrow else ((who + ": ") if who else "") + label(text, LABEL_LIMIT)
        rows.append((entry, who, kind, text, arrow, wrap(said, LABEL_CHARS)))
    height = TOP + sum(max(ROW, LINE * len(lines) + 8) for *_, lines in rows) + ROW
    parts = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" "
             f"viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{escape(translate('ui.report.sequence', lang))}\">",
             "<defs>" + "".join(
                 f"<marker id=\"{kind}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" "
                 f"markerHeight=\"7\" orient=\"auto\"><path d=\"M0 0L10 5L0 10z\" fill=\"{colour}\"/></marker>"
                 for kind, colour in COLOURS.items()) + "</defs>",
             f"<text x=\"4\" y=\"20\" fill=\"#6e6e73\">{escape(translate('ui.report.time', lang))}</text>"]
    fits = max(3, int(gap / CHAR) - 1)  # a lane's name, centred, stays between its neighbours
    for name in lanes:
        colour = "#1d1d1f" if name == server else "#0969da"
        shown_name = escape(name) if len(name) <= fits else f"<title>{escape(name)}</title>{escape(name[: fits - 1])}…"
        parts.append(f"<line x1=\"{x[name]}\" y1=\"{TOP - 14}\" x2=\"{x[name]}\" y2=\"{height - 4}\" "
                     f"stroke=\"#d0d7de\" stroke-dasharray=\"4 3\"/>")
        parts.append(f"<text class=\"lane\" x=\"{x[name]}\" y=\"20\" text-anchor=\"middle\" fill=\"{colour}\">"
                     f"{shown_name}</text>")
    y = TOP
    for entry, who, kind, text, arrow, lines in rows:
        tall = max(ROW, LINE * len(lines) + 8)
        mid = y + 8
        parts.append(f"<text x=\"4\" y=\"{mid + 4}\" fill=\"#6e6e73\">{float(entry.get('t') or 0):.3f}</text>")
        tooltip = f"<title>{escape(text)}</title>"
        if arrow:
            start, end = (x[who], x[server]) if kind == "send" else (x[server], x[who])
            colour = COLOURS[kind]
            parts.append(f"<g><line x1=\"{start}\" y1=\"{mid}\" x2=\"{end}\" y2=\"{mid}\" stroke=\"{colour}\" "
                         f"stroke-width=\"1.5\" marker-end=\"url(#{kind})\"/>{tooltip}</g>")
            style = f"fill=\"{colour}\""
        else:
            parts.append(f"<circle cx=\"{x.get(who, x[server])}\" cy=\"{mid}\" r=\"3\" fill=\"#6e6e73\"/>")
            style = "fill=\"#6e6e73\" font-style=\"italic\""
        spans = "".join(f"<tspan x=\"{labels_at}\" dy=\"{0 if i == 0 else LINE}\">{escape(line)}</tspan>"
                        for i, line in enumerate(lines))
        parts.append(f"<text class=\"label\" x=\"{labels_at}\" y=\"{mid + 4}\" {style}>{spans}{tooltip}</text>")
        y += tall
    parts.append("</svg>")
    return "".join(parts)


def wrap(text: str, columns: int) -> List[str]:
    """``text`` in lines of at most ``columns`` cells (a wide character takes two), broken at spaces when it can."""
    lines, line, used, space = [], "", 0, -1
    for char in text:
        cells = 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        if used + cells > columns:
            if char == " ":  # the line ends where the word did
                lines.append(line)
                line, used, space = "", 0, -1
                continue
            if space > 0:  # carry the unfinished word to the next line
                lines.append(line[:space])
                line = line[space + 1:]
            else:
                lines.append(line)
                line = ""
            used, space = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line), -1
        if char == " ":
            space = len(line)
        line += char
        used += cells
    return lines + [line] if line or not lines else lines


def footer(report: dict, lang: str) -> str:
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731
    layers = [t(f"ui.layer.{layer}") if f"ui.layer.{layer}" != t(f"ui.layer.{layer}") else layer
              for layer in report.get("sandbox") or []]
    lines = [t("ui.report.invisible")]
    if layers:
        lines.append(t("ui.report.sandbox", layers="; ".join(layers)))
    if report.get("duration"):
        lines.append(t("ui.duration", seconds=round(float(report["duration"]), 1)))
    lines.append(t("ui.not_a_grade"))
    return "<footer>" + "".join(f"<p>{escape(line)}</p>" for line in lines) + "</footer>"
