# chatlab notebook source (see notebooks/README.md). Edit this file, then run:
#     python -m autograder.notebook.build

# %% [markdown] lang="en"
# # 6. Hand-in: `server.py` and `client.py`, then `autograde`
#
# What you hand in is two programs, not a notebook: `server.py` and `client.py` in one folder. In this
# notebook you write them into `my_submission/` (next to this notebook) with `%%writefile` cells — the
# functions are the ones from notebooks 3 and 4, copy yours in — and then run the grader on the folder,
# exactly as your instructor will.
#
# How the grader runs your server: as a program of its own, `python server.py`, in a separate process, on
# a port of its choosing (it rewrites the port you hard-coded, so keep `9090`), and connects scripted users
# to it. So the file must run on its own: imports at the top, a `main()` that listens, and
# `if __name__ == "__main__": main()` at the bottom.

# %% [markdown] lang="ru"
# # 6. Сдача: `server.py` и `client.py`, затем `autograde`
#
# Сдаются две программы, а не блокнот: `server.py` и `client.py` в одной папке. В этом блокноте вы
# записываете их в `my_submission/` (рядом с блокнотом) ячейками `%%writefile` — функции те же, что в
# блокнотах 3 и 4, перенесите свои, — а затем запускаете на папке проверяющую программу точно так же, как
# это сделает преподаватель.
#
# Как проверяющая программа запускает ваш сервер: как отдельную программу, `python server.py`, в отдельном
# процессе, на порту по своему выбору (порт, прописанный у вас в коде, она подменяет, так что оставьте `9090`),
# и подключает к нему роботов-пользователей. Поэтому файл должен работать сам по себе: импорты вверху,
# `main()`, который начинает слушать, и `if __name__ == "__main__": main()` внизу.

# %% lang="en"
# Run this cell first.
from pathlib import Path

from autograder.notebook import Checker

check = Checker("en")
Path("my_submission").mkdir(exist_ok=True)
print("your files go to", Path("my_submission").resolve())

# %% lang="ru"
# Выполните эту ячейку первой.
from pathlib import Path

from autograder.notebook import Checker

check = Checker("ru")
Path("my_submission").mkdir(exist_ok=True)
print("ваши файлы будут здесь:", Path("my_submission").resolve())

# %% [markdown] lang="en"
# ## `server.py`
#
# Running this cell writes the file (it does not run it). The `main()` at the end runs `serve` in a thread
# and lets the main thread wait with short `join()`s: that way Ctrl+C stops the server on Windows too,
# where a blocked `accept()` cannot be interrupted.

# %% [markdown] lang="ru"
# ## `server.py`
#
# Выполнение этой ячейки записывает файл (но не запускает его). `main()` в конце запускает `serve` в потоке,
# а главный поток ждёт короткими `join()`: так Ctrl+C останавливает сервер и в Windows, где заблокированный
# `accept()` прервать нельзя.

# %%
%%writefile my_submission/server.py
"""Multi-user chat server over TCP: a thread per client.

Run:  python server.py [--host 127.0.0.1] [--port 9090]
"""
import argparse
import socket
import threading

users = {}  # nickname -> the socket of that user
users_lock = threading.Lock()


def send_line(conn, text):
    """Send one protocol line: UTF-8 text plus a newline."""
    conn.sendall((text + "\n").encode("utf-8"))


def add_user(nick, conn):
    """Register a user. False if the nickname is taken."""
    # BEGIN SOLUTION
    # TODO[en]: under users_lock: if nick is in users return False, else store users[nick] = conn and return True
    # TODO[ru]: под users_lock: если nick есть в users — вернуть False, иначе сохранить users[nick] = conn и вернуть True
    with users_lock:
        if nick in users:
            return False
        users[nick] = conn
        return True
    # END SOLUTION


def remove_user(nick):
    """Forget a user who left (an unknown nickname is fine)."""
    # BEGIN SOLUTION
    # TODO[en]: under users_lock: remove nick from users if it is there (users.pop(nick, None))
    # TODO[ru]: под users_lock: удалить nick из users, если он там есть (users.pop(nick, None))
    with users_lock:
        users.pop(nick, None)
    # END SOLUTION


def broadcast(text, exclude=None):
    """Send a line to every user except `exclude`."""
    # BEGIN SOLUTION
    # TODO[en]: copy the sockets of everyone but exclude under users_lock; then send_line to each, ignoring OSError per user
    # TODO[ru]: под users_lock скопировать сокеты всех, кроме exclude; затем send_line каждому, игнорируя OSError для каждого отдельно
    with users_lock:
        recipients = [conn for nick, conn in users.items() if nick != exclude]
    for conn in recipients:
        try:
            send_line(conn, text)
        except OSError:
            pass  # that user has vanished; their own thread will clean up
    # END SOLUTION


