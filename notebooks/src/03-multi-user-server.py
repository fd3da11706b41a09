# chatlab notebook source (see notebooks/README.md). Edit this file, then run:
#     python -m autograder.notebook.build

# %% [markdown] lang="en"
# # 3. The multi-user TCP server: a thread per client
#
# Now any number of people join one server. The plan:
#
# ```
# main thread:      accept() ──► new connection ──► start a thread: handle_client(conn)
# client threads:   NICK ⇄ nickname ─► register ─► loop: read a line ─► broadcast "nick: line" to the others
# shared by all:    users = {nickname: socket}, guarded by users_lock
# ```
#
# The protocol (the one `labs/chat/protocol.en.md` recommends, and the grader understands):
# * on connect the server sends `NICK`; the client answers with its nickname (a free, non-empty one);
# * the new user gets `* welcome, alice! online: alice, bob`, the others `* alice joined the chat`;
# * a line `text` from alice goes to every **other** user as `alice: text`;
# * `/quit` or closing the connection leaves; the others get `* alice left the chat`.
#
# You will write the shared **registry** with its lock, **broadcast**, the **nickname handshake**, the
# per-client loop with **join and leave notices**, survive a client that **vanishes**, and the **accept
# loop**. An optional last part deals with a user who **stops reading**.

# %% [markdown] lang="ru"
# # 3. Многопользовательский TCP-сервер: поток на каждого клиента
#
# Теперь к одному серверу подключается сколько угодно людей. План:
#
# ```
# главный поток:    accept() ──► новое соединение ──► запустить поток: handle_client(conn)
# потоки клиентов:  NICK ⇄ ник ─► регистрация ─► цикл: прочитать строку ─► разослать "ник: строка" остальным
# общее для всех:   users = {ник: сокет}, под защитой users_lock
# ```
#
# Протокол (тот, что рекомендует `labs/chat/protocol.ru.md` и понимает автопроверка):
# * при подключении сервер отправляет `NICK`; клиент отвечает ником (свободным и непустым);
# * новый пользователь получает `* welcome, alice! online: alice, bob`, остальные — `* alice joined the chat`;
# * строка `text` от alice уходит всем **остальным** как `alice: text`;
# * `/quit` или закрытие соединения — выход; остальные получают `* alice left the chat`.
#
# Вы напишете общий **реестр** пользователей с блокировкой, **рассылку**, **знакомство по нику**, цикл обслуживания
# клиента с **уведомлениями о входе и выходе**, научите сервер работать дальше, когда клиент **внезапно пропал**, и напишете
# **цикл accept**. Последняя часть, по желанию, — о пользователе, который **перестал читать**.

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

# %% [markdown] lang="en"
# ## The shared registry and its lock
#
# Every client thread reads and changes the same dictionary `users`. Two threads doing "is *alice* free?
# — then store *alice*" at the same moment can both see "free" and both store: one of them is silently lost.
# A `threading.Lock` makes such a *check-then-act* happen as one step: only one thread at a time runs the
# code inside `with users_lock:`. Keep that code short, and **never wait on the network while holding the
# lock** — every other thread would wait with you.
#
# ![A thread per client around one registry and its lock](../../images/thread-per-client.en.svg)

# %% [markdown] lang="ru"
# ## Общий реестр и его блокировка
#
# Все потоки клиентов читают и меняют один и тот же словарь `users`. Два потока, которые одновременно делают
# «свободен ли ник *alice*? — тогда записать *alice*», могут оба увидеть «свободен» и оба записать: один
# из них молча потеряется. `threading.Lock` превращает такое *проверить-и-сделать* в один шаг: код внутри
# `with users_lock:` выполняет только один поток за раз. Держите этот код коротким и **никогда не ждите сеть,
# удерживая блокировку**, — вместе с вами будут ждать все остальные потоки.
#
# ![Поток на каждого клиента вокруг одного реестра и его блокировки](../../images/thread-per-client.ru.svg)

# %%
users = {}  # nickname -> the socket of that user
users_lock = threading.Lock()


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

# %%
check.step("03-registry")

