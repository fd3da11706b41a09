"""Tests of labs/: the two language versions agree, and the starter code runs.

The starter programs are run as real subprocesses on free loopback ports. Waiting is
always "until this event or a monotonic deadline", never a fixed sleep; the only
fixed wait is the 2 s during which a starter server must stay alive, which is the
thing being tested.
"""
from __future__ import annotations

import ast
import collections
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder.grading import rubric

ROOT = Path(__file__).resolve().parents[1]
LABS = ROOT / "labs"
CHAT = LABS / "chat"
STARTER = CHAT / "starter"
VARIANTS = ("tcp", "udp", "two_user")
STARTER_FILES = [STARTER / v / name for v in VARIANTS for name in ("server.py", "client.py")]

# The numbers live in the grader's rubric; the assignment in both languages must agree with it.
RUBRIC = rubric.load()
MULTI_SERVER_CHECKS = ("starts", "handshake", "broadcast", "names", "join_notice", "leave_notice",
                       "drop_survival", "idle_after_leave", "many_clients", "unicode", "threads")
SERVER_CHECK_POINTS = {check: int(points) for check, points in RUBRIC.points.items()
                       if not check.startswith("client_")}
CLIENT_CHECK_POINTS = {check: int(points) for check, points in RUBRIC.points.items()
                       if check.startswith("client_")}
VARIANT_CAPS = {str(int(cap)) for variant, cap in RUBRIC.caps.items() if cap}
NO_THREADING_FACTOR = str(RUBRIC.no_threading_factor)

# Protocol strings fixed by the spec; both protocol documents must quote them verbatim.
PROTOCOL_STRINGS = [
    "NICK",
    "* nickname must not be empty",
    '* nickname "<x>" is not available, choose another',
    "* line too long (max 4096 bytes), dropped",
    "/quit",
    "/join NAME",
    "/leave",
    "* send /join NAME first",
    "* NAME joined the chat",
    "* NAME left the chat",
    'errors="replace"',
    "client: text",
    "server: text",
    "python server.py [--host H] [--port P]",
    "python client.py [--host H] [--port P] [--nick NAME]",
    "Your nickname: ",
]

STARTUP_SECONDS = 10.0
ALIVE_SECONDS = 2.0
LOCALHOST = "127.0.0.1"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- documents


@pytest.mark.timeout(60)
def test_index_points_to_both_languages():
    index = read(LABS / "README.md")
    for name in ("assignment.en.md", "assignment.ru.md", "protocol.en.md", "protocol.ru.md",
                 "GETTING_STARTED.en.md", "GETTING_STARTED.ru.md"):
        assert (CHAT / name).is_file(), name
        assert f"chat/{name}" in index, f"labs/README.md does not link {name}"
    for path in STARTER_FILES:
        assert path.relative_to(LABS).as_posix() in index, f"labs/README.md does not link {path}"


def check_table(text: str) -> dict[str, int]:
    """Rows of the form | `check_id` | points | ... in a Markdown table."""
    rows = re.findall(r"^\|\s*`([a-z_]+)`\s*\|\s*(\d+)\s*\|", text, flags=re.MULTILINE)
    table: dict[str, int] = {}
    for check_id, points in rows:
        assert check_id not in table, f"check {check_id} listed twice"
        table[check_id] = int(points)
    return table


@pytest.mark.timeout(60)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_assignment_grading_table_matches_spec(lang):
    text = read(CHAT / f"assignment.{lang}.md")
    assert check_table(text) == {**SERVER_CHECK_POINTS, **CLIENT_CHECK_POINTS}
    assert str(sum(SERVER_CHECK_POINTS[c] for c in MULTI_SERVER_CHECKS)) in text  # the available total, 90
    assert set(re.findall(r"(\d+)\s*%", text)) == VARIANT_CAPS
    assert NO_THREADING_FACTOR in text
    for command in ("autograde my_submission/", "autograde my_submission/ --lang ru"):
        assert command in text
    for name in ("server.py", "client.py", "protocol." + lang + ".md"):
        assert name in text


# The checks each variant runs (the client checks included); the lab text's examples are scored over these.
CLIENT_CHECKS = ("client_connects", "client_handshake", "client_sends", "client_receives", "client_exits")
APPLICABLE = {
    "tcp-multi": MULTI_SERVER_CHECKS + CLIENT_CHECKS,
    "udp-multi": tuple(c for c in MULTI_SERVER_CHECKS if c not in ("drop_survival", "idle_after_leave"))
    + CLIENT_CHECKS,
    "tcp-two-user": ("connects", "server_to_client", "client_to_server", "duplex", "ending", "threads")
    + tuple(c for c in CLIENT_CHECKS if c != "client_handshake"),
}
EXAMPLE = re.compile(r"^- (?P<what>.+): (?P<cap>\d+) × (?P<earned>\d+) / (?P<available>\d+)"
                     r"(?P<halved> × 0\.5)? = (?P<score>\d+\.\d)\.$", re.M)


