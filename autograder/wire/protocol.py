"""Sans-IO reading of a chat byte stream.

A TCP stream is not a list of messages: one ``recv`` may hold two messages or
half of one, a multi-byte UTF-8 character may be split between reads, and an
ANSI colour code may arrive in two pieces.  ``TextStream`` takes bytes in any
split (``feed``) and keeps the *stable* normalised text so far: decoded as
UTF-8 (bad bytes replaced), colour codes removed, JSON ``\\uXXXX`` escapes
read as the characters they stand for, ``\\r\\n`` and lone ``\\r``
turned into ``\\n``.  Whatever split the bytes came in, the text is the same;
``tests/test_protocol.py`` proves it by splitting transcripts at every offset.

On top of the text, small pure functions answer the questions the checks ask:
did a message with this text arrive, did it carry the sender's name, how often
did it arrive, was a nickname mentioned (a notice) after a point.  Nothing
here touches a socket, a thread or a clock.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Dict, List, Optional

# CSI sequences (colours, cursor moves), OSC titles, and two-byte escapes.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# An escape sequence that may still be incomplete at the end of the text.
_ANSI_TAIL = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?)?$")
# JSON's \uXXXX escapes (servers that json.dumps with ensure_ascii): the text
# a person would read.  Surrogates stay escaped: a half pair means nothing.
_JSON_ESCAPE = re.compile(r"\\u(?![dD][89a-fA-F])([0-9a-fA-F]{4})")
_JSON_ESCAPE_TAIL = re.compile(r"\\(?:u[0-9a-fA-F]{0,3})?$")
# Control characters other than newline and tab carry no meaning for us.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# How far before a message's text the sender's name may stand when there is
# no line break to go by (servers that never send newlines).
NAME_WINDOW = 48
MAX_ESCAPE = 64


class TextStream:
    """Bytes in, normalised text out; the same text for any split of the bytes."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""  # decoded, but maybe an unfinished escape or \r
        self.text = ""  # stable normalised text
        self.byte_count = 0

    def feed(self, data: bytes) -> str:
        """Add bytes; return the text that became stable because of them."""
        self.byte_count += len(data)
        self._pending += self._decoder.decode(data)
        return self._settle(final=False)

    def close(self) -> str:
        """The stream ended: flush what was held back."""
        self._pending += self._decoder.decode(b"", final=True)
        return self._settle(final=True)

    def _settle(self, final: bool) -> str:
        pending = self._pending
        keep = ""
        if not final:
            tail = _ANSI_TAIL.search(pending)
            # A real escape sequence is short; a lone ESC must not hold the
            # rest of the stream back forever.
            if tail and len(pending) - tail.start() <= MAX_ESCAPE:
                keep = pending[tail.start():]
                pending = pending[: tail.start()]
            escape = _JSON_ESCAPE_TAIL.search(pending)
            if escape:  # may be the first half of a \uXXXX escape
                keep = pending[escape.start():] + keep
                pending = pending[: escape.start()]
            if pending.endswith("\r"):  # may be the first half of \r\n
                keep = "\r" + keep
                pending = pending[:-1]
        self._pending = keep
        new = normalise(pending)
        self.text += new
        return new


def normalise(text: str) -> str:
    """Strip colour codes and odd control characters; unify line ends."""
    text = _ANSI.sub("", text)
    text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


@dataclass(frozen=True)
class Found:
    """Where a piece of text was found in a stream's text."""

    start: int
    end: int
    named: bool  # the sender's name stands on the same line or right before


def find_message(text: str, body: str, sender: Optional[str] = None, start: int = 0) -> Optional[Found]:
    """First occurrence of ``body`` at or after ``start``.

    ``named`` tells whether ``sender`` stands with it: on the same line, not
    before ``start`` (what came earlier belongs to other events), and if the
    server uses no line breaks, at most ``NAME_WINDOW`` characters before.
    """
    at = text.find(body, start)
    if at < 0:
        return None
    end = at + len(body)
    named = False
    if sender:
        line_start = max(text.rfind("\n", 0, at) + 1, start, at - NAME_WINDOW)
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else min(line_end, end + NAME_WINDOW)
        before = text[line_start:at]
        after = text[end:line_end]
        named = has_name(before, sender) or has_name(after, sender) or _name_just_before(text, at, sender, start)
    return Found(at, end, named)


