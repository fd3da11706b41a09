"""The reference two-user chat: both sides are processes with stdin as a pipe."""
from __future__ import annotations

import threading

import pytest

try:
    from tests.reference_helpers import IS_WINDOWS, Program, reference_script, reference_server
except ImportError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from reference_helpers import IS_WINDOWS, Program, reference_script, reference_server

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def pair():
    """(server, client), connected to each other; both killed at the end."""
    with reference_server("two_user") as server:
        client = Program(reference_script("two_user", "client"), "--port", server.port)
        try:
            server.wait_for_output("connected")
            client.wait_for_output("connected")
            yield server, client
        finally:
            client.kill()


def assert_clean_exit(program: Program) -> None:
    assert program.wait_exit() == 0, program.describe()
    program.assert_no_traceback()


def test_both_directions_at_the_same_time(pair):
    server, client = pair
    count = 200
    typing = [
        threading.Thread(target=lambda: [server.write_line(f"from server {n}") for n in range(count)]),
        threading.Thread(target=lambda: [client.write_line(f"from client {n}") for n in range(count)]),
    ]
    for typist in typing:
        typist.start()
    for typist in typing:
        typist.join(30)
    client.wait_for_output(f"server: from server {count - 1}\n")
    server.wait_for_output(f"client: from client {count - 1}\n")
    assert [f"server: from server {n}" for n in range(count)] == [
        line for line in client.output.splitlines() if line.startswith("server:")
    ]
    assert [f"client: from client {n}" for n in range(count)] == [
        line for line in server.output.splitlines() if line.startswith("client:")
    ]


def test_cyrillic_both_ways(pair):
    server, client = pair
    server.write_line("Привет от сервера")
    client.write_line("Привет от клиента")
    client.wait_for_output("server: Привет от сервера")
    server.wait_for_output("client: Привет от клиента")


def test_quit_on_the_client_ends_both_sides(pair):
    server, client = pair
    client.write_line("bye")
    server.wait_for_output("client: bye")
    client.write_line("/quit")
    assert_clean_exit(client)
    server.wait_for_output("* client left the chat")
    assert_clean_exit(server)


def test_quit_on_the_server_ends_both_sides(pair):
    server, client = pair
    server.write_line("/quit")
    assert_clean_exit(server)
    client.wait_for_output("* server left the chat")
    assert_clean_exit(client)


def test_end_of_input_on_the_server_ends_both_sides(pair):
    server, client = pair
    server.close_stdin()
    assert_clean_exit(server)
    assert_clean_exit(client)
    assert "* server left the chat" in client.output


def test_end_of_input_on_the_client_ends_both_sides(pair):
    server, client = pair
    client.close_stdin()
    assert_clean_exit(client)
    assert_clean_exit(server)
    assert "* client left the chat" in server.output


def test_client_that_vanishes_ends_the_server_cleanly(pair):
    server, client = pair
    client.kill()
    server.wait_for_output("* client left the chat")
    assert_clean_exit(server)


@pytest.mark.skipif(IS_WINDOWS, reason="SIGINT cannot be sent to a console process this way on Windows")
def test_ctrl_c_while_waiting_for_the_client():
    with reference_server("two_user") as server:
        server.wait_for_output("waiting")
        server.interrupt()
        assert_clean_exit(server)
        assert "goodbye" in server.output
