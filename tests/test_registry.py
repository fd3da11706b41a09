"""The registry is the one place checks are defined: order, variants and ids derive from it."""
from __future__ import annotations

import pytest

from autograder.grading import registry
from autograder.grading.runner import skip_dependents
from autograder.results import CheckResult

pytestmark = pytest.mark.timeout(30)

TCP = ["starts", "handshake", "broadcast", "names", "join_notice", "leave_notice", "drop_survival",
       "idle_after_leave", "many_clients", "unicode", "slow_reader", "framing", "threads",
       "client_connects", "client_handshake", "client_sends", "client_receives", "client_exits"]


def test_each_variant_runs_its_checks_in_report_order():
    assert registry.ids("tcp-multi") == TCP
    assert registry.ids("udp-multi") == ["starts", "handshake", "broadcast", "names", "join_notice", "leave_notice",
                                         "many_clients", "unicode", "threads", "client_connects", "client_handshake",
                                         "client_sends", "client_receives", "client_exits"]
    assert registry.ids("tcp-two-user") == ["starts", "connects", "server_to_client", "client_to_server", "duplex",
                                            "ending", "threads", "client_connects", "client_sends",
                                            "client_receives", "client_exits"]


@pytest.mark.parametrize("variant", registry.VARIANTS)
def test_dependencies_come_first(variant):
    seen = set()
    for entry in registry.for_variant(variant):
        assert set(entry.depends) <= seen, (entry.id, entry.depends)
        seen.add(entry.id)


def test_every_check_has_a_title_and_a_russian_one():
    from autograder import i18n

    for entry in registry.all_checks():
        key = entry.title_key or f"check.{entry.id}"
        assert entry.title and set(i18n.CATALOGUE[key]) == {"en", "ru"}, entry.id


def test_the_same_id_twice_for_one_variant_is_refused():
    with pytest.raises(ValueError):
        @registry.check("broadcast", variants=("tcp-multi",))
        def check_again(room):
            """Another broadcast."""


def _result(check_id, status):
    return CheckResult(id=check_id, status=status)


def test_a_dependant_of_a_failed_check_is_skipped_saying_which():
    checks = [registry.get(cid) for cid in ("starts", "handshake", "broadcast", "names", "join_notice")]
    results = {"starts": _result("starts", "passed"), "handshake": _result("handshake", "passed"),
               "broadcast": _result("broadcast", "failed"), "names": _result("names", "passed"),
               "join_notice": _result("join_notice", "passed")}
    final = skip_dependents(checks, results)
    assert {cid: r.status for cid, r in final.items()} == {
        "starts": "passed", "handshake": "passed", "broadcast": "failed", "names": "skipped", "join_notice": "passed"}
    assert final["names"].message.key == "skip.dependency.failed" and final["names"].message.params["check"] == "broadcast"


def test_skips_chain_and_earlier_passes_count():
    checks = [registry.get(cid) for cid in ("names", "unicode")]
    results = {"names": _result("names", "passed"), "unicode": _result("unicode", "passed")}
    # broadcast passed in an earlier pass (another way of driving the users): its dependants stand.
    final = skip_dependents(checks, results, prior={"broadcast": _result("broadcast", "passed")})
    assert [r.status for r in final.values()] == ["passed", "passed"]
    final = skip_dependents(checks, results, prior={"broadcast": _result("broadcast", "skipped")})
    assert final["names"].message.key == "skip.dependency.skipped"


def test_an_instructor_file_registers_beside_the_built_in_checks(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text('from autograder import check\n\n'
                    '@check("greets_by_name", depends=["handshake"], variants=("tcp-multi",), points=3)\n'
                    'def check_greets(room):\n    """The server greets a newcomer by name."""\n', encoding="utf-8")
    found = registry.load_file(path)
    assert [c.id for c in found] == ["greets_by_name"] and found[0].points == 3
    assert [c.id for c in registry.for_variant("tcp-multi", found)][-1] == "greets_by_name"
    assert "greets_by_name" not in registry.ids("tcp-multi")  # only where the instructor asks for it
    assert registry.load_file(path)[0].id == "greets_by_name"  # loading twice is harmless


@pytest.mark.parametrize("source, says", [
    ("x = 1\n", "no @check"),
    ("import nothing_of_the_kind\n", "ModuleNotFoundError"),
    ('from autograder import check\n@check("names")\ndef check_x(room):\n    """x"""\n', "built-in"),
])
def test_a_bad_instructor_file_is_one_line(tmp_path, source, says):
    path = tmp_path / "bad.py"
    path.write_text(source, encoding="utf-8")
    with pytest.raises((registry.CheckFileError, ValueError)) as error:
        registry.load_file(path)
    assert says in str(error.value) and "\n" not in str(error.value)
