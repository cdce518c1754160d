"""Shared pieces of answer parsing: the result, tokens, languages and skip words.

Also :class:`QuestionType`, the base every question type module implements (see
:mod:`cfbot.flows.questions`). Pure: no I/O, no clock.

* Skip words count only as the whole message. English skip/yes/no words are accepted
  in every language.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Protocol

from cfbot.text import fold, fold_phrase, strip_accents

if TYPE_CHECKING:  # the builder imports the registry, so only for annotations
    from cfbot.flows.question_builder import QuestionSpec


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


def phrases(spec: str) -> list[tuple[str, ...]]:
    """ "of course, yes please" -> [("of", "course"), ("yes", "please")]."""
    # keys must look like tokens: casefolded NFKC (Vietnamese keeps its marks)
    spec = unicodedata.normalize("NFKC", spec.casefold())
    return [tuple(phrase.split()) for phrase in spec.split(",") if phrase.strip()]


# Skip words: whole message only, compared after normalize().
_SKIP: dict[str, frozenset[str]] = {
    lang: frozenset(" ".join(p) for p in phrases(spec))
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
_LANG_ALIASES = {"mww": "hmn", "hnj": "hmn", "hmong": "hmn"}

# ---------------------------------------------------------------------- tokenizing

_INNER_APOSTROPHE = re.compile(r"(?<=\w)['’ʼ`](?=\w)")
_MARKS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
# Three disjoint alternatives, each a simple repetition: linear time on any input.
_TOKEN_RE = re.compile(rf"(?P<num>\d+(?:[.,:]\d+)*)|(?P<word>(?:[^\W\d_]|[{_MARKS}])+)|(?P<sym>\S)")
ELONGATION = re.compile(r"(.)\1{2,}")


class Tok(NamedTuple):
    """One token of a message: a number, a word or a symbol."""

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


def tokens(text: str) -> list[Tok]:
    """Tokens of ``text``, casefolded; inner apostrophes dropped ("don't" -> "dont")."""
    folded = _INNER_APOSTROPHE.sub(
        "", fold(text, keep_accents=True)
    )  # "don't" -> "dont", "i'd" -> "id"
    toks = []
    for m in _TOKEN_RE.finditer(folded):
        raw = m.group()
        kind = m.lastgroup or "sym"
        plain = strip_accents(raw) if kind == "word" else raw
        toks.append(Tok(kind, raw, plain, m.start(), m.end()))
    return toks


def lang_key(lang: str | None) -> str:
    """The language code the answer tables use (``es-MX`` -> ``es``, ``mww`` -> ``hmn``)."""
    key = (lang or "en").casefold().replace("_", "-").split("-")[0]
    return _LANG_ALIASES.get(key, key)


def is_blank(text: str) -> bool:
    """True when ``text`` is only whitespace and control characters."""
    return all(c.isspace() or unicodedata.category(c)[0] == "C" for c in text)


def is_skip(text: str, lang: str) -> bool:
    """True when the whole message is a skip word of ``lang`` or English ("SKIP",
    "saltar", "ka bood", "hla", "bỏ qua")."""
    words = normalize(text)
    key = lang_key(lang)
    return words in _SKIP["en"] or words in _SKIP.get(key, frozenset())


def skip_or_blank(question: QuestionLike, text: str, lang: str) -> Parsed | None:
    """The answer when the message is a skip word or blank, else None (parse it)."""
    if is_skip(text, lang):
        if getattr(question, "optional", False):
            return Parsed("skip")
        return Parsed("invalid", reason="required")
    if is_blank(text):
        return Parsed("invalid", reason="empty")
    return None


def as_number(value: object) -> float | None:
    """A stored answer as a number (None for booleans, text and NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        num = float(value)  # type: ignore[arg-type]  # anything float() takes; errors below
    except (TypeError, ValueError):
        return None
    return None if math.isnan(num) else num


def not_a_value(question: QuestionLike, literal: object, values: Sequence[str]) -> str | None:
    """A warning when ``literal`` is none of ``values`` (compared ignoring case)."""
    if isinstance(literal, int | float) or str(literal).casefold() not in {
        v.casefold() for v in values
    }:
        ref = getattr(question, "id", "")
        return f"{literal!r} is not one of {ref!r}'s values ({', '.join(values)})"
    return None


class QuestionType:
    """One question type: its YAML keys, validation, parsing, prompt and default alert.

    A type module subclasses this and overrides what differs; instances are stateless
    and listed in :data:`cfbot.flows.questions.REGISTRY`.
    """

    #: the ``type:`` value in flow files
    name: ClassVar[str] = ""
    #: question keys only this type accepts (``min``/``max``, ``choices``...)
    keys: ClassVar[tuple[str, ...]] = ()
    #: False for a message that takes no answer (``info``)
    waits: ClassVar[bool] = True
    #: True when answers get a sentiment score (``sentiment(id)`` conditions)
    scored: ClassVar[bool] = False

    def build(self, spec: QuestionSpec) -> dict[str, Any]:
        """Validate this type's keys in ``spec``; return the Question fields they set."""
        return {}

    def parse(self, question: QuestionLike, text: str, lang: str) -> Parsed:
        """Parse ``text`` (a str, ``lang`` already normalised) as an answer."""
        raise NotImplementedError

    def render(self, question: Any, body: str, label: Callable[[Any], str]) -> str:
        """The message that asks ``question``: ``body`` plus what the type adds (choice
        lists); ``label(choice)`` gives a choice's text in the client's language."""
        return body

    def literal_warning(self, question: QuestionLike, op: str, literal: object) -> str | None:
        """Why ``answer <op> literal`` can never be true for ``question``, if it cannot."""
        return None

    def is_dissatisfied(
        self,
        value: object,
        *,
        # named like the flow format's keys, shadowing the builtins on purpose
        min: int | None = None,
        max: int | None = None,
        sentiment: float | None = None,
        threshold: float,
    ) -> bool:
        """The default alert rule: does this answer show an unhappy client?"""
        return False
