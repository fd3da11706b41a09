# chatlab notebook source (see notebooks/README.md). Edit this file, then run:
#     python -m autograder.notebook.build

# %% [markdown] lang="en"
# # 1. Sockets: an echo server, bytes and text, and why messages need framing
#
# This is the first of six notebooks that lead from two sockets talking to each other to a
# multi-user chat over TCP — the lab "write a chat with `socket` and `threading`".
#
# In this notebook you will
# 1. turn text into bytes and back (a socket carries only bytes);
# 2. write an **echo server** and talk to it from a client, both in this notebook (the server runs in a thread);
# 3. see that `recv()` returns *whatever has arrived*, not "one message";
# 4. write `recv_lines()`, which cuts a byte stream into lines — the **framing** every chat needs.
#
# **How the checks work.** Under some code cells there is a cell like `check.step("01-echo")`. It runs
# your function with the same scripted users the course grader uses and shows a checklist:
# ✔ passed, ✘ *not yet* (with the reason, a hint and what happened). "Not yet" is normal while you work:
# fix, re-run your cell, re-run the check. The checks say *passed* or *not yet*, never a score: the score
# comes from `autograde`, the grader itself, which notebook 6 runs on your files.
#
# The task and how it is graded: `labs/chat/assignment.en.md`; installing, terminals and troubleshooting:
# `labs/chat/GETTING_STARTED.en.md`. The path: notebooks 1–2 (a two-user chat, worth at most 60), 3–4 (the
# multi-user TCP chat, 100), 5 (UDP, 80), 6 (grading and handing in). This notebook takes about 60 minutes.

# %% [markdown] lang="ru"
# # 1. Сокеты: эхо-сервер, байты и текст, и зачем сообщениям границы
#
# Это первый из шести блокнотов, которые ведут от двух разговаривающих сокетов к многопользовательскому
# чату по TCP — к лабораторной «напишите чат на `socket` и `threading`».
#
# В этом блокноте вы
# 1. превратите текст в байты и обратно (сокет передаёт только байты);
# 2. напишете **эхо-сервер** и поговорите с ним из клиента — оба в этом блокноте (сервер работает в потоке);
# 3. увидите, что `recv()` возвращает *то, что успело прийти*, а не «одно сообщение»;
# 4. напишете `recv_lines()`, которая режет поток байтов на строки, — это **разбиение на сообщения**
#    (framing), без которого не обходится ни один чат.
#
# **Как работают проверки.** Под некоторыми ячейками с кодом есть ячейка вроде `check.step("01-echo")`.
# Она запускает вашу функцию с теми же «роботами-пользователями», что и автопроверка курса,
# и показывает список: ✔ пройдено, ✘ *пока нет* (с причиной, подсказкой и тем, что происходило).
# «Пока нет» — нормальное состояние во время работы: исправьте код, выполните свою ячейку заново, потом
# проверку. Проверки говорят *пройдено* или *пока нет* и никогда не ставят баллов: баллы даёт `autograde`,
# сама автопроверка, которую блокнот 6 запускает на ваших файлах.
#
# Задание и как оно оценивается — `labs/chat/assignment.ru.md`; установка, терминалы и что делать при
# ошибках — `labs/chat/GETTING_STARTED.ru.md`. Путь: блокноты 1–2 (чат на двоих, не больше 60 баллов), 3–4
# (многопользовательский чат на TCP, 100), 5 (UDP, 80), 6 (проверка и сдача). На этот блокнот — около 60 минут.

# %% lang="en"
# Run this cell first. It needs the chatlab kit installed in this Jupyter kernel (see the README).
import socket
import threading

from autograder.notebook import Checker

check = Checker("en")

# %% lang="ru"
# Выполните эту ячейку первой. Нужен пакет chatlab, установленный в это ядро Jupyter (см. README).
import socket
import threading

from autograder.notebook import Checker

check = Checker("ru")

# %% [markdown] lang="en"
# ## Bytes and text
#
# A socket sends and receives `bytes`. Text (`str`) becomes bytes with `.encode("utf-8")` and comes back
# with `.decode("utf-8")`. A Latin letter is one byte in UTF-8, a Cyrillic letter two: so the number of
# bytes is not the number of characters, and **cutting bytes in the middle of a letter breaks it**.

