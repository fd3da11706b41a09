"""Starter code: multi-user chat server over TCP (socket + threading).

Run:  python server.py [--host H] [--port P]      (default 127.0.0.1:9090)

What already works: the server listens, accepts connections, starts one thread
per client, sends the NICK prompt and reads a nickname. Nothing is stored or
forwarded yet: that is your job. Work through the TODOs in order (1, 2, 3, ...).
The protocol is described in labs/chat/protocol.en.md (protocol.ru.md in Russian).

Стартовый код многопользовательского TCP-чата. Сервер уже слушает порт,
принимает подключения, запускает поток на каждого клиента и спрашивает ник.
Ваша задача — выполнить TODO по порядку; протокол описан в protocol.ru.md.
"""
from __future__ import annotations

import argparse
import os
import socket
import threading

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090

# Every connected user: nickname -> socket. Several client threads read and
# change this dict at the same time, so touch it only while holding users_lock.
# Все подключённые пользователи: ник -> сокет. Менять только под users_lock.
users: dict[str, socket.socket] = {}
users_lock = threading.Lock()


def send_line(conn: socket.socket, text: str) -> None:
    """Send one protocol line: UTF-8 text followed by a newline."""
    conn.sendall((text + "\n").encode("utf-8"))


def add_user(nick: str, conn: socket.socket) -> bool:
    """Remember a new user. Return False if the nickname is already taken."""
    # TODO 1: while holding users_lock: if nick is already in users, return False;
    #         otherwise store users[nick] = conn and return True.
    #   (рус.) под users_lock: если такой ник уже есть в users, верните False,
    #          иначе сохраните users[nick] = conn и верните True.
    return True


def broadcast(text: str, exclude: str | None = None) -> None:
    """Send a line to every user except `exclude` (usually the sender)."""
    # TODO 2: send the line to every user except `exclude`.
    #   (рус.) отправьте строку всем пользователям, кроме `exclude`.
    #   Hints / подсказки:
    #   - copy the recipients under the lock (list(users.items())), then send
    #     AFTER releasing it: a send can block, and a held lock freezes every thread;
    #     (рус.) скопируйте получателей, держа users_lock, а отправляйте, отпустив его;
    #   - a send to a user who just vanished raises OSError: catch it and go on
    #     with the next user, so one broken connection does not stop the others.
    #     (рус.) ошибку отправки одному пользователю перехватите и продолжайте.
    pass


def remove_user(nick: str) -> None:
    """Forget a user who left (called exactly once per user)."""
    # TODO 5: while holding users_lock, delete nick from users (if it is there),
    #         then, after releasing the lock, tell everyone else:
    #         broadcast(f"* {nick} left the chat")
    #   (рус.) под users_lock удалите ник из users, а после этого сообщите
    #          остальным: broadcast(f"* {nick} left the chat")
    pass


def ask_nickname(conn: socket.socket, reader) -> str | None:
    """Ask for a nickname until a free one arrives. None means the client left."""
    while True:
        send_line(conn, "NICK")
        line = reader.readline()
        if not line:  # "" means the client closed the connection
            return None
        nick = line.strip()
        # TODO 6: an empty nickname is not allowed: send
        #         "* nickname must not be empty" and `continue` (ask again).
        #   (рус.) пустой ник не годится: отправьте "* nickname must not be empty"
        #          и сделайте `continue` (спросить ещё раз).
        if add_user(nick, conn):
            return nick
        send_line(conn, f'* nickname "{nick}" is not available, choose another')


def handle_client(conn: socket.socket, addr) -> None:
    """Talk to one client. Runs in its own thread, one thread per client."""
    # makefile() gives us readline(): TCP is a byte stream, one recv() may hold
    # half a message or two of them, so we read whole lines instead.
    # TCP — поток байтов: один recv() не равен одному сообщению, читаем строки.
    reader = conn.makefile("r", encoding="utf-8", errors="replace", newline="\n")
    nick = None
    try:
        nick = ask_nickname(conn, reader)
        if nick is None:
            return
        print(f"{addr[0]}:{addr[1]} is {nick}")

        # TODO 3: greet the new user and announce them to everybody else:
        #         send_line(conn, f"* welcome, {nick}! online: {...}")
        #         (the online list: nicknames joined with ", ")
        #         broadcast(f"* {nick} joined the chat", exclude=nick)
        #   (рус.) поприветствуйте нового пользователя (список онлайн — ники
        #          через ", ") и сообщите остальным, что он вошёл в чат.

        while True:
            line = reader.readline()
            if not line:  # the client closed the connection
                break
            text = line.rstrip("\r\n")
            # TODO 4: handle the line:
            #         - "/quit" -> break (leave the loop);
            #         - an empty line -> ignore it;
            #         - anything else -> broadcast(f"{nick}: {text}", exclude=nick)
            #   (рус.) обработайте строку: "/quit" — выйти из цикла, пустую
            #          пропустить, остальное разослать как "ник: текст" всем, кроме автора.
    except OSError:
        pass  # connection reset by the client: treat it like leaving
    finally:
        if nick is not None:
            remove_user(nick)
            print(f"{nick} left")
        reader.close()
        conn.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Multi-user TCP chat server (starter)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":
        # Lets you restart the server at once on Linux/macOS. On Windows this
        # option means something else (two servers on one port), so we skip it.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((args.host, args.port))
    server.listen()
    # A timeout on accept() lets Ctrl+C stop the server on Windows too.
    server.settimeout(0.5)
    host, port = server.getsockname()[:2]
    print(f"Chat server listening on {host}:{port} (Ctrl+C to stop)")
    if args.host == "0.0.0.0":
        print("Other computers connect to this computer's LAN address (ipconfig / ip addr).")

    try:
        while True:
            try:
                conn, addr = server.accept()
            except socket.timeout:
                continue
            threading.Thread(target=handle_client, args=(conn, addr), daemon=True).start()
    except KeyboardInterrupt:
        print("Server stopped")
    finally:
        server.close()


if __name__ == "__main__":
    main()
