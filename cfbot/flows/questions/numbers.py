"""Numbers in client messages: digits and number words of every supported language.

Shared by the rating, NPS and choice question types (a choice can be picked by its
number). Pure: constant tables and functions of their input only.

Decisions on the cases that have no obvious answer (tests pin each one):

* Number words that are also everyday words ("one", Spanish "una", Hmong "ib/ob/peb/
  rau/plaub", Vietnamese "năm" = year, "ba" = dad, "một" = a, "không" = no, and every
  Vietnamese number typed without accents, e.g. "hai long" = "hài lòng" = satisfied)
  are *risky*: they count only when no digit or safe number word is present and every
  other word of the message is a rating filler ("stars", "sao", "hnub qub", "le doy").
* Vietnamese typed with diacritics is matched exactly, so "tám" (8) is a number and
  "tạm" (so-so) is not; typed without any diacritics it falls back to the risky rule.
* Typo tolerance for number words is a curated alias table ("sinco", "saddax"), not
  fuzzy matching: edit-distance-1 neighbours of number words are common words
  (fine/five, nueva/nueve, weight/eight, siente/siete).
* ``"4/5"``, ``"4 out of 5"``, ``"cuatro de cinco"`` mean 4: a denominator after a slash
  is dropped when it is 5, 10, 100 or the scale maximum; after "out of"/"de"/"sobre"/
  "trên"/"ntawm" always. ``"3/4"`` on a 1-5 scale reads as "3 or 4" (ambiguous).
* ``"4.0"`` is 4; ``"4.5"`` and ``"4,5"`` are unclear (the scale has no halves).
  Numbers followed by a unit ("2 hours", "2 horas", "2 teev") are durations, not
  answers, and are ignored; clock times ("3:30") too. A digit run of 4+ digits or 7+
  digits in all (phone numbers, dates with a year) makes the message unclear.
* Star emoji (⭐ ★ 🌟) count when the message has no number and the count is on the
  scale; with a number, one star is decoration and a different count is ambiguous.
* Thumbs: on a rating 👍 = max and 👎 = min, only in messages without words. On NPS a
  thumbs-up is unclear: it could be any of 7-10 and NPS buckets those differently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cfbot.flows.questions.common import Parsed, Tok, lang_key, tokens

# --------------------------------------------------------------------------- tables
# Keys are lower-case and accent-free (see normalize) except the Vietnamese tables that
# say otherwise. Values: (number, risky). Risky words are explained in the module doc.

_NUMBER_WORDS: dict[str, dict[str, tuple[int, bool]]] = {
    "en": {
        "zero": (0, False),
        "one": (1, True),  # "no one helped me"
        "two": (2, False),
        "three": (3, False),
        "four": (4, False),
        "five": (5, False),
        "six": (6, False),
        "seven": (7, False),
        "eight": (8, False),
        "nine": (9, False),
        "ten": (10, False),
        # frequent texting misspellings that are not themselves words
        "fiv": (5, False),
        "thre": (3, False),
        "sevn": (7, False),
        "eigth": (8, False),
    },
    "es": {
        "cero": (0, False),
        "uno": (1, True),  # "uno de los mejores"
        "una": (1, True),  # the indefinite article
        "un": (1, True),
        "dos": (2, False),
        "tres": (3, False),
        "cuatro": (4, False),
        "cinco": (5, False),
        "seis": (6, False),
        "siete": (7, False),
        "ocho": (8, False),
        "nueve": (9, False),
        "diez": (10, False),
        "sero": (0, False),
        "sinco": (5, False),
        "sies": (6, False),
        "nuebe": (9, False),
        "dies": (10, False),
    },
    "so": {
        "eber": (0, False),
        "kow": (1, False),
        "hal": (1, True),  # "one (of something)"; too short to trust inside sentences
        "laba": (2, False),
        "saddex": (3, False),
        "afar": (4, False),
        "shan": (5, False),
        "lix": (6, False),
        "toddoba": (7, False),
        "siddeed": (8, False),
        "sagaal": (9, False),
        "toban": (10, False),
        "sadex": (3, False),
        "saddax": (3, False),
        "sadax": (3, False),
        "todoba": (7, False),
        "toddobo": (7, False),
        "sideed": (8, False),
        "sagal": (9, False),
    },
    "hmn": {
        "xoom": (0, False),
        "ib": (1, True),  # also "a", "ib yam" = the same
        "ob": (2, True),  # "ob peb" = a few
        "peb": (3, True),  # also "we/us"
        "plaub": (4, True),  # also "hair"
        "tsib": (5, False),
        "rau": (6, True),  # also "to/for" ("ua tsaug rau ...")
        "xya": (7, False),
        "yim": (8, False),
        "cuaj": (9, False),
        "kaum": (10, False),
    },
}

# Vietnamese typed with diacritics (NFC, casefolded): exact spellings only.
_VI_MARKED_NUMBERS: dict[str, tuple[int, bool]] = {
    "không": (0, True),  # also "no"/"not"
    "một": (1, True),  # also "a"
    "hai": (2, False),  # "hài lòng" (satisfied) has a grave accent, so cannot match
    "ba": (3, True),  # "ba" = dad in the South
    "bốn": (4, False),
    "tư": (4, True),  # also "private", "fourth"
    "năm": (5, True),  # also "year"
    "sáu": (6, False),
    "bảy": (7, False),
    "bẩy": (7, False),  # northern spelling
    "tám": (8, False),
    "chín": (9, False),
    "mười": (10, False),
}
# Vietnamese typed without diacritics: every form collides with another word.
_VI_PLAIN_NUMBERS: dict[str, tuple[int, bool]] = {
    "khong": (0, True),
    "mot": (1, True),
    "hai": (2, True),
    "ba": (3, True),
    "bon": (4, True),
    "tu": (4, True),
    "nam": (5, True),
    "sau": (6, True),
    "bay": (7, True),
    "tam": (8, True),
    "chin": (9, True),
    "muoi": (10, True),
}

# Ordinals only help pick a choice ("the second one"); on a rating "first" is not 1.
_ORDINALS: dict[str, dict[str, int]] = {
    "en": {
        "first": 1,
        "second": 2,
        "third": 3,
        "fourth": 4,
        "fifth": 5,
        "sixth": 6,
        "seventh": 7,
        "eighth": 8,
        "ninth": 9,
        "tenth": 10,
    },
    "es": {
        "primero": 1,
        "primera": 1,
        "primer": 1,
        "segundo": 2,
        "segunda": 2,
        "tercero": 3,
        "tercera": 3,
        "tercer": 3,
        "cuarto": 4,
        "cuarta": 4,
        "quinto": 5,
        "quinta": 5,
        "sexto": 6,
        "sexta": 6,
        "septimo": 7,
        "septima": 7,
        "octavo": 8,
        "octava": 8,
        "noveno": 9,
        "novena": 9,
        "decimo": 10,
        "decima": 10,
    },
    "so": {
        "kowaad": 1,
        "labaad": 2,
        "saddexaad": 3,
        "afraad": 4,
        "shanaad": 5,
        "lixaad": 6,
        "toddobaad": 7,
        "siddeedaad": 8,
        "sagaalaad": 9,
        "tobnaad": 10,
    },
    "hmn": {"thawj": 1},  # others are "thib" + number, handled by the filler rule
    "vi": {"nhất": 1, "nhat": 1},  # "thứ nhất"; "thứ hai" is "thứ" + number
}

# Words that may surround a risky number word without changing its meaning.
_FILLERS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "i id im ill say give gave it its a an the is was would be star stars point points "
        "rate rating score my answer number num option opt choice please pls thanks "
        "thank you ok okay just".split()
    ),
    "es": frozenset(
        "le les doy daria diria yo mi es seria un una de estrella estrellas punto puntos "
        "calificacion numero num opcion la el gracias por favor".split()
    ),
    "so": frozenset(
        "waxaan siinayaa siiyay xiddig xiddigood dhibic dhibcood waa mahadsanid lambar".split()
    ),
    "hmn": frozenset("kuv muab lub hnub qub qhab nia ua tsaug thib tus xaiv".split()),
    "vi": frozenset("toi minh em anh chi cho sao diem la a nhe nha cam on so thu chon".split()),
}

# A number followed by one of these is a quantity ("2 hours"), not an answer.
_UNITS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "h hr hrs hour hours min mins minute minutes day days week weeks month months year "
        "years yr yrs times am pm people kids children".split()
    ),
    "es": frozenset(
        "hora horas hr hrs minuto minutos min dia dias semana semanas mes meses ano anos "
        "veces personas ninos".split()
    ),
    "so": frozenset(
        "saac saacadood daqiiqo daqiiqadood maalin maalmood toddobaad bil bilood sano "
        "sanadood".split()
    ),
    "hmn": frozenset("teev feeb hnub hli xyoo zaug lim".split()),
    "vi": frozenset("gio tieng phut ngay tuan thang nam lan nguoi dong".split()),
}

# "4 out of 5": words between a numerator and a denominator.
_DENOMINATOR_WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (("out", "of"), ("of",)),
    "es": (("de",), ("sobre",)),
    "so": (),
    "hmn": (("ntawm",),),
    "vi": (("tren",),),
}
_COMMON_DENOMINATORS = frozenset({5, 10, 100})
_CURRENCY = frozenset("$€£")
_MINUS = frozenset("-−")

_STARS = frozenset("⭐★🌟")
_THUMBS_UP = frozenset("👍")
_THUMBS_DOWN = frozenset("👎")

_INT_WITH_ZERO_DECIMALS = re.compile(r"(\d+)[.,]0+")

# ------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class NumberScan:
    """The numbers a message states, and whether it held something number-like."""

    values: tuple[int, ...]  # distinct candidate answers, in order of appearance
    unclear: bool  # saw something number-like that is no answer (phone, 4.5, 80%)


def word_number(tok: Tok, lang: str, vi_marked: bool, ordinals: bool) -> tuple[int, bool] | None:
    """(value, risky) for a number word in ``lang`` or English, else None."""
    if lang == "vi":
        hit = (_VI_MARKED_NUMBERS if vi_marked else _VI_PLAIN_NUMBERS).get(tok.raw)
        if hit is not None:
            return hit
    else:
        hit = _NUMBER_WORDS.get(lang, {}).get(tok.plain)
        if hit is not None:
            return hit
    if ordinals:
        for table in (_ORDINALS.get(lang, {}), _ORDINALS["en"]):
            value = table.get(tok.raw if lang == "vi" else tok.plain)
            if value is not None:
                return value, False
    if not tok.marked:
        hit = _NUMBER_WORDS["en"].get(tok.plain)
        if hit is not None:
            # in other languages English words collide ("ten" = have, "tên" = name)
            return hit[0], hit[1] or lang != "en"
    return None


def scan_numbers(
    toks: Sequence[Tok],
    lang: str,
    *,
    denominators: Iterable[int] = (),
    ordinals: bool = False,
) -> NumberScan:
    """Every candidate answer number in ``toks`` (rules in the module docstring)."""
    dens = _COMMON_DENOMINATORS | frozenset(denominators)
    units = _UNITS.get(lang, frozenset()) | _UNITS["en"]
    fillers = _FILLERS.get(lang, frozenset()) | _FILLERS["en"]
    den_words = _DENOMINATOR_WORDS.get(lang, ()) + _DENOMINATOR_WORDS["en"]
    vi_marked = lang == "vi" and any(t.kind == "word" and t.marked for t in toks)

    safe: list[int] = []
    risky: list[int] = []
    consumed: set[int] = set()
    unclear = False
    total_digits = 0
    only_fillers = True  # every word is a filler or a risky number (for the risky rule)
    word_count = 0

    def value_at(j: int) -> int | None:
        """Value of a plain number (digits or word) at j, for denominators."""
        if j >= len(toks):
            return None
        t = toks[j]
        if t.kind == "num":
            # bounded length: int() refuses over 4,300 digits, and no scale is that long
            return int(t.raw) if t.raw.isdigit() and len(t.raw) <= 3 else None
        hit = word_number(t, lang, vi_marked, False)
        return hit[0] if hit else None

    def is_quantity(i: int) -> bool:
        """Consume what follows the value at i: a unit (True: not an answer) or a
        denominator ("/5", "out of 5": False, the value stands)."""
        j = i + 1
        if j < len(toks) and toks[j].kind == "word" and toks[j].plain in units:
            # Hmong "hnub qub" is a star, "hnub" alone a day
            if not (toks[j].plain == "hnub" and j + 1 < len(toks) and toks[j + 1].plain == "qub"):
                consumed.add(j)
                return True
        if j + 1 < len(toks) and toks[j].raw == "/":
            den = value_at(j + 1)
            if den is not None and den in dens:
                consumed.update((j, j + 1))
            return False
        for phrase in den_words:
            end = j + len(phrase)
            if tuple(t.plain for t in toks[j:end]) == phrase and value_at(end) is not None:
                consumed.update(range(j, end + 1))
                return False
        return False

    for i, tok in enumerate(toks):
        if i in consumed:
            continue
        if tok.kind == "word":
            word_count += 1
            hit = word_number(tok, lang, vi_marked, ordinals)
            if hit is None:
                if tok.plain not in fillers:
                    only_fillers = False
                continue
            if is_quantity(i):
                continue
            (risky if hit[1] else safe).append(hit[0])
            continue
        if tok.kind != "num":
            continue
        digits = sum(c.isdigit() for c in tok.raw)
        total_digits += digits
        if ":" in tok.raw:  # a clock time
            continue
        if is_quantity(i):  # before the checks below: "2.5 hours" is no unclear answer
            continue
        if digits > 3:
            unclear = True
            continue
        if tok.raw.isdigit():
            value = int(tok.raw)
        else:
            m = _INT_WITH_ZERO_DECIMALS.fullmatch(tok.raw)
            if m is None:
                unclear = True  # 4.5, 4,5, 1,600
                continue
            value = int(m.group(1))
        prev = toks[i - 1] if i else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if (prev is not None and prev.end == tok.start and prev.raw in _CURRENCY) or (
            nxt is not None and nxt.start == tok.end and nxt.raw == "%"
        ):
            unclear = True
            continue
        if (
            prev is not None
            and prev.raw in _MINUS
            and prev.end == tok.start
            and (i < 2 or toks[i - 2].end < prev.start or toks[i - 2].kind == "sym")
        ):
            value = -value  # "-1", but not the range "3-4"
        safe.append(value)

    if total_digits >= 7:
        unclear = True  # a phone number split into groups
    if safe or unclear:
        return NumberScan(_distinct(safe), unclear)
    if risky and only_fillers and word_count <= 8:
        return NumberScan(_distinct(risky), False)
    return NumberScan((), False)


def _distinct(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(values))


def parse_number(text: str, lang: str) -> int | None:
    """The one number a message states, in digits or words of ``lang`` or English.

    ``"I'd say 4"``, ``"4/5"``, ``"cuatro"``, ``"tsib"`` -> int; None when there is no
    number, several different ones, or something number-like that is not an answer
    (phone numbers, ``4.5``, ``80%``). Negative numbers are returned as such.
    """
    scan = scan_numbers(tokens(text), lang_key(lang))
    if scan.unclear or len(scan.values) != 1:
        return None
    return scan.values[0]


def parse_scale(text: str, lang: str, lo: int, hi: int, nps: bool) -> Parsed:
    """A number on ``lo``..``hi``: digits, words, stars, or a lone thumb (not on NPS)."""
    toks = tokens(text)
    scan = scan_numbers(toks, lang, denominators=(hi,))
    syms = [t.raw for t in toks if t.kind == "sym"]
    stars = sum(s in _STARS for s in syms)
    if scan.unclear:
        return Parsed("invalid", reason="unclear")
    if len(scan.values) > 1:
        return Parsed("invalid", reason="ambiguous")
    if scan.values:
        value = scan.values[0]
        if stars > 1 and stars != value:
            return Parsed("invalid", reason="ambiguous")
        if not lo <= value <= hi:
            return Parsed("invalid", reason="out_of_range")
        return Parsed("ok", value)
    if stars:
        if lo <= stars <= hi:
            return Parsed("ok", stars)
        return Parsed("invalid", reason="unclear")
    ups = sum(s in _THUMBS_UP for s in syms)
    downs = sum(s in _THUMBS_DOWN for s in syms)
    if (ups or downs) and not any(t.kind == "word" for t in toks):
        if ups and downs:
            return Parsed("invalid", reason="ambiguous")
        if nps:
            return Parsed("invalid", reason="unclear")
        return Parsed("ok", hi if ups else lo)
    return Parsed("invalid", reason="unclear")
