# chatlab notebook source (see notebooks/README.md). Edit this file, then run:
#     python -m autograder.notebook.build

# %% [markdown] lang="en"
# # 6. Hand-in: grade your folder, then hand it in
#
# What you hand in is two programs, not a notebook: `server.py` and `client.py` in one folder. You have
# them already. The last cell of notebooks 2–5 put the functions you wrote and checked into files next to the
# notebooks, one folder per variant of the lab:
#
# | folder | written by | variant | at most |
# | --- | --- | --- | --- |
# | `my_submission/tcp/` | notebooks 3 (`server.py`) and 4 (`client.py`) | multi-user chat over TCP | 100 |
# | `my_submission/udp/` | notebook 5 | multi-user chat over UDP | 80 |
# | `my_submission/two_user/` | notebook 2 | two-user chat over TCP | 60 |
#
# Changed a function? Run its cell and the notebook's last cell again: the file is rewritten. Nothing is
# copied by hand.
#
# **Public checks and a score.** The checks under your code in notebooks 1–5 (`check.step(...)`) are public
# checks: they say "passed" or "not yet", never a score. Here `check.autograde(...)` runs the grader itself,
# `autograde`, on a folder — the program your instructor runs — and it does show a score: the one the
# **default rubric** gives (the table in the assignment). Your instructor may use another rubric and decides
# the grade.
#
# How the grader runs your server: as a program of its own, `python server.py`, in a separate process, on
# a port of its choosing (it rewrites the port in your code, so keep `9090`), and connects scripted users
# to it. It takes a few seconds per folder.

# %% [markdown] lang="ru"
# # 6. Сдача: проверьте папку и сдайте её
#
# Сдаются две программы, а не блокнот: `server.py` и `client.py` в одной папке. Они у вас уже есть. Последняя
# ячейка блокнотов 2–5 собрала написанные и проверенные вами функции в файлы рядом с блокнотами, по папке на
# каждый вариант задания:
#
# | папка | кто записывает | вариант | не больше |
# | --- | --- | --- | --- |
# | `my_submission/tcp/` | блокноты 3 (`server.py`) и 4 (`client.py`) | многопользовательский чат на TCP | 100 |
# | `my_submission/udp/` | блокнот 5 | многопользовательский чат на UDP | 80 |
# | `my_submission/two_user/` | блокнот 2 | чат на двоих на TCP | 60 |
#
# Изменили функцию? Выполните её ячейку и снова последнюю ячейку блокнота: файл перезапишется. Ничего не
# нужно копировать руками.
#
# **Открытые проверки и баллы.** Проверки под вашим кодом в блокнотах 1–5 (`check.step(...)`) — открытые:
# они говорят «пройдено» или «пока нет» и никогда не ставят баллов. Здесь `check.autograde(...)` запускает на
# папке саму автопроверку, `autograde`, — ту же, что запускает преподаватель, — и она показывает
# баллы: те, что даёт **рубрика по умолчанию** (таблица в задании). Преподаватель может использовать другую
# рубрику, и оценку ставит он.
#
# Как автопроверка запускает ваш сервер: как отдельную программу, `python server.py`, в отдельном
# процессе, на порту по своему выбору (порт в вашем коде она подменяет, так что оставьте `9090`), и подключает
# к нему роботов-пользователей. На каждую папку уходит несколько секунд.

# %% lang="en"
# Run this cell first: it shows where your folders are and what is in them.
from pathlib import Path

from autograder.notebook import Checker

check = Checker("en")
for folder in ("my_submission/tcp", "my_submission/udp", "my_submission/two_user"):
    files = sorted(p.name for p in Path(folder).glob("*.py"))
    print(Path(folder).resolve(), "->", ", ".join(files) or "nothing yet")

# %% lang="ru"
# Выполните эту ячейку первой: она показывает, где ваши папки и что в них лежит.
from pathlib import Path

from autograder.notebook import Checker

check = Checker("ru")
for folder in ("my_submission/tcp", "my_submission/udp", "my_submission/two_user"):
    files = sorted(p.name for p in Path(folder).glob("*.py"))
    print(Path(folder).resolve(), "->", ", ".join(files) or "пока пусто")

# %% [markdown] lang="en"
# ## The multi-user TCP chat (notebooks 3 and 4)
#
# `check.autograde("my_submission/tcp")` runs `python -m autograder my_submission/tcp` in a separate process
# and shows its report here. In a terminal, from this folder: `autograde my_submission/tcp`.

# %% [markdown] lang="ru"
# ## Многопользовательский чат на TCP (блокноты 3 и 4)
#
# `check.autograde("my_submission/tcp")` запускает в отдельном процессе `python -m autograder my_submission/tcp`
# и показывает здесь его отчёт. В терминале, из этой папки: `autograde my_submission/tcp --lang ru`.

# %%
check.autograde("my_submission/tcp")

# %% [markdown] lang="en"
# ## The UDP chat (notebook 5) and the two-user chat (notebook 2)

# %% [markdown] lang="ru"
# ## Чат на UDP (блокнот 5) и чат на двоих (блокнот 2)

# %%
check.autograde("my_submission/udp")

# %%
check.autograde("my_submission/two_user")

# %% [markdown] lang="en"
# ## Hand it in
#
# Hand in **one** folder, the variant you aim for (the multi-user TCP chat is worth the most), the way your
# course asks: its two files, or the folder zipped. Before you do, run it with people once more (notebook 4
# shows how, in three terminals).
#
# ### Check yourself (about 20 minutes for this notebook)
#
# 1. Which check of the report would fail if your server sent each message back to its sender only?
# 2. A check is "skipped": what does it cost, and what should you fix first?
# 3. Why does the grader run your server as a separate program instead of calling your functions?

# %% [markdown] lang="ru"
# ## Сдайте
#
# Сдайте **одну** папку — того варианта, на который претендуете (больше всего стоит многопользовательский чат
# на TCP), так, как требует ваш курс: два её файла или папку в zip-архиве. Перед этим ещё раз попробуйте чат
# с людьми (как — в блокноте 4, в трёх терминалах).
#
# ### Проверьте себя (на этот блокнот — около 20 минут)
#
# 1. Какая проверка отчёта не пройдёт, если сервер отправляет каждое сообщение только его автору?
# 2. Проверка «пропущена»: чего она стоит и что исправлять первым?
# 3. Почему автопроверка запускает ваш сервер отдельной программой, а не вызывает ваши функции?