# %% [markdown] lang="en"
# ## Broadcast, and a user who vanished
#
# `broadcast(text, exclude)` sends a line to every user except `exclude` (the sender). Two rules:
# * copy the recipients **under the lock**, then send **after releasing it** (a send can block);
# * a user may have vanished a moment ago (laptop lid closed, Wi-Fi gone): sending to them raises
#   `OSError` (`ConnectionResetError`, `BrokenPipeError`). Catch it **per user** and go on with the next
#   one — the vanished user's own thread will notice and clean up.

# %% [markdown] lang="ru"
# ## Рассылка и пропавший пользователь
#
# `broadcast(text, exclude)` отправляет строку всем пользователям, кроме `exclude` (отправителя). Два правила:
# * скопируйте получателей **под блокировкой**, а отправляйте, **освободив её** (отправка может заблокироваться);
# * пользователь мог пропасть мгновение назад (закрыли ноутбук, пропал Wi-Fi): отправка ему бросает
#   `OSError` (`ConnectionResetError`, `BrokenPipeError`). Перехватывайте её **для каждого пользователя
#   отдельно** и переходите к следующему — поток пропавшего сам это заметит и приберёт за собой.

# %%
def send_line(conn, text):
    """Send one protocol line: UTF-8 text plus a newline."""
    conn.sendall((text + "\n").encode("utf-8"))


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

# %% [markdown] lang="en"
# ## The nickname handshake
#
# Ask with `NICK` until a usable nickname arrives: not empty (`* nickname must not be empty`) and free
# (`* nickname "bob" is not available, choose another`). `reader.readline()` returns `""` when the client has
# left before choosing: return `None` then.

# %% [markdown] lang="ru"
# ## Знакомство по нику
#
# Спрашивайте `NICK`, пока не придёт подходящий ник: непустой (`* nickname must not be empty`) и свободный
# (`* nickname "bob" is not available, choose another`). `reader.readline()` возвращает `""`, если клиент
# ушёл, так и не выбрав ник: тогда верните `None`.

# %%
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

# %% [markdown] lang="en"
# ## Serving one client
#
# `handle_client(conn, addr)` runs in the client's own thread: handshake, welcome, tell the others, then
# relay every line until `/quit` or the end of the connection. Whatever way the client leaves — `/quit`,
# closing, or a reset that raises `OSError` from `readline()` — the `finally:` block runs: remove the user,
# tell the others, close the socket. That is what keeps the server alive when a client vanishes.

# %% [markdown] lang="ru"
# ## Обслуживание одного клиента
#
# `handle_client(conn, addr)` работает в собственном потоке клиента: знакомство, приветствие, сообщение
# остальным, затем пересылка каждой строки до `/quit` или конца соединения. Как бы клиент ни ушёл —
# `/quit`, закрытие или обрыв, из-за которого `readline()` бросает `OSError`, — выполняется блок `finally:`:
# удалить пользователя, сообщить остальным, закрыть сокет. Именно это сохраняет сервер живым, когда клиент
# пропадает.

# %%
def handle_client(conn, addr):
    """Serve one client, in its own thread, from the handshake until it leaves."""
    reader = conn.makefile("r", encoding="utf-8", errors="replace", newline="\n")
    nick = None
    try:
        nick = ask_nickname(conn, reader)
        if nick is None:
            return
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
        reader.close()
        conn.close()

# %% [markdown] lang="en"
# This check runs its own accept loop and calls your `handle_client` in a thread per connection. It is the
# grader's own set of server checks (handshake, broadcast, names, notices, a vanished user, no busy loop
# after a user leaves), plus one the grader cannot see from outside: the registry forgets users who left.

# %% [markdown] lang="ru"
# Эта проверка запускает свой цикл accept и вызывает вашу `handle_client` в потоке на каждое соединение.
# Это те же проверки сервера, что у автопроверки (знакомство, рассылка, имена, уведомления,
# пропавший пользователь, отсутствие холостого цикла после ухода), плюс одна, которую снаружи не увидеть:
# реестр забывает ушедших.

# %%
check.step("03-chat")

