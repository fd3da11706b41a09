# chatlab notebook source (see notebooks/README.md). Edit this file, then run:
#     python -m autograder.notebook.build

# %% [markdown] lang="en"
# # 4. The chat client: a receiving thread, a readable screen, quitting
#
# The client is the two-user chat of notebook 2, grown up a little:
# * it first answers the server's `NICK` with a nickname;
# * a **receiving thread** prints whatever the server sends, as soon as it arrives;
# * the main thread reads what you type and sends it;
# * an incoming message must not mangle the line you are typing;
# * `/quit` leaves cleanly, and when the **server goes away** the client notices.

# %% [markdown] lang="ru"
# # 4. Клиент чата: поток приёма, читаемый экран, выход
#
# Клиент — это чат на двоих из блокнота 2, немного повзрослевший:
# * сначала он отвечает на `NICK` сервера ником;
# * **поток приёма** печатает всё, что присылает сервер, сразу по приходу;
# * главный поток читает то, что вы набираете, и отправляет;
# * входящее сообщение не должно портить строку, которую вы сейчас набираете;
# * `/quit` чисто выходит, а когда **сервер пропадает**, клиент это замечает.

# %% lang="en"
# Run this cell first.
import socket
import threading

from autograder.notebook import Checker

check = Checker("en")

# %% lang="ru"
# Выполните эту ячейку первой.
import socket
import threading

from autograder.notebook import Checker

check = Checker("ru")

# %%
PROMPT = "> "


def send_line(sock, text):
    """Send one line: UTF-8 text plus a newline."""
    sock.sendall((text + "\n").encode("utf-8"))

# %% [markdown] lang="en"
# ## Keeping the typed line readable
#
# In a terminal, `input()` shows what you type at the cursor. If the receiving thread prints `bob: hi` while
# you have typed `hel`, the screen shows `helbob: hi` — and your text seems gone (it is not: `input()` still
# holds it). The simple cure: start every incoming message on a **new line** (your `hel` stays readable
# above it), and print the **prompt again** after it, so you see where you are typing.
#
# Write `format_incoming(text, prompt)`: the string to print (with `end=""`) for an incoming message.

# %% [markdown] lang="ru"
# ## Набираемая строка остаётся читаемой
#
# В терминале `input()` показывает набираемый текст там, где курсор. Если поток приёма напечатает `bob: hi`,
# пока вы набрали `hel`, на экране будет `helbob: hi` — и кажется, что ваш текст пропал (нет: `input()` его
# помнит). Простое лекарство: начинать каждое входящее сообщение с **новой строки** (ваше `hel` останется
# видно выше) и после него **снова печатать приглашение**, чтобы было видно, где вы набираете.
#
# Напишите `format_incoming(text, prompt)`: строку, которую надо напечатать (с `end=""`) для входящего сообщения.

# %%
def format_incoming(text, prompt):
    """What to print for an incoming message so the half-typed line stays readable."""
    # BEGIN SOLUTION
    # TODO[en]: return a new line, the text, a new line, and the prompt again
    # TODO[ru]: верните перевод строки, текст, перевод строки и снова приглашение
    return "\n" + text + "\n" + prompt
    # END SOLUTION

# %% tags=["student-raises-exception"]
print(PROMPT + "hel", end="")  # you have typed "hel" when a message arrives...
print(format_incoming("bob: hi", PROMPT), end="")
print()

# %%
check.step("04-incoming")

# %% [markdown] lang="en"
# ## Joining, receiving, typing, quitting
#
# * `join_chat` answers every `NICK` with the nickname (adding 2, 3… if the server says it is taken) until
#   the server's welcome arrives.
# * `receive_forever` is the receiving thread: `show` each line until the connection ends. If *we* are
#   leaving (`leaving` is set) that is expected; otherwise the server has gone: show
#   `* disconnected from server` and call `on_disconnect()` if one was given. (The real program passes a
#   function that ends the process, because its main thread is stuck in `input()`; the notebook passes none.)
# * `run_client` puts it together; the typing loop is the one from notebook 2.

