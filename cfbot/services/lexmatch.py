"""Fast whole-word matching of a lexicon's list of regex patterns.

The lexicons (``cfbot/lexicons/*.yaml``) are lists of regexes, each matched as a whole
word: ``(?<!\\w)(?:p1|p2|...)(?!\\w)``. Python's ``re`` tries every alternative at every
position of the text, so a list of a hundred patterns costs tens of microseconds per
reply. :class:`WordPatterns` returns exactly what ``finditer`` of that combined regex
returns, faster: at load time it works out, from the parsed pattern, which characters
each alternative can start with, and compiles one regex per first character holding
only the alternatives (in their order) that can start there. A match can only begin
where the look-behind allows (the start, or after a non-word character), so only those
positions are tried, each with the regex of its character. An alternative whose first
character cannot be worked out is kept in every regex. Whatever is compiled comes from
the patterns given at load time, so new lexicon entries need nothing here.

``plain`` is the combined regex itself, kept for reference and for the rare case the
dispatch cannot reproduce (an empty match), where it is used instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from re import _constants as _c  # type: ignore[attr-defined]  # the parser's opcodes
from re import _parser  # type: ignore[attr-defined]  # sre's parser, stable since 3.11
from typing import Any

__all__ = ["WordPatterns", "first_chars"]

_NON_WORD = re.compile(r"\W")
_MAX_RANGE = 512  # a wider character range counts as "any character"
DIGITS = "\\d"  # in a first-character set: any decimal digit (str.isdecimal, as \d)
_CACHE_CHARS = 4096  # characters whose regex is remembered


def _charset(items: list[tuple[Any, Any]]) -> set[str] | None:
    out: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            out.add(chr(av))
        elif op is _c.CATEGORY and av in (_c.CATEGORY_DIGIT, _c.CATEGORY_UNI_DIGIT):
            out.add(DIGITS)
        elif op is _c.RANGE and av[1] - av[0] <= _MAX_RANGE:
            out.update(chr(i) for i in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY (\w, \d, ...), wide ranges: anything
            return None
    return out


def _seq(items: Any) -> tuple[set[str] | None, bool]:
    """(characters the sequence can start with or None for any, whether it can be empty)."""
    out: set[str] = set()
    for op, av in items:
        first, nullable = _item(op, av)
        if first is None:
            return None, False
        out |= first
        if not nullable:
            return out, False
    return out, True


def _item(op: Any, av: Any) -> tuple[set[str] | None, bool]:
    if op is _c.LITERAL:
        return {chr(av)}, False
    if op is _c.IN:
        return _charset(av), False
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return set(), True  # consumes nothing: the next item decides
    if op is _c.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        if add_flags & re.IGNORECASE:
            return None, False
        return _seq(sub)
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _seq(av)
    if op is _c.BRANCH:
        out: set[str] = set()
        nullable = False
        for alt in av[1]:
            first, n = _seq(alt)
            if first is None:
                return None, False
            out |= first
            nullable = nullable or n
        return out, nullable
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        lo, _hi, sub = av
        first, n = _seq(sub)
        return first, n or lo == 0
    return None, False  # ANY, categories, group references ...: anything


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can start with (``DIGITS`` standing for
    every decimal digit), or None when that cannot be told (any character,
    case-insensitive, or the pattern can match the empty string)."""
    try:
        parsed = _parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return None
        first, nullable = _seq(parsed)
    except Exception:  # an unknown parser detail: fall back to "any character"
        return None
    if first is None or nullable:
        return None
    return frozenset(first)


def split_alternatives(pattern: str) -> list[str]:
    """``pattern``'s top-level alternatives (``a|(?:b|c)|d`` -> ``a``, ``(?:b|c)``,
    ``d``), or ``[pattern]`` when splitting could change it (groups, inline flags)."""
    pieces: list[str] = []
    depth = 0
    in_class = False
    class_start = start = i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]" and i > class_start:
                in_class = False
        elif ch == "[":
            in_class = True
            class_start = i + 1 + (pattern[i + 1 : i + 2] == "^")
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            pieces.append(pattern[start:i])
            start = i + 1
        i += 1
    pieces.append(pattern[start:])
    if len(pieces) == 1:
        return pieces
    try:
        whole = re.compile(pattern)
        plain_flags = re.compile("").flags
        parts = [re.compile(p) for p in pieces]
    except re.error:
        return [pattern]
    if whole.groups or whole.flags != plain_flags:
        return [pattern]
    if any(p.groups or p.flags != plain_flags for p in parts):
        return [pattern]
    return pieces


def _combined(patterns: Sequence[str], indexed: bool) -> re.Pattern[str]:
    wrap = "({})" if indexed else "(?:{})"
    body = "|".join(wrap.format(p) for p in patterns)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


