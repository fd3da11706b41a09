"""Every fixture submission gets exactly its expected verdicts.

``fixtures/expected.toml`` lists, per fixture, the checks that must fail or be
skipped (and optionally the variant and what must be detected); every other
check in the report must pass.  The reference solutions pass everything.
"""
import sys

import pytest

from autograder.grading import hints
from grading_helpers import FIXTURES, REPORTED_SERVER_CHECKS, ROOT, run_autograde, statuses

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

EXPECTED = tomllib.loads((FIXTURES / "expected.toml").read_text(encoding="utf-8"))

pytestmark = pytest.mark.timeout(300)


def expected_statuses(spec: dict, got: dict) -> dict:
    wanted = {check: "passed" for check in got}
    wanted.update({check: "failed" for check in spec.get("failed", []) + spec.get("advisory_failed", [])})
    wanted.update({check: "skipped" for check in spec.get("skipped", [])})
    wanted.update({check: "manual" for check in spec.get("manual", [])})
    return wanted


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gets_exactly_its_verdicts(name):
    spec = EXPECTED[name]
    code, report, output = run_autograde(FIXTURES / name)
    assert code == 0, output
    got = statuses(report)
    assert got == expected_statuses(spec, got), output
    assert report["variant"] == spec.get("variant", "tcp-multi"), output
    for key, value in spec.get("detected", {}).items():
        assert report["detected"].get(key) == value, (key, report["detected"])
    for check in report["checks"]:
        if check["status"] == "failed":
            assert check["message"] and check["hint"], check  # every failure explains itself
        if check["id"] in spec.get("advisory_failed", []):
            assert check["max_points"] == 0 and "advisory" in output, check  # it says so and costs nothing
    # The known mistake this fixture makes is recognised, and named under the failed check.
    recognised = {check["mistake"] for check in report["checks"]}
    for signature in hints.SIGNATURES:
        if signature.fixture == name:
            assert signature.id in recognised, (signature.id, recognised)


@pytest.mark.parametrize("variant, score", [("tcp", 100), ("udp", 80), ("two_user", 60)])
def test_reference_scores_its_cap_with_every_check_passed(variant, score):
    code, report, output = run_autograde(ROOT / "reference_solution" / variant)
    assert code == 0, output
    assert set(statuses(report).values()) == {"passed"}, output
    assert report["score"] == score
    assert report["variant"] == {"tcp": "tcp-multi", "udp": "udp-multi", "two_user": "tcp-two-user"}[variant]
    if variant == "tcp":
        assert [c for c in statuses(report) if not c.startswith("client_")] == REPORTED_SERVER_CHECKS
