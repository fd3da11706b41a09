"""Starter code: two-user chat over TCP, the server side.

Run:  python server.py [--host H] [--port P]      (default 127.0.0.1:9090)

The server waits for ONE client. After that, the person at the server and the
person at the client talk: what you type here is sent to the client, what the
client types is printed here as "client: text". "/quit" on either side ends
both programs.

Стартовый код двухпользовательского чата, сторона сервера. Сервер ждёт одного
клиента, после чего человек за сервером и человек за клиентом переписываются.
Приём и отправка должны работать одновременно, поэтому нужен второй поток.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090
PEER = "client"  # how the other side is shown: "client: text"


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
    #         line is "/quit", the peer has left: print "* the client left" and
    #         call end_program(). On OSError (our socket was closed) just return.
    #   (рус.) в цикле читайте строки и печатайте их как f"{PEER}: {text}". Если
    #          readline() вернул "" или пришло "/quit", собеседник ушёл: напечатайте
    #          "* the client left" и вызовите end_program(). При OSError — return.
    pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Two-user TCP chat, server side (starter)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        # A character the console cannot show must not crash the program.
        sys.stdout.reconfigure(errors="replace")

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(1)
    host, port = listener.getsockname()[:2]
    print(f"Waiting for the client on {host}:{port} (Ctrl+C to stop) ...")
    # A timeout on accept() lets Ctrl+C stop the waiting on Windows too.
    listener.settimeout(0.5)
    try:
        while True:
            try:
                sock, addr = listener.accept()
                break
            except socket.timeout:
                continue
    except KeyboardInterrupt:
        print("Stopped")
        return
    finally:
        listener.close()  # only one client in this variant
    print(f"Client connected from {addr[0]}:{addr[1]}. Type messages; /quit to leave.")
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
            break  # the client is gone
        if text.strip() == "/quit":
            break
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


if __name__ == "__main__":
    main()
