"""Sentiment of survey replies and the dissatisfaction predicate.

English replies are scored by VADER plus our own survey rules (``cfbot/lexicons/en.yaml``):
plain VADER gives 0 to "the wait was too long" and a negative score to "I had no
issues", which is backwards for a feedback survey. Spanish, Somali, Hmong and
Vietnamese use our own lexicons with the same scale and normalisation as VADER, so one
threshold works for every language. Emoji are scored from one table for all languages.

The question is part of the input: "no" or "nothing" after "What could we improve?" is
not a complaint, and a bare topic ("the wait") after it is one. When a language has no
usable scorer for a text the result says ``needs_review`` instead of a silent 0.

Pure functions; lexicons and the VADER analyser are loaded once, lazily, thread-safely.
"""

from __future__ import annotations

import bisect
import math
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

from cfbot.services.lexmatch import WordPatterns
from cfbot.text import fold_aligned

__all__ = [
    "DEFAULT_TEXT_THRESHOLD",
    "LEXICON_LANGS",
    "SentimentResult",
    "is_dissatisfied",
    "score",
]

DEFAULT_TEXT_THRESHOLD = -0.3
LEXICON_LANGS = ("en", "es", "so", "hmn", "vi")

# VADER's constants, reused so our lexicon scores live on VADER's scale.
_ALPHA = 15.0  # normalisation: x / sqrt(x^2 + alpha)
_B_INCR = 0.293  # booster increment
_N_SCALAR = -0.74  # negation flips and damps
_CONTRAST_BEFORE, _CONTRAST_AFTER = 0.5, 1.5
# A specific complaint next to generic praise with no "but" is usually sarcasm or a
# polite wrapper ("great, another 3 hour wait"), so the praise counts half.
_SARCASM_DAMP = 0.1
_STRONG_COMPLAINT = -2.0
_CLAUSE_BREAKS = frozenset(".,;:!?\n…")
_CLAUSE_BREAK_RE = re.compile("[.,;:!?\n…]")
# Fallback order when the expected language finds nothing (clients mix languages).
_FALLBACK_ORDER = ("es", "vi", "so", "hmn")


@dataclass(frozen=True)
class SentimentResult:
    """Score of one reply.

    ``score`` is in -1..1 (None when ``needs_review``); ``method`` names the scorer
    ("vader+rules", "lexicon-es", "emoji", "answer", "none"); ``signals`` lists what
    fired, for staff and for debugging.
    """

    score: float | None
    needs_review: bool
    method: str
    signals: tuple[str, ...] = ()


# --------------------------------------------------------------------------- tokens


_TOKEN_RE = re.compile(r"\S+")


class _Tokens:
    """The words of a folded reply; their positions and the clause breaks of the
    original are worked out on first use (only a lexicon match needs them)."""

    __slots__ = ("_breaks", "_folded", "_original", "_spans", "words")

    def __init__(self, folded: str, original: str) -> None:
        self._folded, self._original = folded, original
        # folded text has only letters, digits, "'" and " ": split() gives the \S+ runs;
        # "'" alone or at the edges is quoting, not part of the word
        words = [w.strip("'") for w in folded.split()]
        self.words = [w for w in words if w] if "" in words else words
        self._spans: tuple[list[int], list[int]] | None = None
        self._breaks: list[int] | None = None

    def _positions(self) -> tuple[list[int], list[int]]:
        if self._spans is None:
            found = [m for m in _TOKEN_RE.finditer(self._folded) if m.group().strip("'")]
            self._spans = [m.start() for m in found], [m.end() for m in found]
        return self._spans

    starts = property(lambda self: self._positions()[0])
    ends = property(lambda self: self._positions()[1])

    @property
    def breaks(self) -> list[int]:
        """Positions of clause punctuation in the original."""
        if self._breaks is None:
            self._breaks = [m.start() for m in _CLAUSE_BREAK_RE.finditer(self._original)]
        return self._breaks


# --------------------------------------------------------------------------- lexicons


def _alt(items: list[str] | tuple[str, ...]) -> str:
    """Alternation of literal phrases, longest first so the longest wins."""
    return "|".join(re.escape(i) for i in sorted(items, key=len, reverse=True))


