"""Starter code: chat client over TCP.

Run:  python client.py [--host H] [--port P] [--nick NAME]   (default 127.0.0.1:9090)

What already works: the client connects, answers the server's NICK prompt and
sends every line you type. What is missing: nobody prints the messages of the
other users. Reading from the server and reading the keyboard are two blocking
waits, so they need two threads: that is TODO 1 and TODO 2.

Стартовый код TCP-клиента. Подключение, ввод ника и отправка уже работают,
а вот входящие сообщения никто не печатает. Ожидание данных от сервера и
ожидание ввода с клавиатуры блокируют программу, поэтому нужен отдельный поток
для приёма — это TODO 1 и TODO 2.
"""
from __future__ import annotations

import argparse
import socket
import sys
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090


def send_line(sock: socket.socket, text: str) -> None:
    """Send one protocol line: UTF-8 text followed by a newline."""
    sock.sendall((text + "\n").encode("utf-8"))


def join_chat(sock: socket.socket, reader, nick: str | None) -> bool:
    """Answer NICK prompts until the server welcomes us. False if it hung up."""
    attempt = 1
    while True:
        line = reader.readline()
        if not line:
            return False
        line = line.rstrip("\r\n")
        if line == "NICK":
            if nick is None:
                name = input("Your nickname: ")  # refused? the user is asked again
            else:
                name = nick if attempt == 1 else f"{nick}{attempt}"  # --nick taken: NAME2, NAME3, ...
            attempt += 1
            send_line(sock, name.strip())
        else:
            print(line)
            if line.startswith("* welcome"):
                return True


def receive_loop(reader) -> None:
    """Print every line the server sends. Runs in its own thread."""
    # TODO 2: read lines with reader.readline() in a loop and print each one
    #         without its trailing newline. readline() returns "" when the server
    #         closed the connection: then print "* disconnected from the server"
    #         and return. Also return on OSError (the socket was closed).
    #   (рус.) в цикле читайте строки через reader.readline() и печатайте их без
    #          "\n" в конце. Пустая строка "" значит, что сервер закрыл соединение:
    #          напечатайте "* disconnected from the server" и выйдите из функции.
    #          При OSError (сокет закрыт) тоже выходите.
    pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="TCP chat client (starter)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--nick", default=None, help="nickname (asked for if omitted)")
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        # A character the console cannot show must not crash the client.
        sys.stdout.reconfigure(errors="replace")

    sock = socket.create_connection((args.host, args.port))
    # Read lines, not single recv() calls: one recv() is not one message.
    reader = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
    if not join_chat(sock, reader, args.nick):
        print("* the server closed the connection")
        return

    # TODO 1: start a thread that runs receive_loop(reader), with daemon=True
    #         so that it does not keep the program alive after /quit.
    #   (рус.) запустите поток, выполняющий receive_loop(reader), с daemon=True,
    #          чтобы он не мешал программе завершиться после /quit.

    print("Type messages and press Enter; /quit to leave.")
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
        sock.shutdown(socket.SHUT_RDWR)  # the server sees the end of the stream now
    except OSError:
        pass
    sock.close()


if __name__ == "__main__":
    main()
