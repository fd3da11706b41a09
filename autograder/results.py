"""Results as data: what a check found, and the report of a whole submission.

Failures carry ``expected``/``actual``/``hint``/``transcript`` as data (check50's
idea); renderers in ``report/`` turn them into text, JSON and the rest, and no
renderer knows which check it renders.  Texts a person reads are ``Msg``
values (a catalogue key and its parameters) so that every renderer can show
them in English or Russian.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

from autograder import i18n

SCHEMA = 1
STATUSES = ("passed", "failed", "skipped", "error", "manual")
# Statuses whose points count neither way: our own error only.  A check that
# waits for a person ("manual") keeps its points in the denominator and earns
# nothing until a person passes it: being unjudgeable never pays.
UNSCORED = ("error",)
PENDING = ("manual",)


@dataclass(frozen=True)
class Msg:
    """A sentence from the catalogue (``i18n.CATALOGUE``) with its values."""

    key: str
    params: Dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        return i18n.translate(self.key, lang, {k: _said(v, lang) for k, v in self.params.items()})


@dataclass(frozen=True)
class Joined:
    """Sentences said one after another (``a + b``, ``a, b``), each in the reader's language."""

    parts: tuple
    sep: str = ", "

    def text(self, lang: str) -> str:
        return self.sep.join(str(_said(part, lang)) for part in self.parts)


def _said(value: Any, lang: str) -> Any:
    """A parameter as the reader sees it: a nested sentence is translated too."""
    return value.text(lang) if isinstance(value, (Msg, Joined)) else value


def msg(key: str, **params: Any) -> Msg:
    return Msg(key, params)


def said(value: Any, lang: str) -> Any:
    """``value`` in ``lang`` if it is a sentence (``Msg``, ``Joined``), else as it is."""
    return _said(value, lang)


def score_sentence(score: Any, up_to: Any, max_score: Any, pending: bool) -> Msg:
    """"score: 40 / 100", or "40 now, up to 75 after review" while checks wait for a person."""
    if pending:
        return msg("ui.score_pending", score=plain_number(score), score_up_to=plain_number(up_to), max_score=plain_number(max_score))
    return msg("ui.score", score=plain_number(score), max_score=plain_number(max_score))


def report_score_sentence(report: dict) -> Msg:
    """The same for a report read back as data (report.json)."""
    score = report.get("score") or 0
    return score_sentence(score, report.get("score_up_to", score), report.get("max_score") or 0,
                          bool(report.get("review")))


def plain_number(value: Any) -> str:
    """A score as people write it: 80, 83.3, 0.5 (anything not a number as it is)."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def points_text(value: Any) -> str:
    """A check's points in a report: whole, or to one decimal."""
    value = float(value or 0)
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


def localised_transcript(entries: List[dict], lang: str) -> List[dict]:
    """Transcript entries with each note's ``text`` in ``lang``; ``key``/``params`` stay for re-rendering."""
    return [dict(entry, text=i18n.entry_text(entry, lang)) if entry.get("key") else entry for entry in entries]


class Refused(ValueError):
    """An option or input a run cannot take (a roster, a deadline): ``message`` says why in either
    language; ``str()`` in English."""

    def __init__(self, message: Msg) -> None:
        super().__init__(message.text("en"))
        self.message = message


class CheckFailed(Exception):
    """The student's program did not do what the check demands.

    Raised by checks; the runner turns it into a ``failed`` result.  Anything
    else a check raises is our fault and becomes ``error``.  An instructor's
    check may give plain text for ``message`` and ``hint``: it is shown as written.
    """

    def __init__(self, message: Union[Msg, str], *, expected: Optional[Any] = None, actual: Optional[str] = None,
                 hint: Union[Msg, str, None] = None, facts: Optional[Dict[str, Any]] = None) -> None:
        message = message if isinstance(message, Msg) else msg("fail.assertion", detail=str(message))
        hint = hint if hint is None or isinstance(hint, Msg) else msg("fail.assertion", detail=str(hint))
        super().__init__(message.key)
        self.message = message
        self.expected = expected
        self.actual = actual
        self.hint = hint
        self.facts = facts or {}  # what the check saw, for recognising the mistake (hints.py)