# %% [markdown] lang="en"
# ## The listening socket
#
# So far the checks made the server's socket for you. A real server makes it itself, in four calls:
#
# 1. `socket.socket(socket.AF_INET, socket.SOCK_STREAM)` — a TCP socket (IPv4, a byte stream);
# 2. `setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)` — after you stop a server, its port stays
#    reserved for about a minute (the TIME_WAIT state), and a restart fails with `EADDRINUSE` ("address
#    already in use"). This option lets a new server take the port at once. Set it on Linux and macOS only
#    (`if os.name != "nt":`): on Windows it would let two servers share one port;
# 3. `bind((host, port))` — take the address: `"127.0.0.1"` for this computer only, `"0.0.0.0"` for the
#    whole network;
# 4. `listen()` — from now on the system accepts connections and queues them until `accept()` takes one.
#
# ![The life of a TCP socket](../../images/socket-life.en.svg)

# %% [markdown] lang="ru"
# ## Слушающий сокет
#
# До сих пор сокет сервера создавали за вас проверки. Настоящий сервер создаёт его сам, четырьмя вызовами:
#
# 1. `socket.socket(socket.AF_INET, socket.SOCK_STREAM)` — TCP-сокет (IPv4, поток байтов);
# 2. `setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)` — после остановки сервера его порт ещё около
#    минуты остаётся занятым (состояние TIME_WAIT), и повторный запуск падает с `EADDRINUSE` («адрес уже
#    используется»). Этот параметр позволяет новому серверу сразу занять порт. Устанавливайте его только в
#    Linux и macOS (`if os.name != "nt":`): в Windows он позволил бы двум серверам делить один порт;
# 3. `bind((host, port))` — занять адрес: `"127.0.0.1"` — только этот компьютер, `"0.0.0.0"` — вся сеть;
# 4. `listen()` — с этого момента система принимает подключения и ставит их в очередь, пока `accept()` не
#    заберёт очередное.
#
# ![Жизнь TCP-сокета](../../images/socket-life.ru.svg)

# %%
import os


def open_listener(host, port):
    """A TCP socket listening on (host, port), ready for accept()."""
    # BEGIN SOLUTION
    # TODO[en]: listener = socket.socket(AF_INET, SOCK_STREAM); if os.name != "nt": set SO_REUSEADDR; bind((host, port)); listen(); return listener
    # TODO[ru]: listener = socket.socket(AF_INET, SOCK_STREAM); если os.name != "nt" — установить SO_REUSEADDR; bind((host, port)); listen(); вернуть listener
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if os.name != "nt":  # on Windows SO_REUSEADDR would let two servers share the port
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen()
    return listener
    # END SOLUTION

# %%
check.step("03-listener")

# %% [markdown] lang="en"
# ## The accept loop: a thread per client
#
# `serve(listener)` accepts connections for ever and starts `handle_client` for each in a new thread
# (`daemon=True`, so these threads do not keep the program alive on their own). One more rule: when the
# listening socket is closed, `accept()` raises `OSError` — let that end the loop, by putting the whole loop
# inside `try: … except OSError:`. The check closes the socket at the end of every scenario; an accept loop
# that ignored the error would keep running in the background after every re-run.

# %% [markdown] lang="ru"
# ## Цикл accept: поток на каждого клиента
#
# `serve(listener)` бесконечно принимает подключения и для каждого запускает `handle_client` в новом потоке
# (`daemon=True`, чтобы эти потоки сами по себе не удерживали программу). Ещё одно правило: когда слушающий
# сокет закрыт, `accept()` бросает `OSError` — пусть это завершит цикл: поместите весь цикл внутрь
# `try: … except OSError:`. Проверка закрывает сокет в конце каждого сценария; цикл accept, который
# игнорировал бы ошибку, остался бы работать в фоне после каждого перезапуска.

# %%
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

# %% [markdown] lang="en"
# The whole server now: every check `autograde` runs on a TCP server, with your `serve` as the server —
# including ten users at once, Cyrillic nicknames, and a thread per client.

# %% [markdown] lang="ru"
# Теперь сервер целиком: все проверки, которые `autograde` выполняет для TCP-сервера, с вашей `serve`
# в роли сервера — включая десять пользователей сразу, ники на кириллице и поток на каждого клиента.

