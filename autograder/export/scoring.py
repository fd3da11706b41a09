"""One report's score as line items that add up: what platforms show per test.

Each scored check is worth its rubric points scaled to the variant's cap, in
whole hundredths shared out by largest remainder, so the items' maxima add up
to the cap exactly and a passed check shows its full points.  A lower cap is an
item of its own (0 of what the variant cannot earn), and what is left between
the passed checks and the report's score (the threading rule, the score's
rounding to one decimal) is one adjustment item, so the items always sum to the
score.  They sum exactly even in binary floating point, added left to right as
Gradescope and Classroom's reporter (JavaScript) add them: the last cent-sized
difference is absorbed by one item, a few units in the last place.

Every item has a ``kind``: ``check`` (scored), ``advisory`` (0 points in the
rubric), ``manual`` (waits for a person), ``error`` (ours), ``variant``,
``adjustment``, ``grading`` (nothing could be graded).  ``status`` is
``passed``, ``failed`` or ``info``: only an item that lost the student points
is ``failed``; advisory, manual and the variant cap are information.
"""
from __future__ import annotations

import math
from typing import List, Sequence

from autograder.i18n import translate
from autograder.results import UNSCORED, plain_number

FULL = 100.0
INFO = "info"
NO_POINTS = ("advisory", "manual", "error")  # kinds that are information, never points


def items(report: dict, lang: str) -> List[dict]:
    """[{id, name, score, max_score, status: passed|failed|info, kind, output, hidden}]"""
    t = lambda key, **params: translate(key, lang, params)  # noqa: E731 - a local shorthand
    score = float(report.get("score") or 0.0)
    if report.get("error") and not report.get("checks"):
        return [_item("grading", t("ui.report.could_not_grade"), 0.0, FULL, "failed", "grading", report["error"])]
    checks = report.get("checks", [])
    cap_cents = _cents(report.get("cap") or 0.0)
    # A check waiting for a person keeps its share of the points (it is in the score's denominator)
    # and earns it only once a person passes it: shown as 0 of its share, as information.
    scored = [c for c in checks if _kind(c) in ("check", "manual")]
    shares = apportion([float(c["max_points"]) for c in scored], cap_cents) if scored else []
    max_cents = dict(zip((id(c) for c in scored), shares))
    out, earned = [], 0
    for check in checks:
        kind = _kind(check)
        most = max_cents.get(id(check), 0)
        got = most if check["status"] == "passed" else 0
        earned += got
        status = INFO if kind != "check" else ("passed" if check["status"] == "passed" else "failed")
        out.append(_item(check["id"], check.get("title") or check["id"], got / 100, most / 100, status, kind,
                         check_output(check, lang), bool(check.get("hidden"))))
    allotted = sum(shares)
    if allotted < _cents(FULL):
        reason = report.get("cap_reason") or ""
        out.append(_item("variant", t("ui.report.variant_cap", cap=plain_number(allotted / 100)), 0.0,
                         (_cents(FULL) - allotted) / 100, INFO, "variant", reason))
    left = _cents(score) - earned
    if left < 0 and report.get("detected", {}).get("uses_threading") is False:
        # The threading rule scales every point earned: the passed checks show it, and one item says why.
        passed = [item for item in out if item["status"] == "passed"]
        for item, cents in zip(passed, apportion([item["score"] for item in passed], _cents(score))):
            item["score"] = cents / 100
        factor = plain_number(report.get("threading_factor") or 0)
        out.insert(0, _item("threading", t("ui.threading_penalty", factor=factor), 0.0, 0.0, "failed", "adjustment",
                            t("hint.threads.static")))
    elif left:
        out.append(_item("rounding", t("ui.export.rounding"), left / 100, 0.0, INFO, "adjustment",
                         t("ui.export.rounding_why", score=plain_number(score))))
    exact_sum(out, score)
    return out


def _item(item_id, name, score, max_score, status, kind, output, hidden=False) -> dict:
    return {"id": item_id, "name": name, "score": score, "max_score": max_score, "status": status,
            "kind": kind, "output": output or "", "hidden": hidden}


def _kind(check: dict) -> str:
    if check["status"] == "manual":
        return "manual"
    if check["status"] == "error":
        return "error"
    return "check" if float(check.get("max_points") or 0) > 0 else "advisory"


def _cents(value: float) -> int:
    return int(round(float(value) * 100))


def apportion(weights: Sequence[float], total: int) -> List[int]:
    """Whole units in proportion to ``weights`` that add up to ``total`` (largest remainder)."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    exact = [w * total / whole for w in weights]
    shares = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:total - sum(shares)]:
        shares[i] += 1
    return shares


def float_sum(values) -> float:
    """Left to right, as ``reduce((a, x) => a + x, 0)`` in JavaScript and ``sum`` in Python."""
    total = 0.0
    for value in values:
        total += value
    return total


def exact_sum(out: List[dict], target: float) -> None:
    """Make the items' scores add up to ``target`` bit for bit.

    An item with points (the last first) takes ``target`` minus the others,
    then is walked a few ulps until the left-to-right sum lands on ``target``;
    which item can do it depends on the partial sums around it.
    """
    candidates = [i for i in reversed(range(len(out))) if out[i]["score"]] or list(reversed(range(len(out))))
    for index in candidates:
        item = out[index]
        saved = item["score"]
        others = float_sum(i["score"] for i in out[:index]) + float_sum(i["score"] for i in out[index + 1:])
        item["score"] = target - others
        for _ in range(16):
            total = float_sum(i["score"] for i in out)
            if total == target:
                if item["status"] == "passed" and abs(item["max_score"] - item["score"]) < 1e-9:
                    item["max_score"] = item["score"]  # a passed check still shows full points
                return
            item["score"] = math.nextafter(item["score"], math.inf if target > total else -math.inf)
        item["score"] = saved


def check_output(check: dict, lang: str) -> str:
    t = lambda key: translate(key, lang)  # noqa: E731
    status = t(f"ui.status.{check['status']}")
    advisory = f" ({t('ui.advisory')})" if _kind(check) == "advisory" else ""
    lines = [f"{status}{advisory}: {check.get('title') or check['id']}"]
    if check.get("message"):
        lines.append(check["message"])
    if check.get("expected"):
        lines.append(f"{t('ui.expected')}: {check['expected']}")
    if check.get("actual"):
        lines.append(f"{t('ui.actual')}: {check['actual']}")
    if check.get("hint"):
        lines.append(f"{t('ui.hint')}: {check['hint']}")
    return "\n".join(lines)


def pending_review(report: dict) -> bool:
    """Checks wait for a person (``review``); ``score_up_to`` is the score if they all pass."""
    return bool(report.get("review"))


def review_line(report: dict, lang: str) -> str:
    up_to = report.get("score_up_to")
    return translate("ui.export.pending_review", lang, {
        "checks": ", ".join(report.get("review") or []),
        "score_up_to": plain_number(up_to) if up_to is not None else "?"})