# %% [markdown] lang="ru"
# ## Вход, приём, ввод, выход
#
# * `join_chat` отвечает ником на каждый `NICK` (добавляя 2, 3…, если сервер говорит, что ник занят), пока
#   не придёт приветствие сервера.
# * `receive_forever` — поток приёма: `show` для каждой строки, пока соединение не закончится. Если уходим
#   *мы* (`leaving` установлен), так и задумано; иначе пропал сервер: покажите `* disconnected from server`
#   и вызовите `on_disconnect()`, если его передали. (Настоящая программа передаёт функцию, которая
#   завершает процесс, потому что её главный поток застрял в `input()`; блокнот не передаёт ничего.)
# * `run_client` собирает всё вместе; цикл ввода — как в блокноте 2.

# %%
def join_chat(sock, reader, nick, show):
    """Answer NICK until the server welcomes us. False if it hung up first."""
    attempt = 1
    for line in reader:
        line = line.rstrip("\r\n")
        if line == "NICK":
            send_line(sock, nick if attempt == 1 else f"{nick}{attempt}")
            attempt += 1
        else:
            show(line)  # the welcome, or why a nickname was refused
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
        pass  # a reset: the same as a close
    if leaving.is_set():
        return  # we closed the connection ourselves
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
            except EOFError:  # Ctrl+D / Ctrl+Z
                text = "/quit"
            if text.strip() == "/quit":
                send_line(sock, "/quit")
                break
            if text.strip():
                send_line(sock, text)
        # END SOLUTION
    except OSError:
        pass  # the server went away while we were sending
    finally:
        leaving.set()  # from now on, the end of the connection is expected
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes the receiving thread up
        except OSError:
            pass
        if receiver.is_alive():
            receiver.join(timeout=2)
        sock.close()

# %% [markdown] lang="en"
# The check plays the server: it sends `NICK` and a welcome, sends a message while your client waits for
# typing, types for you, sends `/quit` — and, in a second scenario, goes away mid-chat.

# %% [markdown] lang="ru"
# Проверка играет роль сервера: присылает `NICK` и приветствие, присылает сообщение, пока ваш клиент ждёт
# ввода, печатает за вас, отправляет `/quit` — а во втором сценарии пропадает посреди разговора.

# %%
check.step("04-client")

# %% [markdown] lang="en"
# ## See it work
#
# A tiny server in a thread, and your client with a scripted keyboard. The screen output is what a person
# would see in the terminal.

# %% [markdown] lang="ru"
# ## Посмотрите, как это работает
#
# Крошечный сервер в потоке и ваш клиент с клавиатурой-роботом. Вывод на экран — то, что увидел бы человек
# в терминале.

# %% tags=["student-raises-exception"]
def tiny_server(listener):
    conn, _ = listener.accept()
    with conn, conn.makefile("r", encoding="utf-8", newline="\n") as reader:
        send_line(conn, "NICK")
        nick = reader.readline().strip()
        send_line(conn, f"* welcome, {nick}! online: boris, {nick}")
        send_line(conn, f"boris: привет, {nick}!")
        for line in reader:
            if line.strip() == "/quit":
                break
            send_line(conn, f"* (the server got {line.strip()!r})")


def typist(lines, pause):
    queue = iter(list(lines) + ["/quit"])

    def next_line():
        threading.Event().wait(pause)
        return next(queue)
    return next_line


listener = socket.create_server(("127.0.0.1", 0))
threading.Thread(target=tiny_server, args=(listener,), daemon=True).start()
sock = socket.create_connection(listener.getsockname(), timeout=5)
sock.settimeout(None)
screen = lambda text: print(format_incoming(text, PROMPT), end="")  # noqa: E731
client = threading.Thread(target=run_client, args=(sock, "anna", typist(["hello, boris"], 0.3), screen))
client.start()
client.join(timeout=5)
listener.close()
#[en]> print("\nclient finished:", not client.is_alive())
#[ru]> print("\nклиент закончил:", not client.is_alive())