# %% [markdown] lang="ru"
# ## Байты и текст
#
# Сокет отправляет и принимает `bytes`. Текст (`str`) превращается в байты через `.encode("utf-8")`
# и обратно через `.decode("utf-8")`. Латинская буква в UTF-8 занимает один байт, русская — два,
# поэтому байтов не столько же, сколько символов, и **если разрезать байты посреди буквы, буква ломается**.

# %%
text = "Привет, Bob!"
data = text.encode("utf-8")
#[en]> print(len(text), "characters ->", len(data), "bytes:", data)
#[ru]> print(len(text), "символов ->", len(data), "байт:", data)
print(data.decode("utf-8"))

half = data[:3]  # "П" is 2 bytes, "р" starts at byte 2: we cut "р" in half
try:
    half.decode("utf-8")
except UnicodeDecodeError as error:
    print("UnicodeDecodeError:", error)
print(half.decode("utf-8", errors="replace"))  # errors="replace" turns broken bytes into �

# %% [markdown] lang="en"
# ## A listening socket
#
# A server *listens* on an address (IP and port); clients *connect* to it. `socket.create_server()` does
# `socket()`, `bind()` and `listen()` in one call. In this notebook we ask for port `0`: the operating system
# picks a free port, so re-running a cell never fails with "address already in use". (Your real
# `server.py` will listen on a fixed port such as 9090.) `127.0.0.1` means "this computer only".
# Notebook 3 makes these calls one by one, as your `server.py` will, and adds `SO_REUSEADDR`.
#
# ![The life of a TCP socket](../../images/socket-life.en.svg)

# %% [markdown] lang="ru"
# ## Слушающий сокет
#
# Сервер *слушает* адрес (IP и порт), клиенты к нему *подключаются*. `socket.create_server()` делает
# `socket()`, `bind()` и `listen()` одним вызовом. В этом блокноте мы просим порт `0`: операционная система
# сама выберет свободный, поэтому повторный запуск ячейки никогда не упадёт с «address already in use».
# (Ваш настоящий `server.py` будет слушать постоянный порт, например 9090.) `127.0.0.1` значит
# «только этот компьютер».
# Блокнот 3 делает эти вызовы по одному, как будет делать ваш `server.py`, и добавляет `SO_REUSEADDR`.
#
# ![Жизнь TCP-сокета](../../images/socket-life.ru.svg)

# %%
listener = socket.create_server(("127.0.0.1", 0))
#[en]> print("listening on", listener.getsockname())
#[ru]> print("слушает", listener.getsockname())
listener.close()

# %% [markdown] lang="en"
# ## Your turn: an echo server
#
# `listener.accept()` waits for a client and returns `(conn, addr)`: a new socket for talking to that client,
# and its address. An *echo* server sends back every byte it receives. Write `handle_echo(conn)`:
#
# * `data = conn.recv(4096)` waits until *some* bytes have arrived and returns them (at most 4096);
# * `b""` (empty bytes) means the client has closed its side: leave the loop;
# * `conn.sendall(data)` sends all the bytes (`send()` may send only a part and tell you how much);
# * close the connection at the end — `with conn:` does it for you.

# %% [markdown] lang="ru"
# ## Ваша очередь: эхо-сервер
#
# `listener.accept()` ждёт клиента и возвращает `(conn, addr)`: новый сокет для разговора с этим клиентом
# и его адрес. *Эхо*-сервер отправляет обратно каждый полученный байт. Напишите `handle_echo(conn)`:
#
# * `data = conn.recv(4096)` ждёт, пока придут *хоть какие-то* байты, и возвращает их (не больше 4096);
# * `b""` (пустые байты) значит, что клиент закрыл свою сторону: выходите из цикла;
# * `conn.sendall(data)` отправляет все байты (`send()` может отправить только часть и сообщить сколько);
# * в конце закройте соединение — `with conn:` сделает это за вас.

