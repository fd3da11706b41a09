"""The files a student hands in, made from the functions they wrote in the notebooks.

A notebook's last cell, ``check.write_program("tcp", "server")``, takes the
functions the student wrote and checked in that notebook (by name, from the
kernel), puts their source between a fixed head (docstring, imports, the shared
registry) and a fixed ``main()`` (arguments, the listening socket, Ctrl+C), and
writes ``my_submission/<variant>/<role>.py``.  Nothing is typed twice: after an
edit the student runs the cell again.  A function that still holds a TODO
writes nothing and says which TODO.

Which notebook writes what:

    02  my_submission/two_user/server.py, client.py   (send_line, receive_messages, type_and_send, chat)
    03  my_submission/tcp/server.py                    (open_listener, the registry, broadcast, handle_client, serve)
    04  my_submission/tcp/client.py                    (format_incoming, join_chat, receive_forever, run_client)
    05  my_submission/udp/server.py, client.py         (send_to, join_member, leave_member, relay_message,
                                                        handle_datagram, serve_udp, receive_datagrams,
                                                        run_udp_client)

Pure apart from writing the file: ``inspect`` reads the source, nothing runs.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

from autograder.results import msg
from autograder.notebook import student_code
from autograder.notebook.checklist import Checklist, Item

FOLDER = "my_submission"


@dataclass(frozen=True)
class Program:
    functions: Tuple[str, ...]  # the student's, in the notebook's order (the first TODO named is the first met)
    head: str
    main: str


TCP_SERVER_HEAD = '''"""Multi-user chat server over TCP: a thread per client.

Written by notebook 3 from the functions you wrote there: change them in the notebook and run its
last cell again. Run:  python server.py [--host 127.0.0.1] [--port 9090]
"""
import argparse
import os
import socket
import threading

users = {}  # nickname -> the socket of that user
users_lock = threading.Lock()
'''

LISTEN_MAIN = '''

def main():
    parser = argparse.ArgumentParser(description="{what}")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 lets other computers connect")
    parser.add_argument("--port", type=int, default=9090)
    args = parser.parse_args()
    listener = {open}(args.host, args.port)
    print(f"listening on {{args.host}}:{{args.port}} (Ctrl+C to stop)", flush=True)
    server = threading.Thread(target={serve}, args=(listener,), daemon=True)
    server.start()
    try:
        while server.is_alive():
            server.join(0.5)  # short waits keep Ctrl+C working on Windows
    except KeyboardInterrupt:
        print("server stopped", flush=True)
    finally:
        listener.close()


if __name__ == "__main__":
    main()
'''

TCP_CLIENT_HEAD = '''"""Chat client for the multi-user TCP chat.

Written by notebook 4 from the functions you wrote there: change them in the notebook and run its
last cell again. Run:  python client.py [--host 127.0.0.1] [--port 9090] [--nick NAME]
"""
import argparse
import os
import socket
import sys
import threading

PROMPT = "> "
'''

TCP_CLIENT_MAIN = '''

def main():
    parser = argparse.ArgumentParser(description="Multi-user TCP chat client")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9090)
    parser.add_argument("--nick")
    args = parser.parse_args()
    interactive = sys.stdin.isatty()
    nick = args.nick or input("Your nickname: ")
    try:
        sock = socket.create_connection((args.host, args.port))
    except OSError as error:
        print(f"cannot connect to {args.host}:{args.port}: {error}")
        return
    if interactive:
        def show(text):
            print(format_incoming(text, PROMPT), end="", flush=True)
        next_line = lambda: input(PROMPT)  # noqa: E731
    else:
        def show(text):
            print(text, flush=True)  # stdout may be a pipe: plain lines, flushed at once
        next_line = input
    # When the server goes away the main thread is stuck in input(): the receiving thread ends the process.
    run_client(sock, nick, next_line, show, on_disconnect=lambda: os._exit(0))


if __name__ == "__main__":
    main()
'''

UDP_HEAD = '''"""Multi-user chat over UDP: {what}.

Written by notebook 5 from the functions you wrote there: change them in the notebook and run its
last cell again. Run:  python {file} [--host 127.0.0.1] [--port 9090]{nick}
"""
import argparse
import socket
import sys
import threading

members = {{}}  # (ip, port) -> nickname
members_lock = threading.Lock()
'''

UDP_SERVER_MAIN = """

def bind_udp(host, port):
    \"\"\"A UDP socket bound to (host, port): datagrams to that address arrive here.\"\"\"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, port))
    return sock
""" + LISTEN_MAIN.format(what="Multi-user UDP chat server", serve="serve_udp", open="bind_udp")

UDP_CLIENT_MAIN = '''

def main():
    parser = argparse.ArgumentParser(description="Multi-user UDP chat client")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9090)
    parser.add_argument("--nick")
    args = parser.parse_args()
    nick = args.nick or input("Your nickname: ")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stop = threading.Event()
    receiver = threading.Thread(target=receive_datagrams, args=(sock, lambda text: print(text, flush=True), stop),
                                daemon=True)
    try:
        run_udp_client(sock, (args.host, args.port), nick, input, receiver)
    finally:
        stop.set()
        if receiver.is_alive():
            receiver.join(1)
        sock.close()


if __name__ == "__main__":
    main()
'''

TWO_USER_HEAD = '''"""Two-user chat over TCP: {what}.

