"""What a program printed, as reports show it: the student's frames only, marks once, whole lines (issue 17)."""
import pytest

from autograder.report import html, markdown
from autograder.sandbox.excerpt import student_traceback, tail

pytestmark = pytest.mark.timeout(30)

RAW = """Traceback (most recent call last):
  File "/tmp/chatlab-run-1/child.py", line 469, in <module>
    main()
  File "/tmp/chatlab-run-1/child.py", line 453, in main
    runpy.run_path(script, run_name="__main__")
  File "<frozen runpy>", line 290, in run_path
  File "/usr/lib/python3.11/runpy.py", line 98, in _run_module_code
    exec(code, run_globals)
  File "/tmp/chatlab-ab12/client.py", line 33, in <module>
    line = input()
           ^^^^^^^
  File "/tmp/chatlab-run-1/child.py", line 186, in _graded_input
    return _original_input(prompt)
EOFError: EOF when reading a line
"""


def test_a_traceback_keeps_only_the_students_frames():
    kept = student_traceback(RAW, "/tmp/chatlab-ab12")
    assert kept.splitlines() == ["Traceback (most recent call last):", '  File "client.py", line 33, in <module>',
                                 "    line = input()", "           ^^^^^^^", "EOFError: EOF when reading a line"]
    for grader in ("child.py", "_graded_input", "<frozen runpy>", "runpy"):
        assert grader not in kept


def test_an_excerpt_starts_at_a_line_and_says_how_many_came_before():
    text = "\n".join(f"Thread-{i} says hello" for i in range(100))
    kept, earlier = tail(text, 200)
    assert kept.startswith("Thread-") and earlier == 100 - len(kept.splitlines())
    assert tail("short\n", 200) == ("short", 0)


@pytest.mark.parametrize("render", [markdown.render, html.render])
def test_reports_mark_invisible_characters_once(render):
    output = student_traceback(RAW, "/tmp/chatlab-ab12") + "\n".join(f"line {i}\tend " for i in range(300))
    report = {"submission": "s", "score": 0, "max_score": 100, "variant": "tcp-multi", "checks": [
        {"id": "client_exits", "status": "failed", "points": 0, "max_points": 3, "message": "m",
         "actual": "hello\r\nworld\n", "server_output": output, "transcript": []}]}
    page = render(report, "en")
    assert "⏎⏎" not in page and "⏎\n" in page and "⇥" in page and "␍⏎" in page
    assert "earlier lines" in page and "child.py" not in page
    assert "ещё строк" in render(report, "ru") or "строк" in render(report, "ru")


def test_detected_is_said_in_words_in_either_language():
    from autograder.report.detected import in_words

    detected = {"handshake": "prompt", "prompt": "NICK", "echo": False, "framing": "lines", "history": False,
                "notices": True, "transport": "tcp", "startup_seconds": 0.04, "threads": {"idle": 1, "with_3_users": 4},
                "client_frame_join": "…⏎", "drivers": {"ways": ["wire", "learned"], "why": {"learned": "own_frames"}},
                "uses_threading": True}
    for lang in ("en", "ru"):
        said = in_words(detected, lang)
        assert not any(mark in said for mark in ("{", "=", "⏎", "'ways'", "drivers", "handshake", "client_frame"))
    assert "one message per line" in in_words(detected, "en") and "NICK" in in_words(detected, "en")
    assert "одно сообщение — одна строка" in in_words(detected, "ru")
    assert in_words({"drivers": {"ways": ["wire"], "why": {}}}, "en") == ""  # the usual way is not news


def test_a_dependency_that_failed_is_said_plainly():
    from autograder.i18n import translate

    assert translate("skip.dependency.failed", "en", {"check": "starts"}).endswith("which failed")
    assert "не пройдена" in translate("skip.dependency.failed", "ru", {"check": "starts"})


@pytest.mark.filterwarnings("ignore::pytest.PytestUnknownMarkWarning")  # the check module's own mark
def test_expected_is_the_line_that_should_have_arrived_in_the_chats_own_form():
    from autograder.grading.checks.server_tcp import _expected_line
    from autograder.wire.protocol import find_message

    class User:
        def __init__(self, name, text):
            self.name, self.text = name, text

        def find(self, body):
            return find_message(self.text, body, None, 0)

    said = {"alice": "alice-1", "bob": "bob-2"}
    users = [User("alice", "[12:00] <bob> bob-2 ~\n"), User("bob", "")]
    assert _expected_line(users, said, "alice", "alice-1") == "[12:00] <alice> alice-1 ~"
    assert _expected_line([User("alice", ""), User("bob", "")], said, "alice", "alice-1") == "alice: alice-1"


@pytest.mark.parametrize("render", [markdown.render, html.render])
def test_own_protocol_is_said_only_of_a_protocol_of_ones_own(render):
    def page(how):
        check = {"id": "names", "status": "passed", "points": 10, "max_points": 10, "driven_by": "learned",
                 "driven_how": how}
        return render({"submission": "s", "score": 100, "max_score": 100, "variant": "tcp-multi",
                       "checks": [check]}, "en")

    assert "own protocol" not in page("learned_text") and "lines your client sends" in page("learned_text")
    assert "in your own protocol" in page(None)