def _name_just_before(text: str, at: int, sender: str, start: int) -> bool:
    """The name ends right before the text, separated only by spaces, line
    breaks and punctuation: ``alice\n: hi`` from a server that kept the
    newline of the nickname it received."""
    window = text[max(start, at - NAME_WINDOW):at]
    return re.search(re.escape(sender) + r"[\s\W]{0,8}$", window, re.IGNORECASE) is not None


def count_occurrences(text: str, body: str, start: int = 0) -> int:
    """How many times ``body`` arrived (not overlapping)."""
    return text.count(body, start)


def mentions(text: str, name: str, start: int = 0) -> bool:
    """A notice about ``name`` (joined, left, in any language) after ``start``."""
    return has_name(text[start:], name)


def has_name(text: str, name: str) -> bool:
    """``name`` in ``text``, whatever the case: servers that write "Alice" for
    "alice" (``.capitalize()``, ``.title()``) still name the user."""
    return name.casefold() in text.casefold()


# A clock before a message ("[14:02]", "14:02:07") says when, not who.
_CLOCK = re.compile(r"\[?\(?\b\d{1,2}:\d{2}(?::\d{2})?\b\)?\]?")
# What stands between a shown name and the text, or around the name.
_NAME_FRAME = " \t:>|-–—»•*<[](){}\"'"
SHOWN_NAME_MAX = 40


def shown_name(prefix: str) -> str:
    """The name a server put before a user's words, trimmed of separators and
    clocks: ``[14:02] Гость 1: `` gives ``Гость 1``, ``[127.0.0.1:51908] `` the address."""
    return _CLOCK.sub("", prefix).strip(_NAME_FRAME)


def shown_names(prefixes: Dict[str, List[str]]) -> Dict[str, str]:
    """Each sender's name as the server shows it, from what preceded their words
    at every receiver; empty unless every sender has one name, the same at every
    receiver, and no two senders share it (a constant "User: " names nobody)."""
    names = {}
    for sender, seen in prefixes.items():
        shown = {shown_name(prefix) for prefix in seen}
        if len(shown) != 1:
            return {}
        (name,) = shown
        if not name or len(name) > SHOWN_NAME_MAX or "\n" in name:
            return {}
        names[sender] = name
    if len(names) < 2 or len({name.casefold() for name in names.values()}) < len(names):
        return {}
    return names


def relayed_words(line: str, prefix: str, words: str) -> bool:
    """``line`` is nothing but ``words`` relayed the way chat lines are
    (``prefix`` before them): a user's own nickname line passed on as chat is
    no notice that the user joined."""
    return line.strip() == (prefix + words).strip()


def visible(text: str, limit: int = 400) -> str:
    """Show invisible characters so a student can see what really arrived."""
    out = []
    for ch in text[:limit]:
        if ch == "\n":
            out.append("⏎\n")
        elif ch == "\r":
            out.append("␍")
        elif ch == "\t":
            out.append("⇥")
        elif ch == "\x1b":
            out.append("␛")
        elif ch == "\ufffd":
            out.append("�")
        elif ord(ch) < 32 or 127 <= ord(ch) <= 159:  # C1 too: U+009B is CSI to many terminals
            out.append(f"\\x{ord(ch):02x}")
        elif 0xDC80 <= ord(ch) <= 0xDCFF:  # a file name's raw byte (surrogateescape), 0x9B among them
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(ch)
    if len(text) > limit:
        out.append(f"… (+{len(text) - limit})")
    return "".join(out)


def visible_bytes(data: bytes, limit: int = 400) -> str:
    """Like ``visible`` for raw bytes, decoding leniently."""
    return visible(data.decode("utf-8", errors="replace"), limit)


def looks_like_prompt(text: str) -> bool:
    """The server spoke first: a NICK prompt, a question, a welcome line."""
    return bool(text.strip())
