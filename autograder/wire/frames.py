"""The shape of a student's own wire frames, learnt from one example.

A third of the chats in the course speak a protocol of their own: one JSON
object per line, a 4-byte length before each frame, ``NICK:alice``, a
``<SEP>`` between name and text, a NUL at the end, a length padded to 10 or
64 characters in front.  Text-only scripted users cannot join such a chat.

But the student's client shows us the protocol: we type a nickname and a
message into it and record what it sends (``clientrun``).  ``learn`` takes
those bytes and the value we typed and finds what surrounds the value and
how the frame is delimited; ``FrameShape.render`` then writes any other value
the same way, so the fast wire clients speak the student's protocol.

Sans-IO: bytes in, bytes out, nothing here touches a socket or a clock.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Optional

# Binary length headers: name -> (size, byte order).
BINARY_HEADERS = {"u32be": (4, "big"), "u16be": (2, "big"), "u32le": (4, "little"), "u64be": (8, "big")}
# A decimal length padded to a fixed width, as tutorials do: left-aligned
# (``f"{n:<64}"``), right-aligned (``f"{n:>10}"``) or with zeros (``f"{n:010}"``).
# No ``^``: ``match(sent, position)`` anchors at ``position`` already, ``^`` only at 0.
_LEFT_HEADER = re.compile(rb"(\d+) +")
# A right-aligned or zero-padded header has no visible end when digits follow
# it: the widths tutorials use, tried in turn.
HEADER_WIDTHS = (10, 64, 16, 8, 4, 5, 6, 20, 32)
_FIXED_HEADER = {"decimal": re.compile(rb"\d+ +"), "decimal>": re.compile(rb" +\d+"), "decimal0": re.compile(rb"0\d*")}
MAX_FRAME = 64 * 1024
NAME_MARK = b"\xff{name}\xff"  # where the sender's nickname stands; 0xff is never UTF-8


@dataclass(frozen=True)
class FrameShape:
    """``header`` + ``before`` + value + ``after``; the header counts the rest."""

    before: bytes = b""
    after: bytes = b""
    # a BINARY_HEADERS key, "decimal:N" (width N, left-aligned), "decimal>:N" (right-aligned),
    # "decimal0:N" (zero-padded), or None
    header: Optional[str] = None
    json_string: bool = False  # the value stands inside a JSON string literal

    def render(self, value: str, name: str = "") -> bytes:
        """``value`` framed the learnt way, with ``name`` wherever the nickname stood."""
        frame = b"".join(self._encode(part, name) for part in (self.before, value, self.after))
        return self._header_for(len(frame)) + frame

    def _encode(self, part, name: str) -> bytes:
        if isinstance(part, bytes):
            return part.replace(NAME_MARK, self._encode(name, name)) if name else part
        return json.dumps(part)[1:-1].encode("ascii") if self.json_string else part.encode("utf-8")

    def _header_for(self, length: int) -> bytes:
        if self.header is None:
            return b""
        if self.header.startswith("decimal"):
            align, width = self.header.split(":", 1)
            number = str(length).encode("ascii")
            pad = {"decimal": number.ljust, "decimal>": number.rjust}.get(align)
            return pad(int(width)) if pad else number.zfill(int(width))
        size, order = BINARY_HEADERS[self.header]
        return length.to_bytes(size, order)

    @property
    def plain(self) -> bool:
        """Nothing but the value and a line end: what the text users send anyway."""
        return self.header is None and not self.before and self.after in (b"", b"\n", b"\r\n")

    @property
    def text_line(self) -> bool:
        """A chat line as a person types it (``alice: …⏎``, ``[alice] …⏎``): the value with at most the
        nickname and punctuation around it, ending a line.  Not a protocol of the student's own, which
        has words or structure of its own (``MSG:…``, JSON, a length header, a NUL)."""
        if self.header is not None or self.json_string or not self.after.endswith(b"\n"):
            return False
        try:
            decoded = (self.before + self.after).replace(NAME_MARK, b"").decode("utf-8")
        except UnicodeDecodeError:
            return False
        return all((ch.isprintable() and not ch.isalnum() and ch not in "{}") or ch in "\r\n" for ch in decoded)

    def describe(self) -> str:
        """For the report: ``[u32be]{"type": "msg", "text": "…"}``."""
        head = f"[{self.header}]" if self.header else ""
        text = (self.before + b"\xe2\x80\xa6" + self.after).replace(NAME_MARK, b"{name}").decode("utf-8", "replace")
        return head + text.replace("\n", "⏎").replace("\x00", "␀")


def learn(sent: bytes, value: str, name: str = "") -> Optional[FrameShape]:
    """The shape of the frame in ``sent`` that carries ``value``, or None.

    ``sent`` is what the client sent from just before the value was typed
    until it fell quiet; it may hold other frames before the one we want
    (a registration, a keep-alive), never the value twice.  Where ``name``
    (the nickname) stands around the value, ``render`` puts its own.
    """
    if not sent or len(sent) > MAX_FRAME:
        return None
    for encoded, json_string in ((value.encode("utf-8"), False), (json.dumps(value)[1:-1].encode("ascii"), True)):
        at = sent.find(encoded)
        if at < 0 or sent.find(encoded, at + 1) >= 0:
            continue
        start, end, header = _frame_start(sent, at)
        if end is None:
            end = _delimited_end(sent, at + len(encoded))
        before, after = sent[start:at], sent[at + len(encoded):end]
        inside_json = json_string or (before.endswith(b'"') and after.startswith(b'"') and b"{" in before)
        if name and name != value:
            for encoded_name in {name.encode("utf-8"), json.dumps(name)[1:-1].encode("ascii")}:
                before, after = before.replace(encoded_name, NAME_MARK), after.replace(encoded_name, NAME_MARK)
        if name and NAME_MARK not in before + after:
            before = _literal_name_as_slot(before)
        return FrameShape(before=before, after=after, header=header, json_string=inside_json)
    return None


# ``anna : ``, ``[anna] ``, ``<anna> ``: a name the client puts before every line.
_NAME_PREFIX = re.compile(r"^([\[<(]?)([^\W\d_][\w.#-]{0,30}?)([\]>)]?\s*[:>|»-]*\s*)$")
COMMAND_WORDS = {"msg", "message", "say", "text", "send", "chat", "cmd", "data", "post", "all", "broadcast", "nick",
                 "nickname", "name", "join", "login", "user", "username", "register", "reg", "hello", "auth",
                 "connect", "leave", "quit", "exit"}


def _literal_name_as_slot(before: bytes) -> bytes:
    """A client that writes a hard-coded name before the text (``'anna : ' +
    input()``): the name becomes the slot each scripted user fills with their own.
    Commands (``MSG:``, ``SAY ``) are words in capitals or the usual verbs."""
    try:
        text = before.decode("utf-8")
    except UnicodeDecodeError:
        return before
    found = _NAME_PREFIX.match(text)
    if found is None or not found.group(3).strip(" ") or found.group(2).isupper() \
            or found.group(2).casefold() in COMMAND_WORDS:
        return before
    return (found.group(1) + "\0" + found.group(3)).encode("utf-8").replace(b"\0", NAME_MARK)


def _frame_start(sent: bytes, at: int):
    """Where the frame holding position ``at`` starts, where it ends if a
    length header says so (else None), and that header.

    A header is believed when the frames it announces tile ``sent`` from its
    first byte: each header's number is exactly the length of what follows it
    up to the next header, and one of those frames holds ``at``."""
    kinds = list(BINARY_HEADERS) + ["decimal"] + [f"{align}:{width}" for align in ("decimal>", "decimal0")
                                                  for width in HEADER_WIDTHS]
    for header in kinds:
        start = _walk(sent, at, header)
        if start is not None:
            return start
    # No header: the frame starts after the last delimiter before the value.
    line_start = max(sent.rfind(b"\n", 0, at), sent.rfind(b"\x00", 0, at))
    return line_start + 1, None, None


def _walk(sent: bytes, at: int, kind: str):
    position = 0
    while position < at:
        parsed = _read_header(sent, position, kind)
        if parsed is None:
            return None
        name, size, length = parsed
        kind = name  # every later header has the width and alignment of the first
        body = position + size
        if length == 0 or body + length > len(sent):
            return None
        if body <= at < body + length:
            return body, body + length, name
        position = body + length
    return None


def _read_header(sent: bytes, position: int, kind: str):
    """(header name, header size, announced length) at ``position``, or None."""
    if kind in BINARY_HEADERS:
        size, order = BINARY_HEADERS[kind]
        if position + size > len(sent):
            return None
        return kind, size, int.from_bytes(sent[position:position + size], order)
    if ":" in kind:  # a width known already
        align, width = kind.split(":", 1)
        digits = sent[position:position + int(width)]
        if len(digits) < int(width) or not _FIXED_HEADER[align].fullmatch(digits):
            return None
        return kind, int(width), int(digits)
    # The first left-aligned header: its width is where the padding ends; a bare
    # number glued to the text ("5hello") has no fixed width and cannot be told from the text.
    decimal = _LEFT_HEADER.match(sent, position)
    if decimal is None:
        return None
    width = decimal.end() - position
    return f"decimal:{width}", width, int(decimal.group(1))


def _delimited_end(sent: bytes, after_value: int) -> int:
    """A frame with no length header ends with its newline or NUL, or with what was sent."""
    for delimiter in (b"\n", b"\x00"):
        end = sent.find(delimiter, after_value)
        if end >= 0:
            return end + len(delimiter)
    return len(sent)