# %% [markdown] lang="en"
# ## The real program: `client.py`
#
# The next cell writes `my_submission/tcp/client.py` from the functions of this notebook: a `main()` reads
# `--host`, `--port` and `--nick`, connects, and calls
# `run_client(sock, nick, lambda: input(PROMPT), show, on_disconnect=lambda: os._exit(0))`, where `show` prints
# `format_incoming(text, PROMPT)`. `os._exit(0)` ends the whole process at once — right for a terminal
# program whose main thread is stuck in `input()`, and **never** something to call in a notebook.

# %% [markdown] lang="ru"
# ## Настоящая программа: `client.py`
#
# Следующая ячейка записывает `my_submission/tcp/client.py` из функций этого блокнота: `main()` читает
# `--host`, `--port` и `--nick`, подключается и вызывает
# `run_client(sock, nick, lambda: input(PROMPT), show, on_disconnect=lambda: os._exit(0))`, где `show` печатает
# `format_incoming(text, PROMPT)`. `os._exit(0)` сразу завершает весь процесс — это правильно для программы
# в терминале, чей главный поток застрял в `input()`, и **никогда** не годится для блокнота.

# %%
check.write_program("tcp", "client")

# %% [markdown] lang="en"
# ## Try it with people, in real terminals
#
# `my_submission/tcp/` now holds your server (notebook 3) and your client. Open three terminals (on Windows:
# PowerShell or Anaconda Prompt; activate the same virtual environment), go to the folder that holds
# `my_submission`, and run one line in each:
#
# ```
# python my_submission/tcp/server.py
# python my_submission/tcp/client.py --nick anna
# python my_submission/tcp/client.py --nick boris
# ```
#
# (On Windows `py` works instead of `python`.) Chat, close one client's window, restart the server with
# Ctrl+C: does everything the checks promised still hold? To chat across a classroom network, start the
# server with `--host 0.0.0.0` and give the others your computer's address (`ipconfig` on Windows, `ip addr`
# on Linux, `ipconfig getifaddr en0` on macOS) as `--host`; allow Python through the firewall when Windows asks.
#
# ### Check yourself (about 60 minutes for this notebook)
#
# 1. Why does a message from the server appear at once only if the client receives in a thread of its own?
# 2. What does `shutdown(SHUT_RDWR)` do that `close()` alone does not, for a thread blocked in `recv()`?
# 3. What does your client show when the server is stopped with Ctrl+C, and why does it not hang?
#
# **Next:** notebook 5, the same chat over UDP — and what you lose without connections.

# %% [markdown] lang="ru"
# ## Попробуйте с людьми, в настоящих терминалах
#
# В `my_submission/tcp/` теперь лежат ваш сервер (блокнот 3) и ваш клиент. Откройте три терминала (в Windows —
# PowerShell или Anaconda Prompt; активируйте то же виртуальное окружение), перейдите в папку, где лежит
# `my_submission`, и выполните по строке в каждом:
#
# ```
# python my_submission/tcp/server.py
# python my_submission/tcp/client.py --nick anna
# python my_submission/tcp/client.py --nick boris
# ```
#
# (В Windows вместо `python` подойдёт `py`.) Попереписывайтесь, закройте окно одного клиента, перезапустите
# сервер через Ctrl+C: всё ли, что обещали проверки, по-прежнему выполняется? Чтобы переписываться по сети
# класса, запустите сервер с `--host 0.0.0.0` и дайте остальным адрес своего компьютера (`ipconfig` в Windows,
# `ip addr` в Linux, `ipconfig getifaddr en0` в macOS) для `--host`; когда Windows спросит, разрешите Python
# доступ через брандмауэр.
#
# ### Проверьте себя (на этот блокнот — около 60 минут)
#
# 1. Почему сообщение от сервера появляется сразу, только если клиент принимает в отдельном потоке?
# 2. Что делает `shutdown(SHUT_RDWR)` для потока, заблокированного в `recv()`, чего не делает один `close()`?
# 3. Что покажет ваш клиент, если остановить сервер через Ctrl+C, и почему он не зависает?
#
# **Дальше:** блокнот 5, тот же чат по UDP — и что теряется без соединений.
