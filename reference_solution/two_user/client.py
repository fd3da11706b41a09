"""Two-user chat over TCP, client side (reference solution of the chat lab).

The client connects to the server; after that both sides are equal: a person
types on each side and sees what the other one typed.

Both directions work at the same time because each side runs two threads:
* a receiver thread prints every line that arrives ("server: text");
* the main thread reads what you type (input()) and sends it.

/quit, the end of input (Ctrl+D / Ctrl+Z) or the other side leaving ends the
chat on both sides. Lines are UTF-8 text ending in "\\n".

Run:  python client.py [--host 127.0.0.1] [--port 9090]
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090
PEER_NAME = "server"  # how we label what the other side typed
PROMPT = "> "


def send_line(sock: socket.socket, text: str) -> None:
    # sendall() keeps sending until every byte is out; send() might stop halfway.
    sock.sendall((text + "\n").encode("utf-8"))


def show(text: str, interactive: bool) -> None:
    """Print one incoming message without swallowing what the user is typing."""
    if interactive:
        # Start a fresh line, so half-typed text stays readable above the
        # message, then give the user their prompt back.
        print(f"\n{text}", flush=True)
        print(PROMPT, end="", flush=True)
    else:
        print(text, flush=True)  # stdout may be a pipe: flush at once


def receive_forever(incoming, leaving: threading.Event, interactive: bool) -> None:
    """Receiver thread: print what the other side typed until they leave."""
    try:
        for line in incoming:
            text = line.rstrip("\r\n")
            if text == "/quit":
                break  # the other side said goodbye
            show(f"{PEER_NAME}: {text}", interactive)
    except OSError:
        pass  # connection reset: same as closed
    if leaving.is_set():
        return  # we are the ones who left
    show(f"* {PEER_NAME} left the chat", interactive=False)
    # The main thread is stuck in input() and cannot be woken up portably,
    # so end the whole program here (exit code 0: the chat ended normally).
    os._exit(0)


def type_and_send(sock: socket.socket, interactive: bool) -> None:
    """Main thread: send every line the user types until /quit or end of input."""
    while True:
        try:
            text = input(PROMPT if interactive else "")
        except (EOFError, KeyboardInterrupt):  # Ctrl+D / Ctrl+Z, or Ctrl+C
            return
        if text.strip() == "/quit":
            return
        if text.strip():
            send_line(sock, text)


def chat(sock: socket.socket) -> None:
    """Run both directions at once until one side leaves."""
    interactive = sys.stdin.isatty()
    incoming = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
    leaving = threading.Event()
    receiver = threading.Thread(
        target=receive_forever, args=(incoming, leaving, interactive), daemon=True
    )
    receiver.start()
    try:
        type_and_send(sock, interactive)
    except OSError:
        pass  # the other side vanished while we were sending
    leaving.set()  # tells the receiver thread the end is expected
    try:
        sock.shutdown(socket.SHUT_RDWR)  # the other side sees the end; our receiver wakes up
    except OSError:
        pass
    receiver.join(timeout=2)
    if not receiver.is_alive():
        incoming.close()  # safe now: no other thread reads from it
    sock.close()
    print("* you left the chat", flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Two-user TCP chat: the side that connects")
    parser.add_argument("--host", default=DEFAULT_HOST, help="server address")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="server port")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        # Windows pipes use a legacy code page: never crash on printing a name.
        sys.stdout.reconfigure(errors="replace")
    try:
        sock = socket.create_connection((args.host, args.port))
    except OSError as error:
        print(f"* cannot connect to {args.host}:{args.port}: {error}", flush=True)
        return 1
    print(f"* connected to {args.host}:{args.port}; type a message, /quit to leave", flush=True)
    chat(sock)
    return 0


if __name__ == "__main__":
    sys.exit(main())
