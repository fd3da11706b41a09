"""The one definition of a check: ``@check`` fills the registry.

A check is a function with fixtures (``room``, ``server``, ``probe``,
``grading``, ``client``), pytest style.  ``@check(id, depends=…, variants=…,
timeout=…)`` records it here, and everything that lists checks derives from
the registry: the order of the report (the order checks were first
registered), which checks a variant runs, the id lists of tests and
notebooks.  The first line of the docstring is the English title; the
Russian one is the catalogue's ``check.<id>`` (or ``title=`` another key).

An instructor adds checks in a file of their own (``autograde PATH --checks
my_checks.py``): the same decorator, the same fixtures; they run beside the
built-in ones and appear in the report and the gradebook.
"""
from __future__ import annotations

import importlib.util
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple

VARIANTS = ("tcp-multi", "udp-multi", "tcp-two-user", "udp-two-user")
MULTI_USER = ("tcp-multi", "udp-multi")
DEFAULT_DEADLINE = 60.0


@dataclass(frozen=True)
class Check:
    id: str
    function: Callable
    depends: Tuple[str, ...] = ()
    variants: Tuple[str, ...] = VARIANTS
    deadline: float = DEFAULT_DEADLINE
    title_key: Optional[str] = None  # a catalogue key other than check.<id>
    points: Optional[float] = None  # an instructor's check: its points when the rubric names none
    origin: Optional[str] = None  # the instructor's file it came from; None for built-in checks

    @property
    def title(self) -> str:
        """The English title: the docstring's first line."""
        return (inspect.getdoc(self.function) or self.id).splitlines()[0]

    @property
    def fixtures(self) -> Tuple[str, ...]:
        return tuple(inspect.signature(self.function).parameters)

    @property
    def is_client_check(self) -> bool:
        return self.id.startswith("client_")


class NotApplicable(Exception):
    """Raised by a check that cannot judge this submission (the behaviour does
    not exist in its protocol, or the users cannot be played that way): the
    check is ``skipped`` and the report gives ``message``, a catalogue ``Msg``."""

    def __init__(self, message) -> None:
        super().__init__(getattr(message, "key", str(message)))
        self.chatlab_message = message


_REGISTRY: List[Check] = []
_loading_file: List[str] = []  # the instructor's file being imported, if any


def check(check_id: str, depends: Iterable[str] = (), timeout: float = DEFAULT_DEADLINE, title: str = "",
          variants: Iterable[str] = VARIANTS, points: Optional[float] = None):
    """Register a function as the graded check ``check_id`` for ``variants``.

    The same id may be registered again for other variants (a UDP server's
    ``handshake`` is not a TCP one's); its place in the report is where it first appeared.
    """

    def register(function):
        entry = Check(check_id, function, tuple(depends), tuple(variants), float(timeout), title or None,
                      points, _loading_file[-1] if _loading_file else None)
        clash = [c for c in _REGISTRY if c.id == check_id and set(c.variants) & set(entry.variants)]
        for old in clash:  # a module imported twice (an instructor's file reloaded) replaces itself
            if old.origin is None and entry.origin is not None:
                raise ValueError(f"{check_id!r}: the id of a built-in check; choose another")
            if old.function.__qualname__ != function.__qualname__ or old.origin != entry.origin:
                raise ValueError(f"check {check_id!r} is registered twice for {sorted(set(old.variants) & set(entry.variants))}")
            _REGISTRY.remove(old)
        _REGISTRY.append(entry)
        function.chatlab_check = entry
        return function

    return register


def _builtin() -> None:
    # Registration order is report order: the server checks, then the client's.
    from autograder.grading.checks import server_tcp, server_udp, two_user, threads, client  # noqa: F401


def all_checks() -> List[Check]:
    _builtin()
    return list(_REGISTRY)


def order() -> List[str]:
    """Every check id, in report order (dependencies always come first)."""
    seen: Dict[str, None] = {}
    for entry in all_checks():
        seen.setdefault(entry.id, None)
    return list(seen)


def for_variant(variant: str, extra: Iterable[Check] = ()) -> List[Check]:
    """The checks a variant runs, in report order: built-in ones, then the instructor's."""
    rank = {check_id: i for i, check_id in enumerate(order())}
    chosen = [c for c in all_checks() if variant in c.variants and c.origin is None]
    chosen.sort(key=lambda c: rank[c.id])
    return chosen + [c for c in extra if variant in c.variants]


def ids(variant: str) -> List[str]:
    return [c.id for c in for_variant(variant)]


def get(check_id: str, variant: str = "tcp-multi") -> Check:
    return next(c for c in all_checks() if c.id == check_id and variant in c.variants)


class CheckFileError(Exception):
    """An instructor's check file that cannot be loaded: one line says why."""


def load_file(path: Path) -> List[Check]:
    """The checks an instructor's file registers (imported as a module of its own)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise CheckFileError(f"{path}: no such file")
    _builtin()
    name = f"chatlab_instructor_checks_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    _loading_file.append(str(path))
    try:
        sys.modules[name] = module
        spec.loader.exec_module(module)
    except Exception as error:  # the instructor's mistake, said in one line
        raise CheckFileError(f"{path.name}: {type(error).__name__}: {error}") from error
    finally:
        _loading_file.pop()
    found = [c for c in all_checks() if c.origin == str(path)]
    builtin = set(order_builtin())
    taken = [c.id for c in found if c.id in builtin]
    if taken:
        raise CheckFileError(f"{path.name}: {', '.join(taken)}: the id of a built-in check")
    if not found:
        raise CheckFileError(f"{path.name}: no @check function in it")
    from autograder import i18n

    for entry in found:  # its title, in the instructor's own words, for every language
        i18n.AS_WRITTEN[f"check.{entry.id}"] = entry.title
    return found


def order_builtin() -> List[str]:
    return [cid for cid in order() if any(c.id == cid and c.origin is None for c in all_checks())]
