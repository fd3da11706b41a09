# chatlab notebook source (see notebooks/README.md). Edit this file, then run:
#     python -m autograder.notebook.build

# %% [markdown] lang="en"
# # 5. The UDP variant: datagrams, a registry of addresses, and what is lost
#
# UDP has no connections. A socket sends a **datagram** — one message, whole or not at all — to an address
# with `sendto(data, address)`, and `recvfrom()` returns `(data, address of the sender)`. There is no
# `listen`, no `accept`, no per-client socket: the server has **one** socket for everybody, so it must
# remember on its own who is in the chat: a registry `address → nickname`.
#
# The protocol of this lab (one message per datagram, UTF-8):
# * `/join NAME` registers the sender's address: the sender gets `* welcome, NAME! online: …`, the others
#   `* NAME joined the chat`;
# * `/leave` unregisters (the others get `* NAME left the chat`);
# * any other datagram from a registered address goes to every **other** member as `NAME: text`;
# * a datagram from an unknown address gets the reply `* send /join NAME first`.
#
# The UDP chat is worth at most 80% in this lab: you will see at the end what the missing 20% are about.

# %% [markdown] lang="ru"
# # 5. Вариант на UDP: датаграммы, реестр адресов и что теряется
#
# В UDP нет соединений. Сокет отправляет **датаграмму** — одно сообщение, целиком или никак — на адрес через
# `sendto(data, address)`, а `recvfrom()` возвращает `(data, адрес отправителя)`. Нет ни `listen`, ни
# `accept`, ни отдельного сокета на клиента: у сервера **один** сокет на всех, поэтому он сам должен помнить,
# кто в чате: реестр `адрес → ник`.
#
# Протокол этой лабораторной (одно сообщение — одна датаграмма, UTF-8):
# * `/join ИМЯ` регистрирует адрес отправителя: он получает `* welcome, ИМЯ! online: …`, остальные —
#   `* ИМЯ joined the chat`;
# * `/leave` снимает с регистрации (остальные получают `* ИМЯ left the chat`);
# * любая другая датаграмма с зарегистрированного адреса уходит всем **остальным** участникам как `ИМЯ: текст`;
# * на датаграмму с незнакомого адреса сервер отвечает `* send /join NAME first`.
#
# Чат на UDP в этой лабораторной стоит не больше 80%: в конце вы увидите, за что остальные 20%.

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
# ## Datagrams keep their boundaries
#
# Two `sendto()` calls arrive as two `recvfrom()` results — unlike TCP in notebook 1, where two sends could
# arrive in one `recv()`. No framing needed: one datagram is one message.

# %% [markdown] lang="ru"
# ## Датаграммы сохраняют границы
#
# Два вызова `sendto()` приходят двумя результатами `recvfrom()` — в отличие от TCP из блокнота 1, где два
# вызова отправки могли прийти одним `recv()`. Разбивать на сообщения не нужно: одна датаграмма — одно сообщение.

# %%
alice = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
alice.bind(("127.0.0.1", 0))  # port 0: any free port
bob = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bob.bind(("127.0.0.1", 0))
bob.settimeout(2)  # never wait for ever in a notebook

alice.sendto("/join alice".encode("utf-8"), bob.getsockname())
alice.sendto("Привет!".encode("utf-8"), bob.getsockname())
for _ in range(2):
    data, address = bob.recvfrom(65535)
    print(address, data.decode("utf-8"))
alice.close()
bob.close()

# %% [markdown] lang="en"
# ## Your turn: the server
#
# `handle_datagram(sock, data, addr)` acts on one datagram, following the protocol above; it is written for you
# and hands each of its three cases to a function of yours, checked one by one: `join_member` (`/join NICK`),
# `leave_member` (`/leave`) and `relay_message` (anything else from a member). `members` is the registry
# (`address → nickname`) and `members_lock` guards it (here a single thread receives, but the lock keeps it
# safe if you add more). `send_to` sends one text to several addresses; a datagram that cannot be sent is
# simply lost — UDP allows that.
#
# ![The UDP server's registry of addresses](../../images/udp-registry.en.svg)

# %% [markdown] lang="ru"
# ## Ваша очередь: сервер
#
# `handle_datagram(sock, data, addr)` обрабатывает одну датаграмму по протоколу выше; она уже написана и
# передаёт каждый из трёх случаев вашей функции, и каждая проверяется отдельно: `join_member` (`/join НИК`),
# `leave_member` (`/leave`) и `relay_message` (всё остальное от участника). `members` — реестр (`адрес → ник`),
# `members_lock` его охраняет (здесь принимает один поток, но блокировка сохранит безопасность, если потоков
# станет больше). `send_to` отправляет один текст на несколько адресов; датаграмма, которую не удалось
# отправить, просто теряется — UDP это допускает.
#
# ![Реестр адресов UDP-сервера](../../images/udp-registry.ru.svg)

