"""Starter code: multi-user chat server over UDP.

Run:  python server.py [--host H] [--port P]      (default 127.0.0.1:9090)

UDP has no connections: every datagram arrives with the sender's address, and
the server has to remember who is who. One datagram is one message.
Commands: "/join NAME" registers the sender, "/leave" unregisters it, any other
text from a registered address goes to all the other registered addresses.

Стартовый код UDP-сервера. В UDP нет соединений: каждая датаграмма приходит с
адресом отправителя, и сервер сам запоминает, какой адрес какому нику
соответствует. Одна датаграмма — одно сообщение.
"""
from __future__ import annotations

import argparse
import socket

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090
MAX_DATAGRAM = 65535

# address (ip, port) -> nickname of every registered user.
# адрес (ip, порт) -> ник каждого зарегистрированного пользователя.
users: dict[tuple, str] = {}


def send_to(server: socket.socket, addr, text: str) -> None:
    """Send one message (one datagram) to one address."""
    server.sendto(text.encode("utf-8"), addr)


def broadcast(server: socket.socket, text: str, exclude=None) -> None:
    """Send a message to every registered address except `exclude`."""
    # TODO 2: send `text` to every address in users except `exclude`.
    #   (рус.) отправьте `text` на все адреса из users, кроме `exclude`.
    pass


def join_member(server: socket.socket, addr, name: str) -> None:
    """Register `addr` under `name`."""
    # TODO 1: remember users[addr] = name, reply to addr with
    #         "* welcome, NAME! online: <nicknames joined with ', '>"
    #         and tell everybody else "* NAME joined the chat".
    #   (рус.) сохраните users[addr] = name, ответьте новичку приветствием со
    #          списком онлайн (ники через ", ") и сообщите остальным о входе.
    pass


def leave_member(server: socket.socket, addr) -> None:
    """Forget `addr` and tell the others."""
    # TODO 4: remove addr from users and send "* NAME left the chat" to the others.
    #   (рус.) удалите addr из users и сообщите остальным "* NAME left the chat".
    pass


def handle_datagram(server: socket.socket, addr, text: str) -> None:
    """React to one datagram."""
    if text.startswith("/join "):
        name = text[len("/join "):].strip()
        if name:
            join_member(server, addr, name)
        return
    if addr not in users:
        send_to(server, addr, "* send /join NAME first")
        return
    if text == "/leave":
        leave_member(server, addr)
        return
    # TODO 3: relay a non-empty text as "NAME: text" to every other user.
    #   (рус.) разошлите непустой текст как "НИК: текст" всем остальным.


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Multi-user UDP chat server (starter)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args(argv)

    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((args.host, args.port))
    # A timeout on recvfrom() lets Ctrl+C stop the server on Windows too.
    server.settimeout(0.5)
    host, port = server.getsockname()[:2]
    print(f"UDP chat server on {host}:{port} (Ctrl+C to stop)")

    try:
        while True:
            try:
                data, addr = server.recvfrom(MAX_DATAGRAM)
            except socket.timeout:
                continue
            except ConnectionResetError:
                # Windows reports "port unreachable" for an EARLIER sendto() to a
                # client that has quit as an error here. It is harmless: go on.
                # Windows так сообщает о прошлой отправке закрытому клиенту — не страшно.
                continue
            text = data.decode("utf-8", errors="replace").strip()
            handle_datagram(server, addr, text)
    except KeyboardInterrupt:
        print("Server stopped")
    finally:
        server.close()


if __name__ == "__main__":
    main()
