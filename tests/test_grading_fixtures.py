"""Every fixture submission gets exactly its expected verdicts.

``fixtures/expected.toml`` lists, per fixture, the checks that must fail or be
skipped; every other server check must pass.  The reference solution must
pass them all.
"""
import sys

import pytest

from grading_helpers import FIXTURES, ROOT, SERVER_CHECKS, run_autograde, statuses

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

EXPECTED = tomllib.loads((FIXTURES / "expected.toml").read_text(encoding="utf-8"))
TCP_FIXTURES = sorted(name for name in EXPECTED if name.startswith("tcp/"))

pytestmark = pytest.mark.timeout(300)


def expected_statuses(spec: dict) -> dict:
    wanted = {check: "passed" for check in SERVER_CHECKS}
    wanted.update({check: "failed" for check in spec.get("failed", [])})
    wanted.update({check: "skipped" for check in spec.get("skipped", [])})
    return wanted


@pytest.mark.parametrize("name", TCP_FIXTURES)
def test_fixture_gets_exactly_its_verdicts(name):
    spec = EXPECTED[name]
    code, report, output = run_autograde(FIXTURES / name)
    assert code == 0, output
    got = {k: v for k, v in statuses(report).items() if k in SERVER_CHECKS}
    assert got == expected_statuses(spec), output
    for key, value in spec.get("detected", {}).items():
        assert report["detected"].get(key) == value, (key, report["detected"])
    for check in report["checks"]:
        if check["status"] == "failed":
            assert check["message"] and check["hint"], check  # every failure explains itself


def test_reference_scores_full_marks_on_every_server_check():
    code, report, output = run_autograde(ROOT / "reference_solution" / "tcp")
    assert code == 0, output
    assert set(statuses(report).values()) == {"passed"}, output
    assert report["score"] == 100
    assert report["variant"] == "tcp-multi"