# %%
def handle_echo(conn):
    """Send back every byte received on conn until the client closes; then close conn."""
    # BEGIN SOLUTION
    # TODO[en]: loop: recv up to 4096 bytes; stop on b""; sendall them back; close conn at the end (with conn:)
    # TODO[ru]: цикл: recv до 4096 байт; на b"" остановиться; вернуть их через sendall; в конце закрыть conn (with conn:)
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:  # b"": the client has closed its side
                break
            conn.sendall(data)
    # END SOLUTION

# %% [markdown] lang="en"
# Try it: the server runs in a **thread**, so this same cell can be the client. A thread is a second line of
# execution in the same program: `serve_one` waits in `accept()` while the code below it connects.
# (`daemon=True` means the thread will not keep Python alive on its own.)

# %% [markdown] lang="ru"
# Попробуйте: сервер работает в **потоке**, поэтому клиентом может быть эта же ячейка. Поток — это вторая
# линия выполнения в той же программе: `serve_one` ждёт в `accept()`, пока код ниже подключается.
# (`daemon=True` значит, что поток сам по себе не будет удерживать Python от завершения.)

# %% tags=["student-raises-exception"]
def serve_one(listener):
    conn, addr = listener.accept()
    #[en]> print("server: a client connected from", addr)
    #[ru]> print("сервер: подключился клиент с адреса", addr)
    handle_echo(conn)


listener = socket.create_server(("127.0.0.1", 0))
threading.Thread(target=serve_one, args=(listener,), daemon=True).start()

with socket.create_connection(listener.getsockname(), timeout=5) as client:
    client.sendall("Привет, echo!".encode("utf-8"))
    reply = client.recv(4096)
    #[en]> print("client got back:", reply.decode("utf-8"))
    #[ru]> print("клиент получил обратно:", reply.decode("utf-8"))
listener.close()

# %% [markdown] lang="en"
# Now the check. It connects to your `handle_echo` with scripted clients: a short message, 200 KB at once,
# Cyrillic text, and a client that closes.

# %% [markdown] lang="ru"
# Теперь проверка. Она подключается к вашей `handle_echo` «роботами»: короткое сообщение, 200 КБ сразу,
# текст на кириллице и клиент, который закрывает соединение.

# %%
check.step("01-echo")

# %% [markdown] lang="en"
# ## `recv()` returns whatever has arrived
#
# TCP delivers a **stream of bytes**, not messages. Two `sendall()` calls may arrive in one `recv()`, and one
# big `sendall()` arrives in many pieces. Watch both happen:

# %% [markdown] lang="ru"
# ## `recv()` возвращает то, что успело прийти
#
# TCP доставляет **поток байтов**, а не сообщения. Два вызова `sendall()` могут прийти одним `recv()`,
# а один большой `sendall()` приходит многими кусками. Посмотрите на оба случая:

# %%
listener = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(listener.getsockname(), timeout=5)
server_side, _ = listener.accept()
server_side.settimeout(5)  # never wait for ever in a notebook
listener.close()

client.sendall(b"alice\n")
client.sendall(b"hello everyone\n")
threading.Event().wait(0.2)  # a short pause: both messages are in by now
#[en]> print("one recv() got:", server_side.recv(4096))
#[ru]> print("один recv() получил:", server_side.recv(4096))

big = b"x" * 1_000_000
sender = threading.Thread(target=client.sendall, args=(big,))
sender.start()
sizes = []
while sum(sizes) < len(big):
    sizes.append(len(server_side.recv(65536)))
sender.join()
#[en]> print(len(sizes), "recv() calls for one sendall(); the first sizes:", sizes[:8])
#[ru]> print(len(sizes), "вызовов recv() на один sendall(); первые размеры:", sizes[:8])
client.close()
server_side.close()

# %% [markdown] lang="en"
# So the receiver must find the message boundaries itself. The chat protocol of this lab uses the simplest
# framing: **one message per line**, each line ends with `"\n"`. The receiver keeps a buffer, adds every
# `recv()` result to it, and cuts complete lines off the front; an unfinished line waits in the buffer for
# the rest. Decode a line only when it is complete: a Cyrillic letter may arrive in two pieces.
#
# ## Your turn: `recv_lines(sock)`
#
# Write a generator: `yield` each complete line as text, without the `"\n"`, until `recv()` returns `b""`.
# (`*lines, buffer = buffer.split(b"\n")` puts the complete lines in `lines` and the unfinished rest in `buffer`.)

