"""Multi-user chat server over TCP (reference solution of the chat lab).

How it works, in a few lines:

* The main thread accepts connections. Every connected user gets two threads:
  a *reader* that cuts the byte stream into lines and acts on them, and a
  *writer* that sends whatever waits in the user's outbox.
* Nobody ever sends on another user's socket. Delivering a message only puts
  bytes into the recipient's outbox, which never blocks. A user who stops
  reading therefore slows down nobody but themselves; once their outbox holds
  more than MAX_OUTBOX_BYTES they are dropped and announced as left.
* The registry of users (nickname -> Connection) is shared by all reader
  threads and guarded by a lock. While holding it we only queue bytes, never
  wait on the network, so the lock is always released quickly.

Protocol: UTF-8, one message per line ending in "\\n". The server asks for a
nickname with "NICK", then relays every line as "nick: text" to all the other
users. "/quit" (or closing the connection) leaves the chat.

Run:  python server.py [--host 127.0.0.1] [--port 9090]
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
import threading
from collections import deque

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 9090
MAX_LINE_BYTES = 4096  # longer lines are refused (and the rest of them skipped)
MAX_OUTBOX_BYTES = 1024 * 1024  # a user who falls this far behind is dropped
RECEIVE_SIZE = 65536  # bytes asked from recv() at a time
ACCEPT_TIMEOUT = 0.5  # seconds; accept() wakes up this often so Ctrl+C works on Windows

LINE_TOO_LONG = object()  # what read_lines() produces instead of an over-long line
TOO_LONG_NOTICE = f"* line too long (max {MAX_LINE_BYTES} bytes), dropped"


def read_lines(sock):
    """Yield each line received on sock as text, until the peer closes the connection.

    TCP delivers a stream of bytes, not messages: one recv() may return half a
    line or several lines at once. So we collect bytes in a buffer and cut it
    at every "\\n". A line longer than MAX_LINE_BYTES is replaced by the
    LINE_TOO_LONG marker and the rest of it, up to the next "\\n", is skipped.
    """
    buffer = b""
    skipping = False  # True while we throw away the tail of an over-long line
    while True:
        chunk = sock.recv(RECEIVE_SIZE)
        if not chunk:  # b"" means the other side closed the connection
            return
        buffer += chunk
        *complete_lines, buffer = buffer.split(b"\n")
        for line in complete_lines:
            line = line.rstrip(b"\r")  # accept "\r\n" endings too
            if skipping:
                skipping = False  # this was the end of the over-long line
            elif len(line) > MAX_LINE_BYTES:
                yield LINE_TOO_LONG
            else:
                # errors="replace": invalid UTF-8 becomes U+FFFD instead of crashing us
                yield line.decode("utf-8", errors="replace")
        if len(buffer) > MAX_LINE_BYTES + 1:  # +1 leaves room for the "\r" of "\r\n"
            if not skipping:
                yield LINE_TOO_LONG
            skipping = True
            buffer = b""  # never keep more than one line's worth of bytes


class Connection:
    """One connected user: socket, nickname, and an outbox emptied by a writer thread."""

    def __init__(self, sock: socket.socket, address) -> None:
        self.sock = sock
        self.address = address
        self.nick = ""  # set when the chat room accepts a nickname
        self.too_slow = False  # set when we drop the user for not reading
        self._outbox = deque()  # encoded lines waiting to be sent
        self._outbox_bytes = 0  # queued plus being sent right now
        self._closed = False
        self._outbox_changed = threading.Condition()
        self._writer = threading.Thread(target=self._send_forever, daemon=True)
        self._writer.start()

    def send_line(self, text: str) -> None:
        """Queue one line of text for this user."""
        self.send_bytes((text + "\n").encode("utf-8"))

    def send_bytes(self, data: bytes) -> None:
        """Queue encoded bytes for this user. Never blocks, so it is safe under any lock."""
        with self._outbox_changed:
            if self._closed:
                return
            if self._outbox_bytes + len(data) > MAX_OUTBOX_BYTES:
                self.too_slow = True
            else:
                self._outbox.append(data)
                self._outbox_bytes += len(data)
                self._outbox_changed.notify()  # wake the writer thread
        if self.too_slow:
            self.close()  # their reader thread then announces that they left

    def _send_forever(self) -> None:
        """Writer thread: send queued lines until the connection is closed."""
        while True:
            with self._outbox_changed:
                while not self._outbox and not self._closed:
                    self._outbox_changed.wait()
                if self._closed:
                    return
                # Take everything queued so far and send it in one go: far
                # fewer system calls than one sendall() per line.
                data = b"".join(self._outbox)
                self._outbox.clear()
            try:
                self.sock.sendall(data)  # may block; we hold no lock here
            except OSError:  # the user vanished
                self.close()
                return
            with self._outbox_changed:
                self._outbox_bytes -= len(data)

    def close(self) -> None:
        """Disconnect this user. Safe to call more than once and from any thread."""
        with self._outbox_changed:
            if self._closed:
                return
            self._closed = True
            self._outbox.clear()
            self._outbox_changed.notify()
        try:
            # shutdown() wakes up our reader thread blocked in recv() and our
            # writer blocked in sendall(); close() alone would not, on Linux.
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the connection is already gone

    def release(self) -> None:
        """Close the socket for good once the writer thread has stopped."""
        self.close()
        self._writer.join()
        self.sock.close()


class ChatRoom:
    """The registry of users in the chat, shared by all reader threads."""

    def __init__(self) -> None:
        self._users = {}  # nickname -> Connection, in the order they joined
        self._lock = threading.Lock()

    # Each method below does all its work while holding the lock. That is fine
    # because send_line() only queues bytes, and it keeps every user seeing
    # joins, messages and leaves in the same order.

    def join(self, user: Connection, nick: str) -> bool:
        """Register user as nick, welcome them and tell the others. False if nick is taken."""
        with self._lock:
            if nick in self._users:
                return False
            user.nick = nick
            for other in self._users.values():
                other.send_line(f"* {nick} joined the chat")
            self._users[nick] = user
            user.send_line(f"* welcome, {nick}! online: {', '.join(self._users)}")
        return True

    def leave(self, user: Connection) -> None:
        """Unregister user (if they ever joined) and tell the others."""
        with self._lock:
            if self._users.get(user.nick) is not user:
                return  # never finished choosing a nickname
            del self._users[user.nick]
            for other in self._users.values():
                other.send_line(f"* {user.nick} left the chat")
        log(f"{user.nick} left" + (" (dropped: not reading)" if user.too_slow else ""))

    def broadcast(self, sender: Connection, text: str) -> None:
        """Send "nick: text" to every user except the sender (no echo)."""
        data = f"{sender.nick}: {text}\n".encode("utf-8")  # encode once, not once per user
        with self._lock:
            for other in self._users.values():
                if other is not sender:
                    other.send_bytes(data)


def serve_user(room: ChatRoom, user: Connection) -> None:
    """Reader thread of one user: nickname first, then chat until they leave."""
    try:
        lines = read_lines(user.sock)
        if choose_nickname(room, user, lines):
            log(f"{user.nick} joined from {user.address[0]}:{user.address[1]}")
            relay_messages(room, user, lines)
    except OSError:
        pass  # connection reset or closed under us: the user is gone either way
    finally:
        room.leave(user)
        user.release()


def choose_nickname(room: ChatRoom, user: Connection, lines) -> bool:
    """Ask for a nickname until a free one arrives. False if the user left first."""
    user.send_line("NICK")
    for line in lines:
        if line is LINE_TOO_LONG:
            user.send_line(TOO_LONG_NOTICE)
        else:
            nick = line.strip()
            if nick == "/quit":  # changed their mind
                return False
            if not nick:
                user.send_line("* nickname must not be empty")
            elif room.join(user, nick):
                return True
            else:
                user.send_line(f'* nickname "{nick}" is not available, choose another')
        user.send_line("NICK")
    return False


def relay_messages(room: ChatRoom, user: Connection, lines) -> None:
    """Pass every line the user types on to the others until /quit or disconnect."""
    for line in lines:
        if line is LINE_TOO_LONG:
            user.send_line(TOO_LONG_NOTICE)
        elif line.strip() == "/quit":
            return
        elif line.strip():  # empty lines are ignored
            room.broadcast(user, line)


def open_listener(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":
        # Lets the server restart at once on the same port. (On Windows this
        # option would let another program steal the port, so we skip it.)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen()
    except OSError:  # e.g. the port is taken
        listener.close()
        raise
    listener.settimeout(ACCEPT_TIMEOUT)
    return listener


def accept_forever(listener: socket.socket, room: ChatRoom) -> None:
    """Give every new connection its own reader thread."""
    while True:
        try:
            sock, address = listener.accept()
        except socket.timeout:
            continue  # nobody came; loop again (and let Ctrl+C in)
        except OSError as error:  # e.g. a client gave up while still connecting
            log(f"accept failed: {error}")
            continue
        sock.setblocking(True)  # do not inherit the listener's timeout
        user = Connection(sock, address)
        threading.Thread(target=serve_user, args=(room, user), daemon=True).start()


def lan_addresses() -> list:
    """IPv4 addresses other computers on the network may use to reach this one."""
    found = set()
    try:
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(sockaddr[0])
    except OSError:
        pass
    try:
        # "Connecting" a UDP socket sends nothing; it only makes the OS pick
        # the network interface it would use to reach the internet.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # a documentation address, never contacted
            found.add(probe.getsockname()[0])
    except OSError:
        pass  # no network route at all
    return sorted(address for address in found if not address.startswith(("127.", "0.")))


def print_lan_addresses(port: int) -> None:
    addresses = lan_addresses()
    if not addresses:
        print("* no network address found; see ipconfig (Windows) or ip addr (Linux/macOS)",
              flush=True)
    for address in addresses:
        print(f"* students on this network can connect to {address}:{port}", flush=True)


# print() writes the text and the newline separately: two threads logging at once
# could glue their lines together, so the log is a shared resource with a lock.
LOG_LOCK = threading.Lock()


def log(text: str) -> None:
    with LOG_LOCK:
        print(f"* {text}", flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Multi-user TCP chat server")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to listen on (0.0.0.0 = every network)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help="port to listen on (0 = any free port)")
    return parser.parse_args(argv)


def serve(host: str, port: int) -> int:
    try:
        listener = open_listener(host, port)
    except OSError as error:
        print(f"* cannot listen on {host}:{port}: {error}", flush=True)
        return 1
    with listener:
        host, port = listener.getsockname()[:2]
        print(f"listening on {host}:{port}", flush=True)
        if host == "0.0.0.0":
            print_lan_addresses(port)
        accept_forever(listener, ChatRoom())
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        # Windows pipes use a legacy code page: never crash on printing a name.
        sys.stdout.reconfigure(errors="replace")
    try:
        return serve(args.host, args.port)
    except KeyboardInterrupt:  # Ctrl+C
        print("\n* server stopped, goodbye", flush=True)
        return 0  # user threads are daemons: they end with the program


if __name__ == "__main__":
    sys.exit(main())