def _strs(items: Any, where: str) -> list[str]:
    """Validate a YAML list of words; bare ``no``/``on`` would load as booleans."""
    out = list(items or ())
    for i in out:
        if not isinstance(i, str):
            raise ValueError(f"{where}: {i!r} is not a string (quote it in the YAML)")
    return out


def _phrases(items: Any, where: str = "lexicon") -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(i.split()) for i in _strs(items, where))


@dataclass(frozen=True)
class _Lexicon:
    lang: str
    status: str
    review_min_tokens: int
    negators: frozenset[tuple[str, ...]]
    negation_window: int
    boosters: frozenset[tuple[str, ...]]
    boosters_after: frozenset[tuple[str, ...]]
    dampeners: frozenset[tuple[str, ...]]
    contrast: frozenset[tuple[str, ...]]
    contrast_first: frozenset[str]  # first words of ``contrast``, to skip the rest fast
    wish_markers: frozenset[str]
    function_words: frozenset[str]
    terms: WordPatterns | None
    term_valences: tuple[float, ...]
    topics: WordPatterns | None
    topic_valences: tuple[float, ...]
    duration_re: re.Pattern[str] | None
    wait_re: re.Pattern[str] | None
    numbers: dict[str, int]
    hour_units: re.Pattern[str] | None
    raw: dict[str, Any]


def _compile_weighted(
    mapping: dict[str, float] | None, where: str
) -> tuple[WordPatterns | None, tuple[float, ...]]:
    """The entries as whole words, longest first; a match names the entry it found."""
    if not mapping:
        return None, ()
    items = sorted(mapping.items(), key=lambda kv: len(kv[0]), reverse=True)
    for pattern, valence in items:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{where}: bad pattern {pattern!r}: {exc}") from exc
        if compiled.groups:
            raise ValueError(f"{where}: pattern {pattern!r} has a capturing group; use (?:...)")
        if not isinstance(valence, int | float):
            raise ValueError(f"{where}: valence of {pattern!r} must be a number")
    return WordPatterns([p for p, _ in items], indexed=True), tuple(float(v) for _, v in items)


def _load_yaml(name: str) -> dict[str, Any]:
    text = resources.files("cfbot.lexicons").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"lexicons/{name}: expected a mapping")
    return data


@cache
def _lexicon(lang: str) -> _Lexicon | None:
    if lang not in LEXICON_LANGS:
        return None
    name = f"{lang}.yaml"
    d = _load_yaml(name)
    terms, term_vals = _compile_weighted(d.get("terms"), f"lexicons/{name} terms")
    topics, topic_vals = _compile_weighted(d.get("topics"), f"lexicons/{name} topics")
    dur = d.get("durations") or {}
    numbers = {str(k): int(v) for k, v in (dur.get("numbers") or {}).items()}
    duration_re = wait_re = hour_units = None
    if dur.get("hours") or dur.get("minutes"):
        units = "|".join(list(dur.get("hours") or []) + list(dur.get("minutes") or []))
        num = r"\d+" + (f"|{_alt(list(numbers))}" if numbers else "")
        duration_re = re.compile(rf"(?<!\w)({num})(?: ?(?:-|to|a|o) ?\d+)? ?(?:{units})(?!\w)")
        hour_units = re.compile(rf"(?:{'|'.join(dur.get('hours') or ['$^'])})$")
        if dur.get("wait_words"):
            wait_re = re.compile(rf"(?<!\w)(?:{'|'.join(dur['wait_words'])})(?!\w)")
    return _Lexicon(
        lang=lang,
        status=str(d.get("status", "provisional")),
        review_min_tokens=int(d.get("review_min_tokens", 1)),
        negators=_phrases(d.get("negators")),
        negation_window=int(d.get("negation_window", 3)),
        boosters=_phrases(d.get("boosters")),
        boosters_after=_phrases(d.get("boosters_after")),
        dampeners=_phrases(d.get("dampeners")),
        contrast=_phrases(d.get("contrast")),
        contrast_first=frozenset(p[0] for p in _phrases(d.get("contrast")) if p),
        wish_markers=frozenset(_strs(d.get("wish_markers"), f"lexicons/{name} wish_markers")),
        function_words=frozenset(d.get("function_words") or ()),
        terms=terms,
        term_valences=term_vals,
        topics=topics,
        topic_valences=topic_vals,
        duration_re=duration_re,
        wait_re=wait_re,
        numbers=numbers,
        hour_units=hour_units,
        raw=d,
    )


