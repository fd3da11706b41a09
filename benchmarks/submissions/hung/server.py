"""Benchmark submission `hung` (server): accepts every connection and then says nothing,
ever, written for benchmarks/grade_speed.py (our own code, not a student's).

What it shows: the grader's worst case for a server that does start. It listens, takes
each user in a thread of its own (so `threads` passes), and never reads, answers or
relays: no prompt, no message, no notice. Every wait of every check that talks to it
runs to its deadline (broadcast, join_notice, leave_notice; the rest depend on those).

Why deterministic: nothing is ever sent, so no check can see anything early; the
threads only sleep, and the connections stay open until the grader stops the server.
"""
import socket
import threading
import time

HOST = "127.0.0.1"
PORT = 9090


def hold(conn):
    time.sleep(3600)  # keeps the connection (and this thread) alive, doing nothing
    conn.close()


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind((HOST, PORT))
    server.listen()
    print(f"listening on {HOST}:{PORT}", flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=hold, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
