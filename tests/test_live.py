"""`--live` and `autograde demo`, on a plain pipe and in a real terminal (tmux)."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid

import psutil
import pytest

from grading_helpers import ROOT

pytestmark = pytest.mark.timeout(180)

ESCAPE = re.compile(r"\x1b\[")
AUTOGRADE = [sys.executable, "-m", "autograder"]


def run(args, timeout=120):
    env = dict(os.environ, LANG="en_US.UTF-8", COLUMNS="120")
    return subprocess.run(AUTOGRADE + args, capture_output=True, text=True, encoding="utf-8",
                          timeout=timeout, env=env)


LIVE_LINE = re.compile(r"^\s*(\d+\.\d+)s\s+\S+ ([→←⌨·]) (.*)$")


def test_live_on_a_pipe_has_no_colour_codes():
    done = run([str(ROOT / "reference_solution" / "tcp"), "--live", "--pace", "0", "--lang", "en"])
    assert done.returncode == 0, done.stderr
    assert not ESCAPE.search(done.stdout)
    # The server checks' users are called by the names drawn for this run (names.py).
    assert "▶" in done.stdout and re.search(r"\w+ →", done.stdout) and re.search(r"\w+ ←", done.stdout)
    assert "✔ A message reaches every other user" in done.stdout
    assert "score: 100" in done.stdout
    # For a projector: one clock that never goes back, one message per line, a bounded share per check.
    lines = done.stdout.split("▶")
    times = [float(m.group(1)) for m in map(LIVE_LINE.match, done.stdout.splitlines()) if m]
    assert times and times == sorted(times)
    for m in filter(None, map(LIVE_LINE.match, done.stdout.splitlines())):
        if m.group(2) == "←":  # what a user received: one message a line
            assert "⏎" not in m.group(3) and len(re.findall(r"\b(?:alice|bob|carol): ", m.group(3))) <= 1, m.group(0)
    for check in lines[1:]:
        assert len([row for row in check.splitlines() if LIVE_LINE.match(row)]) <= 12, check
    assert "more lines of this check" in done.stdout


def test_the_live_view_splits_messages_and_keeps_its_pace():
    import io
    import time

    from rich.console import Console

    from autograder.report.live import LiveView
    from autograder.results import CheckResult

    screen = io.StringIO()
    view = LiveView(Console(file=screen, width=120), "en", pace=0.05)
    started = time.monotonic()
    view.check_started("broadcast")
    view.entry({"t": 0.5, "who": "bob", "kind": "recv", "text": "alice: one⏎\ncarol: two⏎\n"})
    view.entry({"t": 0.1, "who": "bob", "kind": "recv", "text": "dave: three⏎\n"})  # its own clock went back
    view.check_finished(CheckResult("broadcast", "passed"))
    view.close()
    assert time.monotonic() - started >= 4 * 0.05  # header, three messages: paced
    rows = [LIVE_LINE.match(row) for row in screen.getvalue().splitlines()]
    said = [(float(m.group(1)), m.group(3)) for m in rows if m]
    assert [text for _, text in said] == ["alice: one", "carol: two", "dave: three"]
    assert [t for t, _ in said] == sorted(t for t, _ in said)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_demo_on_a_pipe_reports_users_and_threads_and_cleans_up():
    port = free_port()  # names this demo's server among the other tests' reference servers
    done = run(["demo", "--host", "127.0.0.1", "--port", str(port), "--bots", "3", "--bot-rate", "4",
                "--duration", "15", "--lang", "en"])  # 8 s was not enough on a loaded machine
    assert done.returncode == 0, done.stderr
    assert not ESCAPE.search(done.stdout)
    statuses = re.findall(r"connected: (\d+)\s+messages/s: ([\d.]+)\s+server threads: (\d+)", done.stdout)
    assert statuses, done.stdout
    assert max(int(users) for users, _, _ in statuses) == 4  # three bots and the projector
    assert max(float(rate) for _, rate, _ in statuses) > 0
    assert max(int(threads) for _, _, threads in statuses) > 4  # a thread per client, made visible
    assert "chat messages were relayed" in done.stdout
    # The join line: the reference client's, and plain nc/telnet for anyone without it.
    assert re.search(rf"python \S*reference_solution/tcp/client\.py --host 127\.0\.0\.1 --port {port}", done.stdout)
    assert f"nc 127.0.0.1 {port}" in done.stdout and f"telnet 127.0.0.1 {port}" in done.stdout
    servers = [p for p in psutil.process_iter(["cmdline"])
               if "reference_solution/tcp/server.py" in " ".join(p.info["cmdline"] or [])
               and str(port) in (p.info["cmdline"] or [])]
    assert not servers


tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, command, width=160, height=60):
        self.name = f"chatlab-{uuid.uuid4().hex[:8]}"
        env = f"LANG=en_US.UTF-8 TERM=xterm-256color"
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
                        f"{env} {command}; sleep 60"], check=True)

    def screen(self, escapes=False):
        args = ["tmux", "capture-pane", "-p", "-t", self.name, "-S", "-2000"] + (["-e"] if escapes else [])
        return subprocess.run(args, capture_output=True, text=True).stdout

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return True
            time.sleep(0.2)  # polling a screen: there is no event to wait on
        return False

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@tmux
def test_live_in_a_real_terminal_is_coloured():
    command = " ".join(AUTOGRADE + [str(ROOT / "reference_solution" / "tcp"), "--live", "--pace", "0.02",
                                    "--lang", "en"])
    terminal = Tmux(command)
    try:
        assert terminal.wait_for("score:", 150), terminal.screen()
        screen = terminal.screen()
        assert "▶" in screen and "✔" in screen and "more lines of this check" in screen
        assert ESCAPE.search(terminal.screen(escapes=True))  # colours on a terminal
    finally:
        terminal.close()


@tmux
def test_demo_panel_in_a_real_terminal():
    # Long enough for three bots to join on a machine busy with other tests (seen: 8 s was not).
    command = " ".join(AUTOGRADE + ["demo", "--host", "127.0.0.1", "--port", "0", "--bots", "3",
                                    "--duration", "25", "--lang", "ru"])
    terminal = Tmux(command)
    try:
        assert terminal.wait_for("чат группы", 30), terminal.screen()
        assert terminal.wait_for("bot03", 30), terminal.screen()
        screen = terminal.screen()
        assert "потоков сервера" in screen and "чтобы войти" in screen
        assert terminal.wait_for("сервер остановлен", 30), terminal.screen()
    finally:
        terminal.close()