def ask_nickname(conn, reader):
    """Ask until a free nickname arrives; register it and return it. None if the client left."""
    # BEGIN SOLUTION
    # TODO[en]: loop: send NICK; line = reader.readline(); "" -> return None; strip it; refuse empty or taken names (add_user), else return it
    # TODO[ru]: цикл: отправить NICK; line = reader.readline(); "" — вернуть None; strip; отказать пустому или занятому (add_user), иначе вернуть ник
    while True:
        send_line(conn, "NICK")
        line = reader.readline()
        if not line:  # the client left before choosing a nickname
            return None
        nick = line.strip()
        if not nick:
            send_line(conn, "* nickname must not be empty")
        elif add_user(nick, conn):
            return nick
        else:
            send_line(conn, f'* nickname "{nick}" is not available, choose another')
    # END SOLUTION


def handle_client(conn, addr):
    """Serve one client, in its own thread, from the handshake until it leaves."""
    reader = conn.makefile("r", encoding="utf-8", errors="replace", newline="\n")
    nick = None
    try:
        nick = ask_nickname(conn, reader)
        if nick is None:
            return
        print(f"{nick} joined from {addr[0]}:{addr[1]}", flush=True)
        # BEGIN SOLUTION
        # TODO[en]: send "* welcome, NICK! online: a, b" (the nicknames joined with ", "), broadcast "* NICK joined the chat" to the others,
        # TODO[en]: then for line in reader: strip "\r\n"; break on /quit; broadcast "NICK: text" (skip empty lines)
        # TODO[ru]: отправить "* welcome, НИК! online: a, b" (ники через ", "), разослать остальным "* НИК joined the chat",
        # TODO[ru]: затем for line in reader: убрать "\r\n"; на /quit — break; разослать "НИК: текст" (пустые строки пропускать)
        with users_lock:
            online = ", ".join(users)
        send_line(conn, f"* welcome, {nick}! online: {online}")
        broadcast(f"* {nick} joined the chat", exclude=nick)
        for line in reader:
            text = line.rstrip("\r\n")
            if text.strip() == "/quit":
                break
            if text.strip():
                broadcast(f"{nick}: {text}", exclude=nick)
        # END SOLUTION
    except OSError:
        pass  # the connection was reset: the client has vanished
    finally:
        if nick is not None:
            remove_user(nick)
            broadcast(f"* {nick} left the chat")
            print(f"{nick} left", flush=True)
        reader.close()
        conn.close()


def serve(listener):
    """Accept clients for ever, a thread each; return when the listener is closed."""
    # BEGIN SOLUTION
    # TODO[en]: inside try/except OSError: loop for ever: conn, addr = listener.accept(); start threading.Thread(target=handle_client, args=(conn, addr), daemon=True)
    # TODO[ru]: внутри try/except OSError: бесконечный цикл: conn, addr = listener.accept(); запустить threading.Thread(target=handle_client, args=(conn, addr), daemon=True)
    try:
        while True:
            conn, addr = listener.accept()
            threading.Thread(target=handle_client, args=(conn, addr), daemon=True).start()
    except OSError:
        pass  # the listener was closed: stop serving
    # END SOLUTION


def main():
    parser = argparse.ArgumentParser(description="Multi-user TCP chat server")
    parser.add_argument("--host", default="127.0.0.1", help="0.0.0.0 lets other computers connect")
    parser.add_argument("--port", type=int, default=9090)
    args = parser.parse_args()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((args.host, args.port))
    listener.listen()
    print(f"listening on {args.host}:{args.port} (Ctrl+C to stop)", flush=True)
    server = threading.Thread(target=serve, args=(listener,), daemon=True)
    server.start()
    try:
        while server.is_alive():
            #[en] Short waits keep Ctrl+C working on Windows.
            #[ru] Короткие ожидания, чтобы Ctrl+C работал и в Windows.
            server.join(0.5)
    except KeyboardInterrupt:
        print("server stopped", flush=True)
    finally:
        listener.close()


if __name__ == "__main__":
    main()

# %% [markdown] lang="en"
# ## `client.py`

# %% [markdown] lang="ru"
# ## `client.py`

# %%
%%writefile my_submission/client.py
"""Chat client for the multi-user TCP chat.

Run:  python client.py [--host 127.0.0.1] [--port 9090] [--nick NAME]
"""
import argparse
import os
import socket
import sys
import threading

PROMPT = "> "


def send_line(sock, text):
    """Send one line: UTF-8 text plus a newline."""
    sock.sendall((text + "\n").encode("utf-8"))


def format_incoming(text, prompt):
    """What to print for an incoming message so the half-typed line stays readable."""
    # BEGIN SOLUTION
    # TODO[en]: return a new line, the text, a new line, and the prompt again
    # TODO[ru]: верните перевод строки, текст, перевод строки и снова приглашение
    return "\n" + text + "\n" + prompt
    # END SOLUTION


def join_chat(sock, reader, nick, show):
    """Answer NICK until the server welcomes us. False if it hung up first."""
    attempt = 1
    for line in reader:
        line = line.rstrip("\r\n")
        if line == "NICK":
            send_line(sock, nick if attempt == 1 else f"{nick}{attempt}")
            attempt += 1
        else:
            show(line)
            if line.startswith("* welcome"):
                return True
    return False


