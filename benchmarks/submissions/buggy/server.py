"""Benchmark submission `buggy` (server): a chat with three classic bugs, written for
benchmarks/grade_speed.py (our own code, not a student's).

What it shows: the grader's time on a chat that fails by waiting, not by crashing.
  (a) Every message is sent to every user by the sender's own thread with sendall()
      while it holds `users_lock`: once one user stops reading, sendall() to them
      blocks with the lock held and nobody gets anything more (slow_reader: frozen).
  (b) A user who leaves is never announced (leave_notice waits out its deadline).
  (c) When a user closes the connection, recv() returns b"" forever and the loop
      never breaks: one core at 100% (idle_after_leave).
Everything else works: NICK prompt, "* nick joined the chat", "nick: text" lines,
no echo, a thread per user, a reset (RST) ends the user quietly.

Why deterministic: each bug is triggered by what the check itself does (a user who
stops reading, a clean close) and nothing is random or timed; the freeze and the
spin last until the check ends, and the missing notice is never sent at all.
"""
import socket
import threading

HOST = "127.0.0.1"
PORT = 9090

users = {}  # socket -> nickname
users_lock = threading.Lock()


def send_to_all(data, skip=None):
    # BUG (a): sendall() under the lock, in the sender's thread.
    with users_lock:
        for conn in users:
            if conn is not skip:
                try:
                    conn.sendall(data)
                except OSError:
                    pass  # gone; (b) it stays in `users` until its thread notices a reset


def serve(conn):
    nick = None
    buffer = b""
    try:
        conn.sendall(b"NICK\n")
        while True:
            data = conn.recv(4096)
            # BUG (c): b"" means the user left; nothing breaks the loop, so it spins.
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                text = line.decode("utf-8", "replace").strip()
                if not text:
                    continue
                if nick is None:
                    nick = text
                    send_to_all(f"* {nick} joined the chat\n".encode("utf-8"), skip=conn)
                    with users_lock:
                        users[conn] = nick
                else:
                    send_to_all(f"{nick}: {text}\n".encode("utf-8"), skip=conn)
    except OSError:
        pass  # connection reset: drop the user (BUG (b): without a word to the others)
    with users_lock:
        users.pop(conn, None)
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
