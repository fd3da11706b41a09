"""Which task of the lab a name, a heading or a block of code is about.

The chat is task 4 of lab 1 in the course this kit serves, and students
spell that a hundred ways (``Lab1/4task``, ``task_4``, ``Задание №4``,
``Лабораторная 1. Задание 4: чат``).  Whole-lab reports and course folders
hold the other tasks beside it (a UDP echo, a TCP calculator, an HTTP server,
a web form), so both the course survey and the report extractor ask the same
question: how much does this look like *the chat task*?  Pure: patterns and
a score over ``static.Facts``.
"""
from __future__ import annotations

import re
from typing import Iterable

from autograder.intake import static

TASK_NUMBER = 4   # the chat is task 4 of lab 1 in this course
LAB_NUMBER = 1
CHAT = re.compile(r"chat|чат|многопользовательск|multi-?user", re.IGNORECASE)
_SEP = r"[\s_\-.№#]*"
_TASK_WORDS = r"tasks?|задани[еяйю]|задача|zadanie|zadan|zad|exercise|ex|упражнение"
_LAB_WORDS = r"labs?|laba|lr|лр|лаб\w*|лабораторн\w*"


def _numbered(words: str, number) -> re.Pattern:
    """"task4", "task_04", "Задание №4" and "4task", "4_задание" — not "task41", not "subtask4"."""
    return re.compile(rf"(?:(?<![^\W\d_])(?:{words}){_SEP}0*{number}(?!\d))|(?:(?<!\d)0*{number}{_SEP}(?:{words}))",
                      re.IGNORECASE)


TASK = _numbered(_TASK_WORDS, TASK_NUMBER)
LAB = _numbered(_LAB_WORDS, LAB_NUMBER)
ANY_LAB = _numbered(_LAB_WORDS, r"\d+")
ANY_TASK = _numbered(_TASK_WORDS, r"\d+")
BARE_TASK = re.compile(rf"^0*{TASK_NUMBER}$")

# A line that opens a task's section in a report: "Задание 4", "### Task 4", "Часть 4",
# "Лабораторная 1. Задание 4: чат", "Exercise 2 — UDP echo".  The task word comes first.
SECTION = re.compile(
    rf"^(?:(?:{_LAB_WORDS})(?:\s+работа)?{_SEP}\d+\s*[.,:;)\-—–]*\s*)?"
    r"(?:tasks?|задани[еяйю]|задача|часть|part|exercise|упражнени[еяй]|пункт)\s*(?:№\s*)?(?P<number>\d+)(?!\w)",
    re.IGNORECASE,
)


def section_number(text: str):
    """The task number a label opens a section for (``"Задание 4: чат"`` → 4), else None."""
    match = SECTION.match(text.strip())
    return int(match.group("number")) if match else None


def names_say(texts: Iterable[str]) -> int:
    """Points from names and headings: the chat word 3, task 4 of this lab 2."""
    points = 0
    for text in texts:
        if CHAT.search(text):
            points += 3
        number = section_number(text)
        if TASK.search(text) or number == TASK_NUMBER:
            points += 2
    return points


def chat_shape(server: static.Facts, client: static.Facts = None) -> int:
    """Points from code: a server that serves many (accept in a loop, or UDP) and
    sends to each of a collection, with threads; a client that receives in a thread."""
    points = 0
    if server.calls & static.SERVER_CALLS:
        points += 2
        points += 3 * server.relays_to_many
        points += server.uses_threading
        points += bool(server.accepts_in_loop or "recvfrom" in server.calls)
    if client is not None and client.client_score:
        points += 1 + client.uses_threading
    return points
