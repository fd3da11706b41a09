"""The per-check items of Gradescope and Classroom add up to the score, exactly.

Pure: reports are built as the runner builds them (``rubric.score``) for many
random rubrics and outcomes, then the items are summed as the platforms sum
them (binary floating point, left to right).
"""
from __future__ import annotations

import random

import pytest

import classroom_reporter as reporter
from autograder.grading import rubric as rubric_module
from autograder.export import classroom, gradescope, scoring
from autograder.results import CheckResult, Report, msg

pytestmark = pytest.mark.timeout(60)

STATUSES = ["passed"] * 5 + ["failed", "skipped", "manual", "error"]


def random_report(rng: random.Random) -> dict:
    cap = rng.choice([100, 80, 60, 50, 75, 33, 100, 100])
    rubric = rubric_module.Rubric(caps={"v": cap}, points={}, no_threading_factor=rng.choice([0.5, 0.7, 1.0, 0.33]))
    checks = []
    for n in range(rng.randint(1, 22)):
        points = rng.choice([0, 0, 1, 2, 3, 4, 5, 5, 10, 10, 15, 20, 7.5, 2.5, 0.3])
        status = rng.choice(STATUSES)
        checks.append(CheckResult(f"c{n}", status, points if status == "passed" else 0.0, float(points)))
    threading = rng.random() < 0.8
    factor = 1.0 if threading else rubric.no_threading_factor
    score, up_to = rubric_module.scores(cap, factor, [(c.status, c.max_points) for c in checks])
    report = Report(submission="s", variant="v", score=score, score_up_to=up_to, max_score=cap, cap=cap, cap_reason=msg("variant.udp-multi"),
                    detected={"uses_threading": threading}, checks=checks,
                    threading_factor=1.0 if threading else rubric.no_threading_factor)
    return report.to_dict("en")


def test_items_sum_to_the_score_bit_for_bit_over_many_rubrics():
    rng = random.Random(16)
    for _ in range(3000):
        data = random_report(rng)
        items = scoring.items(data, "en")
        assert scoring.float_sum(i["score"] for i in items) == data["score"], data
        assert round(sum(i["max_score"] for i in items), 2) == 100, data
        scaled = data["detected"]["uses_threading"] is False and any(i["id"] == "threading" for i in items)
        for item in items:
            assert abs(item["score"] - round(item["score"], 2)) < 1e-9  # shown in hundredths
            if item["status"] == "passed" and not scaled:
                assert item["score"] == item["max_score"] > 0  # a pass shows full points
            if item["kind"] in ("advisory", "manual", "variant"):
                assert item["status"] == "info" and item["score"] == 0
        results = gradescope.results(data, "en")
        assert scoring.float_sum(t.get("score", 0) for t in results["tests"]) == results["score"] == data["score"]
        runner = classroom.runner_result(data, "en")
        assert scoring.float_sum(t["score"] for t in runner["tests"]) == data["score"]
        # One Classroom runner per item: the reporter's table, its total and the points it sends agree.
        view = reporter.report(classroom.item_runners(data, "en"))
        assert view["points"] == view["table_total"] == data["score"], data
        assert view["max_points"] == view["table_max"] == 100, data


def test_apportion_is_exact_and_fair():
    assert scoring.apportion([5, 10, 15], 8000) == [1333, 2667, 4000]
    assert sum(scoring.apportion([1] * 19, 10000)) == 10000
    assert scoring.apportion([0, 0], 100) == [0, 0]


def test_a_perfect_udp_chat_has_green_items_and_a_variant_note():
    checks = [CheckResult(c, "passed", p, p) for c, p in (("starts", 5), ("broadcast", 15), ("names", 10))]
    checks.append(CheckResult("framing", "failed", 0, 0, message=msg("fail.timeout")))  # advisory
    data = Report(submission="s", variant="udp-multi", score=80.0, max_score=80, cap=80,
                  cap_reason=msg("variant.udp-multi"), detected={"uses_threading": True}, checks=checks).to_dict("en")
    items = {i["id"]: i for i in scoring.items(data, "en")}
    assert [i["status"] for i in items.values()].count("failed") == 0
    assert items["starts"]["score"] == items["starts"]["max_score"] == 13.33
    assert items["variant"]["max_score"] == 20 and "80" in items["variant"]["name"]
    assert "advisory" in items["framing"]["output"]


def test_without_threading_the_passed_checks_show_the_rule_and_one_item_says_why():
    checks = [CheckResult("starts", "passed", 5, 5), CheckResult("broadcast", "passed", 15, 15),
              CheckResult("names", "failed", 0, 10)]
    data = Report(submission="s", variant="tcp-multi", score=33.3, max_score=100, cap=100,
                  cap_reason=msg("variant.tcp-multi"), detected={"uses_threading": False}, checks=checks,
                  threading_factor=0.5).to_dict("en")
    items = scoring.items(data, "en")
    assert items[0]["id"] == "threading" and items[0]["status"] == "failed" and "0.5" in items[0]["name"]
    assert scoring.float_sum(i["score"] for i in items) == 33.3
