"""Telling a chat for two from a chat for many by its source, on the shapes
real submissions have: start-up questions, admin consoles, accept helpers."""
import textwrap

import pytest

from autograder import static

pytestmark = pytest.mark.timeout(30)


def facts(source: str) -> static.Facts:
    return static.facts_of(textwrap.dedent(source))


def test_a_udp_server_that_asks_for_its_port_is_for_many():
    assert not facts("""
        import socket
        port = int(input("Port: "))
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("", port))
        clients = set()
        while True:
            data, addr = sock.recvfrom(1024)
            clients.add(addr)
            for other in clients:
                if other != addr:
                    sock.sendto(data, other)
    """).two_user


def test_a_udp_chat_typed_at_in_a_loop_is_for_two():
    assert facts("""
        import socket, threading
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("", 9000))
        peer = ("127.0.0.1", 9001)
        threading.Thread(target=lambda: print(sock.recvfrom(1024)), daemon=True).start()
        while True:
            sock.sendto(input("> ").encode(), peer)
    """).two_user


def test_an_accept_helper_with_an_admin_console_is_for_many():
    found = facts("""
        import socket, threading
        server = socket.socket()
        server.bind(("", 9000))
        server.listen()
        users = {}

        def wait_for_user():
            conn, addr = server.accept()
            conn.send(b"NICK")
            return conn, conn.recv(64).decode()

        def console():
            while True:
                if input() == "/stop":
                    server.close()

        threading.Thread(target=console, daemon=True).start()
        while True:
            conn, nick = wait_for_user()
            users[nick] = conn
    """)
    assert found.accepts_in_loop and not found.two_user


def test_a_relay_to_each_user_is_never_for_two():
    found = facts("""
        import socket
        server = socket.socket()
        server.listen(1)
        conn, addr = server.accept()
        conns = [conn]
        while True:
            text = input()
            for c in conns:
                c.sendall(text.encode())
    """)
    assert found.relays_to_many and not found.two_user


def test_one_accept_and_the_keyboard_is_for_two_even_when_sending_in_chunks():
    assert facts("""
        import socket
        server = socket.socket()
        server.listen(1)
        conn, addr = server.accept()
        while True:
            text = input().encode()
            for start in range(0, len(text), 512):
                conn.sendall(text[start:start + 512])
    """).two_user