@dataclass
class CheckResult:
    id: str
    status: str
    points: float = 0.0
    max_points: float = 0.0
    message: Optional[Msg] = None
    hint: Optional[Msg] = None
    expected: Optional[Any] = None  # the text that should have arrived, or a sentence (Msg) saying what would do
    actual: Optional[str] = None
    transcript: List[dict] = field(default_factory=list)
    server_output: Optional[str] = None
    hidden: bool = False
    duration: float = 0.0
    title_key: Optional[str] = None
    facts: Dict[str, Any] = field(default_factory=dict)
    exceptions: List[dict] = field(default_factory=list)  # raised in the program's threads
    signature: Optional[str] = None  # the known mistake recognised (hints.py)
    driven_by: str = "wire"  # who played the users: drivers.WAYS
    tried: List[str] = field(default_factory=list)  # every way tried, in order
    driven_how: Optional[str] = None  # a finer word for the way (``learned_text``: learnt text lines), for the reader

    def title(self, lang: str) -> str:
        return i18n.translate(self.title_key or f"check.{self.id}", lang)

    def to_dict(self, lang: str) -> dict:
        return {
            "id": self.id,
            "title": self.title(lang),
            "status": self.status,
            "points": self.points,
            "max_points": self.max_points,
            "message": self.message.text(lang) if self.message else None,
            "hint": self.hint.text(lang) if self.hint else None,
            "expected": said(self.expected, lang),
            "actual": self.actual,
            "transcript": localised_transcript(self.transcript, lang),
            "server_output": self.server_output,
            "mistake": self.signature,
            "driven_by": self.driven_by,
            "tried": self.tried or [self.driven_by],
            "driven_how": self.driven_how,
            "hidden": self.hidden,
            "duration": round(self.duration, 3),
        }


@dataclass
class Report:
    submission: str
    variant: str = "unknown"
    score: float = 0.0
    max_score: float = 100.0
    cap: float = 0.0
    cap_reason: Optional[Msg] = None
    detected: Dict[str, Any] = field(default_factory=dict)
    files: Dict[str, Any] = field(default_factory=dict)  # a str, or a Msg (where in a document it came from)
    checks: List[CheckResult] = field(default_factory=list)
    error: Optional[Msg] = None
    sandbox: List[str] = field(default_factory=list)
    duration: float = 0.0
    threading_factor: float = 1.0  # what the score was multiplied by for the threading rule
    score_up_to: Optional[float] = None  # the score if every check waiting for a person passed
    notes: List[Msg] = field(default_factory=list)  # what a person should know about this run (a refused override)

    @property
    def review(self) -> List[str]:
        """Checks a person must look at: the score leaves them out until then."""
        return [c.id for c in self.checks if c.status == "manual"]

    def score_sentence(self) -> Msg:
        return score_sentence(self.score, self.best_score, self.max_score, bool(self.review))

    @property
    def best_score(self) -> float:
        return self.score if self.score_up_to is None else max(self.score, self.score_up_to)

    def to_dict(self, lang: str) -> dict:
        return {
            "schema": SCHEMA,
            "submission": self.submission,
            "variant": self.variant,
            "score": self.score,
            "score_up_to": self.best_score,
            "max_score": self.max_score,
            "cap": self.cap,
            "cap_reason": self.cap_reason.text(lang) if self.cap_reason else None,
            "detected": self.detected,
            "files": {name: said(where, lang) for name, where in self.files.items()},
            "sandbox": self.sandbox,
            "threading_factor": self.threading_factor,
            "checks": [c.to_dict(lang) for c in self.checks],
            "error": self.error.text(lang) if self.error else None,
            "review": self.review,
            "notes": [note.text(lang) for note in self.notes],
            "duration": round(self.duration, 3),
            "lang": lang,
        }
