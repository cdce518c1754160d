"""Folding text for matching: one definition of case, accents, "đ", punctuation and spaces.

Every place that compares what a client typed with a word list folds it here, so the
system keywords, flow keywords, answer parsing, sentiment and crisis detection agree:

* :func:`fold` - NFKC, casefolded, accents stripped (Vietnamese "đ" -> "d", which has no
  Unicode decomposition), invisible glue (variation selectors, zero-width joiner,
  skin-tone modifiers) removed and other control/format characters turned into spaces.
  ``keep_accents=True`` keeps the marks (for words whose accents carry meaning).
* :func:`strip_accents` - only the accent stripping of :func:`fold`.
* :func:`fold_phrase` - a whole message as one comparable phrase: :func:`fold`, hyphens
  and underscores as spaces, whitespace collapsed, punctuation (and by default symbols
  such as emoji) trimmed from both ends.
* :func:`fold_aligned` - the same folding one character for one character (lower case,
  accents off, "đ" -> "d", apostrophes unified, other punctuation to spaces), so a span
  found in the folded text is the same span of the original. Uses a cached
  ``str.translate`` table: it runs on every inbound message.

Pure: no I/O, no state beyond memoised translation tables.
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["APOSTROPHES", "fold", "fold_aligned", "fold_phrase", "strip_accents"]

APOSTROPHES = "'’‘ʼ`´"

# Invisible glue that changes nothing a client means: variation selectors, ZWJ and
# skin-tone modifiers (so "👍🏽" is "👍").
_INVISIBLE = dict.fromkeys([0xFE0E, 0xFE0F, 0x200D, *range(0x1F3FB, 0x1F400)])
_BARRED_D = str.maketrans({"đ": "d", "Đ": "d"})


def strip_accents(text: str) -> str:
    """``text`` without combining marks; "đ"/"Đ" become "d" (NFKD does not split them)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    return stripped.translate(_BARRED_D)


def fold(text: str, *, keep_accents: bool = False) -> str:
    """Casefolded NFKC ``text`` with accents stripped (unless ``keep_accents``).

    Invisible glue is dropped; other control and format characters (zero-width space,
    bidi marks, lone surrogates) become spaces. Whitespace is not collapsed. Never raises.
    """
    text = (text or "").translate(_INVISIBLE)
    # Category C also covers lone surrogates and unassigned code points: as spaces they
    # can never break a regex or the Unicode normalisation below.
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    # NFKC both sides of casefold: "𝓐" only becomes a cased "A" after NFKC
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return folded if keep_accents else strip_accents(folded)


def _trimmable(char: str, categories: str) -> bool:
    return unicodedata.category(char)[0] in categories


def fold_phrase(text: str, *, keep_accents: bool = False, trim_symbols: bool = True) -> str:
    """A whole message as a comparable phrase: :func:`fold`, "-" and "_" as spaces,
    whitespace collapsed, punctuation trimmed from both ends.

    ``trim_symbols`` also trims symbols (emoji, curly signs) from the ends; answer
    parsing turns it off because "👍" is an answer there. Inner punctuation stays
    ("n/a", "don't").
    """
    folded = fold(text, keep_accents=keep_accents).replace("-", " ").replace("_", " ")
    words = " ".join(folded.split())
    categories = "PSZ" if trim_symbols else "PZ"
    start, end = 0, len(words)
    while start < end and _trimmable(words[start], categories):
        start += 1
    while end > start and _trimmable(words[end - 1], categories):
        end -= 1
    return words[start:end].strip()


class _AlignedTable(dict[int, str]):
    """``str.translate`` table for :func:`fold_aligned`, one character in, one out; each
    character is worked out on first sight."""

    def __init__(self, keep: str) -> None:
        super().__init__()
        self.keep = keep

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch in APOSTROPHES:
            out = "'" if "'" in self.keep else " "
        elif ch in "đĐ":
            out = "d"
        else:
            low = ch.lower()
            if len(low) != 1:  # "İ" lowers to two characters: keep the length
                low = ch
            base = unicodedata.normalize("NFD", low)[0]
            out = base if (base.isalnum() or base in self.keep) else " "
        self[code] = out
        return out


@functools.cache
def _aligned_table(keep: str) -> _AlignedTable:
    return _AlignedTable(keep)


def fold_aligned(text: str, *, keep: str = "'") -> str:
    """Lower case, accents off, "đ" -> "d", punctuation to spaces; same length as ``text``.

    Apostrophes of every kind become "'" when "'" is in ``keep``; other characters in
    ``keep`` (crisis detection keeps "@" and "$" for "k1ll" style spellings) survive.
    """
    return (text or "").translate(_aligned_table(keep))


def unstorable(value: str) -> str | None:
    """Why a string cannot be stored (NUL, lone surrogate), or None when it is fine.

    PostgreSQL refuses NUL in text and psycopg cannot encode lone surrogates, which JSON
    allows (``"\\ud800"``); such input is a field error, not a failed transaction.
    """
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text"
    return None
