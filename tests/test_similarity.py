"""Copied code is found through renaming, new comments and moved blank lines; independent code is not."""
from __future__ import annotations

import time

import pytest

from autograder.classroom import similarity
from grading_helpers import FIXTURES, ROOT

pytestmark = pytest.mark.timeout(60)

ORIGINAL = '''\
import socket
import threading

HOST = "127.0.0.1"
PORT = 9090
clients = {}
lock = threading.Lock()


def send_to_others(sender, text):
    """Relay a line to everybody but its author."""
    with lock:
        for conn, nick in list(clients.items()):
            if conn is sender:
                continue
            try:
                conn.sendall(text.encode("utf-8"))
            except OSError:
                del clients[conn]


def serve(conn):
    conn.sendall(b"NICK\\n")
    nick = conn.recv(1024).decode("utf-8").strip()
    with lock:
        clients[conn] = nick
    send_to_others(conn, f"* {nick} joined\\n")
    buffer = b""
    while True:
        chunk = conn.recv(1024)
        if not chunk:
            break
        buffer += chunk
        while b"\\n" in buffer:
            line, buffer = buffer.split(b"\\n", 1)
            send_to_others(conn, f"{nick}: {line.decode('utf-8')}\\n")
    with lock:
        clients.pop(conn, None)
    send_to_others(conn, f"* {nick} left\\n")
    conn.close()


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, PORT))
    listener.listen()
    while True:
        conn, addr = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
'''

# The same program after a search-and-replace of every name, new comments in
# another language, blank lines moved, a docstring dropped and one added.
DISGUISED = '''\
# Лабораторная работа: сервер чата
import socket
import threading
SERVER_ADDRESS = "127.0.0.1"


SERVER_PORT = 9090
# все участники
participants = {}
mutex = threading.Lock()
def broadcast(author, message):
    # рассылаем всем, кроме автора
    with mutex:

        for sock, name in list(participants.items()):
            if sock is author:
                continue
            try:
                sock.sendall(message.encode("utf-8"))   # отправка
            except OSError:
                del participants[sock]
def client_thread(sock):
    """Поток одного клиента."""
    sock.sendall(b"NAME?\\n")
    name = sock.recv(1024).decode("utf-8").strip()
    with mutex:
        participants[sock] = name
    broadcast(sock, f"--> {name} вошёл\\n")

    pending = b""
    while True:
        part = sock.recv(1024)
        if not part:
            break   # клиент отключился
        pending += part
        while b"\\n" in pending:
            row, pending = pending.split(b"\\n", 1)
            broadcast(sock, f"[{name}] {row.decode('utf-8')}\\n")
    with mutex:
        participants.pop(sock, None)
    broadcast(sock, f"<-- {name} вышел\\n")
    sock.close()
def run():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((SERVER_ADDRESS, SERVER_PORT)); srv.listen()
    while True:
        sock, address = srv.accept()
        threading.Thread(target=client_thread, args=(sock,), daemon=True).start()
if __name__ == "__main__":
    run()
'''


def test_a_renamed_copy_is_found_with_the_shared_fragment():
    pairs = similarity.similar_pairs({"anna": ORIGINAL, "boris": DISGUISED, "reference": read_reference()})
    assert [(p.a, p.b) for p in pairs] == [("anna", "boris")]
    pair = pairs[0]
    assert pair.score > 0.9
    # The fragment is real code of anna's, and boris's lines point at the same code.
    assert "send_to_others" in pair.fragment or "listener" in pair.fragment
    assert pair.lines_a[1] - pair.lines_a[0] >= 10
    assert pair.lines_b[0] >= 1 and pair.lines_b[1] <= len(DISGUISED.splitlines())
    text = pair.message().text("en")
    assert "anna and boris" in text and "%" in text
    assert "anna и boris" in pair.message().text("ru")
    assert pair.as_dict()["score"] == round(pair.score, 3)


def test_normalisation_ignores_names_comments_and_layout():
    one = "x = 1\n\n\n# comment\nprint(x)  # shown\n"
    two = '"""Docstring."""\nvalue = 42; print(value)\n'
    assert similarity.normalised_tokens(one)[0] == similarity.normalised_tokens(two)[0]
    assert similarity.normalised_tokens(one)[0] == ["V", "=", "N", "\n", "print", "(", "V", ")", "\n"]


def test_broken_source_still_counts():
    broken = ORIGINAL + "\ndef oops(:\n    '''never closed\n"
    pairs = similarity.similar_pairs({"a": ORIGINAL, "b": broken})
    assert pairs and pairs[0].score > 0.9


def read_reference() -> str:
    return (ROOT / "reference_solution" / "tcp" / "server.py").read_text(encoding="utf-8")


def test_independent_solutions_are_not_paired():
    independent = {
        "reference": read_reference(),
        "nick_prompt": (FIXTURES / "tcp" / "nick_prompt" / "server.py").read_text(encoding="utf-8"),
        "original": ORIGINAL,
    }
    assert similarity.similar_pairs(independent) == []
    scores = {(p.a, p.b): p.score for p in similarity.similar_pairs(independent, threshold=0.0)}
    assert scores.get(("reference", "nick_prompt"), 0.0) < 0.25


def test_starter_code_everyone_got_is_not_evidence():
    starter = ORIGINAL.split("def serve")[0]
    one = starter + "\n\ndef serve(conn):\n    conn.close()\n" * 1
    two = starter + "\n\nprint('hello')\n"
    assert similarity.similar_pairs({"a": one, "b": two}, threshold=0.5)
    assert not similarity.similar_pairs({"a": one, "b": two}, threshold=0.5, boilerplate=[starter])


def test_fifty_submissions_are_compared_quickly():
    sources = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(FIXTURES.rglob("*.py"))]
    sources += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "reference_solution").rglob("*.py"))]
    submissions = {f"s{i:02}": sources[i % len(sources)] + f"\n# {i}\n" for i in range(50)}
    started = time.perf_counter()
    pairs = similarity.similar_pairs(submissions, threshold=0.8)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, elapsed
    assert pairs  # the repeated sources are found


def test_one_copy_of_the_kits_own_code_is_flagged_alone():
    """A copy of the reference needs no second student to be seen, and many copies are no excuse."""
    from autograder.classroom import batch

    kit = batch.kit_code()
    assert "reference_solution/tcp/server.py" in kit
    assert any(label.startswith("notebooks/instructor/") for label in kit)
    renamed = read_reference().replace("connection", "link").replace("nickname", "handle")
    own = (FIXTURES / "tcp" / "nick_prompt" / "server.py").read_text(encoding="utf-8")
    pairs = similarity.kit_pairs({"mallory": renamed, "honest": own}, kit,
                                 boilerplate=batch.kit_code("student").values())
    assert [(p.a, p.b, p.kit) for p in pairs] == [("mallory", "reference_solution/tcp/server.py", True)]
    assert "kit's own code" in pairs[0].message().text("en") and "из самого курса" in pairs[0].message().text("ru")
    crowd = {f"s{i}": renamed + f"\n# {i}\n" for i in range(8)}
    assert len(similarity.kit_pairs(crowd, kit)) >= 8  # widely shared, still a copy of the reference


def test_the_hostile_reference_copy_is_flagged_in_a_class():
    from autograder.classroom import batch

    entries = [batch.Entry(name, FIXTURES / path) for name, path in
               (("reference_copy", "hostile/reference_copy"), ("nick_prompt", "tcp/nick_prompt"))]
    pairs = batch.similar_submissions(entries)
    assert [(p.a, p.b) for p in pairs] == [("reference_copy", "reference_solution/tcp/server.py")]
