"""The reference UDP chat server, driven by scripted UDP clients."""
from __future__ import annotations

import pytest

try:
    from tests.reference_helpers import IS_WINDOWS, UdpClient, clients, reference_server
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from reference_helpers import IS_WINDOWS, UdpClient, clients, reference_server

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def server():
    with reference_server("udp") as running:
        yield running
        running.assert_no_traceback()


@pytest.fixture
def connect(server):
    with clients(server.port, kind=UdpClient) as factory:
        yield factory


def test_join_is_welcomed_and_announced(connect):
    alice = connect("alice")
    bob = connect()
    assert bob.join("bob") == "* welcome, bob! online: alice, bob"
    alice.expect("* bob joined the chat")


def test_messages_are_relayed_to_every_other_user_without_echo(connect):
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    alice.send("hello  ")  # the server strips surrounding whitespace
    assert bob.expect(lambda text: text.startswith("alice:")) == "alice: hello"
    assert carol.expect(lambda text: text.startswith("alice:")) == "alice: hello"
    bob.send("hi")
    alice.expect("bob: hi")
    assert "alice: hello" not in alice.history


def test_leave_is_announced_and_stops_delivery(connect):
    alice, bob = connect("alice"), connect("bob")
    bob.send("/leave")
    alice.expect("* bob left the chat")
    alice.send("anyone?")
    bob.send("back?")
    bob.expect("* send /join NAME first")
    assert "alice: anyone?" not in bob.history


def test_unknown_address_is_told_to_join_first(connect):
    stranger = connect()
    stranger.send("hello?")
    stranger.expect("* send /join NAME first")


def test_duplicate_empty_and_repeated_joins(connect):
    connect("alice")
    other = connect()
    other.send("/join alice")
    other.expect('* nickname "alice" is not available, choose another')
    other.send("/join   ")
    other.expect("* nickname must not be empty")
    assert other.join("bob") == "* welcome, bob! online: alice, bob"
    # A repeated /join (the first answer may have been lost) is welcomed again.
    assert other.join("bob") == "* welcome, bob! online: alice, bob"
    other.send("/join robert")
    other.expect("* you are already in the chat as bob")


def test_cyrillic_nickname_and_text(connect):
    alice, bob = connect("Алиса"), connect("Боб")
    alice.send("Привет!")
    assert bob.expect(lambda text: text.startswith("Алиса")) == "Алиса: Привет!"


def test_invalid_utf8_and_oversized_datagrams(connect):
    alice, bob = connect("alice"), connect("bob")
    alice.sock.sendto(b"bad \xff bytes", alice.server)
    assert bob.expect(lambda text: text.startswith("alice:")) == "alice: bad \ufffd bytes"
    alice.send("x" * 5000)
    alice.expect("* message too long (max 4096 bytes), dropped")
    alice.send("fine")
    bob.expect("alice: fine")
    assert not any("xxxx" in text for text in bob.history)


def test_ten_users_get_every_message(connect):
    names = [f"user{number}" for number in range(10)]
    users = [connect(name) for name in names]
    for user in users:
        user.send(f"from {user.nick}")
    for user in users:
        expected = {f"{other}: from {other}" for other in names if other != user.nick}
        received = [user.expect(lambda text: not text.startswith("*")) for _ in expected]
        assert sorted(received) == sorted(expected)


@pytest.mark.skipif(IS_WINDOWS, reason="SIGINT cannot be sent to a console process this way on Windows")
def test_ctrl_c_stops_the_server_without_traceback(server, connect):
    connect("alice")  # the server is up and serving
    server.interrupt()
    assert server.wait_exit() == 0
    assert "goodbye" in server.output
    assert "Traceback" not in server.errors, server.describe()
