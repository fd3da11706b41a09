# chatlab notebook source (see notebooks/README.md). Edit this file, then run:
#     python -m autograder.notebook.build

# %% [markdown] lang="en"
# # 2. A chat for two: both directions at once
#
# Two people, one connection. Each of them types lines and reads what the other one typed — **at the
# same time**: a message must appear even while you are in the middle of typing.
#
# The trouble: `input()` waits for Enter and `recv()` waits for data. A program with one thread can wait
# for only one of them. So each side runs **two threads**:
#
# * a *receiving* thread: `recv` → show, over and over;
# * the *main* thread: `input()` → `sendall`, over and over.
#
# In this notebook you will write both halves and end the chat cleanly: `/quit`, or the other side leaving,
# ends it without a traceback and without a thread left behind.

# %% [markdown] lang="ru"
# # 2. Чат на двоих: оба направления сразу
#
# Два человека, одно соединение. Каждый набирает строки и читает то, что набрал другой, — **одновременно**:
# сообщение должно появиться, даже когда вы на середине набора.
#
# Загвоздка: `input()` ждёт Enter, а `recv()` ждёт данных. Программа с одним потоком может ждать только
# чего-то одного. Поэтому каждая сторона работает в **двух потоках**:
#
# * *поток приёма*: `recv` → показать, снова и снова;
# * *главный* поток: `input()` → `sendall`, снова и снова.
#
# В этом блокноте вы напишете обе половины и научитесь чисто заканчивать чат: `/quit` или уход собеседника
# завершают его без traceback и без брошенного потока.

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
# Messages are lines of UTF-8 text ending in `"\n"` (notebook 1). Sending one line is one call:

# %% [markdown] lang="ru"
# Сообщения — строки текста в UTF-8, каждая кончается на `"\n"` (блокнот 1). Отправка строки — один вызов:

# %%
def send_line(sock, text):
    """Send one line: UTF-8 text plus a newline. sendall() sends every byte."""
    sock.sendall((text + "\n").encode("utf-8"))

# %% [markdown] lang="en"
# ## Your turn: the receiving half
#
# `receive_messages(sock, show)` runs in its own thread. It reads whole lines (use
# `sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")`) and calls `show(text)` for each
# one, without the newline. In a terminal program `show` is `print`; the check passes its own `show` to see
# what you would print.
#
# It returns when the conversation is over:
# * the other side closed the connection — the `for line in reader:` loop simply ends;
# * the connection was **reset** (the other computer vanished) — `recv` raises `ConnectionResetError`,
#   a kind of `OSError`: catch it and return quietly.

# %% [markdown] lang="ru"
# ## Ваша очередь: половина, которая принимает
#
# `receive_messages(sock, show)` работает в своём потоке. Она читает целые строки (используйте
# `sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")`) и для каждой вызывает `show(text)`,
# без перевода строки. В программе для терминала `show` — это `print`; проверка передаёт свой `show`,
# чтобы увидеть, что бы вы напечатали.
#
# Она завершается, когда разговор окончен:
# * другая сторона закрыла соединение — цикл `for line in reader:` просто кончается;
# * соединение **оборвалось** (другой компьютер пропал) — `recv` бросает `ConnectionResetError`,
#   разновидность `OSError`: перехватите её и тихо выйдите.

# %%
def receive_messages(sock, show):
    """Receiving thread: show every line from the other side until the conversation ends."""
    reader = sock.makefile("r", encoding="utf-8", errors="replace", newline="\n")
    # BEGIN SOLUTION
    # TODO[en]: for each line in reader: show it without "\r\n"; catch OSError (a reset) and just return
    # TODO[ru]: для каждой строки из reader: show без "\r\n"; перехватить OSError (обрыв) и просто выйти
    try:
        for line in reader:
            show(line.rstrip("\r\n"))
    except OSError:
        pass  # connection reset: the conversation is over all the same
    # END SOLUTION

# %%
check.step("02-receive")

# %% [markdown] lang="en"
# ## Why `input()` blocks, and what the checks use instead
#
# `input()` *blocks*: the thread that calls it does nothing else until the user presses Enter. That is
# fine — as long as another thread is receiving meanwhile. To keep this notebook runnable without a person
# at the keyboard, `chat()` does not call `input()` itself: it takes a function `next_line` that returns the
# next typed line. The real program passes `input`; the check passes a scripted keyboard that "types" when it
# decides to, and meanwhile watches whether messages still arrive.
#
# ## Your turn: the typing half
#
# `type_and_send(sock, next_line)` is the main thread's loop: `text = next_line()`; on `/quit` send `/quit` and
# return; `EOFError` — the end of input (Ctrl+D on Linux and macOS, Ctrl+Z then Enter on Windows) — counts as
# `/quit`; anything else: `send_line(sock, text)`.