def receive_forever(reader, show, leaving, on_disconnect=None):
    """Receiving thread: show every line from the server until the connection ends."""
    # BEGIN SOLUTION
    # TODO[en]: show each line of reader (without "\r\n"); catch OSError; then, unless leaving is set: show "* disconnected from server" and call on_disconnect if given
    # TODO[ru]: показать (show) каждую строку reader (без "\r\n"); перехватить OSError; затем, если leaving не установлен: show "* disconnected from server" и вызвать on_disconnect, если он есть
    try:
        for line in reader:
            show(line.rstrip("\r\n"))
    except OSError:
        pass
    if leaving.is_set():
        return
    show("* disconnected from server")
    if on_disconnect is not None:
        on_disconnect()
    # END SOLUTION


def run_client(sock, nick, next_line, show, on_disconnect=None):
    """The whole client on a connected socket: join, receive in a thread, send what is typed."""
    reader = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
    leaving = threading.Event()
    receiver = threading.Thread(target=receive_forever, args=(reader, show, leaving, on_disconnect), daemon=True)
    try:
        if not join_chat(sock, reader, nick, show):
            show("* disconnected from server")
            return
        # BEGIN SOLUTION
        # TODO[en]: start receiver; loop: text = next_line() (EOFError means /quit); on /quit send it and stop; send non-empty lines
        # TODO[ru]: запустить receiver; цикл: text = next_line() (EOFError значит /quit); на /quit отправить его и остановиться; непустые строки отправлять
        receiver.start()
        while True:
            try:
                text = next_line()
            except EOFError:
                text = "/quit"
            if text.strip() == "/quit":
                send_line(sock, "/quit")
                break
            if text.strip():
                send_line(sock, text)
        # END SOLUTION
    except OSError:
        pass
    finally:
        leaving.set()
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        if receiver.is_alive():
            receiver.join(timeout=2)
        sock.close()


def main():
    parser = argparse.ArgumentParser(description="Multi-user TCP chat client")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9090)
    parser.add_argument("--nick")
    args = parser.parse_args()
    interactive = sys.stdin.isatty()
    nick = args.nick or input("Your nickname: ")
    try:
        sock = socket.create_connection((args.host, args.port))
    except OSError as error:
        print(f"cannot connect to {args.host}:{args.port}: {error}")
        return
    if interactive:
        def show(text):
            print(format_incoming(text, PROMPT), end="", flush=True)
        next_line = lambda: input(PROMPT)  # noqa: E731
    else:
        def show(text):
            #[en] stdout may be a pipe: plain lines, flushed at once.
            #[ru] stdout может быть каналом (pipe): простые строки, сразу с flush.
            print(text, flush=True)
        next_line = input
    #[en] The main thread is stuck in input() when the server goes away: end the process from the receiving thread.
    #[ru] Когда сервер пропадает, главный поток висит в input(): завершаем процесс из потока приёма.
    run_client(sock, nick, next_line, show, on_disconnect=lambda: os._exit(0))


if __name__ == "__main__":
    main()

# %% [markdown] lang="en"
# ## Run the grader
#
# `check.autograde("my_submission")` runs `python -m autograder my_submission` — the same program your
# instructor runs — in a separate process, and shows its report here. In a terminal you can run it yourself:
# `autograde my_submission` (add `--lang ru` for Russian). It takes a few seconds.

# %% [markdown] lang="ru"
# ## Запустите проверяющую программу
#
# `check.autograde("my_submission")` запускает `python -m autograder my_submission` — ту же программу, что
# запускает преподаватель, — в отдельном процессе и показывает здесь её отчёт. В терминале можно запустить её
# самому: `autograde my_submission --lang ru`. Это занимает несколько секунд.

# %%
check.autograde("my_submission")

# %% [markdown] lang="en"
# ## Try it with people
#
# In two or three terminals (Anaconda Prompt or PowerShell on Windows), from the folder that holds
# `my_submission`:
#
# ```
# python my_submission/server.py
# python my_submission/client.py --nick anna
# python my_submission/client.py --nick boris
# ```
#
# To chat across a classroom network, start the server with `--host 0.0.0.0` and give the others your
# computer's address (`ipconfig` on Windows, `ip addr` on Linux) as `--host`. Windows may ask whether
# Python may accept connections: allow it for private networks.
#
# Then hand in the folder the way your course asks. The public checks passing means your chat does what
# they test; your instructor decides the grade.

# %% [markdown] lang="ru"
# ## Попробуйте с людьми
#
# В двух-трёх терминалах (в Windows — Anaconda Prompt или PowerShell), из папки, где лежит `my_submission`:
#
# ```
# python my_submission/server.py
# python my_submission/client.py --nick anna
# python my_submission/client.py --nick boris
# ```
#
# Чтобы переписываться по сети класса, запустите сервер с `--host 0.0.0.0` и дайте остальным адрес своего
# компьютера (`ipconfig` в Windows, `ip addr` в Linux) для `--host`. Windows может спросить, разрешить ли
# Python принимать подключения: разрешите для частных сетей.
#
# Затем сдайте папку так, как требует ваш курс. Пройденные открытые проверки значат, что ваш чат делает то,
# что они проверяют; оценку ставит преподаватель.
