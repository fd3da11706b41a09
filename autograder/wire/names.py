"""Who the scripted users are, drawn afresh for every run.

The checks speak of roles (``room.join("alice", "bob")``, ``"Алиса"``); a
``Cast`` maps each role to a name drawn from a larger pool, Latin roles to
Latin names and Cyrillic to Cyrillic, so that a server cannot serve the
grader's users alone (relay only for ``alice … judy``) and fail real people.
The words in message tokens are drawn the same way.  Pure: no sockets.
"""
from __future__ import annotations

import random
from typing import Dict, Optional

# Lower-case like what students type; none is a part of another, of a token
# word, or of the words servers print around names (tests/test_names.py).
LATIN = (
    "agnes", "bruno", "cesar", "dario", "elvira", "felix", "greta", "jonas", "karin", "lukas", "milan", "nadia",
    "oskar", "petra", "quentin", "ruben", "selma", "tomas", "ulrike", "viktor", "wanda", "xenia", "yusuf",
    "bianca", "conrad", "daria", "fiona", "gustav", "helga", "jasmin", "kasimir", "leonie", "marek", "nikos",
    "pavel", "stefan", "tanja", "umberto", "vesna", "walter", "yvonne", "hector", "ingrid", "otmar", "rafael",
    "sabine", "teodor", "ursula", "wilma", "zelda",
)
CYRILLIC = (
    "Глеб", "Дарья", "Егор", "Жанна", "Игнат", "Марфа", "Назар", "Олеся", "Прохор", "Раиса", "Савва", "Таисия",
    "Устин", "Фаина", "Харитон", "Эмма", "Юлиан", "Ярослава", "Богдан", "Василиса", "Тимофей", "Злата", "Остап",
    "Любава", "Аркадий", "Матвей", "Фёдор", "Ульяна", "Всеволод",
)
WORDS = (
    "sunny", "maple", "river", "pixel", "cobalt", "amber", "tulip", "comet", "harbor", "velvet", "orbit", "meadow",
    "copper", "lantern", "breeze", "walnut", "saffron", "glacier", "quartz", "thistle",
)
SEPARATORS = ("-", "_", ".")


class Cast:
    """Roles to drawn names (and token words) for one grading run."""

    def __init__(self, rng: Optional[random.Random] = None) -> None:
        self._rng = rng or random.SystemRandom()
        self._latin = list(LATIN)
        self._cyrillic = list(CYRILLIC)
        self._rng.shuffle(self._latin)
        self._rng.shuffle(self._cyrillic)
        self.names: Dict[str, str] = {}
        self.words: Dict[str, str] = {}
        self.separator = self._rng.choice(SEPARATORS)

    def name(self, role: str) -> str:
        """The drawn name of ``role``; the same role gets the same name all run."""
        if role not in self.names:
            pool = self._cyrillic if _cyrillic(role) else self._latin
            self.names[role] = pool.pop() if pool else role
        return self.names[role]

    def role_of(self, name: str) -> str:
        """Back from a drawn name to its role (a name not drawn is its own role)."""
        return next((role for role, drawn in self.names.items() if drawn == name), name)

    def word(self, stem: str) -> str:
        """A token stem as said on the wire: a role's drawn name, a grader's word (``hello``)
        drawn from ``WORDS``; a sentence (spaces, Cyrillic) is content and stays."""
        if stem in self.names:
            return self.names[stem]
        if stem in self.names.values():  # a user's drawn name already
            return stem
        if " " in stem or _cyrillic(stem) or not stem.isascii():
            return stem
        if stem not in self.words:
            self.words[stem] = self._rng.choice(WORDS)
        return self.words[stem]

    def token(self, stem: str, number: int) -> str:
        return self.separator.join((self.word(stem), str(number), str(self._rng.randrange(10000, 100000))))


class SameNames(Cast):
    """Roles as they are: the notebooks' own checks, where a student reads the names."""

    def __init__(self) -> None:
        super().__init__(random.Random(0))
        self.separator = "-"

    def name(self, role: str) -> str:
        return role

    def word(self, stem: str) -> str:
        return stem


def _cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)