class WordPatterns:
    """``finditer`` of ``(?<!\\w)(?:p1|p2|...)(?!\\w)``, dispatched on the first character.

    With ``indexed=True`` every pattern is a capturing group (patterns must have none of
    their own) and :meth:`find` also returns the index of the pattern that matched, as
    ``m.lastindex - 1`` of the combined regex would.
    """

    def __init__(self, patterns: Sequence[str], *, indexed: bool = False) -> None:
        self.patterns = tuple(patterns)
        self.indexed = indexed
        self.plain = _combined(self.patterns, indexed)
        # Top-level alternatives apart, in order (same matches), each knowing its entry.
        self._pieces: list[str] = []
        self._origin: list[int] = []
        for i, p in enumerate(self.patterns):
            for piece in split_alternatives(p):
                self._pieces.append(piece)
                self._origin.append(i)
        self._firsts = [first_chars(p) for p in self._pieces]
        self._compiled: dict[tuple[int, ...], tuple[re.Pattern[str], tuple[int, ...]] | None] = {}
        self._by_char: dict[str, tuple[re.Pattern[str], tuple[int, ...]] | None] = {}
        chars = set().union(*(f for f in self._firsts if f is not None)) - {DIGITS}
        for ch in sorted(chars | set("0123456789")):
            self._by_char[ch] = self._for_char(ch)
        self._default = self._build(tuple(i for i, f in enumerate(self._firsts) if f is None))

    def _build(self, idx: tuple[int, ...]) -> tuple[re.Pattern[str], tuple[int, ...]] | None:
        if idx not in self._compiled:
            chosen = [self._pieces[i] for i in idx]
            origin = tuple(self._origin[i] for i in idx)
            self._compiled[idx] = (_combined(chosen, self.indexed), origin) if idx else None
        return self._compiled[idx]

    def _for_char(self, ch: str) -> tuple[re.Pattern[str], tuple[int, ...]] | None:
        digit = ch.isdecimal()
        return self._build(
            tuple(
                i
                for i, f in enumerate(self._firsts)
                if f is None or ch in f or (digit and DIGITS in f)
            )
        )

    def find(self, text: str) -> list[tuple[re.Match[str], int]]:
        """The matches ``plain.finditer(text)`` gives, in order, each with the index of
        its pattern (-1 when not ``indexed``)."""
        out: list[tuple[re.Match[str], int]] = []
        n = len(text)
        pos = 0
        by_char, default = self._by_char, self._default
        starts = [0]
        starts += [m.end() for m in _NON_WORD.finditer(text)]
        for p in starts:
            if p < pos:
                continue
            if p < n:
                ch = text[p]
                entry = by_char.get(ch, default)
                if entry is default and ch.isdecimal() and ch not in by_char:
                    entry = self._for_char(ch)  # a digit of another script
                    if len(by_char) < _CACHE_CHARS:
                        by_char[ch] = entry
            else:
                entry = default
            if entry is None:
                continue
            rx, idx = entry
            m = rx.match(text, p)
            if m is None:
                continue
            if m.end() == p:  # an empty match: finditer's rules for those are subtle
                return self._plain_find(text)
            out.append((m, idx[m.lastindex - 1] if self.indexed else -1))  # type: ignore[operator]  # lastindex is set: every alternative is a group
            pos = m.end()
        return out

    def _plain_find(self, text: str) -> list[tuple[re.Match[str], int]]:
        return [
            (m, m.lastindex - 1 if self.indexed else -1)  # type: ignore[operator]  # see find
            for m in self.plain.finditer(text)
        ]

    def finditer(self, text: str) -> list[re.Match[str]]:
        return [m for m, _ in self.find(text)]

    def search(self, text: str) -> re.Match[str] | None:
        found = self.find(text)
        return found[0][0] if found else None

    def blank(self, text: str) -> str:
        """``text`` with every match replaced by as many spaces."""
        found = self.find(text)
        if not found:
            return text
        parts: list[str] = []
        last = 0
        for m, _ in found:
            parts.append(text[last : m.start()])
            parts.append(" " * (m.end() - m.start()))
            last = m.end()
        parts.append(text[last:])
        return "".join(parts)


def _expand_seq(items: Any, limit: int) -> set[str] | None:
    out = {""}
    for op, av in items:
        part = _expand_item(op, av, limit)
        if part is None:
            return None
        out = {a + b for a in out for b in part}
        if len(out) > limit:
            return None
    return out


def _expand_item(op: Any, av: Any, limit: int) -> set[str] | None:
    if op is _c.LITERAL:
        return {chr(av)}
    if op is _c.IN:
        chars = _charset(av)
        return None if chars is None or DIGITS in chars else chars
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return {""}
    if op is _c.SUBPATTERN:
        return _expand_seq(av[3], limit)
    if op is _c.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            part = _expand_seq(alt, limit)
            if part is None:
                return None
            out |= part
        return out if len(out) <= limit else None
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and av[1] <= 3:
        lo, hi, sub = av
        one = _expand_seq(sub, limit)
        if one is None:
            return None
        out, layer = set(), {""}
        for k in range(hi + 1):
            if k >= lo:
                out |= layer
            if k < hi:
                layer = {a + b for a in layer for b in one}
                if len(layer) > limit:
                    return None
        return out if len(out) <= limit else None
    return None


def expand(pattern: str, limit: int = 2000) -> frozenset[str] | None:
    """Every string ``pattern`` matches, when they are few (at most ``limit``), ignoring
    look-arounds; None when they are too many or cannot be listed (``\\w*``)."""
    try:
        found = _expand_seq(_parser.parse(pattern), limit)
    except Exception:  # an unknown parser detail
        return None
    return None if found is None else frozenset(found)
