"""Chat client for the multi-user TCP chat (reference solution of the chat lab).

Two threads share one connection:

* the main thread reads what you type (input()) and sends it;
* a receiver thread prints whatever the server sends as soon as it arrives,
  so messages show up even while you are not typing.

The server speaks first: "NICK" asks for a nickname. The main thread answers
it (with --nick, or by asking you), then the chat starts. If the server asks
again (the nickname was taken), the receiver thread answers with --nick plus a
digit, or shows the question and the next line you type is the answer.

Type /quit (or end the input: Ctrl+D, or Ctrl+Z Enter on Windows) to leave.
When the server goes away the receiver thread ends the program, because
input() in the main thread cannot be interrupted on every OS.

Run:  python client.py [--host 127.0.0.1] [--port 9090] [--nick NAME]
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090
PROMPT = "> "
NICK_PROMPT = "Your nickname: "


class ServerConnection:
    """The connection to the server, shared by the main and the receiver thread."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        # A file view of the socket gives us readline() and "for line in ...".
        self.incoming = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
        self.leaving = threading.Event()  # set when WE end the chat
        self._send_lock = threading.Lock()

    def send_line(self, text: str) -> None:
        # Both threads may send (the receiver answers a repeated NICK), so they
        # take turns: two sendall() calls at the same time could mix their bytes.
        with self._send_lock:
            # sendall() keeps sending until every byte is out; send() might stop halfway.
            self.sock.sendall((text + "\n").encode("utf-8"))

    def read_line(self):
        """The next line from the server without its line ending; None once it hangs up."""
        line = self.incoming.readline()
        return line.rstrip("\r\n") if line else None

    def close(self, receiver: threading.Thread) -> None:
        """End the chat from our side, politely waiting for the receiver thread."""
        self.leaving.set()  # tells the receiver thread the end is expected
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # the server sees us leave; our receiver wakes up
        except OSError:
            pass  # already disconnected
        if receiver.is_alive():
            receiver.join(timeout=2)
        if not receiver.is_alive():
            self.incoming.close()  # safe now: no other thread reads from it
        self.sock.close()


def show(text: str, interactive: bool) -> None:
    """Print one incoming message without swallowing what the user is typing."""
    if interactive:
        # Start a fresh line, so half-typed text stays readable above the
        # message, then give the user their prompt back.
        print(f"\n{text}", flush=True)
        print(PROMPT, end="", flush=True)
    else:
        print(text, flush=True)  # stdout may be a pipe: flush at once


def nicknames(wanted: str):
    """Nicknames to offer: NAME, then NAME2, NAME3, ..."""
    yield wanted
    number = 2
    while True:
        yield f"{wanted}{number}"
        number += 1


def answer_first_prompt(server: ServerConnection, offers) -> bool:
    """Wait for the server's NICK and answer it. False if the server hung up first."""
    while True:
        line = server.read_line()
        if line is None:
            return False
        if line == "NICK":
            server.send_line(next(offers) if offers else input(NICK_PROMPT))
            return True
        print(line, flush=True)


def receive_forever(server: ServerConnection, offers, interactive: bool) -> None:
    """Receiver thread: print every line from the server until the connection ends."""
    try:
        for line in server.incoming:
            line = line.rstrip("\r\n")
            if line != "NICK":
                show(line, interactive)
            elif offers:  # our nickname was refused: try the next one ourselves
                server.send_line(next(offers))
            else:  # ask the user; the next line they type is the answer
                print(("\r" if interactive else "") + NICK_PROMPT, end="", flush=True)
    except OSError:
        pass  # connection reset: same as closed
    if server.leaving.is_set():
        return  # we closed the connection ourselves
    show("* disconnected from server", interactive=False)
    # The main thread is stuck in input() and cannot be woken up portably,
    # so end the whole program here (exit code 0: nothing went wrong on our side).
    os._exit(0)


def type_and_send(server: ServerConnection, interactive: bool) -> None:
    """Main thread: send every line the user types until /quit or end of input."""
    while True:
        try:
            text = input(PROMPT if interactive else "")
        except (EOFError, KeyboardInterrupt):  # end of input, or Ctrl+C
            text = "/quit"
        if text.strip() == "/quit":
            server.send_line("/quit")
            return
        if text.strip():
            server.send_line(text)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Multi-user TCP chat client")
    parser.add_argument("--host", default=DEFAULT_HOST, help="server address")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="server port")
    parser.add_argument("--nick", help="nickname (asked for if not given)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        # Windows pipes use a legacy code page: never crash on printing a name.
        sys.stdout.reconfigure(errors="replace")
    interactive = sys.stdin.isatty()
    try:
        sock = socket.create_connection((args.host, args.port))
    except OSError as error:
        print(f"* cannot connect to {args.host}:{args.port}: {error}", flush=True)
        return 1
    server = ServerConnection(sock)
    offers = nicknames(args.nick) if args.nick else None
    receiver = threading.Thread(
        target=receive_forever, args=(server, offers, interactive), daemon=True
    )
    try:
        if answer_first_prompt(server, offers):
            receiver.start()
            type_and_send(server, interactive)
        else:
            print("* disconnected from server", flush=True)
    except (EOFError, KeyboardInterrupt):
        pass  # input ended, or Ctrl+C, while choosing a nickname
    except OSError:
        pass  # the server went away while we were sending
    server.close(receiver)
    return 0


if __name__ == "__main__":
    sys.exit(main())