def example_variant(what: str) -> str:
    if "UDP" in what:
        return "udp-multi"
    if "Two-user" in what or "на двоих" in what:
        return "tcp-two-user"
    return "tcp-multi"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("lang", ["en", "ru"])
def test_assignment_score_examples_are_what_the_rubric_gives(lang):
    """Every worked example: the checks it names as lost, scored by autograder.rubric."""
    text = read(CHAT / f"assignment.{lang}.md")
    examples = list(EXAMPLE.finditer(text))
    assert len(examples) >= 6, "the examples must keep the 'cap × earned / available = score.' form"
    for example in examples:
        variant = example_variant(example["what"])
        applicable = APPLICABLE[variant]
        lost = {c for c in re.findall(r"`([a-z_]+)`", example["what"]) if c in RUBRIC.points}
        assert lost <= set(applicable), example[0]
        available = sum(RUBRIC.points[c] for c in applicable)
        earned = available - sum(RUBRIC.points[c] for c in lost)
        halved = "`asyncio`" in example["what"]  # no threading at all: the score is multiplied by the factor
        factor = RUBRIC.no_threading_factor if halved else 1.0
        expected, _ = rubric.scores(RUBRIC.cap(variant), factor,
                                    [("passed", RUBRIC.points[c]) for c in applicable if c not in lost]
                                    + [("failed", RUBRIC.points[c]) for c in lost])
        assert (int(example["cap"]), int(example["earned"]), int(example["available"])) == \
            (RUBRIC.cap(variant), earned, available), example[0]
        assert bool(example["halved"]) == halved, example[0]
        assert float(example["score"]) == expected, example[0]
    assert {example_variant(e["what"]) for e in examples} == set(APPLICABLE)


@pytest.mark.timeout(60)
def test_assignment_versions_agree():
    en = read(CHAT / "assignment.en.md")
    ru = read(CHAT / "assignment.ru.md")
    ids = set(SERVER_CHECK_POINTS) | set(CLIENT_CHECK_POINTS)
    en_ids = {token for token in re.findall(r"`([a-z_]+)`", en) if token in ids}
    ru_ids = {token for token in re.findall(r"`([a-z_]+)`", ru) if token in ids}
    assert en_ids == ru_ids == ids
    assert check_table(en) == check_table(ru)
    # Every number (percentages, points, the 0.5 factor, worked examples, ports, timeouts)
    # appears as often in one language as in the other.
    en_numbers = collections.Counter(re.findall(r"\d+(?:\.\d+)?", en))
    ru_numbers = collections.Counter(re.findall(r"\d+(?:\.\d+)?", ru))
    assert en_numbers == ru_numbers, (
        f"only in en: {dict(en_numbers - ru_numbers)}, only in ru: {dict(ru_numbers - en_numbers)}"
    )
    assert sorted(re.findall(r"(\d+)\s*%", en)) == sorted(re.findall(r"(\d+)\s*%", ru))


def transcript(text: str) -> list[str]:
    """The wire lines of the example sessions: '<who> <dir> <line>', comments removed."""
    lines = []
    for match in re.finditer(r"^\s*\d+\s+(\w+)\s+(<-|->)(.*)$", text, flags=re.MULTILINE):
        who, direction, rest = match.groups()
        rest = re.sub(r"\s{2,}\(.*\)\s*$", "", rest).strip()
        lines.append(f"{who} {direction} {rest}")
    lines += re.findall(r"^(?:<-|->) b'.*'$", text, flags=re.MULTILINE)
    return lines


@pytest.mark.timeout(60)
def test_protocol_versions_agree():
    en = read(CHAT / "protocol.en.md")
    ru = read(CHAT / "protocol.ru.md")
    for needle in PROTOCOL_STRINGS:
        assert needle in en, f"protocol.en.md lacks {needle!r}"
        assert needle in ru, f"protocol.ru.md lacks {needle!r}"
    assert len(transcript(en)) >= 30
    assert transcript(en) == transcript(ru)