# %%
members = {}  # (ip, port) -> nickname
members_lock = threading.Lock()


def send_to(sock, addresses, text):
    """Send one text to each address; a datagram that cannot be sent is lost, as UDP allows."""
    data = text.encode("utf-8")
    for address in addresses:
        try:
            sock.sendto(data, address)
        except OSError:
            pass


def join_member(sock, addr, nick, name):
    """/join NICK from addr: register it, welcome it, and (if it is new) tell the others. name: its old nickname or None."""
    # BEGIN SOLUTION
    # TODO[en]: under members_lock: members[addr] = nick, others = every other address, online = ", ".join(members.values()); then send "* welcome, NICK! online: ..." to addr and, if name is None, "* NICK joined the chat" to others
    # TODO[ru]: под members_lock: members[addr] = nick, others — все остальные адреса, online = ", ".join(members.values()); затем отправить "* welcome, НИК! online: ..." на addr и, если name is None, "* НИК joined the chat" остальным
    with members_lock:
        members[addr] = nick
        others = [other for other in members if other != addr]
        online = ", ".join(members.values())
    send_to(sock, [addr], f"* welcome, {nick}! online: {online}")
    if name is None:
        send_to(sock, others, f"* {nick} joined the chat")
    # END SOLUTION


def leave_member(sock, addr, name):
    """/leave from a member: forget its address and tell the others."""
    # BEGIN SOLUTION
    # TODO[en]: under members_lock: members.pop(addr, None), others = list(members); then send "* NAME left the chat" to others
    # TODO[ru]: под members_lock: members.pop(addr, None), others = list(members); затем отправить остальным "* НИК left the chat"
    with members_lock:
        members.pop(addr, None)
        others = list(members)
    send_to(sock, others, f"* {name} left the chat")
    # END SOLUTION


def relay_message(sock, addr, name, text):
    """A message from a member: "NAME: text" to every other member."""
    # BEGIN SOLUTION
    # TODO[en]: under members_lock: others = every address but addr; then send "NAME: text" to others
    # TODO[ru]: под members_lock: others — все адреса, кроме addr; затем отправить остальным "НИК: текст"
    with members_lock:
        others = [other for other in members if other != addr]
    send_to(sock, others, f"{name}: {text}")
    # END SOLUTION


def handle_datagram(sock, data, addr):
    """Act on one datagram: /join NAME, /leave, or a message to relay."""
    text = data.decode("utf-8", errors="replace").strip()
    if not text:
        return
    command, _, argument = text.partition(" ")
    with members_lock:
        name = members.get(addr)  # None: this address has not joined
    if command == "/join" and argument.strip():
        join_member(sock, addr, argument.strip(), name)
    elif name is None:
        send_to(sock, [addr], "* send /join NAME first")
    elif text == "/leave":
        leave_member(sock, addr, name)
    else:
        relay_message(sock, addr, name, text)

# %%
check.step("05-udp-join")

# %%
check.step("05-udp-leave")

# %%
check.step("05-udp-relay")

# %% [markdown] lang="en"
# `serve_udp(sock)` receives for ever: `recvfrom` → `handle_datagram`. Two details:
# * **Windows**: after you send a datagram to a program that has closed, the *next* `recvfrom()` raises
#   `ConnectionResetError`. That is not about the server's socket: `continue`.
# * any other `OSError` means the socket was closed (the check closes it at the end): `return`.

# %% [markdown] lang="ru"
# `serve_udp(sock)` бесконечно принимает: `recvfrom` → `handle_datagram`. Две детали:
# * **Windows**: после того как вы отправили датаграмму программе, которая уже закрылась, *следующий*
#   `recvfrom()` бросает `ConnectionResetError`. К сокету сервера это не относится: `continue`.
# * любая другая `OSError` значит, что сокет закрыт (проверка закрывает его в конце): `return`.

# %%
def serve_udp(sock):
    """Receive datagrams for ever and act on each; return when the socket is closed."""
    # BEGIN SOLUTION
    # TODO[en]: loop: data, addr = sock.recvfrom(65535); continue on ConnectionResetError; return on any other OSError; handle_datagram(...)
    # TODO[ru]: цикл: data, addr = sock.recvfrom(65535); на ConnectionResetError — continue; на другой OSError — return; handle_datagram(...)
    while True:
        try:
            data, addr = sock.recvfrom(65535)
        except ConnectionResetError:
            continue  # Windows: an earlier datagram of ours was not delivered
        except OSError:
            return  # the socket was closed
        handle_datagram(sock, data, addr)
    # END SOLUTION

# %%
check.step("05-udp-server")