@dataclass(frozen=True)
class _Answers:
    """Whole-reply answers, pooled over all languages because clients mix."""

    nothing_re: re.Pattern[str]
    everything_re: re.Pattern[str]
    thanks_re: re.Pattern[str]
    particle_re: re.Pattern[str]
    interjection_re: re.Pattern[str]
    improve_re: re.Pattern[str]
    wrong_re: re.Pattern[str]
    neutral_re: re.Pattern[str]


@cache
def _answers() -> _Answers:
    nothing: set[str] = set()
    everything: set[str] = set()
    thanks: set[str] = set()
    interjections: set[str] = set()
    neutral: set[str] = set()
    improve: list[str] = []
    wrong: list[str] = []
    for lang in LEXICON_LANGS:
        lex = _lexicon(lang)
        assert lex is not None
        ans = lex.raw.get("answers") or {}
        where = f"lexicons/{lang}.yaml answers"
        nothing.update(_strs(ans.get("nothing"), where))
        everything.update(_strs(ans.get("everything"), where))
        thanks.update(_strs(ans.get("thanks"), where))
        interjections.update(_strs(ans.get("interjections"), where))
        neutral.update(" ".join(fold_aligned(w).split()) for w in _strs(ans.get("neutral"), where))
        q = lex.raw.get("questions") or {}
        improve.extend(q.get("improve") or ())
        wrong.extend(q.get("wrong") or ())
    n, e, t = _alt(sorted(nothing)), _alt(sorted(everything)), _alt(sorted(thanks))
    return _Answers(
        nothing_re=re.compile(rf"^(?:{n})(?: (?:{n}))*$"),
        everything_re=re.compile(rf"^(?:{e})$"),
        thanks_re=re.compile(rf"(?<!\w)(?:{t})(?!\w)"),
        # "no, the wait was too long": a leading answer word before a comma
        particle_re=re.compile(rf"^\s*(?:{n})(?!\w)"),
        interjection_re=re.compile(rf"^\s*(?:{_alt(sorted(interjections)) or '$^'})(?!\w)"),
        improve_re=re.compile(rf"(?<!\w)(?:{'|'.join(improve)})(?!\w)"),
        wrong_re=re.compile(rf"(?<!\w)(?:{'|'.join(wrong)})(?!\w)"),
        neutral_re=re.compile(rf"^(?:{_alt(sorted(neutral)) or '$^'})$"),
    )


@lru_cache(maxsize=256)
def _question_kind(question: str | None) -> str | None:
    """'wrong', 'improve' or None; questions repeat, so this is cached."""
    if not question:
        return None
    q = " ".join(fold_aligned(question).split())
    ans = _answers()
    if ans.wrong_re.search(q):
        return "wrong"
    if ans.improve_re.search(q):
        return "improve"
    return None


# --------------------------------------------------------------------------- emoji

_EMOJI_JUNK = re.compile("[\ufe0f\ufe0e\u200d\U0001f3fb-\U0001f3ff]")


@cache
def _emoji_tables() -> tuple[dict[str, float], re.Pattern[str]]:
    d = _load_yaml("emoji.yaml")
    emoji = {str(k): float(v) for k, v in (d.get("emoji") or {}).items()}
    emoticons = {str(k): float(v) for k, v in (d.get("emoticons") or {}).items()}
    emo_re = re.compile(
        rf"(?<![\w:;]){'|'.join(map(re.escape, sorted(emoticons, key=len, reverse=True)))}(?![\w)(])"
    )
    emoji.update({f"emoticon:{k}": v for k, v in emoticons.items()})
    return emoji, emo_re


def _extract_emoji(text: str, *, emoticons: bool) -> tuple[float, list[str], str]:
    """Sum of emoji valences, their signals, and ``text`` with them blanked (same length)."""
    table, emo_re = _emoji_tables()
    total = 0.0
    signals: list[str] = []
    if not text or max(text) < "\u2000":
        out = text  # no emoji and nothing for _EMOJI_JUNK: below U+2000
    else:
        chars = list(_EMOJI_JUNK.sub(" ", text))
        for i, ch in enumerate(chars):
            if ord(ch) < 0x2000:
                continue
            v = table.get(ch)
            if v is not None:
                total += v
                signals.append(f"emoji:{ch}")
                chars[i] = " "
        out = "".join(chars)
    if emoticons and (":" in out or "<" in out):
        for m in emo_re.finditer(out):
            total += table[f"emoticon:{m.group()}"]
            signals.append(f"emoji:{m.group()}")
        out = emo_re.sub(lambda m: " " * len(m.group()), out)
    return total, signals, out