# ---------------------------------------------------------------- starter source


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", STARTER_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_starter_compiles_and_uses_only_the_standard_library(path):
    source = read(path)
    tree = compile(source, str(path), "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    compile(tree, str(path), "exec", dont_inherit=True)
    assert "from __future__ import annotations" in source  # Python 3.9 with X | None hints
    stdlib = getattr(sys, "stdlib_module_names", None)
    if stdlib is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in stdlib, f"{path.name} imports {name}"
    assert "--host" in source and "--port" in source


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", STARTER_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_starter_todos_are_numbered_and_translated(path):
    lines = read(path).splitlines()
    numbers = []
    for i, line in enumerate(lines):
        match = re.search(r"# TODO (\d+):", line)
        if not match:
            continue
        numbers.append(int(match.group(1)))
        block = []
        for following in lines[i + 1:]:
            if not following.strip().startswith("#") or "TODO" in following:
                break
            block.append(following)
        assert any("(рус.)" in b for b in block), f"TODO {match.group(1)} has no Russian line"
    assert numbers, "no TODOs"
    assert sorted(numbers) == list(range(1, len(numbers) + 1)), numbers


# ---------------------------------------------------------------- running starters


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((LOCALHOST, 0))
        return probe.getsockname()[1]


class Program:
    """A starter program in a subprocess, output captured in files for diagnostics."""

    def __init__(self, path: Path, args: list[str], tmp_path: Path):
        self.out_path = tmp_path / f"{path.parent.name}_{path.stem}.out"
        self.err_path = tmp_path / f"{path.parent.name}_{path.stem}.err"
        self._out = open(self.out_path, "wb")
        self._err = open(self.err_path, "wb")
        env = dict(os.environ, PYTHONIOENCODING="utf-8", PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(path), *args],
            cwd=str(path.parent),
            stdin=subprocess.PIPE,  # kept open: EOF on stdin would mean "quit"
            stdout=self._out,
            stderr=self._err,
            env=env,
        )

    def diagnostics(self) -> str:
        self._out.flush()
        self._err.flush()
        out = self.out_path.read_text(encoding="utf-8", errors="replace")
        err = self.err_path.read_text(encoding="utf-8", errors="replace")
        return f"exit code: {self.proc.poll()}\n--- stdout ---\n{out}\n--- stderr ---\n{err}"

    def type(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode("utf-8"))
        self.proc.stdin.flush()

    def assert_running(self) -> None:
        if self.proc.poll() is not None:
            pytest.fail("the program ended\n" + self.diagnostics())

    def stays_alive(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.assert_running()
            time.sleep(0.05)
        self.assert_running()
        assert "Traceback" not in self.err_path.read_text(encoding="utf-8", errors="replace"), (
            self.diagnostics()
        )

    def exits_cleanly(self, seconds: float) -> None:
        try:
            code = self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the program did not end within {seconds} s\n" + self.diagnostics())
        assert code == 0, self.diagnostics()
        assert "Traceback" not in self.err_path.read_text(encoding="utf-8", errors="replace"), (
            self.diagnostics()
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=10)
        finally:
            if self.proc.stdin is not None:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
            self._out.close()
            self._err.close()


def connect(program: Program, port: int, deadline: float) -> socket.socket:
    """Connect to a starter server, retrying until it listens or the deadline passes."""
    while True:
        program.assert_running()
        try:
            return socket.create_connection((LOCALHOST, port), timeout=0.5)
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("the server did not accept connections in time\n" + program.diagnostics())
            time.sleep(0.05)


def read_until(sock: socket.socket, needle: bytes, deadline: float, buf: bytes = b"") -> bytes:
    """Read a stream until `needle` has arrived; return everything read."""
    while needle not in buf:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            pytest.fail(f"{needle!r} did not arrive in time; got {buf!r}")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        if not chunk:
            pytest.fail(f"connection closed before {needle!r} arrived; got {buf!r}")
        buf += chunk
    return buf


def recv_datagram(sock: socket.socket, deadline: float) -> tuple[bytes, tuple]:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        pytest.fail("no datagram arrived in time")
    sock.settimeout(remaining)
    try:
        return sock.recvfrom(65535)
    except socket.timeout:
        pytest.fail("no datagram arrived in time")


@pytest.mark.timeout(60)
def test_tcp_starter_server_prompts_and_survives_clients(tmp_path):
    port = free_port()
    server = Program(STARTER / "tcp" / "server.py", ["--port", str(port)], tmp_path)
    sockets = []
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        alice = connect(server, port, deadline)
        sockets.append(alice)
        assert read_until(alice, b"NICK\n", deadline).startswith(b"NICK")
        alice.sendall(b"alice\n")

        bob = connect(server, port, deadline)
        sockets.append(bob)
        read_until(bob, b"NICK\n", deadline)
        bob.sendall("боб\r\n".encode("utf-8"))
        alice.sendall("hello\nпривет\n\n".encode("utf-8"))
        bob.sendall(b"\xff\xfe broken utf-8\n/quit\n")
        # A client that vanishes without a word must not take the server down.
        ghost = connect(server, port, deadline)
        ghost.close()

        server.stays_alive(ALIVE_SECONDS)
        # Still accepting and prompting after all that.
        carol = connect(server, port, time.monotonic() + STARTUP_SECONDS)
        sockets.append(carol)
        read_until(carol, b"NICK\n", time.monotonic() + STARTUP_SECONDS)
    finally:
        for sock in sockets:
            sock.close()
        server.stop()


@pytest.mark.timeout(60)
def test_udp_starter_server_answers_and_survives(tmp_path):
    port = free_port(socket.SOCK_DGRAM)
    server = Program(STARTER / "udp" / "server.py", ["--port", str(port)], tmp_path)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # Until the server is bound our datagrams are lost (or refused), so resend.
        deadline = time.monotonic() + STARTUP_SECONDS
        reply = b""
        while not reply:
            server.assert_running()
            if time.monotonic() > deadline:
                pytest.fail("the UDP server never answered\n" + server.diagnostics())
            client.sendto(b"hello?", (LOCALHOST, port))
            client.settimeout(0.2)
            try:
                reply, _ = client.recvfrom(65535)
            except (socket.timeout, ConnectionError):
                continue
        assert reply.decode("utf-8").strip() == "* send /join NAME first"

        for datagram in ("/join alice", "привет", "", "/leave", "/join ", "\udcff"):
            client.sendto(datagram.encode("utf-8", errors="surrogateescape"), (LOCALHOST, port))
        server.stays_alive(ALIVE_SECONDS)
    finally:
        client.close()
        server.stop()


@pytest.mark.timeout(60)
def test_two_user_starter_server_talks_and_quits(tmp_path):
    port = free_port()
    server = Program(STARTER / "two_user" / "server.py", ["--port", str(port)], tmp_path)
    peer = None
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        peer = connect(server, port, deadline)
        peer.sendall("hi from the client\nпривет\n".encode("utf-8"))
        server.stays_alive(ALIVE_SECONDS)

        server.type("hello from the server\n")
        read_until(peer, b"hello from the server\n", time.monotonic() + STARTUP_SECONDS)
        server.type("/quit\n")
        server.exits_cleanly(STARTUP_SECONDS)
    finally:
        if peer is not None:
            peer.close()
        server.stop()


@pytest.mark.timeout(60)
def test_tcp_starter_client_joins_sends_and_quits(tmp_path):
    with socket.create_server((LOCALHOST, 0)) as fake_server:
        port = fake_server.getsockname()[1]
        client = Program(
            STARTER / "tcp" / "client.py", ["--port", str(port), "--nick", "alice"], tmp_path
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            fake_server.settimeout(STARTUP_SECONDS)
            conn, _ = fake_server.accept()
            with conn:
                conn.sendall(b"NICK\n")
                buf = read_until(conn, b"\n", deadline)
                assert buf == b"alice\n"
                conn.sendall(b"* welcome, alice! online: alice\nbob: hi\n")
                client.stays_alive(ALIVE_SECONDS)
                client.type("hello\n/quit\n")
                read_until(conn, b"/quit\n", time.monotonic() + STARTUP_SECONDS, b"")
                client.exits_cleanly(STARTUP_SECONDS)
        finally:
            client.stop()


@pytest.mark.timeout(60)
def test_udp_starter_client_joins_sends_and_leaves(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fake_server:
        fake_server.bind((LOCALHOST, 0))
        port = fake_server.getsockname()[1]
        client = Program(
            STARTER / "udp" / "client.py", ["--port", str(port), "--nick", "alice"], tmp_path
        )
        try:
            deadline = time.monotonic() + STARTUP_SECONDS
            data, addr = recv_datagram(fake_server, deadline)
            assert data == b"/join alice"
            fake_server.sendto(b"* welcome, alice! online: alice", addr)
            client.stays_alive(ALIVE_SECONDS)
            client.type("hello\n/quit\n")
            deadline = time.monotonic() + STARTUP_SECONDS
            assert recv_datagram(fake_server, deadline)[0] == b"hello"
            assert recv_datagram(fake_server, deadline)[0] == b"/leave"
            client.exits_cleanly(STARTUP_SECONDS)
        finally:
            client.stop()


@pytest.mark.timeout(60)
def test_two_user_starter_client_sends_and_quits(tmp_path):
    with socket.create_server((LOCALHOST, 0)) as fake_server:
        port = fake_server.getsockname()[1]
        client = Program(STARTER / "two_user" / "client.py", ["--port", str(port)], tmp_path)
        try:
            fake_server.settimeout(STARTUP_SECONDS)
            conn, _ = fake_server.accept()
            with conn:
                conn.sendall("привет\n".encode("utf-8"))
                client.stays_alive(ALIVE_SECONDS)
                client.type("hi\n/quit\n")
                buf = read_until(conn, b"/quit\n", time.monotonic() + STARTUP_SECONDS)
                assert buf == b"hi\n/quit\n"
                client.exits_cleanly(STARTUP_SECONDS)
        finally:
            client.stop()