Written by notebook 2 from the functions you wrote there: change them in the notebook and run its
last cell again. Run:  python {file} [--host 127.0.0.1] [--port 9090]
"""
import argparse
import os
import socket
import sys
import threading
'''

TWO_USER_ENDING = '''

def end_when_the_other_side_leaves(receive):
    """The main thread waits in input() when the other side leaves: end the program from the receiving thread."""
    def receive_then_end(sock, show):
        receive(sock, show)
        if not quitting.is_set():
            print("* the other side left the chat", flush=True)
            os._exit(0)
    return receive_then_end


quitting = threading.Event()


def typed():
    """input(), noting when we are the side that leaves (/quit or the end of input)."""
    try:
        text = input()
    except EOFError:
        quitting.set()
        raise
    if text.strip() == "/quit":
        quitting.set()
    return text
'''

TWO_USER_SERVER_MAIN = TWO_USER_ENDING + '''

def main():
    global receive_messages
    parser = argparse.ArgumentParser(description="Two-user TCP chat: the side that waits")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 lets another computer connect")
    parser.add_argument("--port", type=int, default=9090)
    args = parser.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":  # on Windows SO_REUSEADDR would let two servers share the port
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(1)
    print(f"listening on {args.host}:{args.port}, waiting for the other person...", flush=True)
    conn, addr = listener.accept()
    listener.close()
    print(f"* {addr[0]}:{addr[1]} connected; type a message, /quit to leave", flush=True)
    receive_messages = end_when_the_other_side_leaves(receive_messages)
    chat(conn, typed, lambda text: print(text, flush=True))
    print("* you left the chat", flush=True)


if __name__ == "__main__":
    main()
'''

TWO_USER_CLIENT_MAIN = TWO_USER_ENDING + '''

def main():
    global receive_messages
    parser = argparse.ArgumentParser(description="Two-user TCP chat: the side that connects")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9090)
    args = parser.parse_args()
    try:
        sock = socket.create_connection((args.host, args.port))
    except OSError as error:
        print(f"cannot connect to {args.host}:{args.port}: {error}")
        return
    print("* connected; type a message, /quit to leave", flush=True)
    receive_messages = end_when_the_other_side_leaves(receive_messages)
    chat(sock, typed, lambda text: print(text, flush=True))
    print("* you left the chat", flush=True)


if __name__ == "__main__":
    main()
'''

PROGRAMS: Dict[Tuple[str, str], Program] = {
    ("tcp", "server"): Program(
        ("send_line", "add_user", "remove_user", "broadcast", "ask_nickname", "handle_client", "open_listener",
         "serve"),
        TCP_SERVER_HEAD, LISTEN_MAIN.format(what="Multi-user TCP chat server", serve="serve", open="open_listener")),
    ("tcp", "client"): Program(
        ("send_line", "format_incoming", "join_chat", "receive_forever", "run_client"),
        TCP_CLIENT_HEAD, TCP_CLIENT_MAIN),
    ("udp", "server"): Program(
        ("send_to", "join_member", "leave_member", "relay_message", "handle_datagram", "serve_udp"),
        UDP_HEAD.format(what="the server keeps a registry of addresses", file="server.py", nick=""), UDP_SERVER_MAIN),
    ("udp", "client"): Program(
        ("receive_datagrams", "run_udp_client"),
        UDP_HEAD.format(what="the client", file="client.py", nick=" [--nick NAME]"), UDP_CLIENT_MAIN),
    ("two_user", "server"): Program(
        ("send_line", "receive_messages", "type_and_send", "chat"),
        TWO_USER_HEAD.format(what="the side that waits for the other person", file="server.py"),
        TWO_USER_SERVER_MAIN),
    ("two_user", "client"): Program(
        ("send_line", "receive_messages", "type_and_send", "chat"),
        TWO_USER_HEAD.format(what="the side that connects", file="client.py"), TWO_USER_CLIENT_MAIN),
}
VARIANTS = ("tcp", "udp", "two_user")
ROLES = ("server", "client")


def source(function) -> str:
    """The text of a function as the student wrote it (IPython keeps every cell's text)."""
    return inspect.getsource(function).rstrip() + "\n"


def program_text(program: Program, functions: Dict[str, object]) -> str:
    blocks = [source(functions[name]) for name in program.functions]
    return program.head + "\n\n" + "\n\n".join(blocks) + program.main


def write_program(variant: str, role: Optional[str], lang: str, namespace: Dict[str, object],
                  folder=FOLDER) -> Checklist:
    """Write ``folder/variant/role.py`` (both roles when ``role`` is None) and say where, or why not yet."""
    if variant not in VARIANTS or role not in (None,) + ROLES:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; role server, client or None")
    target = Path(folder) / variant
    roles = ROLES if role is None else (role,)
    checklist = Checklist("hand-in", msg("nb.step.write_program", folder=target.as_posix()), lang)
    texts = {}
    for each in roles:
        program = PROGRAMS[(variant, each)]
        found, missing = student_code.lookup(program.functions, namespace, {})
        item = Item(each, msg("nb.check.program_written", file=(target / f"{each}.py").as_posix()))
        checklist.items.append(item)
        if missing:
            item.status, item.message, item.hint = "failed", msg("nb.fail.missing_name", name=missing[0]), \
                msg("nb.hint.missing_name")
            continue
        todo = student_code.first_todo(list(found.values()), namespace)
        if todo is not None:
            item.status, item.message, item.hint = "failed", msg("nb.fail.todo", function=todo[0], todo=todo[1]
                                                                 [len("TODO"):].lstrip(" :")), msg("nb.hint.todo")
            continue
        try:
            texts[each] = program_text(program, found)
        except (OSError, TypeError):
            item.status, item.message = "failed", msg("nb.fail.no_source", name=program.functions[0])
    if all(item.status == "passed" for item in checklist.items):
        target.mkdir(parents=True, exist_ok=True)
        for each, text in texts.items():
            (target / f"{each}.py").write_text(text, encoding="utf-8")
        checklist.notes.append(msg("nb.note.written", folder=str(target.resolve()), variant=target.as_posix()))
    return checklist
