"""Benchmark submission `dripping` (server): a correct chat that delivers to each user one
piece per second, written for benchmarks/grade_speed.py (our own code, not a student's).

What it shows: a chat that is slow, not broken. Each user has a writer thread that sends
at most PIECE bytes of what is queued for them, then sleeps GAP seconds. Chat traffic
(a few short lines) fits in one piece and arrives within a second, so every check that
waits for a message or a notice passes. A flood does not: in slow_reader the other
users get about 1 KiB a second, never stop (never 3 s without a byte, so not "frozen")
and never finish, so the check watches them until its 45 s limit ("slow but moving").
Otherwise it behaves like the reference: NICK prompt, "nick: text" lines, no echo,
joins and leaves announced, a reader and a writer thread per user.

Why deterministic: the rate is fixed by the writer's own sleep, not by the machine; a
piece leaves at most GAP seconds after the previous one, far inside every deadline
(the shortest is 3 s), and the flood is thousands of times more than 45 pieces.
"""
import socket
import threading
import time

HOST = "127.0.0.1"
PORT = 9090
PIECE = 1024  # bytes sent to one user at a time
GAP = 1.0  # seconds between two pieces to the same user

users = {}  # nickname -> User
users_lock = threading.Lock()


class User:
    def __init__(self, conn):
        self.conn = conn
        self.outbox = bytearray()
        self.closed = False
        self.changed = threading.Condition()
        threading.Thread(target=self.drip, daemon=True).start()

    def send(self, text):
        with self.changed:
            self.outbox += text.encode("utf-8")
            self.changed.notify()

    def drip(self):
        while True:
            with self.changed:
                while not self.outbox and not self.closed:
                    self.changed.wait()
                if self.closed:
                    return
                piece = bytes(self.outbox[:PIECE])
                del self.outbox[:PIECE]
            try:
                self.conn.sendall(piece)
            except OSError:
                return
            time.sleep(GAP)  # the drip

    def close(self):
        with self.changed:
            self.closed = True
            self.changed.notify()


def send_to_others(text, skip):
    with users_lock:  # only queues bytes: never waits on the network
        for user in users.values():
            if user is not skip:
                user.send(text)


def serve(conn):
    user = User(conn)
    nick = None
    try:
        user.send("NICK\n")
        for line in conn.makefile("r", encoding="utf-8", errors="replace", newline="\n"):
            text = line.strip()
            if not text:
                continue
            if nick is None:
                with users_lock:
                    if text in users:
                        user.send("NICK\n")
                        continue
                    nick = text
                    users[nick] = user
                send_to_others(f"* {nick} joined the chat\n", user)
            elif text == "/quit":
                break
            else:
                send_to_others(f"{nick}: {text}\n", user)
    except OSError:
        pass
    if nick is not None:
        with users_lock:
            users.pop(nick, None)
        send_to_others(f"* {nick} left the chat\n", user)
    user.close()
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen()
    print(f"listening on {HOST}:{PORT}", flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
