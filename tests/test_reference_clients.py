"""The reference chat clients as processes (stdin a pipe) against the reference servers."""
from __future__ import annotations

import socket

import pytest

try:
    from tests.reference_helpers import (
        DEADLINE, LineClient, Program, UdpClient, clients, reference_script, reference_server,
    )
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from reference_helpers import (
        DEADLINE, LineClient, Program, UdpClient, clients, reference_script, reference_server,
    )

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["tcp", "udp"])
def chat(request):
    """A reference server of each kind, a scripted user "bob" on it, and a way to start client processes."""
    variant = request.param
    with reference_server(variant) as server:
        with clients(server.port, kind=LineClient if variant == "tcp" else UdpClient) as connect:
            started = []

            def start_client(*args: str) -> Program:
                program = Program(reference_script(variant, "client"), "--port", server.port, *args)
                started.append(program)
                return program

            try:
                yield server, connect("bob"), start_client
            finally:
                for program in started:
                    program.kill()
        server.assert_no_traceback()


def assert_clean_exit(program: Program) -> None:
    assert program.wait_exit() == 0, program.describe()
    program.assert_no_traceback()


def test_client_with_nick_joins_sends_and_receives(chat):
    _, bob, start_client = chat
    alice = start_client("--nick", "alice")
    bob.expect("* alice joined the chat")
    alice.wait_for_output("* welcome, alice! online: bob, alice")
    alice.write_line("hello from the client")
    bob.expect("alice: hello from the client")
    # alice types nothing; the message must show up anyway
    bob.send_line("hi alice")
    alice.wait_for_output("bob: hi alice\n")


def test_client_asks_for_a_nickname(chat):
    _, bob, start_client = chat
    carol = start_client()
    carol.wait_for_output("Your nickname: ")
    carol.write_line("carol")
    carol.wait_for_output("* welcome, carol!")
    bob.expect("* carol joined the chat")


def test_client_asks_again_when_the_nickname_is_taken(chat):
    _, bob, start_client = chat
    other = start_client()
    other.wait_for_output("Your nickname: ")
    other.write_line("bob")
    other.wait_for_output(lambda text: text.count("Your nickname: ") == 2)
    assert 'nickname "bob" is not available' in other.output
    other.write_line("robert")
    other.wait_for_output("* welcome, robert!")
    bob.expect("* robert joined the chat")


def test_client_with_a_taken_nick_adds_a_digit(chat):
    _, bob, start_client = chat
    other = start_client("--nick", "bob")
    other.wait_for_output("* welcome, bob2!")
    bob.expect("* bob2 joined the chat")


def test_cyrillic_through_the_client(chat):
    _, bob, start_client = chat
    alice = start_client("--nick", "Алиса")
    bob.expect("* Алиса joined the chat")
    alice.write_line("Привет, Боб!")
    bob.expect("Алиса: Привет, Боб!")
    bob.send_line("Привет!")
    alice.wait_for_output("bob: Привет!")


def test_quit_leaves_and_exits_cleanly(chat):
    _, bob, start_client = chat
    alice = start_client("--nick", "alice")
    bob.expect("* alice joined the chat")
    alice.write_line("/quit")
    assert_clean_exit(alice)
    bob.expect("* alice left the chat")


def test_end_of_input_leaves_and_exits_cleanly(chat):
    _, bob, start_client = chat
    alice = start_client("--nick", "alice")
    bob.expect("* alice joined the chat")
    alice.close_stdin()
    assert_clean_exit(alice)
    bob.expect("* alice left the chat")


def test_tcp_client_does_not_wait_for_a_welcome():
    """Against a bare server that only prompts NICK, typed lines still go out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(DEADLINE)
        alice = Program(reference_script("tcp", "client"), "--port", listener.getsockname()[1])
        try:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(DEADLINE)
                conn.sendall(b"NICK\n")
                alice.wait_for_output("Your nickname: ")
                alice.write_line("alice")
                alice.write_line("hello")
                received = b""
                while b"hello\n" not in received:
                    chunk = conn.recv(4096)
                    assert chunk, f"client hung up; sent {received!r}"
                    received += chunk
                assert received == b"alice\nhello\n"
                conn.sendall(b"bob: hi\n")
                alice.wait_for_output("bob: hi\n")
            alice.wait_for_output("* disconnected from server")
            assert_clean_exit(alice)
        finally:
            alice.kill()


def test_tcp_client_can_quit_instead_of_choosing_another_nickname():
    with reference_server("tcp") as server, clients(server.port) as connect:
        bob = connect("bob")
        other = Program(reference_script("tcp", "client"), "--port", server.port)
        try:
            other.wait_for_output("Your nickname: ")
            other.write_line("bob")
            other.wait_for_output(lambda text: text.count("Your nickname: ") == 2)
            other.write_line("/quit")
            assert_clean_exit(other)
            connect("carol")  # "/quit" was not taken as a nickname: no one joined or left before carol
            assert bob.read_until("* carol joined the chat") == ["* carol joined the chat"]
        finally:
            other.kill()
        server.assert_no_traceback()


def test_tcp_client_exits_cleanly_when_the_server_goes_away():
    with reference_server("tcp") as server:
        alice = Program(reference_script("tcp", "client"), "--port", server.port, "--nick", "alice")
        try:
            alice.wait_for_output("* welcome, alice!")
            server.kill()
            alice.wait_for_output("* disconnected from server")
            assert_clean_exit(alice)
        finally:
            alice.kill()


def test_udp_client_notices_the_server_is_gone_when_it_sends():
    with reference_server("udp") as server:
        alice = Program(reference_script("udp", "client"), "--port", server.port, "--nick", "alice")
        try:
            alice.wait_for_output("* welcome, alice!")
            server.kill()
            alice.write_line("is anybody there?")  # bounces: nobody listens on that port now
            alice.wait_for_output("* disconnected from server")
            assert_clean_exit(alice)
        finally:
            alice.kill()


@pytest.mark.parametrize("variant", ["tcp", "udp", "two_user"])
def test_client_without_a_server_says_so(variant):
    with socket.socket() as placeholder:  # bound but not listening: nobody answers on this port
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
        nick = [] if variant == "two_user" else ["--nick", "alice"]
        client = Program(reference_script(variant, "client"), "--port", port, *nick)
        try:
            client.close_stdin()
            assert client.wait_exit() == 1, client.describe()
            client.assert_no_traceback()
            assert "cannot" in client.output or "does not answer" in client.output
        finally:
            client.kill()