# %% [markdown] lang="en"
# ## What is lost without connections
#
# Over TCP, when a client's program ends, the server learns it at once: `recv()` returns `b""` (or raises a
# reset). Over UDP nothing tells the server. Watch: bob closes his socket without `/leave`.

# %% [markdown] lang="ru"
# ## Что теряется без соединений
#
# В TCP, когда программа клиента завершается, сервер сразу это узнаёт: `recv()` возвращает `b""` (или бросает
# ошибку обрыва). В UDP серверу никто ничего не сообщает. Смотрите: bob закрывает свой сокет без `/leave`.

# %% tags=["student-raises-exception"]
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("127.0.0.1", 0))
threading.Thread(target=serve_udp, args=(server,), daemon=True).start()


def member(name):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2)
    sock.sendto(f"/join {name}".encode("utf-8"), server.getsockname())
    sock.recvfrom(65535)  # the welcome
    return sock


alice, bob = member("alice"), member("bob")
alice.recvfrom(65535)  # * bob joined the chat
bob.close()  # bob's program ends: no /leave, no goodbye
alice.sendto("is anyone there?".encode("utf-8"), server.getsockname())
threading.Event().wait(0.3)
with members_lock:
    #[en]> print("the server still thinks these are in the chat:", sorted(members.values()))
    #[ru]> print("сервер всё ещё считает, что в чате:", sorted(members.values()))
alice.close()
server.close()

# %% [markdown] lang="en"
# bob is still a member: the server keeps sending him datagrams that go nowhere, and nobody is told that he
# left. What else UDP does not do for you:
# * **delivery**: a datagram may be lost (a busy Wi-Fi network does that) and nobody resends it;
# * **order**: datagrams may arrive in another order than they were sent;
# * **flow control**: a fast sender can overflow a slow receiver, and the extra datagrams are dropped;
# * **size**: one datagram carries at most about 64 KB.
#
# A real UDP chat fixes some of this by itself (acknowledgements, numbering, "still here?" pings, a timeout
# after which a silent member is dropped) — TCP does all of it for you. That is why the UDP variant is capped.
#
# ## Your turn: the client's receiving thread
#
# The client sends with `sendto()` from the main thread and receives in a thread. Closing a UDP socket from
# another thread does not wake up a `recvfrom()` on every system, so the receiving loop checks a `stop` event:
# give the socket a timeout (`sock.settimeout(0.5)`), treat `socket.timeout` as "nothing yet, check `stop`",
# and `show` each datagram as text. Continue on `ConnectionResetError` (Windows), return on other `OSError`.

# %% [markdown] lang="ru"
# bob всё ещё участник: сервер продолжает слать ему датаграммы в никуда, и никому не сообщают, что он ушёл.
# Чего ещё UDP за вас не делает:
# * **доставка**: датаграмма может потеряться (загруженный Wi-Fi это умеет), и никто её не перешлёт;
# * **порядок**: датаграммы могут прийти не в том порядке, в каком их отправили;
# * **управление потоком**: быстрый отправитель может переполнить медленного получателя, и лишние датаграммы
#   выбрасываются;
# * **размер**: одна датаграмма вмещает не больше примерно 64 КБ.
#
# Настоящий чат на UDP сам решает часть этого (подтверждения, нумерация, проверки «ты тут?», тайм-аут, после
# которого молчащего участника удаляют) — TCP делает всё это за вас. Поэтому вариант на UDP оценивается ниже.
#
# ## Ваша очередь: поток приёма у клиента
#
# Клиент отправляет через `sendto()` из главного потока, а принимает в отдельном потоке. Закрытие UDP-сокета
# из другого потока не везде будит `recvfrom()`, поэтому цикл приёма проверяет событие `stop`: задайте сокету
# таймаут (`sock.settimeout(0.5)`), считайте `socket.timeout` значением «пока ничего, проверь `stop`» и
# показывайте (`show`) каждую датаграмму как текст. На `ConnectionResetError` (Windows) продолжайте,
# на другой `OSError` выходите.

# %%
def receive_datagrams(sock, show, stop):
    """Receiving thread of the UDP client: show every datagram until stop is set."""
    # BEGIN SOLUTION
    # TODO[en]: sock.settimeout(0.5); while not stop.is_set(): recvfrom (continue on socket.timeout and ConnectionResetError, return on OSError); show the text
    # TODO[ru]: sock.settimeout(0.5); пока not stop.is_set(): recvfrom (на socket.timeout и ConnectionResetError — continue, на OSError — return); show текста
    sock.settimeout(0.5)
    while not stop.is_set():
        try:
            data, _ = sock.recvfrom(65535)
        except (socket.timeout, ConnectionResetError):
            continue
        except OSError:
            return
        show(data.decode("utf-8", errors="replace"))
    # END SOLUTION

