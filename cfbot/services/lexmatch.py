"""Fast whole-word matching of a lexicon's list of regex patterns.

The lexicons (``cfbot/lexicons/*.yaml``) are lists of regexes, each matched as a whole
word: ``(?<!\\w)(?:p1|p2|...)(?!\\w)``. Python's ``re`` tries every alternative at every
position of the text, so a list of a hundred patterns costs tens of microseconds per
reply. :class:`WordPatterns` returns exactly what ``finditer`` of that combined regex
returns, faster. At load time each pattern is split into its top-level alternatives
(same order, same matches) and, from the parsed regex, the first characters each
alternative can start with are worked out: ``KEY`` (four) of them, or as few as
``_MIN_KEY`` (two) for an alternative that could start with too many different strings
of a greater length (``[a-z]{4}...``); the more characters, the fewer alternatives share
a start. A match can only begin where the look-behind allows (the start, or after a
non-word character), so only those positions are tried, each with a regex of only the
alternatives (in their order) whose starts agree with the characters found there,
compiled on first need and kept. An alternative whose start cannot be worked out
(``\\w+...``) is in every such regex. Everything comes from the patterns given at load
time, so new lexicon entries need nothing here.

``plain`` is the combined regex itself, kept for reference and for the rare case the
dispatch cannot reproduce (an empty match), where it is used instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from re import _constants as _c  # type: ignore[attr-defined]  # the parser's opcodes
from re import _parser  # type: ignore[attr-defined]  # sre's parser, stable since 3.11
from typing import Any

__all__ = ["WordPatterns", "expand", "prefixes", "split_alternatives"]

_NON_WORD = re.compile(r"\W")
_DECIMAL = re.compile(r"\d")
_MAX_RANGE = 512  # a wider character range counts as "any character"
KEY = 4  # at most this many characters of the text choose the alternatives to try
_MIN_KEY = 2  # ... and at least this many, where an alternative's start can be listed
_MAX_INDEXED = 64  # an alternative with more starts of a length is indexed by shorter ones
DIGIT = "\x00"  # stands for every decimal digit in prefixes and keys (as \d does)
_MAX_PREFIXES = 4096  # more possible prefixes than this count as "anything"
_CACHE_KEYS = 50_000  # keys whose alternatives are remembered
_DIRECT_PIECES = 8  # lists of this many alternatives or fewer use the plain regex


def _charset(items: list[tuple[Any, Any]], digits: bool) -> set[str] | None:
    out: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            out.add(chr(av))
        elif op is _c.CATEGORY and av in (_c.CATEGORY_DIGIT, _c.CATEGORY_UNI_DIGIT) and digits:
            out.add(DIGIT)
        elif op is _c.RANGE and av[1] - av[0] <= _MAX_RANGE:
            out.update(chr(i) for i in range(av[0], av[1] + 1))
        else:  # NEGATE, CATEGORY (\w, \s, ...), wide ranges: anything
            return None
    return {DIGIT if digits and c.isdecimal() else c for c in out}


def _concat(left: set[str], right: set[str], k: int) -> set[str]:
    out: set[str] = set()
    for a in left:
        if len(a) >= k:
            out.add(a)
        else:
            out.update((a + b)[:k] for b in right)
    return out


def _pre_seq(items: Any, k: int) -> set[str] | None:
    """The first ``k`` characters of every string the sequence can match (whole strings
    when shorter), or None when they cannot be listed."""
    out = {""}
    for op, av in items:
        if all(len(a) >= k for a in out):
            break
        part = _pre_item(op, av, k)
        if part is None:
            return None
        out = _concat(out, part, k)
        if len(out) > _MAX_PREFIXES:
            return None
    return out


def _pre_item(op: Any, av: Any, k: int) -> set[str] | None:
    if op is _c.LITERAL:
        ch = chr(av)
        return {DIGIT if ch.isdecimal() else ch}
    if op is _c.IN:
        return _charset(av, digits=True)
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return {""}  # consumes nothing: the next item decides
    if op is _c.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _pre_seq(sub, k)
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _pre_seq(av, k)
    if op is _c.BRANCH:
        out: set[str] = set()
        for alt in av[1]:
            part = _pre_seq(alt, k)
            if part is None:
                return None
            out |= part
        return out
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        one = _pre_seq(sub, k)
        if one is None:
            return None
        out, layer = set(), {""}
        for j in range(min(hi, lo + k) + 1):  # more repeats add nothing to k characters
            if j >= lo:
                out |= layer
            layer = _concat(layer, one, k)
            if len(layer) > _MAX_PREFIXES:
                return None
        return out
    return None  # ANY, categories, group references ...: anything


def prefixes(pattern: str, k: int = _MIN_KEY) -> frozenset[str] | None:
    """The first ``k`` characters of every string ``pattern`` can match (the whole string
    when shorter; every decimal digit written ``DIGIT``), ignoring look-arounds; None
    when that cannot be told (a wildcard or category first, case-insensitive, too many,
    or the empty string)."""
    try:
        parsed = _parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return None
        found = _pre_seq(parsed, k)
    except Exception:  # an unknown parser detail: fall back to "anything"
        return None
    if found is None or "" in found:
        return None
    return frozenset(found)


def _index_prefixes(piece: str) -> frozenset[str] | None:
    """The starts ``piece`` is indexed by: its :func:`prefixes` of the longest length
    from ``KEY`` down to ``_MIN_KEY`` that are at most ``_MAX_INDEXED`` (at ``_MIN_KEY``
    however many); None when it can start with anything."""
    for k in range(KEY, _MIN_KEY, -1):
        found = prefixes(piece, k)
        if found is not None and len(found) <= _MAX_INDEXED:
            return found
    return prefixes(piece, _MIN_KEY)


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


# The same text is often scanned by several lists in a row (every language's terms, both
# safety tiers): its word starts are worked out once. One entry, replaced whole, so
# threads sharing it read either the old or the new one, each consistent.
_last_scan: tuple[str, list[int], str] = ("", [0], "")


def _scan(text: str) -> tuple[list[int], str]:
    """Positions where a whole-word match may start (0 and after every non-word
    character) and ``text`` with its digits as ``DIGIT`` (the keys)."""
    global _last_scan
    last = _last_scan
    if last[0] == text:
        return last[1], last[2]
    starts = [0]
    starts += [m.end() for m in _NON_WORD.finditer(text)]
    keys = _DECIMAL.sub(DIGIT, text)
    _last_scan = (text, starts, keys)
    return starts, keys


class WordPatterns:
    """``finditer`` of ``(?<!\\w)(?:p1|p2|...)(?!\\w)``, choosing the alternatives to try
    by the first ``KEY`` characters at each word start (see the module docstring).

    With ``indexed=True`` every pattern is a capturing group (patterns must have none of
    their own) and :meth:`find` also returns the index of the pattern that matched, as
    ``m.lastindex - 1`` of the combined regex would. ``dispatch`` forces the choice of
    the way (default: the plain regex for a list of a few alternatives).
    """

    def __init__(
        self, patterns: Sequence[str], *, indexed: bool = False, dispatch: bool | None = None
    ) -> None:
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
        # alternatives by the prefix they can start with; "anything" ones everywhere
        self._by_prefix: dict[str, set[int]] = {}
        self._anything: set[int] = set()
        for i, piece in enumerate(self._pieces):
            found = _index_prefixes(piece)
            if found is None:
                self._anything.add(i)
            else:
                for t in found:
                    self._by_prefix.setdefault(t, set()).add(i)
        self._compiled: dict[tuple[int, ...], _Entry | None] = {}
        self._by_key: dict[str, _Entry | None] = {}
        # a short list is as fast with the plain regex as with the dispatch
        self._direct = not dispatch if dispatch is not None else len(self._pieces) <= _DIRECT_PIECES
        if self.plain.groups != (len(self.patterns) if indexed else 0):
            # groups of the patterns' own: a backreference would count them differently
            # in a regex of some of the alternatives
            self._direct = True

    def _entry(self, key: str) -> _Entry | None:
        """The regex of the alternatives that can match where the text goes on with
        ``key`` (digits as ``DIGIT``; shorter than ``KEY`` at the end of the text)."""
        chosen = set(self._anything)
        for n in range(1, len(key) + 1):
            chosen |= self._by_prefix.get(key[:n], set())
        idx = tuple(sorted(chosen))
        if idx not in self._compiled:
            pieces = [self._pieces[i] for i in idx]
            origin = tuple(self._origin[i] for i in idx)
            self._compiled[idx] = (_combined(pieces, self.indexed), origin) if idx else None
        return self._compiled[idx]

    def find(self, text: str) -> list[tuple[re.Match[str], int]]:
        """The matches ``plain.finditer(text)`` gives, in order, each with the index of
        its pattern (-1 when not ``indexed``)."""
        if self._direct:
            return self._plain_find(text)
        out: list[tuple[re.Match[str], int]] = []
        starts, keys = _scan(text)
        by_key = self._by_key
        pos = 0
        for p in starts:
            if p < pos:
                continue
            key = keys[p : p + KEY]
            try:
                entry = by_key[key]
            except KeyError:
                entry = self._entry(key)
                if len(by_key) < _CACHE_KEYS:
                    by_key[key] = entry
            if entry is None:
                continue
            rx, origin = entry
            m = rx.match(text, p)
            if m is None:
                continue
            if m.end() == p:  # an empty match: finditer's rules for those are subtle
                return self._plain_find(text)
            out.append((m, origin[m.lastindex - 1] if self.indexed else -1))  # type: ignore[operator]  # lastindex is set: every alternative is a group
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


_Entry = tuple[re.Pattern[str], tuple[int, ...]]


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
        chars = _charset(av, digits=False)
        return None if chars is None else chars
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
