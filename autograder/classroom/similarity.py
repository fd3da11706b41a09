"""Which submissions share code, whatever the names, comments and layout.

Winnowing (Schleimer, Wilkerson, Aiken: "Winnowing: local algorithms for
document fingerprinting", the idea behind MOSS) over Python tokens:

* the source is read with ``tokenize``; comments, blank lines, line breaks
  inside brackets and docstrings are dropped;
* every identifier that is not a keyword or a builtin becomes ``V``, every
  string ``S``, every number ``N``; ``;`` counts as a line end.  Renaming
  variables, rewording comments and moving blank lines change nothing;
* hashes of all runs of ``k`` tokens are taken, and in every window of
  ``window`` consecutive hashes the smallest is kept: the fingerprints.  Any
  shared run of at least ``k + window - 1`` tokens is guaranteed to share a
  fingerprint, and the fingerprints of a file are few.

The score of a pair is the share of the smaller submission's fingerprints
found in the other one.  Fingerprints of code everybody got from the
instructor (``boilerplate``, e.g. the starter files) and, in a large class,
those that more than ``max_spread`` of all submissions share, say nothing
about copying and are left out.

Pure: no I/O.  ``copydetect`` does the same over files with HTML reports, at
the price of numpy and pygments; a page of our own is enough here.
"""
from __future__ import annotations

import builtins
import io
import keyword
import tokenize
import zlib
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Set, Tuple

from autograder.results import Msg, msg

K = 12                 # tokens per k-gram: about two short lines of code
WINDOW = 8             # any shared run of K + WINDOW - 1 = 19 tokens is found
MIN_FINGERPRINTS = 8   # smaller submissions say too little to compare
SPREAD_FROM = 6        # class size from which widely shared fingerprints are ignored

_KEEP = set(keyword.kwlist) | set(dir(builtins)) | {"self", "cls"}
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_STRING_PARTS = {getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}


@dataclass
class Fingerprint:
    """Normalised tokens of one source, their lines, and the winnowed hashes."""

    tokens: List[str]
    lines: List[int]                   # line of each token
    hashes: Dict[int, List[int]]       # fingerprint -> token positions where its k-gram starts
    source: str

    def span_lines(self, start: int, end: int) -> Tuple[int, int]:
        """Lines of tokens ``start``..``end`` (exclusive)."""
        return self.lines[start], self.lines[max(start, end - 1)]


@dataclass
class Pair:
    a: str
    b: str
    score: float                       # 0..1: share of the smaller one's fingerprints found in the other
    shared: int                        # fingerprints in common
    lines_a: Tuple[int, int]           # the longest shared fragment, in a
    lines_b: Tuple[int, int]           # and where it is in b
    fragment: str                      # its text, as a wrote it
    kit: bool = False                  # b is the kit's own code (the reference, an instructor notebook)

    def message(self) -> Msg:
        return msg("similar.kit" if self.kit else "similar.pair", a=self.a, b=self.b, percent=round(self.score * 100),
                   lines_a=f"{self.lines_a[0]}-{self.lines_a[1]}", lines_b=f"{self.lines_b[0]}-{self.lines_b[1]}")

    def as_dict(self) -> dict:
        return {"a": self.a, "b": self.b, "score": round(self.score, 3), "shared": self.shared,
                "lines_a": list(self.lines_a), "lines_b": list(self.lines_b), "fragment": self.fragment,
                "kit": self.kit}


def normalised_tokens(source: str) -> Tuple[List[str], List[int]]:
    """(tokens, line of each): names, strings and numbers made anonymous; comments and layout gone."""
    tokens: List[str] = []
    lines: List[int] = []
    previous = "\n"
    in_fstring = 0
    raw = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            raw.append(token)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # what was read so far still counts
    for index, token in enumerate(raw):
        kind, text = token.type, token.string
        if kind in _SKIP:
            continue
        if kind in _STRING_PARTS or in_fstring:
            # An f-string arrives in pieces (3.12+): one S for all of it, nested ones included.
            if kind == getattr(tokenize, "FSTRING_START", None):
                in_fstring += 1
                if in_fstring > 1:
                    continue
                value = "S"
            else:
                if kind == getattr(tokenize, "FSTRING_END", None):
                    in_fstring -= 1
                continue
        elif kind == tokenize.NAME:
            value = text if text in _KEEP else "V"
        elif kind == tokenize.STRING:
            if previous in ("\n", "{", "}") and _next_significant(raw, index) in ("\n", None):
                continue  # a docstring or a string used as a comment
            value = "S"
        elif kind == tokenize.NUMBER:
            value = "N"
        elif kind == tokenize.NEWLINE or (kind == tokenize.OP and text == ";"):
            if previous in ("\n", "{", "}"):
                continue  # an empty line's worth: what stood on it was dropped
            value = "\n"
        elif kind == tokenize.INDENT:
            value = "{"
        elif kind == tokenize.DEDENT:
            value = "}"
        else:
            value = text
        if value == "S" and previous == "S":
            continue  # "a" "b" is one string
        tokens.append(value)
        lines.append(token.start[0])
        previous = value
    return tokens, lines


def _next_significant(raw, index: int) -> Optional[str]:
    for token in raw[index + 1:]:
        if token.type in _SKIP:
            continue
        if token.type == tokenize.NEWLINE or (token.type == tokenize.OP and token.string == ";"):
            return "\n"
        if token.type == tokenize.ENDMARKER:
            return None
        return token.string
    return None


