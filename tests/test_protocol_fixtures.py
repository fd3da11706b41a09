"""Chats that speak a protocol of their own get the verdicts a person would give.

``fixtures/protocol/expected.toml`` says, per fixture, how a person starts it
and what a fair instructor chatting through the student's own client would
conclude.  The grader must reach the same verdict, say which way it drove
each check (its text users, the frames learnt from the client, or copies of
the client itself), and start the programs with the arguments they need.
"""
import sys

import pytest

from grading_helpers import ADVISORY_CHECKS, FIXTURES, SERVER_CHECKS, run_autograde, statuses

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PROTOCOL = FIXTURES / "protocol"
EXPECTED = tomllib.loads((PROTOCOL / "expected.toml").read_text(encoding="utf-8"))
CLIENT_CHECKS = ["client_connects", "client_handshake", "client_sends", "client_receives", "client_exits"]

pytestmark = pytest.mark.timeout(400)


# Every test of one fixture on one worker (--dist loadgroup), so that it is graded once.
@pytest.fixture(scope="module", params=[pytest.param(name, marks=pytest.mark.xdist_group(f"protocol-{name}"))
                                        for name in sorted(EXPECTED)])
def graded(request):
    name = request.param
    code, report, output = run_autograde(PROTOCOL / name, timeout=360)
    assert code == 0 and report is not None, output
    return name, EXPECTED[name], report, output


def test_verdicts_are_a_persons(graded):
    name, spec, report, output = graded
    fair = spec["fair"]
    manual = set(spec.get("graded_manual", fair.get("manual", [])))
    absent = set(fair.get("not_applicable", [])) | ({"drop_survival", "idle_after_leave"} if name.startswith("udp") else set())
    wanted = {check: "passed" for check in SERVER_CHECKS + CLIENT_CHECKS if check not in absent}
    if not name.startswith("udp"):  # the advisory checks (0 points) are TCP behaviours
        advisory = spec.get("advisory", {})
        wanted.update({check: "passed" for check in ADVISORY_CHECKS})
        wanted.update({check: "failed" for check in advisory.get("failed", [])})
        wanted.update({check: "skipped" for check in advisory.get("skipped", [])})
    wanted.update({check: "failed" for check in fair.get("failed", [])})
    wanted.update({check: "manual" for check in manual})
    assert statuses(report) == wanted, output


def test_the_way_each_check_was_driven_is_reported(graded):
    name, spec, report, output = graded
    for check in report["checks"]:
        assert check["driven_by"] in ("wire", "learned", "puppet"), check
        assert check["tried"][0] == "wire" and check["tried"][-1] == check["driven_by"], check
    plain = name.startswith(("role_", "package_"))
    driven = {check["driven_by"] for check in report["checks"] if check["status"] == "passed"}
    if plain:  # text protocols: the grader's own users, one pass, nothing else tried
        assert driven == {"wire"} and report["detected"].get("drivers", {}).get("ways") in (None, ["wire"]), output
    elif not spec.get("graded_manual"):  # where a person must judge, no way could
        assert driven - {"wire"}, output  # the wire users alone could not have judged it


def test_programs_are_started_as_a_person_would(graded):
    name, spec, report, output = graded
    assert report["files"] == spec["launch"], output


def test_a_manual_check_earns_nothing_until_reviewed_and_says_why(graded):
    name, spec, report, output = graded
    for check in report["checks"]:
        if check["status"] == "manual":
            assert check["points"] == 0 and check["message"] and check["hint"], check
    if any(check["status"] == "manual" for check in report["checks"]):
        assert "after review" in output.lower(), output
        assert report["review"] == [c["id"] for c in report["checks"] if c["status"] == "manual"]
        # Its points stay in the denominator: waiting for a person is never a gift.
        assert report["score"] < report["score_up_to"] <= report["max_score"], report["score"]
        assert report["detected"].get("own_protocol_evidence"), report["detected"]
    else:
        assert report["score_up_to"] == report["score"]


def test_a_package_the_client_lacks_is_named_with_the_fix(graded):
    name, spec, report, output = graded
    if name != "package_json":
        pytest.skip("only package_json's client needs a package")
    manual = [check for check in report["checks"] if check["status"] == "manual"]
    assert manual and all("--allow-packages blessed" in str(check["message"]) for check in manual), output


@pytest.mark.parametrize("greeting, own", [(b'{"type": "welcome"}\n', True), (b"NICK\n", False), (b"[1, 2]\n", False),
                                           (None, False), (b'{"broken": \n', False)])
def test_a_json_object_greeting_is_evidence_of_an_own_protocol(greeting, own):
    from autograder.grading.drivers import _json_object

    assert _json_object(greeting) is own
