"""Turn what a client texted into a survey answer, in every supported language.

Clients answer in English (``en``), Spanish (``es``), Somali (``so``), Hmong (``hmn``,
White/Green Hmong RPA) and Vietnamese (``vi``), often without accents, often mixing in
English, from phones that add emoji, skin tones and stray control characters. This
module is pure (no I/O, no clock): the tables below are constants and every function
returns the same result for the same input.

The guiding rule is *a wrong answer is worse than a re-prompt*: a misread "2" on a
satisfaction rating raises a staff alert and corrupts the PHAB evidence, while an
``invalid`` result only costs the client one more text. So whenever a message could
mean two things the parser answers ``invalid`` with a short machine ``reason``:

``empty``         nothing but whitespace / control characters
``required``      a skip word on a question that is not optional
``out_of_range``  one clear number outside the scale (``"7"`` on 1-5, ``"-1"``)
``ambiguous``     several different answers (``"3 or 4"``, ``"yes and no"``)
``unclear``       no answer found, or one that looks like something else (phone number)

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
* Yes/no: a cue must be the whole message or lead it ("yes, it was fine"). A later
  *standalone* opposite cue makes it ambiguous ("yes and no", "no... yes"), a later
  "no" before a noun does not ("yes, no problems"). "1"/"2" are NOT yes/no: prompts
  never promise that convention. Unaccented Spanish "si" also means "if", so it only
  counts when followed by punctuation, a connector, another cue or nothing.
* Choices: exact label (client language, English) or value first, then the option
  number ("2", "#2", "option 2", "the second one"), then labels found as whole words,
  then one unique close misspelling (difflib ratio >= 0.8) for messages of up to 12
  words; all matches must agree.
* Skip words count only as the whole message. English skip/yes/no words are accepted
  in every language. ``info`` questions take no answer, so they always return ok.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from cfbot.text import fold, fold_phrase, strip_accents

__all__ = [
    "Parsed",
    "is_skip",
    "normalize",
    "parse_answer",
    "parse_choice",
    "parse_number",
    "parse_yesno",
]


@dataclass(frozen=True)
class Parsed:
    """Result of parsing one message: ``ok`` with a value, ``skip``, or ``invalid``."""

    status: str  # "ok" | "invalid" | "skip"
    value: int | str | None = None
    reason: str | None = None  # set when invalid: "empty", "out_of_range", "unclear", ...


class ChoiceLike(Protocol):
    """What the parser needs from a choice (see ``cfbot.flows.model.Choice``)."""

    @property
    def value(self) -> str: ...

    @property
    def text(self) -> Mapping[str, str]: ...


class QuestionLike(Protocol):
    """What the parser needs from a question (see ``cfbot.flows.model.Question``)."""

    @property
    def type(self) -> str: ...

    @property
    def min(self) -> int | None: ...

    @property
    def max(self) -> int | None: ...

    @property
    def choices(self) -> Sequence[ChoiceLike]: ...

    @property
    def optional(self) -> bool: ...


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
_YES_EMOJI = frozenset("👍✅✔☑")
_NO_EMOJI = frozenset("👎❌✖❎")


def _phrases(spec: str) -> list[tuple[str, ...]]:
    """ "of course, yes please" -> [("of", "course"), ("yes", "please")]."""
    # keys must look like tokens: casefolded NFKC (Vietnamese keeps its marks)
    spec = unicodedata.normalize("NFKC", spec.casefold())
    return [tuple(phrase.split()) for phrase in spec.split(",") if phrase.strip()]


def _cues(yes: str, no: str, neutral: str) -> dict[tuple[str, ...], str]:
    return {
        **dict.fromkeys(_phrases(neutral), ""),
        **dict.fromkeys(_phrases(yes), "yes"),
        **dict.fromkeys(_phrases(no), "no"),
    }


# Skip words: whole message only, compared after normalize().
_SKIP: dict[str, frozenset[str]] = {
    lang: frozenset(" ".join(p) for p in _phrases(spec))
    for lang, spec in {
        "en": "skip, pass, next, skip it, skip this, skip this one, skip please, "
        "next question, n/a",
        "es": "saltar, pasar, siguiente, paso, salta, siguiente pregunta",
        "so": "ka bood, bood, iska dhaaf",
        # "hla" = cross / pass over, "dhia" = jump over, "tsis teb" = (I) won't answer
        "hmn": "hla, hla mus, dhia, dhia mus, tsis teb",
        "vi": "bo qua, tiep, tiep theo",
    }.items()
}

# Yes/no cues, matched longest phrase first -> "yes" | "no" | "" (neutral: "I don't
# know", "maybe", which must never read as a no just because they start with "no" or
# "tsis"). Keys are accent-free except Vietnamese, where the marks disambiguate (có =
# yes, cô = she), so Vietnamese lists both the marked and the bare spelling.
_YESNO: dict[str, dict[tuple[str, ...], str]] = {
    "en": _cues(
        yes="yes, y, yeah, yea, ya, yah, yep, yup, yess, sure, ok, okay, okey, of course, "
        "definitely, absolutely, correct, yes please, affirmative, i did, i do",
        no="no, n, nope, nah, nop, noo, not really, never, no thanks, no thank you, "
        "not at all, no way, i did not, i didnt, i do not, i dont",
        neutral="not sure, idk, dont know, i dont know, maybe, no problem, no idea, dunno, "
        "kind of, sort of, i dont remember",
    ),
    "es": _cues(
        yes="si, sii, claro, claro que si, por supuesto, sip, asi es, correcto, vale, "
        "de acuerdo, simon",
        no="no, nunca, para nada, no gracias, nop, nel, claro que no, por supuesto que no, jamas",
        neutral="no se, no lo se, tal vez, quizas, quiza, no estoy seguro, "
        "no estoy segura, mas o menos, no me acuerdo",
    ),
    "so": _cues(
        yes="haa, haah, haye, waa sax, dabcan",
        no="maya",
        neutral="ma garanayo, ma hubo",
    ),
    # "tsis yog" (no) contains "yog" (yes): the longest phrase wins
    "hmn": _cues(
        yes="yog, yog lawm, aws",
        no="tsis yog, tsis, tsis muaj, tsis tau, tsis kam, tsis xav",
        neutral="tsis paub, los yog, tej zaum",
    ),
    "vi": _cues(
        yes="có, co, vâng, vang, đúng, dung, đúng rồi, dung roi, dạ, da, dạ có, da co, "
        "dạ vâng, da vang, ừ, có ạ, vâng ạ",
        no="không, khong, ko, k, kg, hong, không phải, khong phai, chưa, chua, "
        "dạ không, da khong, không có, khong co, không ạ",
        neutral="không biết, khong biet, ko biet, k biet, có thể, co the, có lẽ, co le",
    ),
}
# Cues too short or too overloaded to lead a sentence: they must stand alone.
_YESNO_ALONE = frozenset({"y", "n", "k", "kg", "da"})
# Unaccented "si" is also "if": it needs a break after it (an accented "sí" does not).
_YESNO_NEEDS_BREAK = frozenset({"si"})
_CONNECTORS = frozenset(
    "and or but y o pero iyo ama mise thiab los tab sis va hoac hay nhung".split()
)
_INTERJECTIONS = frozenset("oh um uh umm well hmm ah eh pues ay o".split())
_POLITE = frozenset("thanks thank gracias senor senora mahadsanid tsaug cam".split())

_LANG_ALIASES = {"mww": "hmn", "hnj": "hmn", "hmong": "hmn"}

# ---------------------------------------------------------------------- tokenizing

_INNER_APOSTROPHE = re.compile(r"(?<=\w)['’ʼ`](?=\w)")
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# Three disjoint alternatives, each a simple repetition: linear time on any input.
_TOKEN_RE = re.compile(rf"(?P<num>\d+(?:[.,:]\d+)*)|(?P<word>(?:[^\W\d_]|[{_MARKS}])+)|(?P<sym>\S)")
_INT_WITH_ZERO_DECIMALS = re.compile(r"(\d+)[.,]0+")
_ELONGATION = re.compile(r"(.)\1{2,}")


class _Tok(NamedTuple):
    # a NamedTuple, not a dataclass: a 1,600-char message makes ~1,000 of these
    kind: str  # "num" | "word" | "sym"
    raw: str  # casefolded NFKC, diacritics kept
    plain: str  # diacritics removed
    start: int
    end: int

    @property
    def marked(self) -> bool:
        return self.raw != self.plain


def normalize(text: str) -> str:
    """Canonical form for comparing words: :func:`cfbot.text.fold_phrase` keeping
    symbols at the ends (a lone "👍" is an answer). Never raises."""
    return fold_phrase(text, trim_symbols=False)


def _tokens(text: str) -> list[_Tok]:
    folded = _INNER_APOSTROPHE.sub(
        "", fold(text, keep_accents=True)
    )  # "don't" -> "dont", "i'd" -> "id"
    toks = []
    for m in _TOKEN_RE.finditer(folded):
        raw = m.group()
        kind = m.lastgroup or "sym"
        plain = strip_accents(raw) if kind == "word" else raw
        toks.append(_Tok(kind, raw, plain, m.start(), m.end()))
    return toks


def _lang(lang: str | None) -> str:
    key = (lang or "en").casefold().replace("_", "-").split("-")[0]
    return _LANG_ALIASES.get(key, key)


def _is_blank(text: str) -> bool:
    return all(c.isspace() or unicodedata.category(c)[0] == "C" for c in text)


# ------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class _NumberScan:
    values: tuple[int, ...]  # distinct candidate answers, in order of appearance
    unclear: bool  # saw something number-like that is no answer (phone, 4.5, 80%)


def _word_number(tok: _Tok, lang: str, vi_marked: bool, ordinals: bool) -> tuple[int, bool] | None:
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


def _scan_numbers(
    toks: Sequence[_Tok],
    lang: str,
    *,
    denominators: Iterable[int] = (),
    ordinals: bool = False,
) -> _NumberScan:
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
        hit = _word_number(t, lang, vi_marked, False)
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
            hit = _word_number(tok, lang, vi_marked, ordinals)
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
        return _NumberScan(_distinct(safe), unclear)
    if risky and only_fillers and word_count <= 8:
        return _NumberScan(_distinct(risky), False)
    return _NumberScan((), False)


def _distinct(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(values))


def parse_number(text: str, lang: str) -> int | None:
    """The one number a message states, in digits or words of ``lang`` or English.

    ``"I'd say 4"``, ``"4/5"``, ``"cuatro"``, ``"tsib"`` -> int; None when there is no
    number, several different ones, or something number-like that is not an answer
    (phone numbers, ``4.5``, ``80%``). Negative numbers are returned as such.
    """
    scan = _scan_numbers(_tokens(text), _lang(lang))
    if scan.unclear or len(scan.values) != 1:
        return None
    return scan.values[0]


def _parse_scale(text: str, lang: str, lo: int, hi: int, nps: bool) -> Parsed:
    toks = _tokens(text)
    scan = _scan_numbers(toks, lang, denominators=(hi,))
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


# -------------------------------------------------------------------------- yes/no


def _yesno_key(tok: _Tok, lang: str) -> str | None:
    if tok.kind == "sym":
        return None
    # Vietnamese diacritics carry meaning (có = yes, cô = aunt): keep them
    return tok.raw if lang == "vi" else tok.plain


def _match_cue(
    keys: Sequence[str | None], i: int, table: Mapping[tuple[str, ...], str]
) -> tuple[int, str] | None:
    """Longest phrase of ``table`` starting at i: (length, polarity)."""
    for n in range(min(4, len(keys) - i), 0, -1):
        phrase = keys[i : i + n]
        if any(k is None for k in phrase):
            continue
        hit = table.get(tuple(phrase))  # type: ignore[arg-type]
        if hit is None and n == 1:
            word = phrase[0] or ""
            # "yesss", "nooo", "siii": try the word with letter runs shortened
            for short in (_ELONGATION.sub(r"\1\1", word), _ELONGATION.sub(r"\1", word)):
                hit = table.get((short,))
                if hit is not None:
                    break
        if hit is not None:
            return n, hit
    return None


def _parse_yesno(text: str, lang: str) -> Parsed:
    toks = _tokens(text)
    if not toks:
        return Parsed("invalid", reason="empty")
    table = {**_YESNO["en"], **_YESNO.get(lang, {})}
    keys = [_yesno_key(t, lang) for t in toks]
    emoji = {
        ("yes" if t.raw in _YES_EMOJI else "no") for t in toks if t.raw in _YES_EMOJI | _NO_EMOJI
    }
    words = [i for i, t in enumerate(toks) if t.kind != "sym"]

    def breaks(j: int, polarity: str | None = None) -> bool:
        """True when position j ends a cue: end, punctuation/emoji, connector, another
        cue (of ``polarity`` if given: "si no me llamaron" is "if they did not call")."""
        if j >= len(toks) or toks[j].kind == "sym":
            return True
        if toks[j].plain in _CONNECTORS or toks[j].plain in _POLITE:
            return True
        cue = _match_cue(keys, j, table)
        return cue is not None and (polarity is None or cue[1] == polarity)

    first = next((i for i in words if toks[i].plain not in _INTERJECTIONS), None)
    lead = _match_cue(keys, first, table) if first is not None else None
    if lead is not None:
        assert first is not None
        n, polarity = lead
        key = keys[first]
        if n == 1 and key in _YESNO_ALONE and any(t.kind != "sym" for t in toks[first + 1 :]):
            lead = None
        elif n == 1 and key in _YESNO_NEEDS_BREAK and not toks[first].marked:
            if not breaks(first + 1, polarity):
                lead = None
    if lead is None:
        # no leading cue: a lone 👍/👎 (with at most a few words) still answers
        if len(emoji) == 1 and len(words) <= 3:
            return Parsed("ok", emoji.pop())
        return Parsed("invalid", reason="ambiguous" if len(emoji) > 1 else "unclear")
    assert first is not None
    n, polarity = lead
    if not polarity:
        return Parsed("invalid", reason="unclear")  # "no sé", "tsis paub", "maybe"
    seen = {polarity} | emoji
    j = first + n
    while j < len(toks):
        cue = _match_cue(keys, j, table) if keys[j] is not None else None
        if cue is None:
            j += 1
            continue
        m, other = cue
        # a later cue counts only when it stands alone ("yes and no", "no, yes"),
        # not as a determiner ("yes, no problems")
        if other and (j + m >= len(toks) or breaks(j + m)):
            seen.add(other)
        j += m
    if len(seen) > 1:
        return Parsed("invalid", reason="ambiguous")
    return Parsed("ok", polarity)


def parse_yesno(text: str, lang: str) -> str | None:
    """``"yes"`` or ``"no"`` when the message clearly says so, else None."""
    parsed = _parse_yesno(text, _lang(lang))
    return parsed.value if parsed.status == "ok" else None  # type: ignore[return-value]


# -------------------------------------------------------------------------- choices

_FUZZY_MIN_RATIO = 0.8
_FUZZY_MARGIN = 0.05
_FUZZY_MAX_WORDS = 12  # longer messages are free text, not a misspelt option
_FUZZY_MIN_LABEL = 4  # "WIC" ~ "wick": too short to guess at


def _canon_words(text: str) -> tuple[str, ...]:
    return tuple(t.plain for t in _tokens(text) if t.kind != "sym")


# Labels repeat on every message of a survey; the cache only memoises a pure function.
_canon_label = functools.lru_cache(maxsize=4096)(_canon_words)


def _find(words: Sequence[str], label: Sequence[str]) -> list[tuple[int, int]]:
    n = len(label)
    return [
        (i, i + n) for i in range(len(words) - n + 1) if tuple(words[i : i + n]) == tuple(label)
    ]


def _choice_labels(choices: Sequence[ChoiceLike], lang: str) -> list[tuple[tuple[str, ...], int]]:
    """(canonical words, choice index) for each label a client may type."""
    labels = []
    for idx, choice in enumerate(choices):
        texts = getattr(choice, "text", None) or {}
        value = str(getattr(choice, "value", ""))
        for label in (texts.get(lang), texts.get("en"), value, value.replace("_", " ")):
            canon = _canon_label(label) if isinstance(label, str) else ()
            if canon:
                labels.append((canon, idx))
    return labels


def _parse_choice(text: str, lang: str, choices: Sequence[ChoiceLike]) -> tuple[Parsed, bool]:
    """The parsed answer, and whether the whole message was exactly a label."""
    toks = _tokens(text)
    wtoks = [t for t in toks if t.kind != "sym"]
    words = tuple(t.plain for t in wtoks)
    if not toks:
        return Parsed("invalid", reason="empty"), False

    labels = _choice_labels(choices, lang)

    def pick(indices: set[int]) -> Parsed:
        if len(indices) > 1:
            return Parsed("invalid", reason="ambiguous")
        return Parsed("ok", str(choices[indices.pop()].value))

    exact = {idx for canon, idx in labels if canon == words}
    if exact:
        return pick(exact), True
    return _choice_by_content(toks, wtoks, words, lang, choices, labels, pick), False


def _choice_by_content(
    toks: list[_Tok],
    wtoks: list[_Tok],
    words: tuple[str, ...],
    lang: str,
    choices: Sequence[ChoiceLike],
    labels: list[tuple[tuple[str, ...], int]],
    pick: Callable[[set[int]], Parsed],
) -> Parsed:
    """Choice named by number, by a label inside the message, or by a misspelling."""

    # labels found as whole words; a match inside a longer match ("shots" inside
    # "flu shots") belongs to the longer one
    spans = [(span, idx) for canon, idx in labels for span in _find(words, canon)]
    kept: list[tuple[tuple[int, int], int]] = []
    # reach[i]: furthest end of an already seen (longer) span starting at or before i;
    # linear per distinct label length, so "shots shots shots ..." stays fast
    reach = [0] * (len(words) + 1)
    for length in sorted({b - a for (a, b), _ in spans}, reverse=True):
        group = [(span, idx) for span, idx in spans if span[1] - span[0] == length]
        kept += [(span, idx) for span, idx in group if reach[span[0]] < span[1]]
        for (a, b), _ in group:
            reach[a] = max(reach[a], b)
        for i in range(1, len(reach)):
            reach[i] = max(reach[i], reach[i - 1])
    by_label = {idx for _, idx in kept}
    covered = {wtoks[i].start for (a, b), _ in kept for i in range(a, b)}
    rest = [t for t in toks if t.start not in covered]
    scan = _scan_numbers(rest, lang, ordinals=True)
    by_number: set[int] = set()
    out_of_range = False
    if len(scan.values) > 1:
        return Parsed("invalid", reason="ambiguous")
    if scan.values and not scan.unclear:
        if 1 <= scan.values[0] <= len(choices):
            by_number.add(scan.values[0] - 1)
        else:
            out_of_range = True
    found = by_label | by_number
    if found:
        return pick(found)

    if words and len(words) <= _FUZZY_MAX_WORDS:
        best: dict[int, float] = {}
        for canon, idx in labels:
            label = " ".join(canon)
            if len(label) < _FUZZY_MIN_LABEL:
                continue
            n = len(canon)
            grams = {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
            grams.add(" ".join(words))
            for gram in grams:
                ratio = difflib.SequenceMatcher(None, gram, label, autojunk=False).ratio()
                best[idx] = max(best.get(idx, 0.0), ratio)
        ranked = sorted(best.values(), reverse=True)
        if ranked and ranked[0] >= _FUZZY_MIN_RATIO:
            if len(ranked) > 1 and ranked[0] - ranked[1] < _FUZZY_MARGIN:
                return Parsed("invalid", reason="ambiguous")
            top = max(best, key=lambda k: best[k])
            return Parsed("ok", str(choices[top].value))

    return Parsed("invalid", reason="out_of_range" if out_of_range else "unclear")


def parse_choice(text: str, lang: str, choices: Sequence[ChoiceLike]) -> str | None:
    """The ``value`` of the one choice the message names (by number, label, value or a
    close misspelling), else None."""
    parsed, _exact = _parse_choice(text, _lang(lang), tuple(choices))
    return parsed.value if parsed.status == "ok" else None  # type: ignore[return-value]


# ---------------------------------------------------------------------------- skip


def is_skip(text: str, lang: str) -> bool:
    """True when the whole message is a skip word of ``lang`` or English ("SKIP",
    "saltar", "ka bood", "hla", "bỏ qua")."""
    words = normalize(text)
    key = _lang(lang)
    return words in _SKIP["en"] or words in _SKIP.get(key, frozenset())


# -------------------------------------------------------------------------- answer


def parse_answer(question: QuestionLike, text: str, lang: str) -> Parsed:
    """Parse ``text`` as an answer to ``question`` typed by a client speaking ``lang``.

    Never raises on any string. Raises ValueError only for an unknown question type,
    which flow validation rules out.
    """
    qtype = question.type
    if qtype == "info":
        return Parsed("ok", None)  # nothing the client types can be wrong here
    if not isinstance(text, str):
        text = ""  # defensive: a missing Body must not crash the engine
    key = _lang(lang)
    choices = tuple(getattr(question, "choices", ()) or ())
    chosen = None
    if qtype == "choice":
        chosen, exact = _parse_choice(text, key, choices)
        if exact:
            return chosen  # an option the admin called "Pass" or "Next" beats the skip word
    if is_skip(text, key):
        if getattr(question, "optional", False):
            return Parsed("skip")
        return Parsed("invalid", reason="required")
    if _is_blank(text):
        return Parsed("invalid", reason="empty")
    if qtype in ("rating", "nps"):
        nps = qtype == "nps"
        lo = question.min if question.min is not None else (0 if nps else 1)
        hi = question.max if question.max is not None else (10 if nps else 5)
        return _parse_scale(text, key, lo, hi, nps)
    if qtype == "yesno":
        return _parse_yesno(text, key)
    if chosen is not None:
        return chosen
    if qtype == "text":
        return Parsed("ok", text.strip())
    raise ValueError(f"unknown question type {qtype!r}")