def fingerprint(source: str, k: int = K, window: int = WINDOW) -> Fingerprint:
    tokens, lines = normalised_tokens(source)
    grams = [zlib.crc32("\x1f".join(tokens[i:i + k]).encode("utf-8")) for i in range(len(tokens) - k + 1)]
    chosen: Dict[int, List[int]] = {}
    last = -1
    starts = range(len(grams) - window + 1) if len(grams) > window else range(1 if grams else 0)
    for start in starts:
        span = grams[start:start + window]
        # The rightmost minimum, recorded once per position (the paper's robust winnowing).
        low = min(span)
        position = start + max(i for i, h in enumerate(span) if h == low)
        if position != last:
            chosen.setdefault(grams[position], []).append(position)
            last = position
    return Fingerprint(tokens=tokens, lines=lines, hashes=chosen, source=source)


def similar_pairs(
    submissions: Mapping[str, str],
    threshold: float = 0.6,
    *,
    boilerplate: Iterable[str] = (),
    max_spread: float = 0.5,
    k: int = K,
    window: int = WINDOW,
) -> List[Pair]:
    """Pairs of submissions (name -> source text) at least ``threshold`` alike, most alike first."""
    prints = {name: fingerprint(text, k, window) for name, text in submissions.items()}
    ignored: Set[int] = set()
    for text in boilerplate:
        ignored |= set(fingerprint(text, k, window).hashes)
    owners: Dict[int, List[str]] = {}
    for name, fp in prints.items():
        for value in fp.hashes:
            owners.setdefault(value, []).append(name)
    if len(prints) >= SPREAD_FROM:
        ignored |= {value for value, names in owners.items() if len(names) > max_spread * len(prints)}
    useful = {name: set(fp.hashes) - ignored for name, fp in prints.items()}
    # Count shared fingerprints through the inverted index: only pairs that share something are visited.
    counts: Dict[Tuple[str, str], int] = {}
    order = {name: i for i, name in enumerate(prints)}
    for value, names in owners.items():
        if value in ignored or len(names) < 2:
            continue
        names = sorted(names, key=order.__getitem__)
        for i, first in enumerate(names):
            for second in names[i + 1:]:
                counts[(first, second)] = counts.get((first, second), 0) + 1
    pairs = []
    for (a, b), shared in counts.items():
        smaller = min(len(useful[a]), len(useful[b]))
        if smaller < MIN_FINGERPRINTS:
            continue
        score = shared / smaller
        if score >= threshold:
            pairs.append(_pair(a, b, prints[a], prints[b], useful[a] & useful[b], score, k))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs


def kit_pairs(
    submissions: Mapping[str, str],
    kit: Mapping[str, str],
    threshold: float = 0.6,
    *,
    boilerplate: Iterable[str] = (),
    k: int = K,
    window: int = WINDOW,
) -> List[Pair]:
    """Submissions that are the kit's own code (the reference solution, an instructor
    notebook): one student alone is flagged, and however many copy it, the copied
    fingerprints are never discounted as "everybody's" (``max_spread``)."""
    ignored: Set[int] = set()
    for text in boilerplate:
        ignored |= set(fingerprint(text, k, window).hashes)
    sources = {label: fingerprint(text, k, window) for label, text in kit.items()}
    pairs = []
    for name, text in submissions.items():
        fa = fingerprint(text, k, window)
        mine = set(fa.hashes) - ignored
        for label, fb in sources.items():
            theirs = set(fb.hashes) - ignored
            smaller = min(len(mine), len(theirs))
            if smaller < MIN_FINGERPRINTS:
                continue
            common = mine & theirs
            if len(common) / smaller >= threshold:
                pair = _pair(name, label, fa, fb, common, len(common) / smaller, k)
                pair.kit = True
                pairs.append(pair)
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    return pairs


def _pair(a: str, b: str, fa: Fingerprint, fb: Fingerprint, common: Set[int], score: float, k: int) -> Pair:
    start, end = _longest_run([p for value in common for p in fa.hashes[value]], k)
    inside = {value for value in common if any(start <= p < end for p in fa.hashes[value])}
    b_start, b_end = _longest_run([p for value in inside for p in fb.hashes[value]], k)
    lines_a = fa.span_lines(start, end)
    lines_b = fb.span_lines(b_start, b_end)
    text_lines = fa.source.splitlines()
    fragment = "\n".join(text_lines[lines_a[0] - 1:lines_a[1]])
    return Pair(a=a, b=b, score=score, shared=len(common), lines_a=lines_a, lines_b=lines_b, fragment=fragment)


def _longest_run(positions: List[int], k: int) -> Tuple[int, int]:
    """The longest stretch of tokens covered by the k-grams starting at ``positions``."""
    best = (0, 0)
    run_start = run_end = None
    for p in sorted(set(positions)):
        if run_end is not None and p <= run_end:
            run_end = max(run_end, p + k)
            continue
        if run_start is not None and run_end - run_start > best[1] - best[0]:
            best = (run_start, run_end)
        run_start, run_end = p, p + k
    if run_start is not None and run_end - run_start > best[1] - best[0]:
        best = (run_start, run_end)
    return best
