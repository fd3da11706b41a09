"""Chat client for the multi-user UDP chat (reference solution of the chat lab).

* First it sends "/join NAME" until the server welcomes it. UDP may lose a
  datagram, so the client asks again when no answer comes within a second.
* Then a receiver thread prints every datagram from the server as it arrives,
  while the main thread reads what you type (input()) and sends it.
* /quit (or the end of input) sends "/leave" and ends the program.

The socket is "connected" to the server. For UDP that sends nothing; it only
means send() needs no address, recv() accepts datagrams from the server only,
and if nobody listens on the server's port any more, the OS tells us.

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
DATAGRAM_SIZE = 65535  # the largest datagram UDP can carry
MAX_MESSAGE_BYTES = 4096  # the server drops longer messages
ANSWER_TIMEOUT = 1.0  # seconds to wait for the answer to /join before asking again
JOIN_ATTEMPTS = 5
POLL_INTERVAL = 0.5  # the receiver wakes up this often to see if we are leaving


def send_text(sock: socket.socket, text: str) -> None:
    sock.send(text.encode("utf-8"))  # one datagram = one message


def show(text: str, interactive: bool) -> None:
    """Print one incoming message without swallowing what the user is typing."""
    if interactive:
        # Start a fresh line, so half-typed text stays readable above the
        # message, then give the user their prompt back.
        print(f"\n{text}", flush=True)
        print(PROMPT, end="", flush=True)
    else:
        print(text, flush=True)  # stdout may be a pipe: flush at once


def nicknames(wanted: str | None):
    """Nicknames to offer: --nick, then --nick2, --nick3...; or ask the user each time."""
    if wanted:
        yield wanted
        number = 2
        while True:
            yield f"{wanted}{number}"
            number += 1
    while True:
        yield input("Your nickname: ")


def wait_for_answer(sock: socket.socket):
    """The next datagram from the server as text, or None if none came in time."""
    sock.settimeout(ANSWER_TIMEOUT)
    try:
        return sock.recv(DATAGRAM_SIZE).decode("utf-8", errors="replace")
    except socket.timeout:
        return None


def join_chat(sock: socket.socket, wanted: str | None) -> bool:
    """Send /join until the server welcomes us. False if it never answers."""
    offers = nicknames(wanted)
    nick = next(offers)
    attempts = 0
    while attempts < JOIN_ATTEMPTS:
        send_text(sock, f"/join {nick}")
        attempts += 1
        answer = wait_for_answer(sock)
        if answer is None:
            continue  # lost on the way (or no server): ask again
        print(answer, flush=True)
        if answer.startswith("* welcome"):
            return True
        if "not available" in answer or "must not be empty" in answer:
            nick = next(offers)
            attempts = 0
    print("* the server does not answer", flush=True)
    return False


def receive_forever(sock: socket.socket, leaving: threading.Event, interactive: bool) -> None:
    """Receiver thread: print every datagram until we leave."""
    sock.settimeout(POLL_INTERVAL)
    while not leaving.is_set():
        try:
            data = sock.recv(DATAGRAM_SIZE)
        except socket.timeout:
            continue  # nothing arrived; check whether we are leaving
        except ConnectionError:
            # An earlier datagram of ours bounced: nobody listens there now.
            if not leaving.is_set():
                disconnected()
            return
        show(data.decode("utf-8", errors="replace"), interactive)


def disconnected() -> None:
    print("* disconnected from server", flush=True)
    # The main thread may be stuck in input(), which cannot be woken up
    # portably, so end the whole program (exit code 0: not our fault).
    os._exit(0)


def type_and_send(sock: socket.socket, interactive: bool) -> None:
    """Main thread: send every line the user types until /quit or end of input."""
    while True:
        try:
            text = input(PROMPT if interactive else "")
        except (EOFError, KeyboardInterrupt):  # Ctrl+D / Ctrl+Z, or Ctrl+C
            text = "/quit"
        text = text.strip()
        if text == "/quit":
            send_text(sock, "/leave")
            return
        if len(text.encode("utf-8")) > MAX_MESSAGE_BYTES:
            print(f"* message too long (max {MAX_MESSAGE_BYTES} bytes), not sent", flush=True)
        elif text:
            send_text(sock, text)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Multi-user UDP chat client")
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
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    leaving = threading.Event()
    receiver = threading.Thread(
        target=receive_forever, args=(sock, leaving, interactive), daemon=True
    )
    try:
        sock.connect((args.host, args.port))
        if not join_chat(sock, args.nick):
            return 1
        receiver.start()
        type_and_send(sock, interactive)
    except (EOFError, KeyboardInterrupt):
        pass  # input ended, or Ctrl+C, while choosing a nickname
    except OSError as error:  # e.g. ConnectionRefusedError: no server on that port
        if not receiver.is_alive():  # we never got into the chat
            print(f"* cannot reach {args.host}:{args.port}: {error}", flush=True)
            return 1
        leaving.set()  # keeps the receiver quiet: we report it ourselves
        disconnected()
    leaving.set()
    if receiver.is_alive():
        receiver.join()  # at most POLL_INTERVAL
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