# --------------------------------------------------------------------------- clock times

# "got there at 9, seen at 11:40", "llegamos a las 8 y salimos a las 12": two clock
# times in one reply, the later one 45 minutes to 6 hours after the first, is a wait.
_CLOCK_RE = re.compile(
    r"(?<![\w:])(?:(?P<hm>\d{1,2}):(?P<mm>[0-5]\d)|(?:(?<=at )|(?<=by )|(?<=til )|(?<=till )"
    r"|(?<=until )|(?<=from )|(?<=las )|(?<=luc )|(?<=saacadda )|(?<=thaum )|(?<=hasta )"
    r"|(?<=desde )|(?<=around ))(?P<h>\d{1,2})(?! ?(?:min|minutes?|hours?|hrs?|horas?|minutos?|"
    r"days?|dias?|kids?|people|times?|calls?|weeks?|months?))|(?P<h2>\d{1,2}) ?(?:am|pm|a m|p m|"
    r"oclock|o clock))(?!\w)|(?<!\w)(?P<noon>noon|mediodia|midday)(?!\w)"
)
_CLOCK_MIN_WAIT, _CLOCK_MAX_WAIT = 45, 6 * 60
_CLOCK_HINT = re.compile(r"\d|noon|mediodia|midday")


def _clock_wait(folded: str) -> int | None:
    """Minutes between the first and last clock time in ``folded`` when it looks like a
    wait (45 min .. 6 h, a 12-hour clock assumed), else None."""
    if not _CLOCK_HINT.search(folded):
        return None  # every clock time has a digit or is noon
    times: list[int] = []
    for m in _CLOCK_RE.finditer(folded):
        if m.group("noon"):
            times.append(12 * 60)
            continue
        h = m.group("hm") or m.group("h") or m.group("h2")
        mins = int(m.group("mm") or 0)
        hour = int(h)
        if hour > 23 or hour == 0:
            continue
        times.append((hour % 12) * 60 + mins)
    if len(times) < 2:
        return None
    span = times[-1] - times[0]
    if span < 0:
        span += 12 * 60
    return span if _CLOCK_MIN_WAIT <= span <= _CLOCK_MAX_WAIT else None


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    valence: float
    signal: str


def _phrase_before(tok: _Tokens, j: int, phrases: frozenset[tuple[str, ...]]) -> int:
    """Length (in tokens) of a phrase from ``phrases`` ending at token ``j``, or 0."""
    for n in (3, 2, 1):
        if j - n + 1 >= 0 and tuple(tok.words[j - n + 1 : j + 1]) in phrases:
            return n
    return 0


def _phrase_after(tok: _Tokens, j: int, phrases: frozenset[tuple[str, ...]]) -> int:
    for n in (2, 1):
        if j + n <= len(tok.words) and tuple(tok.words[j : j + n]) in phrases:
            return n
    return 0


def _break_between(tok: _Tokens, left: int, right: int) -> bool:
    i = bisect.bisect_left(tok.breaks, left)
    return i < len(tok.breaks) and tok.breaks[i] < right


def _contrast_pos(lex: _Lexicon, tok: _Tokens) -> int | None:
    first = lex.contrast_first
    for j, w in enumerate(tok.words):
        if w in first and _phrase_after(tok, j, lex.contrast):
            return tok.starts[j]
    return None


