"""A hung check still gives a report where there is no SIGALRM (Windows' thread method, forced here)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from grading_helpers import ROOT, run_autograde

pytestmark = pytest.mark.timeout(240)

HUNG = textwrap.dedent('''
    import threading, time
    import pytest

    stopped = threading.Event()

    @pytest.mark.timeout(1)
    def test_hangs():
        while True:  # a check waiting on a program that never answers
            time.sleep(0.05)

    def test_after():
        assert stopped.is_set()  # the programs were stopped when the deadline came
''')

RUN = textwrap.dedent('''
    import json, sys, pytest
    sys.path.insert(0, sys.argv[2])
    from autograder.deadline import ThreadDeadline
    import test_hung

    outcomes = {}

    class Record:
        def pytest_runtest_logreport(self, report):
            if report.when == "call" or report.outcome != "passed":
                outcomes[report.nodeid.split("::")[-1]] = [report.outcome, str(report.longrepr)[-300:]]

    code = pytest.main([sys.argv[1], "-p", "pytest_timeout", "--timeout-method", "thread", "-q", "-p",
                        "no:cacheprovider", "-p", "no:xdist"],
                       plugins=[ThreadDeadline(test_hung.stopped.set), Record()])
    print("RESULT " + json.dumps({"code": int(code), "outcomes": outcomes}))
''')


def test_a_check_over_its_deadline_fails_and_the_run_goes_on(tmp_path):
    (tmp_path / "test_hung.py").write_text(HUNG, encoding="utf-8")
    (tmp_path / "run.py").write_text(RUN, encoding="utf-8")
    done = subprocess.run([sys.executable, str(tmp_path / "run.py"), str(tmp_path / "test_hung.py"), str(ROOT)],
                          capture_output=True, text=True, timeout=120, cwd=str(tmp_path),
                          env=dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"))  # as the grader runs checks
    line = next((l for l in done.stdout.splitlines() if l.startswith("RESULT ")), None)
    assert line is not None, done.stdout[-2000:] + done.stderr[-2000:]  # os._exit would leave no RESULT line
    result = json.loads(line[len("RESULT "):])
    assert result["outcomes"]["test_hangs"][0] == "failed" and "Timeout" in result["outcomes"]["test_hangs"][1]
    assert result["outcomes"]["test_after"][0] == "passed"


def test_the_grader_with_the_thread_method_still_grades(monkeypatch):
    monkeypatch.setenv("CHATLAB_TIMEOUT_METHOD", "thread")
    code, report, output = run_autograde(ROOT / "reference_solution" / "tcp", "--lang", "en", timeout=200)
    assert report is not None and report["score"] == 100, output[-2000:]
