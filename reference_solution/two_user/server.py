"""Two-user chat over TCP, server side (reference solution of the chat lab).

The server waits for ONE client to connect; after that both sides are equal:
a person types on each side and sees what the other one typed.

Both directions work at the same time because each side runs two threads:
* a receiver thread prints every line that arrives ("client: text");
* the main thread reads what you type (input()) and sends it.

/quit, the end of input (Ctrl+D / Ctrl+Z) or the other side leaving ends the
chat on both sides. Lines are UTF-8 text ending in "\\n".

Run:  python server.py [--host 127.0.0.1] [--port 9090]
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090
PEER_NAME = "client"  # how we label what the other side typed
PROMPT = "> "
ACCEPT_TIMEOUT = 0.5  # seconds; accept() wakes up this often so Ctrl+C works on Windows


def wait_for_client(host: str, port: int):
    """Listen, accept one client, stop listening. Returns the connected socket."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":
        # Lets the server restart at once on the same port. (On Windows this
        # option would let another program steal the port, so we skip it.)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    with listener:
        listener.bind((host, port))
        listener.listen()
        listener.settimeout(ACCEPT_TIMEOUT)
        bound_host, bound_port = listener.getsockname()[:2]
        print(f"listening on {bound_host}:{bound_port}", flush=True)
        print("* waiting for the other person to connect...", flush=True)
        while True:
            try:
                sock, address = listener.accept()
            except socket.timeout:
                continue  # nobody yet; loop again (and let Ctrl+C in)
            sock.setblocking(True)  # do not inherit the listener's timeout
            print(f"* {address[0]}:{address[1]} connected; type a message, /quit to leave",
                  flush=True)
            return sock


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
    parser = argparse.ArgumentParser(description="Two-user TCP chat: the side that waits")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to listen on (0.0.0.0 = every network)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help="port to listen on (0 = any free port)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        # Windows pipes use a legacy code page: never crash on printing a name.
        sys.stdout.reconfigure(errors="replace")
    try:
        sock = wait_for_client(args.host, args.port)
    except KeyboardInterrupt:  # Ctrl+C while waiting
        print("\n* server stopped, goodbye", flush=True)
        return 0
    except OSError as error:
        print(f"* cannot listen on {args.host}:{args.port}: {error}", flush=True)
        return 1
    chat(sock)  # Ctrl+C from here on is handled like /quit
    return 0


if __name__ == "__main__":
    sys.exit(main())