# %% [markdown] lang="ru"
# ## Почему `input()` блокирует и что вместо него используют проверки
#
# `input()` *блокирует*: поток, который его вызвал, ничего больше не делает, пока пользователь не нажмёт
# Enter. Это нормально — если тем временем принимает другой поток. Чтобы блокнот работал без человека
# за клавиатурой, `chat()` не вызывает `input()` сама: она получает функцию `next_line`, которая
# возвращает следующую набранную строку. Настоящая программа передаёт `input`; проверка передаёт
# «клавиатуру-робота», которая «печатает», когда сама решит, а тем временем смотрит, доходят ли сообщения.
#
# ## Ваша очередь: половина, которая отправляет
#
# `type_and_send(sock, next_line)` — цикл главного потока: `text = next_line()`; на `/quit` отправить `/quit` и
# выйти; `EOFError` — конец ввода (Ctrl+D в Linux и macOS, Ctrl+Z и Enter в Windows) — считается вводом
# `/quit`; всё остальное — `send_line(sock, text)`.

# %%
def type_and_send(sock, next_line):
    """The main thread: send every typed line until /quit or the end of input."""
    # BEGIN SOLUTION
    # TODO[en]: loop: text = next_line() (EOFError counts as "/quit"); on /quit send_line "/quit" and return; else send_line(sock, text)
    # TODO[ru]: цикл: text = next_line() (EOFError считается "/quit"); на /quit — send_line "/quit" и выйти; иначе send_line(sock, text)
    while True:
        try:
            text = next_line()
        except EOFError:  # the input has ended (Ctrl+D / Ctrl+Z)
            text = "/quit"
        if text.strip() == "/quit":
            send_line(sock, "/quit")
            return
        send_line(sock, text)
    # END SOLUTION

# %%
check.step("02-typing")

# %% [markdown] lang="en"
# ## Your turn: the whole chat
#
# `chat(sock, next_line, show)` puts the halves together:
# 1. start `receive_messages` in a thread (`daemon=True`) — **before** waiting for typing;
# 2. run `type_and_send(sock, next_line)`; sending to a partner who has left raises `OSError`: catch it;
# 3. end cleanly, whatever happened (`finally:`): `sock.shutdown(socket.SHUT_RDWR)` wakes the receiving thread
#    out of `recv()` (`close()` alone does not, on every system), `receiver.join(timeout=2)` waits for it,
#    `sock.close()`.

# %% [markdown] lang="ru"
# ## Ваша очередь: чат целиком
#
# `chat(sock, next_line, show)` соединяет две половины:
# 1. запустите `receive_messages` в потоке (`daemon=True`) — **до** того, как ждать ввода;
# 2. вызовите `type_and_send(sock, next_line)`; отправка ушедшему собеседнику бросает `OSError`: перехватите её;
# 3. в любом случае (`finally:`) чисто завершитесь: `sock.shutdown(socket.SHUT_RDWR)` будит поток приёма,
#    застрявший в `recv()` (одного `close()` для этого хватает не во всех системах), `receiver.join(timeout=2)`
#    дожидается его, затем `sock.close()`.

# %%
def chat(sock, next_line, show):
    """One side of a two-user chat: receive in a thread, send what is typed, end on /quit."""
    receiver = threading.Thread(target=receive_messages, args=(sock, show), daemon=True)
    # BEGIN SOLUTION
    # TODO[en]: receiver.start(); try: type_and_send(sock, next_line) except OSError: pass; finally: shutdown (ignoring OSError), receiver.join(timeout=2), close
    # TODO[ru]: receiver.start(); try: type_and_send(sock, next_line) except OSError: pass; finally: shutdown (игнорируя OSError), receiver.join(timeout=2), close
    receiver.start()
    try:
        type_and_send(sock, next_line)
    except OSError:
        pass  # the other side has gone: nothing left to send to
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes the receiving thread up
        except OSError:
            pass  # already disconnected
        receiver.join(timeout=2)
        sock.close()
    # END SOLUTION

# %%
check.step("02-two-user")

# %% [markdown] lang="en"
# ## Both sides in one notebook
#
# Here both people are scripted: each side's `next_line` "types" a few lines with pauses, then `/quit`.
# Watch the messages interleave — each side receives while it waits for its own typing.

# %% [markdown] lang="ru"
# ## Обе стороны в одном блокноте
#
# Здесь оба собеседника — роботы: `next_line` каждой стороны «печатает» несколько строк с паузами,
# потом `/quit`. Посмотрите, как сообщения перемежаются: каждая сторона принимает, пока ждёт своего ввода.

