"""What the grader found out about a submission's form (``detected``), said in words.

The JSON report keeps ``detected`` as data; a person reads sentences from
the catalogue in their language — never a raw dict or a ``⏎``-marked frame
without a word around it.  A fact this module does not know is left out of
the sentence rather than shown as a key.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List

from autograder.i18n import translate
from autograder.report.invisible import label


def in_words(detected: Dict[str, Any], lang: str) -> str:
    """``detected`` as one line of phrases, separated by semicolons."""
    t = lambda key, **params: translate(f"detected.{key}", lang, params)  # noqa: E731 - a local shorthand
    phrases: List[str] = []
    for key, say in SAYINGS:
        if key in detected and detected[key] is not None:
            phrase = say(detected[key], detected, t, lang)
            if phrase:
                phrases.append(phrase)
    return "; ".join(phrases)


def _handshake(value, detected, t, lang) -> str:
    if value == "prompt":
        prompt = detected.get("prompt")
        return t("prompt", prompt=label(prompt, 40)) if prompt else t("prompt_plain")
    return t("nickname_first") if value == "nickname-first" else ""


def _yes_no(name: str) -> Callable:
    return lambda value, detected, t, lang: t(f"{name}.{'yes' if value else 'no'}") if isinstance(value, bool) else ""


def _framing(value, detected, t, lang) -> str:
    return t(f"framing.{value}") if value in ("lines", "raw") else ""


def _threads(value, detected, t, lang) -> str:
    if isinstance(value, dict) and "idle" in value:
        return t("threads", idle=value.get("idle"), busy=value.get("with_3_users", "?"))
    return ""


def _drivers(value, detected, t, lang) -> str:
    ways = [way for way in (value or {}).get("ways", []) if way != "wire"] if isinstance(value, dict) else []
    return t("drivers", ways=", ".join(translate(f"ui.driven.{way}", lang) for way in ways)) if ways else ""


def _client_form(name: str) -> Callable:
    """A form learnt from the student's client, its blanks named: ``…⏎`` reads "<message> + line break"."""
    def say(value, detected, t, lang) -> str:
        if not value:
            return ""
        blank = t("blank.name") if name.endswith("join") else t("blank.text")
        form = str(value).replace("…", blank).replace("{name}", t("blank.name")).replace("{text}", t("blank.text"))
        form = form.replace("⏎", " + " + t("blank.newline")).replace("␀", " + NUL")
        return t(f"client.{name}", form=label(form, 60))
    return say


def _restarts(value, detected, t, lang) -> str:
    return t("restarts", count=len(value)) if isinstance(value, list) and value else ""


def _launch(value, detected, t, lang) -> str:
    if not isinstance(value, dict):
        return ""
    args = " ".join(str(a) for a in value.get("server_args") or [])
    return t("launch", args=args) if args else ""


SAYINGS = [
    ("transport", lambda value, detected, t, lang: t("transport", transport=str(value).upper())),
    ("handshake", _handshake),
    ("echo", _yes_no("echo")),
    ("framing", _framing),
    ("history", _yes_no("history")),
    ("notices", _yes_no("notices")),
    ("startup_seconds", lambda value, detected, t, lang: t("startup", seconds=value)),
    ("threads", _threads),
    ("uses_threading", _yes_no("threading")),
    ("client_join", _client_form("join")),
    ("client_message", _client_form("message")),
    ("client_frame_join", _client_form("frame_join")),
    ("client_frame_message", _client_form("frame_message")),
    ("drivers", _drivers),
    ("launch", _launch),
    ("restarts", _restarts),
]