# %% [markdown] lang="ru"
# Значит, получатель должен сам находить границы сообщений. Протокол чата в этой лабораторной использует
# самое простое разбиение: **одно сообщение — одна строка**, каждая строка кончается на `"\n"`. Получатель
# хранит буфер, добавляет к нему результат каждого `recv()` и отрезает спереди готовые строки;
# недописанная строка ждёт в буфере продолжения. Декодируйте строку, только когда она пришла целиком:
# русская буква может прийти двумя кусками.
#
# ## Ваша очередь: `recv_lines(sock)`
#
# Напишите генератор: `yield` каждой готовой строки как текста, без `"\n"`, пока `recv()` не вернёт `b""`.
# (`*lines, buffer = buffer.split(b"\n")` кладёт готовые строки в `lines`, а недописанный остаток — в `buffer`.)

# %%
def recv_lines(sock):
    """Yield each line received on sock (text, without the newline) until the peer closes."""
    buffer = b""
    # BEGIN SOLUTION
    # TODO[en]: loop: chunk = sock.recv(4096); return on b""; add it to buffer; yield every complete line, decoded
    # TODO[ru]: цикл: chunk = sock.recv(4096); на b"" выйти; добавить к buffer; выдать (yield) каждую готовую строку, декодировав
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return  # the other side closed; an unfinished last line is dropped
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", errors="replace")
    # END SOLUTION

# %% [markdown] lang="en"
# The check feeds your generator a fake socket whose `recv()` returns the same bytes cut at every possible
# place — including in the middle of a Cyrillic letter.

# %% [markdown] lang="ru"
# Проверка подсовывает вашему генератору ненастоящий сокет, чей `recv()` отдаёт одни и те же байты,
# разрезанные во всех возможных местах — в том числе посреди русской буквы.

# %%
check.step("01-lines")

# %% [markdown] lang="en"
# ## The same, ready-made: `makefile()`
#
# Python can do this buffering for you: `sock.makefile("r", encoding="utf-8", newline="\n")` wraps a socket in
# a text file, and `for line in reader:` gives whole lines (each still ending in `"\n"`). The next notebooks use it.
# Now you know what it does inside.
#
# ### Check yourself
#
# 1. Why can one `recv(4096)` return half a message, or two messages at once?
# 2. What does `"Привет".encode("utf-8")` have more of than the text has letters, and why does that matter
#    when a message is cut in the middle?
# 3. What does `recv()` return when the other side has closed the connection?
#
# **Next:** notebook 2, a chat for two people, where both can type at the same time.

# %% [markdown] lang="ru"
# ## То же самое, готовое: `makefile()`
#
# Python умеет делать эту буферизацию сам: `sock.makefile("r", encoding="utf-8", newline="\n")` оборачивает
# сокет в текстовый файл, и `for line in reader:` выдаёт целые строки (каждая всё ещё кончается на `"\n"`).
# Следующие блокноты пользуются им. Теперь вы знаете, что у него внутри.
#
# ### Проверьте себя
#
# 1. Почему один `recv(4096)` может вернуть половину сообщения или сразу два?
# 2. Чего в `"Привет".encode("utf-8")` больше, чем букв в тексте, и почему это важно, когда сообщение
#    разрезано посередине?
# 3. Что возвращает `recv()`, когда другая сторона закрыла соединение?
#
# **Дальше:** блокнот 2, чат на двоих, где оба могут писать одновременно.

# %%
listener = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(listener.getsockname(), timeout=5)
server_side, _ = listener.accept()
listener.close()
client.sendall("NICK\nПри".encode("utf-8"))
client.sendall("вет!\n".encode("utf-8"))
client.close()
with server_side, server_side.makefile("r", encoding="utf-8", newline="\n") as reader:
    for line in reader:
        print(repr(line))
