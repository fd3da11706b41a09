"""The table of known mistakes: complete, translated, tied to fixtures, and
its source-level recognisers right on small examples."""
import pytest

from autograder.grading import hints
from autograder import i18n
from autograder.results import CheckResult, msg
from grading_helpers import FIXTURES

pytestmark = pytest.mark.timeout(30)


def test_the_table_is_big_enough_and_every_entry_teaches_in_both_languages():
    assert len(hints.SIGNATURES) >= 12
    assert len({s.id for s in hints.SIGNATURES}) == len(hints.SIGNATURES)
    for signature in hints.SIGNATURES:
        entry = i18n.CATALOGUE[f"mistake.{signature.id}"]
        for lang in i18n.LANGUAGES:
            assert "Fix:" in entry[lang] or "Исправление:" in entry[lang]


def test_every_signature_is_tied_to_a_fixture_that_exists():
    for signature in hints.SIGNATURES:
        assert (FIXTURES / signature.fixture / "server.py").is_file(), signature


def test_removing_from_the_iterated_list_is_seen():
    assert hints.removes_while_iterating("for c in clients:\n    try:\n        c.send(b'x')\n"
                                         "    except OSError:\n        clients.remove(c)\n")
    assert hints.removes_while_iterating("for i, c in enumerate(users):\n    users.pop(i)\n")
    assert not hints.removes_while_iterating("for c in list(clients):\n    c.send(b'x')\nclients.remove(d)\n")


def test_a_failed_check_gets_the_hint_of_its_mistake():
    result = CheckResult(id="unicode", status="failed", message=msg("fail.unicode.missing"),
                         exceptions=[{"type": "UnicodeDecodeError", "message": "'ascii' codec can't decode"}])
    hints.apply([result], hints.Evidence(server_source="data.decode('utf-8')"))
    assert result.signature == "ascii_decoding"
    assert result.hint.key == "mistake.ascii_decoding"


def test_passed_checks_and_unknown_failures_keep_their_hints():
    passed = CheckResult(id="names", status="passed")
    other = CheckResult(id="unicode", status="failed", hint=msg("hint.unicode"))
    hints.apply([passed, other], hints.Evidence(server_source="x = 1"))
    assert passed.signature is None and passed.hint is None
    assert other.signature is None and other.hint.key == "hint.unicode"


def test_two_user_shape_is_told_from_a_multi_user_server():
    from autograder.intake import static

    multi = ("import socket, threading\ns = socket.socket()\ns.listen()\ndef serve():\n    while True:\n"
             "        try:\n            conn, addr = s.accept()\n        except OSError:\n            return\n"
             "        threading.Thread(target=print, args=(conn,)).start()\nline = conn.makefile().readline()\n")
    two = ("import socket, sys\ns = socket.socket()\ns.listen(1)\nwhile True:\n    try:\n"
           "        conn, addr = s.accept()\n        break\n    except socket.timeout:\n        continue\n"
           "for line in sys.stdin:\n    conn.sendall(line.encode())\n")
    assert not static.facts_of(multi).two_user
    assert static.facts_of(two).two_user


def test_a_send_under_the_users_lock_is_seen_also_through_a_helper():
    direct = "with lock:\n    for c in clients:\n        c.sendall(data)\n"
    helper = ("def broadcast(m):\n    for c in clients:\n        c.send(m)\n"
              "def handle():\n    with clients_lock:\n        broadcast(b'x')\n")
    copied = "with lock:\n    targets = list(clients)\nfor c in targets:\n    c.sendall(data)\n"
    assert hints.sends_under_lock(direct) and hints.sends_under_lock(helper)
    assert not hints.sends_under_lock(copied)


def test_reading_up_to_a_delimiter_is_told_from_one_recv_per_message():
    assert hints.buffers_stream("f = conn.makefile('r')\nfor line in f:\n    pass\n")
    assert hints.buffers_stream("buf = b''\nwhile True:\n    buf += conn.recv(1024)\n"
                                "    while b'\\n' in buf:\n        line, buf = buf.split(b'\\n', 1)\n")
    assert not hints.buffers_stream("while True:\n    data = conn.recv(1024)\n    send_all(name + data.decode())\n")


def test_a_registry_that_only_grows_is_seen():
    grows = "clients = []\ndef on_join(c):\n    clients.append(c)\ndef say(m):\n    for c in clients:\n        c.send(m)\n"
    assert hints.registry_never_shrinks(grows)
    assert not hints.registry_never_shrinks(grows + "def on_leave(c):\n    clients.remove(c)\n")
    assert not hints.registry_never_shrinks(grows + "def on_leave(c):\n    global clients\n"
                                            "    clients = [x for x in clients if x is not c]\n")
    assert not hints.registry_never_shrinks("users = {}\nusers[c] = n\nfor u in users:\n    u.send(m)\n"
                                            "del users[c]\n")


