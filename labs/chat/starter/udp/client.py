"""Starter code: chat client over UDP.

Run:  python client.py [--host H] [--port P] [--nick NAME]   (default 127.0.0.1:9090)

What already works: the client sends "/join NAME" and then every line you type
("/quit" sends "/leave" and exits). What is missing: printing what the server
sends. input() blocks the main thread, so the receiving has to run in a second
thread: that is TODO 1 and TODO 2 (and the reason threading is needed here).

Стартовый код UDP-клиента. Вход в чат и отправка уже работают, а приём — нет.
input() блокирует главный поток, поэтому принимать сообщения нужно в отдельном
потоке — это TODO 1 и TODO 2 (и именно для этого здесь нужен threading).
"""
from __future__ import annotations

import argparse
import socket
import sys
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090
MAX_DATAGRAM = 65535


def receive_loop(sock: socket.socket) -> None:
    """Print every datagram the server sends. Runs in its own thread."""
    # TODO 2: in a loop: data, addr = sock.recvfrom(MAX_DATAGRAM), then print
    #         data.decode("utf-8", errors="replace"). On OSError (the socket was
    #         closed) return. On Windows, ConnectionResetError here means "the
    #         server is not running": print a hint and keep going.
    #   (рус.) в цикле принимайте датаграммы через sock.recvfrom(MAX_DATAGRAM) и
    #          печатайте их текст. При OSError (сокет закрыт) выходите. В Windows
    #          ConnectionResetError здесь значит «сервер не запущен» — сообщите об
    #          этом и продолжайте.
    pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="UDP chat client (starter)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--nick", default=None, help="nickname (asked for if omitted)")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        # A character the console cannot show must not crash the client.
        sys.stdout.reconfigure(errors="replace")

    server_addr = (args.host, args.port)
    nick = args.nick if args.nick is not None else input("Your nickname: ")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(text: str) -> None:
        sock.sendto(text.encode("utf-8"), server_addr)

    # The first sendto() gives the socket its own port; replies that arrive
    # before anyone calls recvfrom() wait in the socket's buffer, nothing is lost.
    # (On Windows, recvfrom() on a socket that has sent nothing yet fails.)
    send(f"/join {nick.strip()}")

    # TODO 1: start a thread that runs receive_loop(sock), with daemon=True
    #         so that it does not keep the program alive after /quit.
    #   (рус.) запустите поток, выполняющий receive_loop(sock), с daemon=True,
    #          чтобы он не мешал программе завершиться после /quit.

    print("Type messages and press Enter; /quit to leave.")
    while True:
        try:
            text = input()
        except (EOFError, KeyboardInterrupt):
            text = "/quit"
        if text.strip() == "/quit":
            send("/leave")
            break
        if text.strip():
            send(text)
    sock.close()


if __name__ == "__main__":
    main()
