"""The scripted users' names and token words are drawn per run (names.py): pure tests."""
import random

import pytest

from autograder.wire import names
from autograder.i18n import CATALOGUE

pytestmark = pytest.mark.timeout(30)

ROLES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
# Words servers print around names, in either language: a name inside one would be "seen" in any notice.
SERVER_WORDS = ["online", "joined", "left", "welcome", "connected", "disconnected", "server", "users", "chat",
                "nickname", "enter", "message", "lines", "email", "сервера", "вошёл", "вышел", "покинул",
                "подключился", "пользователь", "введите", "имя", "сообщение"]


def test_roles_get_distinct_names_from_the_right_alphabet():
    cast = names.Cast()
    drawn = [cast.name(role) for role in ROLES + ["Алиса", "Борис"]]
    assert len(set(drawn)) == len(drawn)
    assert all(name in names.LATIN for name in drawn[:10])
    assert all(name in names.CYRILLIC for name in drawn[10:])
    assert cast.name("alice") == drawn[0] and cast.role_of(drawn[0]) == "alice"


def test_two_runs_draw_different_casts():
    casts = [tuple(names.Cast().name(role) for role in ROLES[:3]) for _ in range(8)]
    assert len(set(casts)) > 1
    assert not any(cast == ("alice", "bob", "carol") for cast in casts)


def test_no_name_hides_in_another_name_a_token_word_or_a_servers_word():
    everything = list(names.LATIN) + list(names.CYRILLIC)
    assert len(names.LATIN) >= 40 and len(names.CYRILLIC) >= 20
    for name in everything:
        others = [n for n in everything if n != name] + list(names.WORDS) + SERVER_WORDS
        assert not any(name.casefold() in other.casefold() or other.casefold() in name.casefold()
                       for other in others), name


def test_tokens_carry_drawn_words_but_keep_sentences():
    cast = names.Cast(random.Random(3))
    hello = cast.token("hello", 1)
    assert "hello" not in hello and hello.split(cast.separator)[0] in names.WORDS
    assert cast.token("Привет, мир!", 2).startswith("Привет, мир!")
    drawn = cast.name("alice")
    assert cast.token("alice", 3).startswith(drawn) and cast.token(drawn, 4).startswith(drawn)


def test_the_notebooks_keep_the_names_a_student_reads():
    same = names.SameNames()
    assert same.name("alice") == "alice" and same.token("hello", 1).startswith("hello-1-")


def test_failure_sentences_name_no_fixed_user():
    for key in ("fail.join_notice.missing", "fail.leave_notice.missing", "fail.drop.lost", "fail.slow_reader.stuck"):
        for text in CATALOGUE[key].values():
            assert "alice" not in text and "bob" not in text and "carol" not in text, key