def test_the_new_mistakes_are_named_under_their_checks():
    evidence = hints.Evidence(server_source=(FIXTURES / "tcp/lock_while_sending/server.py").read_text(encoding="utf-8"))
    stuck = CheckResult(id="slow_reader", status="failed", message=msg("fail.slow_reader.stuck", got=49, total=384,
                                                                       seconds=5))
    hints.apply([stuck], evidence)
    assert stuck.signature == "lock_held_while_sending"
    cut = CheckResult(id="framing", status="failed", message=msg("fail.framing.glued", first="a", second="b"))
    hints.apply([cut], hints.Evidence(server_source=(FIXTURES / "tcp/one_recv_per_message/server.py")
                                      .read_text(encoding="utf-8")))
    assert cut.signature == "one_recv_one_message"
    lost = CheckResult(id="drop_survival", status="failed", message=msg("fail.drop.lost", sender="alice",
                                                                        receiver="carol", number=1),
                       exceptions=[{"type": "OSError", "message": "[Errno 9] Bad file descriptor"}])
    hints.apply([lost], hints.Evidence(server_source=(FIXTURES / "tcp/never_removes_users/server.py")
                                       .read_text(encoding="utf-8")))
    assert lost.signature == "never_removes_users"


def test_a_history_that_only_grows_is_not_the_users_list():
    history = ("clients = []\nhistory = []\ndef on_join(conn):\n    for old in history:\n        conn.send(old)\n"
               "    clients.append(conn)\ndef say(m):\n    history.append(m)\n    for c in clients:\n        c.send(m)\n"
               "def on_leave(conn):\n    clients.remove(conn)\n")
    assert not hints.registry_never_shrinks(history)
    accepted = ("conns = []\nwhile True:\n    conn, addr = s.accept()\n    conns.append(conn)\n"
                "    for c in list(conns):\n        pass\n")
    assert hints.registry_never_shrinks(accepted)
    copied = ("users = []\ndef join(c):\n    users.append(c)\ndef say(m):\n    targets = list(users)\n"
              "    for t in targets:\n        t.sendall(m)\n")
    assert hints.registry_never_shrinks(copied)
    rebuilt = copied + "def leave(c):\n    users[:] = [u for u in users if u is not c]\n"
    assert not hints.registry_never_shrinks(rebuilt)


def test_the_list_changed_while_iterating_is_not_hidden_by_a_growing_history():
    source = ("members = []\nbacklog = []\ndef deliver(data):\n    backlog.append(data)\n    for m in members:\n"
              "        try:\n            m.sendall(data)\n        except OSError:\n            members.remove(m)\n"
              "def join(conn):\n    for old in backlog:\n        conn.sendall(old)\n    members.append(conn)\n")
    result = CheckResult(id="drop_survival", status="failed", message=msg("fail.drop.dead"))
    hints.apply([result], hints.Evidence(server_source=source))
    assert result.signature == "list_changed_while_iterating"


# --- a hint names the real mistake, backed by its evidence (issue 17) ---------------

EOF_CRASH = ('Traceback (most recent call last):\n  File "client.py", line 33, in <module>\n    line = input()\n'
             '           ^^^^^^^\nEOFError: EOF when reading a line\n')
RECV_CRASH = ('Exception in thread Thread-1 (listen):\nTraceback (most recent call last):\n'
              '  File "client.py", line 22, in listen\n    data = sock.recv(1024)\n'
              'OSError: [Errno 9] Bad file descriptor\n')


def exits_failed(actual):
    return CheckResult(id="client_exits", status="failed", message=msg("fail.client.traceback"), actual=actual)


def test_eof_from_input_is_not_called_a_recv_on_a_closed_connection():
    result = exits_failed(EOF_CRASH)
    hints.apply([result], hints.Evidence())
    assert result.signature == "client_eof_on_input"
    text = result.hint.text("en")
    assert "EOFError at client.py, line 33: line = input()" in text and "recv()" not in text
    assert "EOFError" in result.hint.text("ru")


def test_recv_on_a_closed_socket_keeps_its_hint_with_the_line():
    result = exits_failed(RECV_CRASH)
    hints.apply([result], hints.Evidence())
    assert result.signature == "client_crash_on_close"
    assert "OSError at client.py, line 22: data = sock.recv(1024)" in result.hint.text("en")


def test_no_evidence_no_mistake_hint():
    result = exits_failed("")  # a failure whose traceback we do not have: no guess
    result.hint = msg("hint.client.exit")
    hints.apply([result], hints.Evidence())
    assert result.signature is None and result.hint.key == "hint.client.exit"


def test_a_server_that_never_removes_a_user_is_not_told_it_removes_silently():
    never = (FIXTURES / "tcp" / "leave_never_noticed" / "server.py").read_text(encoding="utf-8")
    removes = (FIXTURES / "tcp" / "no_leave_notice" / "server.py").read_text(encoding="utf-8")
    for source, wanted in ((never, "leave_not_noticed"), (removes, "silent_leave")):
        result = CheckResult(id="leave_notice", status="failed", message=msg("fail.leave_notice.missing",
                                                                             seconds=3))
        hints.apply([result], hints.Evidence(server_source=source))
        assert result.signature == wanted
    assert "removed but nobody" not in i18n.CATALOGUE["mistake.leave_not_noticed"]["en"]
    assert "line" in result.hint.text("en")  # silent_leave shows the line that removes the user