# %% tags=["student-raises-exception"]
def typist(lines, pause):
    """A next_line() that types the given lines, one every `pause` seconds, then /quit."""
    queue = iter(list(lines) + ["/quit"])

    def next_line():
        threading.Event().wait(pause)
        return next(queue)
    return next_line


listener = socket.create_server(("127.0.0.1", 0))
anna_socket = socket.create_connection(listener.getsockname(), timeout=5)
boris_socket, _ = listener.accept()
listener.close()
anna_socket.settimeout(None)

#[en]> anna_sees, boris_sees = "  Anna sees: ", "  Boris sees:"
#[ru]> anna_sees, boris_sees = "  Анна видит: ", "  Борис видит:"
anna = threading.Thread(target=chat, args=(anna_socket, typist(["Hi Boris!", "How are you?"], 0.2),
                                           lambda text: print(anna_sees, text)))
boris = threading.Thread(target=chat, args=(boris_socket, typist(["Привет, Анна!"], 0.3),
                                            lambda text: print(boris_sees, text)))
anna.start()
boris.start()
anna.join(timeout=5)
boris.join(timeout=5)
#[en]> print("both sides finished:", not anna.is_alive() and not boris.is_alive())
#[ru]> print("обе стороны закончили:", not anna.is_alive() and not boris.is_alive())

# %% [markdown] lang="en"
# ## The real program: your `server.py` and `client.py`
#
# In the real programs the same `chat` runs with a real keyboard and screen: `chat(sock, input, print)`. One
# detail differs: when the *other* side leaves, our main thread is stuck in `input()` and no thread can wake
# it up on every operating system. The usual way out in a terminal program is to end the whole process from
# the receiving thread with `os._exit(0)`. **Never do that in a notebook** — it would kill the kernel.
#
# The next cell writes `my_submission/two_user/server.py` and `client.py` next to this notebook: your
# `send_line`, `receive_messages`, `type_and_send` and `chat`, and a `main()` each. The server's `main()`
# makes a listening socket (`socket()`, `bind()`, `listen()`; notebook 3 explains each), waits in `accept()`
# for one person and chats with them; the client's connects. Try them in two terminals:
#
# ```
# python my_submission/two_user/server.py
# python my_submission/two_user/client.py
# ```
#
# A two-user chat is worth at most 60 points of 100; notebooks 3 and 4 build the multi-user chat (100).
#
# ### Check yourself (about 45 minutes for this notebook)
#
# 1. What would the other person see if `chat` read the keyboard and the network in one loop, one after the
#    other?
# 2. Why must the receiving thread be started **before** the first `next_line()`?
# 3. What does `recv()` return when the other side closes the connection?

# %% [markdown] lang="ru"
# ## Настоящая программа: ваши `server.py` и `client.py`
#
# В настоящих программах та же `chat` работает с настоящими клавиатурой и экраном: `chat(sock, input, print)`.
# Одно отличие: когда уходит *собеседник*, наш главный поток застрял в `input()`, и ни один поток не может
# разбудить его во всех операционных системах. Обычный выход в программе для терминала — завершить весь
# процесс из потока приёма через `os._exit(0)`. **Никогда не делайте этого в блокноте** — это убьёт ядро.
#
# Следующая ячейка записывает `my_submission/two_user/server.py` и `client.py` рядом с блокнотом: ваши
# `send_line`, `receive_messages`, `type_and_send` и `chat` и по `main()` в каждый файл. `main()` сервера
# создаёт слушающий сокет (`socket()`, `bind()`, `listen()`; подробно о каждом — в блокноте 3), ждёт в
# `accept()` одного собеседника и переписывается с ним; клиент подключается. Попробуйте их в двух терминалах:
#
# ```
# python my_submission/two_user/server.py
# python my_submission/two_user/client.py
# ```
#
# Чат на двоих оценивается не выше 60 баллов из 100; многопользовательский чат (100) строят блокноты 3 и 4.
#
# ### Проверьте себя (на этот блокнот — около 45 минут)
#
# 1. Что увидел бы собеседник, если бы `chat` читала клавиатуру и сеть в одном цикле, по очереди?
# 2. Почему поток приёма нужно запустить **до** первого `next_line()`?
# 3. Что возвращает `recv()`, когда другая сторона закрыла соединение?

# %%
check.write_program("two_user")

# %% [markdown] lang="en"
# **Next:** notebook 3 — many users, one server, a thread per client.

# %% [markdown] lang="ru"
# **Дальше:** блокнот 3 — много пользователей, один сервер, поток на каждого клиента.