# %%
check.step("03-server")

# %% [markdown] lang="en"
# ## See it talk
#
# Two scripted people in one cell: they connect, answer `NICK`, and chat. Everything each of them receives
# is printed at the end.

# %% [markdown] lang="ru"
# ## Посмотрите на разговор
#
# Два робота-собеседника в одной ячейке: подключаются, отвечают на `NICK` и переписываются. В конце
# печатается всё, что получил каждый.

# %% tags=["student-raises-exception"]
listener = socket.create_server(("127.0.0.1", 0))
threading.Thread(target=serve, args=(listener,), daemon=True).start()


def person(name):
    sock = socket.create_connection(listener.getsockname(), timeout=3)
    reader = sock.makefile("r", encoding="utf-8", newline="\n")
    reader.readline()  # NICK
    send_line(sock, name)
    reader.readline()  # the welcome
    return sock, reader


anna, anna_reader = person("anna")
boris, boris_reader = person("boris")
print("anna got:", anna_reader.readline().strip())  # boris joined
send_line(anna, "Привет всем!")
#[en]> print("boris got:", boris_reader.readline().strip())
#[ru]> print("boris получил:", boris_reader.readline().strip())
send_line(boris, "/quit")
print("anna got:", anna_reader.readline().strip())  # boris left
for sock in (anna, boris):
    sock.close()
listener.close()

# %% [markdown] lang="en"
# ## Optional: a user who stops reading
#
# `sendall()` returns once the bytes are in the operating system's send buffer. If a user's program stops
# reading (it hangs, or a phone suspends it), their buffers fill up, and the next `sendall()` to them
# **waits** — and with it the thread of whoever is speaking. One stuck user can freeze the whole chat.
# (Try it: with the server you have now, `check.step("03-slow-reader")` reports *not yet* — bob gets only
# the first few of alice's messages while carol is not reading.)

# %% [markdown] lang="ru"
# ## По желанию: пользователь, который перестал читать
#
# `sendall()` возвращается, когда байты попали в буфер отправки операционной системы. Если программа
# пользователя перестала читать (зависла, или телефон её усыпил), её буферы заполняются, и следующий
# `sendall()` ей **ждёт** — а вместе с ним и поток того, кто сейчас пишет. Один застрявший пользователь может
# заморозить весь чат. (Попробуйте: с нынешним сервером `check.step("03-slow-reader")` ответит *пока нет* —
# bob получит лишь первые несколько сообщений alice, пока carol не читает.)

# %% [markdown] lang="en"
# The cure: nobody sends on another user's socket directly. Each user gets an **outbox** — a `queue.Queue` —
# and a thread of their own that takes lines from it and sends them. `broadcast` only puts lines into
# outboxes, which never blocks. If a user's outbox fills up, they have stopped reading: hang up on them
# (`shutdown()` wakes their `handle_client`, which then cleans up as for any leaving user).
#
# Fill in `Outbox`; the three functions below it use it in place of the bare socket. They have names of their
# own (`add_user_queued`, …), so your required functions stay as they are: the check runs your `serve` with
# these in their place, and the files you hand in use the plain ones unless you rename these.

# %% [markdown] lang="ru"
# Лекарство: никто не отправляет напрямую в чужой сокет. У каждого пользователя есть **очередь исходящих**
# (`queue.Queue`) и собственный поток, который берёт из неё строки и отправляет. `broadcast` только кладёт
# строки в очереди, а это никогда не блокирует. Если очередь пользователя переполнилась, он перестал читать:
# отключите его (`shutdown()` будит его `handle_client`, и тот прибирает за ним, как за любым ушедшим).
#
# Допишите `Outbox`; три функции ниже используют его вместо голого сокета. У них свои имена
# (`add_user_queued`, …), поэтому обязательные функции остаются прежними: проверка запускает вашу `serve` с
# этими функциями вместо обычных, а в сдаваемые файлы попадут обычные, если вы не переименуете эти.

# %%
import queue


