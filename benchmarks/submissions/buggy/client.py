"""Benchmark submission client (the same file in buggy/ and dripping/), written for
benchmarks/grade_speed.py (our own code, not a student's).

What it shows: nothing wrong. A plain line chat client (a thread that prints what
arrives, the main thread sends what is typed; the nickname is the first line), so the
client checks pass quickly and a benchmark row measures the server beside it.

Why deterministic: it sends the nickname as soon as it is typed, whatever the server
said or did not say, prints whole lines only, and exits at once when the server goes
away or the user types /quit or ends the input.
"""
import os
import socket
import sys
import threading

HOST = "127.0.0.1"
PORT = 9090

leaving = threading.Event()


def receive(sock):
    buffer = b""
    while True:
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            break
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            print(line.decode("utf-8", "replace").rstrip("\r"), flush=True)
    if not leaving.is_set():
        print("* the server closed the connection", flush=True)
        os._exit(0)  # the main thread is stuck in input()


def main():
    try:
        sock = socket.create_connection((HOST, PORT))
    except OSError as error:
        print(f"* cannot connect: {error}", flush=True)
        return 1
    threading.Thread(target=receive, args=(sock,), daemon=True).start()
    try:
        sock.sendall((input("Nickname: ").strip() + "\n").encode("utf-8"))
        while True:
            try:
                text = input()
            except EOFError:
                text = "/quit"
            if text.strip() == "/quit":
                break
            if text.strip():
                sock.sendall((text + "\n").encode("utf-8"))
    except (OSError, KeyboardInterrupt, EOFError):
        pass
    leaving.set()
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