# %%
check.step("05-udp-client")

# %% [markdown] lang="en"
# ## Your turn: the client's main thread
#
# `run_udp_client(sock, server, nick, next_line, receiver)` is what the client does from start to end:
# 1. `sendto` `/join NICK` to `server` — this also gives the socket its port, so only now can the receiving
#    thread (`receiver`, already made for you around `receive_datagrams`) be started: `receiver.start()`;
# 2. loop: `text = next_line()` (the real program passes `input`); on `/quit` or `EOFError` (Ctrl+D /
#    Ctrl+Z) send `/leave` and return; skip empty lines; send everything else as UTF-8.

# %% [markdown] lang="ru"
# ## Ваша очередь: главный поток клиента
#
# `run_udp_client(sock, server, nick, next_line, receiver)` — всё, что клиент делает от начала до конца:
# 1. `sendto` — отправить `/join НИК` на адрес `server`; при этом сокет получает свой порт, поэтому только
#    теперь можно запустить поток приёма (`receiver`, уже созданный для вас вокруг `receive_datagrams`):
#    `receiver.start()`;
# 2. цикл: `text = next_line()` (настоящая программа передаёт `input`); на `/quit` или `EOFError` (Ctrl+D /
#    Ctrl+Z) отправить `/leave` и выйти; пустые строки пропускать; всё остальное отправлять в UTF-8.

# %%
def run_udp_client(sock, server, nick, next_line, receiver):
    """The UDP client's main thread: join, start receiving, send what is typed, leave."""
    # BEGIN SOLUTION
    # TODO[en]: sendto "/join NICK"; receiver.start(); loop on next_line(): /quit or EOFError -> sendto "/leave" and return; skip empty lines; sendto the rest
    # TODO[ru]: sendto "/join НИК"; receiver.start(); цикл по next_line(): /quit или EOFError — sendto "/leave" и выйти; пустые строки пропускать; остальное — sendto
    sock.sendto(f"/join {nick}".encode("utf-8"), server)
    receiver.start()
    while True:
        try:
            text = next_line()
        except EOFError:
            text = "/quit"
        if text.strip() == "/quit":
            sock.sendto(b"/leave", server)
            return
        if text.strip():
            sock.sendto(text.encode("utf-8"), server)
    # END SOLUTION

# %%
check.step("05-udp-main")

# %% [markdown] lang="en"
# ## Your `server.py` and `client.py` for the UDP variant
#
# The next cell writes `my_submission/udp/server.py` (your `send_to`, `handle_datagram`, `serve_udp`, and a
# `main()` that binds a UDP socket) and `my_submission/udp/client.py` (your `receive_datagrams` and
# `run_udp_client`, and a `main()`). Try them in three terminals, as in notebook 4:
#
# ```
# python my_submission/udp/server.py
# python my_submission/udp/client.py --nick anna
# python my_submission/udp/client.py --nick boris
# ```
#
# The UDP variant is worth at most 80 points of 100 (see the assignment); notebook 6 grades the folder.
#
# ### Check yourself (about 60 minutes for this notebook)
#
# 1. How does the UDP server know who is in the chat, and what happens to a member whose program crashed?
# 2. Why must the client send `/join` before its receiving thread calls `recvfrom()`?
# 3. Name two things TCP does for you that a UDP chat must do itself or go without.

# %% [markdown] lang="ru"
# ## Ваши `server.py` и `client.py` для варианта с UDP
#
# Следующая ячейка записывает `my_submission/udp/server.py` (ваши `send_to`, `handle_datagram`, `serve_udp` и
# `main()`, который привязывает UDP-сокет) и `my_submission/udp/client.py` (ваши `receive_datagrams` и
# `run_udp_client` и `main()`). Попробуйте их в трёх терминалах, как в блокноте 4:
#
# ```
# python my_submission/udp/server.py
# python my_submission/udp/client.py --nick anna
# python my_submission/udp/client.py --nick boris
# ```
#
# Вариант с UDP оценивается не выше 80 баллов из 100 (см. задание); блокнот 6 проверит папку.
#
# ### Проверьте себя (на этот блокнот — около 60 минут)
#
# 1. Как UDP-сервер узнаёт, кто в чате, и что происходит с участником, чья программа упала?
# 2. Почему клиент должен отправить `/join` раньше, чем его поток приёма вызовет `recvfrom()`?
# 3. Назовите две вещи, которые TCP делает за вас, а чат на UDP должен делать сам или обходиться без них.

# %%
check.write_program("udp")

# %% [markdown] lang="en"
# **Next:** notebook 6 — grade the folders your notebooks wrote, and hand one in.

# %% [markdown] lang="ru"
# **Дальше:** блокнот 6 — проверить папки, которые записали блокноты, и сдать одну из них.
