"""One report's score as line items that add up: what platforms show per test.

Each check is worth its rubric points scaled to the variant's cap, so the
items of a full-marks TCP chat add up to 100; a lower cap and the threading
factor appear as items of their own, so the sum is always the report's score
(rounding goes into the last item) and a student can see where points went.
"""
from __future__ import annotations

from typing import List

from ..i18n import translate
from ..results import UNSCORED


def items(report: dict, lang: str) -> List[dict]:
    """[{id, name, score, max_score, status: passed|failed, output, hidden}]"""
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731 - a local shorthand
    score = float(report.get("score") or 0.0)
    full = 100.0
    if report.get("error") and not report.get("checks"):
        return [{"id": "grading", "name": t("ui.report.could_not_grade"), "score": 0.0, "max_score": full,
                 "status": "failed", "output": report["error"], "hidden": False}]
    checks = report.get("checks", [])
    cap = float(report.get("cap") or 0.0)
    available = sum(c["max_points"] for c in checks if c["status"] not in UNSCORED)
    factor = cap / available if available else 0.0
    out = []
    for check in checks:
        scaled_max = check["max_points"] * factor if check["status"] not in UNSCORED else 0.0
        out.append({
            "id": check["id"],
            "name": check.get("title") or check["id"],
            "score": round(check["points"] * factor, 2),
            "max_score": round(scaled_max, 2),
            "status": "passed" if check["status"] == "passed" else "failed",
            "output": check_output(check, lang),
            "hidden": bool(check.get("hidden")),
        })
    if cap < full:
        out.append({"id": "variant", "name": t("ui.report.variant_cap", cap=_num(cap)), "score": 0.0,
                    "max_score": round(full - cap, 2), "status": "failed",
                    "output": report.get("cap_reason") or "", "hidden": False})
    before = round(sum(i["score"] for i in out), 2)
    if report.get("detected", {}).get("uses_threading") is False and before - score > 0.05:
        out.append({"id": "threading", "name": t("ui.threading_penalty", factor=_num(_factor(before, score))),
                    "score": round(score - before, 2), "max_score": 0.0, "status": "failed",
                    "output": t("hint.threads.static"), "hidden": False})
    drift = round(score - sum(i["score"] for i in out), 2)
    if out and drift:
        target = max(out, key=lambda i: abs(i["score"]))
        target["score"] = round(target["score"] + drift, 2)
    drift = round(full - sum(i["max_score"] for i in out), 2)
    if out and drift and abs(drift) < 0.1:  # rounding only
        target = max(out, key=lambda i: i["max_score"])
        target["max_score"] = round(target["max_score"] + drift, 2)
        target["score"] = min(target["score"], target["max_score"]) if target["status"] == "passed" else target["score"]
    return out


def check_output(check: dict, lang: str) -> str:
    t = lambda key: translate(key, lang)  # noqa: E731
    status = t(f"ui.status.{check['status']}")
    lines = [f"{status}: {check.get('title') or check['id']}"]
    if check.get("message"):
        lines.append(check["message"])
    if check.get("expected"):
        lines.append(f"{t('ui.expected')}: {check['expected']}")
    if check.get("actual"):
        lines.append(f"{t('ui.actual')}: {check['actual']}")
    if check.get("hint"):
        lines.append(f"{t('ui.hint')}: {check['hint']}")
    return "\n".join(lines)


def _factor(before: float, after: float) -> float:
    return round(after / before, 2) if before else 0.0


def _num(value: float) -> str:
    return f"{value:g}"