def _weigh(lex: _Lexicon, tok: _Tokens, start: int, end: int, base: float) -> tuple[float, bool]:
    """Apply negation, boosters and dampeners around a matched span."""
    i0 = bisect.bisect_left(tok.starts, start)
    i1 = bisect.bisect_left(tok.starts, end) - 1
    inside = tok.words[i0 : i1 + 1]
    explicit = any(
        tuple(inside[k : k + n]) in lex.negators for n in (1, 2) for k in range(len(inside) - n + 1)
    )
    v = base
    boosts = 0
    damp = False
    # Boosters and dampeners count only when adjacent, possibly chained ("very very").
    j = i0 - 1
    while j >= 0 and not _break_between(tok, tok.ends[j], tok.starts[j + 1]):
        n = _phrase_before(tok, j, lex.boosters)
        if n:
            boosts += 1
        else:
            n = _phrase_before(tok, j, lex.dampeners)
            if not n:
                break
            damp = True
        j -= n
    # Negation reaches a few words back, but not across punctuation or "but".
    negated = False
    if not explicit:
        j, right = i0 - 1, start
        while j >= 0 and i0 - 1 - j < lex.negation_window:
            if _break_between(tok, tok.ends[j], right) or _phrase_before(tok, j, lex.contrast):
                break
            n = _phrase_before(tok, j, lex.negators)
            if n:
                k = j - n
                negated = not (k >= 0 and tok.words[k] in lex.wish_markers)
                break
            right = tok.starts[j]
            j -= 1
    if i1 + 1 < len(tok.words) and _phrase_after(tok, i1 + 1, lex.boosters_after):
        if not _break_between(tok, tok.ends[i1], tok.starts[i1 + 1]):
            boosts += 1
    if boosts:
        v += math.copysign(_B_INCR * min(boosts, 2), v)
    if damp:
        v *= 0.5
    if negated:
        v *= _N_SCALAR
    return v, negated