class Outbox:
    """Lines waiting to be sent to one user, and the thread that sends them."""

    LIMIT = 1000  # lines; a user this far behind has stopped reading

    def __init__(self, conn):
        self.conn = conn
        self.lines = queue.Queue(maxsize=self.LIMIT)
        threading.Thread(target=self.send_forever, daemon=True).start()

    def put(self, text):
        """Queue a line for this user; never blocks."""
        # BEGIN SOLUTION
        # TODO[en]: self.lines.put_nowait(text); on queue.Full hang up: self.conn.shutdown(socket.SHUT_RDWR), ignoring OSError
        # TODO[ru]: self.lines.put_nowait(text); при queue.Full отключить: self.conn.shutdown(socket.SHUT_RDWR), игнорируя OSError
        try:
            self.lines.put_nowait(text)
        except queue.Full:  # they stopped reading: hang up on them
            try:
                self.conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        # END SOLUTION

    def send_forever(self):
        """The outbox thread: send queued lines until None arrives or sending fails."""
        # BEGIN SOLUTION
        # TODO[en]: loop: text = self.lines.get(); return on None; send_line(self.conn, text); return on OSError
        # TODO[ru]: цикл: text = self.lines.get(); на None — return; send_line(self.conn, text); на OSError — return
        while True:
            text = self.lines.get()
            if text is None:
                return
            try:
                send_line(self.conn, text)
            except OSError:
                return
        # END SOLUTION

    def stop(self):
        try:
            self.lines.put_nowait(None)
        except queue.Full:
            pass  # the thread is stuck sending; closing the socket will end it


def add_user_queued(nick, conn):
    with users_lock:
        if nick in users:
            return False
        users[nick] = Outbox(conn)
        return True


def remove_user_queued(nick):
    with users_lock:
        outbox = users.pop(nick, None)
    if outbox is not None:
        outbox.stop()


def broadcast_queued(text, exclude=None):
    with users_lock:  # put() never waits, so holding the lock here is fine
        for nick, outbox in users.items():
            if nick != exclude:
                outbox.put(text)

# %%
check.step("03-slow-reader")

# %% [markdown] lang="en"
# ## Your `server.py`
#
# The next cell puts the functions you wrote in this notebook into a program, `my_submission/tcp/server.py`
# next to this notebook: a fixed head (imports, `users`, `users_lock`), your functions, and a `main()` that
# reads `--host`/`--port`, calls your `open_listener` and runs your `serve`. Nothing to copy by hand: after
# you change a function, run its cell and then this one again. Notebook 4 writes `client.py` beside it.

# %% [markdown] lang="ru"
# ## Ваш `server.py`
#
# Следующая ячейка собирает функции, написанные в этом блокноте, в программу `my_submission/tcp/server.py`
# рядом с блокнотом: неизменная шапка (импорты, `users`, `users_lock`), ваши функции и `main()`, который
# читает `--host`/`--port`, вызывает вашу `open_listener` и запускает вашу `serve`. Ничего не нужно копировать
# руками: изменили функцию — выполните её ячейку, а затем снова эту. Блокнот 4 запишет рядом `client.py`.

# %%
check.write_program("tcp", "server")

# %% [markdown] lang="en"
# ### Check yourself (about 90 minutes for this notebook)
#
# 1. Why must `broadcast` copy the list of sockets under the lock and send after releasing it?
# 2. What does `recv()` (or `for line in reader`) give when the other side closes, and what should the
#    server do then?
# 3. Why is `SO_REUSEADDR` set on Linux and macOS but not on Windows?
#
# **Next:** notebook 4, the client — a receiving thread, a readable screen, and quitting.

# %% [markdown] lang="ru"
# ### Проверьте себя (на этот блокнот — около 90 минут)
#
# 1. Почему `broadcast` копирует список сокетов под блокировкой, а отправляет уже после её снятия?
# 2. Что вернёт `recv()` (или `for line in reader`), когда другая сторона закрыла соединение, и что тогда
#    должен сделать сервер?
# 3. Почему `SO_REUSEADDR` устанавливают в Linux и macOS, но не в Windows?
#
# **Дальше:** блокнот 4, клиент — поток приёма, читаемый экран и выход.
