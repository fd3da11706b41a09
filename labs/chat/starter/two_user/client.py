"""Starter code: two-user chat over TCP, the client side.

Run:  python client.py [--host H] [--port P]      (default 127.0.0.1:9090)

Connects to the two-user server. What you type is sent to the server, what the
person at the server types is printed here as "server: text". "/quit" on either
side ends both programs.

Стартовый код двухпользовательского чата, сторона клиента. Приём и отправка
должны работать одновременно, поэтому нужен второй поток (TODO 1 и TODO 2).
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090
PEER = "server"  # how the other side is shown: "server: text"


def send_line(sock: socket.socket, text: str) -> None:
    """Send one line: UTF-8 text followed by a newline."""
    sock.sendall((text + "\n").encode("utf-8"))


def end_program() -> None:
    """Exit at once with code 0, from any thread.

    The main thread is blocked in input(), and nothing can wake it up, so
    sys.exit() in another thread would only end that thread. os._exit() ends
    the whole process; flush first so no printed text is lost.
    """
    sys.stdout.flush()
    os._exit(0)


def receive_loop(reader) -> None:
    """Print what the peer types. Runs in its own thread."""
    # TODO 2: in a loop, line = reader.readline(); print it as f"{PEER}: {text}"
    #         (text = the line without "\r\n"). When readline() returns "" or the
    #         line is "/quit", the peer has left: print "* the server left" and
    #         call end_program(). On OSError (our socket was closed) just return.
    #   (рус.) в цикле читайте строки и печатайте их как f"{PEER}: {text}". Если
    #          readline() вернул "" или пришло "/quit", собеседник ушёл: напечатайте
    #          "* the server left" и вызовите end_program(). При OSError — return.
    pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Two-user TCP chat, client side (starter)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        # A character the console cannot show must not crash the program.
        sys.stdout.reconfigure(errors="replace")

    sock = socket.create_connection((args.host, args.port))
    print(f"Connected to {args.host}:{args.port}. Type messages; /quit to leave.")
    # Read whole lines: one recv() is not one message.
    reader = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")

    # TODO 1: start a thread that runs receive_loop(reader), with daemon=True,
    #         so that receiving works while the main thread waits in input().
    #   (рус.) запустите поток, выполняющий receive_loop(reader), с daemon=True,
    #          чтобы приём работал, пока главный поток ждёт input().

    while True:
        try:
            text = input()
        except (EOFError, KeyboardInterrupt):
            text = "/quit"
        try:
            send_line(sock, text)
        except OSError:
            break  # the server is gone
        if text.strip() == "/quit":
            break
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


if __name__ == "__main__":
    main()
