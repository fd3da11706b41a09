"""Telling a chat for two from a chat for many by its source, on the shapes
real submissions have: start-up questions, admin consoles, accept helpers."""
import textwrap

import pytest

from pathlib import Path

from autograder.intake import static

FIXTURES_LAB = Path(__file__).resolve().parent / "fixtures" / "intake" / "lab"

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


# --- issue 12: runnable files, a main guard too deep, the chat task's shape ---------------------

def test_a_main_guard_inside_the_last_function_is_found_with_its_line():
    source = "import socket\n\ndef handle_client(c):\n    c.recv(1)\n\n    if __name__ == '__main__':\n        run()\n"
    assert static.nested_main_guard(source) == ("handle_client", 6)
    assert static.nested_main_guard(source.replace("\n    if __name__", "\nif __name__").replace("\n        run", "\n    run")) is None
    assert not static.runs_on_its_own(source)


def test_a_nested_main_guard_is_a_one_line_problem_naming_the_function(tmp_path):
    path = tmp_path / "server.py"
    path.write_text("import socket\n\ndef handle_client(c):\n    c.recv(1)\n\n    if __name__ == '__main__':\n        pass\n")
    problem = static.problem_with(path)
    assert (problem.key, problem.line, problem.detail) == ("error.main_guard_nested", 6, "handle_client")


def test_what_runs_on_its_own():
    assert static.runs_on_its_own("class S:\n    pass\nS().serve()\n")
    assert static.runs_on_its_own("while True:\n    pass\n")
    assert not static.runs_on_its_own("import socket\ndef main():\n    pass\nx = 1\n")


def test_the_chat_shape_outscores_the_other_tasks_of_the_lab():
    from autograder.intake import tasks

    lab = FIXTURES_LAB
    shape = {n: tasks.chat_shape(static.facts_of((lab / f"task{n}_server.py").read_text(encoding="utf-8")),
                                 static.facts_of((lab / f"task{n}_client.py").read_text(encoding="utf-8")))
             for n in range(1, 6)}
    assert max(shape, key=shape.get) == 4 and all(shape[4] > shape[n] for n in (1, 2, 3, 5))
    assert tasks.section_number("Лабораторная 1. Задание 4: чат") == 4
    assert tasks.section_number("Часть 2") == 2 and tasks.section_number("task4_server.py") is None


def test_a_stray_guard_in_a_file_that_runs_anyway_is_no_problem():
    source = "def helper():\n    if __name__ == '__main__':\n        pass\n\nwhile True:\n    pass\n"
    assert static.nested_main_guard(source) is None