def _overlaps(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    return any(s < b and a < e for a, b in spans)


def _match(lex: _Lexicon, folded: str, tok: _Tokens, qkind: str | None) -> list[_Hit]:
    """Lexicon terms, question-dependent topics and waiting durations in ``folded``."""
    hits: list[_Hit] = []
    spans: list[tuple[int, int]] = []

    def add(m: re.Match[str], base: float, label: str) -> None:
        v, negated = _weigh(lex, tok, m.start(), m.end(), base)
        sig = f"{lex.lang}:{label}{' (negated)' if negated else ''}"
        hits.append(_Hit(m.start(), m.end(), v, sig))
        spans.append((m.start(), m.end()))

    if lex.terms is not None:
        for m, i in lex.terms.find(folded):
            add(m, lex.term_valences[i], m.group().strip())
    if lex.duration_re is not None:
        waiting = qkind is not None or (lex.wait_re is not None and lex.wait_re.search(folded))
        if waiting:
            for m in lex.duration_re.finditer(folded):
                if _overlaps(spans, m.start(), m.end()):
                    continue
                n_txt = m.group(1)
                n = int(n_txt) if n_txt.isdigit() else lex.numbers.get(n_txt, 1)
                unit = m.group().split()[-1] if " " in m.group() else m.group()
                is_hours = lex.hour_units is not None and bool(lex.hour_units.search(unit))
                if is_hours or n >= 60:
                    base = -2.6
                elif n >= 30:
                    base = -2.0
                else:
                    continue
                add(m, base, f"waited {m.group().strip()}")
    if qkind is not None and lex.topics is not None:
        for m, i in lex.topics.find(folded):
            if not _overlaps(spans, m.start(), m.end()):
                add(m, lex.topic_valences[i], f"topic:{m.group().strip()}")
    cpos = _contrast_pos(lex, tok) if hits else None
    if cpos is not None:
        hits = [
            _Hit(
                h.start,
                h.end,
                h.valence * (_CONTRAST_BEFORE if h.end <= cpos else _CONTRAST_AFTER),
                h.signal,
            )
            for h in hits
        ]
    return hits


# --------------------------------------------------------------------------- VADER

_vader_lock = threading.Lock()
_vader_instance: Any = None


def _vader() -> Any:
    """The shared VADER analyser, built on first use (double-checked under a lock)."""
    global _vader_instance
    if _vader_instance is None:
        with _vader_lock:
            if _vader_instance is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _vader_instance = SentimentIntensityAnalyzer()
    return _vader_instance


def vader_compound(text: str) -> float:
    """Plain VADER compound score (the baseline the benchmarks compare against)."""
    return float(_vader().polarity_scores(text)["compound"])


def _unnormalize(c: float) -> float:
    """Invert VADER's x/sqrt(x^2+15) so VADER's sum can be added to ours."""
    c = max(-0.9999, min(0.9999, c))
    return c * math.sqrt(_ALPHA / (1.0 - c * c))


def _normalize(x: float) -> float:
    return max(-1.0, min(1.0, x / math.sqrt(x * x + _ALPHA)))


# --------------------------------------------------------------------------- scoring


@dataclass
class _Partial:
    """What one language's scorer found in a text."""

    pos: float = 0.0
    neg: float = 0.0
    signals: list[str] | None = None
    strong_complaint: bool = False
    has_contrast: bool = False
    vader: float | None = None  # English only: VADER on the unmatched rest


def _norm_lang(lang: str | None) -> str:
    return (lang or "").strip().lower().replace("_", "-").split("-")[0]


def _collect(
    lex: _Lexicon, text: str, folded: str, tok: _Tokens, qkind: str | None, *, use_vader: bool
) -> _Partial:
    hits = _match(lex, folded, tok, qkind)
    part = _Partial(signals=[h.signal for h in hits])
    for h in hits:
        if h.valence >= 0:
            part.pos += h.valence
        else:
            part.neg += h.valence
    part.strong_complaint = any(h.valence <= _STRONG_COMPLAINT for h in hits)
    part.has_contrast = bool(hits) and _contrast_pos(lex, tok) is not None
    if use_vader:
        chars = list(text)
        for h in hits:
            chars[h.start : h.end] = " " * (h.end - h.start)
        rest = "".join(chars)
        part.vader = vader_compound(rest) if rest.strip() else 0.0
    return part


def _combine(part: _Partial, extra: float) -> tuple[float, bool]:
    """Add VADER's (un-normalised) sum, our hits and emoji; returns (score, damped)."""
    if not part.signals and not extra and part.vader is not None:
        return part.vader, False  # nothing of ours fired: exactly VADER
    pos, neg = part.pos, part.neg
    vraw = _unnormalize(part.vader) if part.vader else 0.0
    damped = False
    if part.strong_complaint and not part.has_contrast:
        if vraw > 0:
            vraw *= _SARCASM_DAMP
            damped = True
        if pos > 0:
            pos *= _SARCASM_DAMP
            damped = True
        if extra > 0:
            extra *= _SARCASM_DAMP
            damped = True
    return _normalize(vraw + pos + neg + extra), damped


def _foreign_script(folded: str) -> bool:
    if folded.isascii():
        return False  # folded is lower case: its letters, if any, are all a-z
    letters = [c for c in folded if c.isalpha()]
    if not letters:
        return False
    latin = sum(1 for c in letters if "a" <= c <= "z")
    return latin / len(letters) < 0.5


def _looks_english(tok: _Tokens) -> bool:
    en = _lexicon("en")
    assert en is not None
    n = sum(1 for w in tok.words if w in en.function_words)
    return n >= 2 or (n >= 1 and len(tok.words) <= 2)


def score(text: str, lang: str, question: str | None = None) -> SentimentResult:
    """Score one reply in ``lang`` to ``question`` (the prompt the client answered).

    English: VADER plus survey rules. es/so/hmn/vi: our lexicons. Emoji count in every
    language. Returns ``needs_review=True`` (score None) when the language has no
    lexicon, or the text is substantive but nothing in it is recognised.
    """
    text = unicodedata.normalize("NFC", text or "")
    code = _norm_lang(lang)
    lex = _lexicon(code)
    qkind = _question_kind(question)
    q_sig = [f"question:{qkind}"] if qkind else []

    emoji_val, emoji_sig, body = _extract_emoji(text, emoticons=code != "en")
    folded = fold_aligned(body)
    tok = _Tokens(folded, body)
    words = tok.words

    if not any(map(str.isalpha, "".join(words))):
        if emoji_sig:
            return SentimentResult(_normalize(emoji_val), False, "emoji", tuple(emoji_sig))
        return SentimentResult(0.0, False, "none", ("empty",))

    # Whole-reply answers: "no", "nada", "tsis muaj, ua tsaug", "everything".
    ans = _answers()
    joined = " ".join(words)
    has_thanks = bool(ans.thanks_re.search(joined))
    core = " ".join(ans.thanks_re.sub(" ", joined).split())
    if not core and has_thanks:
        raw = 1.5 + emoji_val
        return SentimentResult(_normalize(raw), False, "answer", ("answer:thanks", *emoji_sig))
    if core and ans.nothing_re.match(core):
        raw = (1.5 if has_thanks else 0.0) + emoji_val
        sig = ("answer:nothing", *q_sig, *emoji_sig)
        return SentimentResult(_normalize(raw), False, "answer", sig)
    if qkind is not None and ans.everything_re.match(core):
        sig = ("answer:everything", *q_sig, *emoji_sig)
        return SentimentResult(_normalize(-2.6 + emoji_val), False, "answer", sig)

    # "no, ..." / "nada, ...": the leading word answers the question; it is not a
    # negative word (VADER scores "no" at -1.2).
    particle = ans.particle_re.match(folded)
    if particle and body[particle.end() :].lstrip()[:1] not in _CLAUSE_BREAKS | {"-"}:
        particle = ans.interjection_re.match(folded)
    signals: list[str] = []
    if particle:
        n = particle.end()
        body = " " * n + body[n:]
        folded = " " * n + folded[n:]
        tok = _Tokens(folded, body)
        signals.append("answer:leading-nothing")

    if _foreign_script(folded) and not emoji_sig:
        return SentimentResult(None, True, "none", ("foreign-script",))

    waited = _clock_wait(" ".join(folded.split())) if _CLOCK_HINT.search(folded) else None
    if waited is None and ":" in body:
        # folding turned "8:15" into "8 15": read the clock times from the reply itself
        waited = _clock_wait(" ".join(body.lower().split()))
    if waited is not None:
        emoji_val += -2.6
        emoji_sig = [*emoji_sig, f"clock-span:{waited}min"]

    candidates: list[tuple[str, _Lexicon, bool]] = []
    if lex is not None:
        candidates.append((code, lex, code == "en"))
    if code != "en" and _looks_english(tok):
        candidates.append(("en", _lexicon("en"), True))  # type: ignore[arg-type]  # English and the fallback lexicons always exist
    for other in _FALLBACK_ORDER:
        if other != code:
            candidates.append((other, _lexicon(other), False))  # type: ignore[arg-type]  # English and the fallback lexicons always exist

    for idx, (cand_lang, cand, use_vader) in enumerate(candidates):
        part = _collect(cand, body, folded, tok, qkind, use_vader=use_vader)
        if not part.signals and not part.vader:
            continue
        value, damped = _combine(part, emoji_val)
        method = "vader+rules" if use_vader else f"lexicon-{cand_lang}"
        found = list(signals) + q_sig + (part.signals or [])
        if use_vader and part.vader:
            found.append(f"vader:{part.vader:+.3f}")
        found += emoji_sig
        if damped:
            found.append("praise-damped")
        if idx > 0:
            found.append(f"fallback:{cand_lang}")
        return SentimentResult(value, False, method, tuple(found))

    if emoji_sig:
        method = "emoji" if not any(s.startswith("clock-span") for s in emoji_sig) else "clock"
        return SentimentResult(_normalize(emoji_val), False, method, tuple(emoji_sig))
    if particle:
        # the reply opened with "no"/"nada" and the rest is unknown: not a complaint
        return SentimentResult(0.0, False, "answer", tuple(signals + q_sig))
    if core and ans.neutral_re.match(core):
        # a plain short answer ("ok", "n/a", "no sé"): neutral, nothing to review
        return SentimentResult(0.0, False, "answer", ("answer:neutral", *q_sig))
    # Never a silent zero: substantive text (English included, gibberish included)
    # that nothing recognised goes to a person.
    why = "no-lexicon" if lex is None else "no-match"
    return SentimentResult(None, True, "none", (why, *q_sig))


def is_dissatisfied(
    *,
    qtype: str,
    value: object,
    # named like the flow format's keys, shadowing the builtins on purpose
    min: int | None = None,
    max: int | None = None,
    sentiment: float | None = None,
    threshold: float = DEFAULT_TEXT_THRESHOLD,
) -> bool:
    """Default dissatisfaction rule for one answer (see :mod:`cfbot.flows.questions`).

    rating: ``value`` in the lowest two points of [min, max] (default 1..5; on a scale
    of three points or fewer only the lowest point). nps: 0..6. text: ``sentiment`` at
    or below ``threshold``. yesno, choice and info never count by themselves.
    """
    from cfbot.flows.questions import is_dissatisfied as type_rule

    return type_rule(qtype, value, min=min, max=max, sentiment=sentiment, threshold=threshold)
