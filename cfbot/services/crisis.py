"""Crisis detection on inbound messages: self-harm, violence or abuse, medical emergency.

Every inbound message is checked against the phrases of ALL languages in
``cfbot/lexicons/crisis.yaml`` whatever the survey language, because clients mix
languages and often text without accents. The policy is recall first (see the YAML
header): a false alarm costs a staff member a minute, a miss can cost a life. Words
that merely look alike ("skill", "killer deal", "this wait is killing me", "beats me")
do not fire. The caller decides what to reply (911/988) and whom to alert.

Pure functions; patterns are compiled once on first use.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from cfbot.services import safety_model
from cfbot.services.lexmatch import WordPatterns
from cfbot.text import fold_aligned

__all__ = [
    "CRISIS",
    "CRISIS_CATEGORIES",
    "TIERS",
    "URGENT_REVIEW",
    "Assessment",
    "CrisisMatch",
    "assess",
    "detect_crisis",
    "folded_text",
    "find_crisis",
    "model_view",
]

CRISIS_CATEGORIES = ("self_harm", "violence_abuse", "medical_emergency")
# Two tiers: `crisis` is high confidence (immediate 911/988 reply, urgent on-call alert);
# `urgent_review` is a possible crisis (kind 911/988 message, urgent item a person reads
# within minutes). See cfbot/lexicons/urgent_review.yaml.
CRISIS = "crisis"
URGENT_REVIEW = "urgent_review"
MODEL_PHRASE = "(model"  # Assessment.phrase of a tier raised by the learned net
TIERS = (CRISIS, URGENT_REVIEW)


@dataclass(frozen=True)
class CrisisMatch:
    """The category and the phrase (as folded) that triggered it, for staff."""

    category: str
    phrase: str


@dataclass(frozen=True)
class _Compiled:
    exclude: WordPatterns | None
    folded: dict[str, WordPatterns]
    accented: dict[str, WordPatterns]
    history: dict[str, re.Pattern[str]]


def _join(patterns: list[str], where: str) -> WordPatterns | None:
    r"""The patterns as whole words: ``(?<!\w)(?:(?:p1)|(?:p2)|...)(?!\w)``, matched
    the fast way (:class:`WordPatterns`)."""
    if not patterns:
        return None
    for p in patterns:
        if not isinstance(p, str):
            raise ValueError(f"{where}: {p!r} is not a string")
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"{where}: bad pattern {p!r}: {exc}") from exc
    return WordPatterns(patterns)


@cache
def _compiled() -> _Compiled:
    raw = resources.files("cfbot.lexicons").joinpath("crisis.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(raw)
    cats = data.get("categories") or {}
    unknown = set(cats) - set(CRISIS_CATEGORIES)
    if unknown:
        raise ValueError(f"lexicons/crisis.yaml: unknown categories {sorted(unknown)}")
    folded: dict[str, WordPatterns] = {}
    accented: dict[str, WordPatterns] = {}
    for cat in CRISIS_CATEGORIES:
        spec = cats.get(cat) or {}
        f = _join(list(spec.get("folded") or []), f"crisis.yaml {cat}.folded")
        a = _join(list(spec.get("accented") or []), f"crisis.yaml {cat}.accented")
        if f is not None:
            folded[cat] = f
        if a is not None:
            accented[cat] = a
    history = {
        cat: re.compile(rf"(?<!\w)(?:{pat})(?!\w)")
        for cat, pat in (data.get("history_markers") or {}).items()
    }
    return _Compiled(
        exclude=_join(list(data.get("exclude") or []), "crisis.yaml exclude"),
        folded=folded,
        accented=accented,
        history=history,
    )


_LEET = {"1": "i", "3": "e", "0": "o", "4": "a", "@": "a", "$": "s"}
_LEET_RE = re.compile(r"(?<=[a-z])[1304@$](?=[a-z])")
_REPEATS = re.compile(r"([a-z])\1{2,}")
_LEET_LEFT = re.compile(r"[@$]")
_NOT_WORD = re.compile(r"[^\w\s]")


def _prepare(text: str) -> tuple[str, str]:
    """(folded text for the main patterns, lower-cased accented text)."""
    low = unicodedata.normalize("NFC", text).lower()
    aligned = fold_aligned(low, keep="'@$")
    comp = _compiled()
    if comp.exclude is not None:
        # Blank look-alikes in both views so the accented patterns skip them too.
        # fold_aligned turned every kind of apostrophe into "'"
        spans = [m.span() for m in comp.exclude.finditer(aligned.replace("'", " "))]
        if spans:
            a, b = list(aligned), list(low)
            for s, e in spans:
                a[s:e] = " " * (e - s)
                b[s:e] = " " * (e - s)
            aligned, low = "".join(a), "".join(b)
    folded = aligned.replace("'", "")
    folded = _LEET_RE.sub(lambda m: _LEET[m.group()], folded)
    folded = _LEET_LEFT.sub(" ", folded)
    folded = _REPEATS.sub(r"\1", folded)
    folded = " ".join(folded.split())
    low = " ".join(_NOT_WORD.sub(" ", low).split())
    return folded, low


def _first(
    pattern: WordPatterns | None,
    text: str,
    history: re.Pattern[str] | None,
    history_text: str | None = None,
) -> str | None:
    """First match not marked as a past event; history markers are folded, so for
    the accented view the whole folded message is searched for them instead."""
    if pattern is None:
        return None
    for m in pattern.finditer(text):
        if history is not None:
            if history_text is not None:
                window = history_text
            else:
                window = text[max(0, m.start() - 60) : m.end() + 60]
            if history.search(window):
                continue
        return m.group()
    return None


def find_crisis(text: str) -> CrisisMatch | None:
    """First crisis found in ``text`` (categories in CRISIS_CATEGORIES order), or None."""
    if not text or not text.strip():
        return None
    folded, accented = _prepare(text)
    comp = _compiled()
    for cat in CRISIS_CATEGORIES:
        hist = comp.history.get(cat)
        phrase = _first(comp.folded.get(cat), folded, hist) or _first(
            comp.accented.get(cat), accented, hist, folded
        )
        if phrase:
            return CrisisMatch(cat, phrase)
    return None


@dataclass(frozen=True)
class Assessment:
    """The safety tier of a message: ``tier`` is ``crisis``, ``urgent_review`` or None."""

    tier: str | None
    category: str | None = None
    phrase: str | None = None
    demoted: bool = False  # a crisis-tier phrase in a context that needs a person instead

    def __bool__(self) -> bool:
        return self.tier is not None

    @property
    def by_model(self) -> bool:
        """Raised by the learned net (cfbot.services.safety_model), not by a list phrase."""
        return (self.phrase or "").startswith(MODEL_PHRASE)


@dataclass(frozen=True)
class _Review:
    lookalikes: WordPatterns | None
    folded: dict[str, WordPatterns]
    accented: dict[str, WordPatterns]
    demote: WordPatterns | None
    recovered: WordPatterns | None = None
    relapse: WordPatterns | None = None


@dataclass(frozen=True)
class _Quiet:
    """Every phrase :func:`assess` looks for in one view of the text (crisis and urgent
    review phrases of every category, and the look-alikes) as one set: when none of them
    is in either view, the message has no tier. Exact, and the common case. ``both`` is
    the two sets in one, for the common text whose two views are the same (plain ASCII
    words): one scan instead of two, and a list of patterns has a match in a text
    exactly when some pattern of it does."""

    folded: WordPatterns | None
    accented: WordPatterns | None
    both: WordPatterns | None

    def any_phrase(self, folded: str, accented: str) -> bool:
        """Whether a phrase of ``folded`` (the folded set) or of ``accented`` (the
        accented set) is in its view of the text."""
        if folded == accented:
            return bool(self.both and self.both.find(folded))
        return bool(self.folded and self.folded.find(folded)) or bool(
            self.accented and self.accented.find(accented)
        )


def _union(sets: list[WordPatterns | None]) -> WordPatterns | None:
    patterns = [p for wp in sets if wp is not None for p in wp.patterns]
    return WordPatterns(patterns) if patterns else None


@cache
def _quiet() -> _Quiet:
    comp, rev = _compiled(), _review()
    folded = _union([*comp.folded.values(), *rev.folded.values(), rev.lookalikes])
    accented = _union([*comp.accented.values(), *rev.accented.values(), rev.lookalikes])
    return _Quiet(folded=folded, accented=accented, both=_union([folded, accented]))


@cache
def _review() -> _Review:
    raw = (
        resources.files("cfbot.lexicons").joinpath("urgent_review.yaml").read_text(encoding="utf-8")
    )
    data: dict[str, Any] = yaml.safe_load(raw)
    cats = data.get("categories") or {}
    unknown = set(cats) - set(CRISIS_CATEGORIES)
    if unknown:
        raise ValueError(f"lexicons/urgent_review.yaml: unknown categories {sorted(unknown)}")
    folded: dict[str, WordPatterns] = {}
    accented: dict[str, WordPatterns] = {}
    for cat in CRISIS_CATEGORIES:
        spec = cats.get(cat) or {}
        f = _join(list(spec.get("folded") or []), f"urgent_review.yaml {cat}.folded")
        a = _join(list(spec.get("accented") or []), f"urgent_review.yaml {cat}.accented")
        if f is not None:
            folded[cat] = f
        if a is not None:
            accented[cat] = a

    def one(key: str) -> WordPatterns | None:
        value = data.get(key)
        return _join([value], f"urgent_review.yaml {key}") if value else None

    return _Review(
        lookalikes=_join(list(data.get("lookalikes") or []), "urgent_review.yaml lookalikes"),
        folded=folded,
        accented=accented,
        demote=one("demote_context"),
        recovered=one("recovered_context"),
        relapse=one("relapse_context"),
    )


def _recovered(folded: str, blanked: str) -> bool:
    """The client says a past crisis is over and they are well now (urgent_review.yaml
    ``recovered_context``), ending after every list phrase of the message (read in ``blanked``,
    the folded text with the look-alikes blanked, which keeps its positions), and
    nothing says it is back (``relapse_context``)."""
    rev = _review()
    if rev.recovered is None:
        return False
    marks = rev.recovered.finditer(folded)
    if not marks or (rev.relapse is not None and rev.relapse.search(folded)):
        return False
    end = max(m.end() for m in marks)  # a phrase inside the recovery is part of it
    lists = [*_compiled().folded.values(), *rev.folded.values()]
    return all(m.end() <= end for wp in lists for m in wp.finditer(blanked))


_NEGATED_BEFORE = re.compile(
    r"(?:^|\s)(?:not|no|never|nor|without|isnt|wasnt|arent|dont|didnt|doesnt|nunca|sin|"
    r"ni|tampoco|khong|chua|tsis|ma|maya)(?:\s+\S+){0,2}\s*$"
)


# Laughing emoji beside a crisis-tier phrase ("my husband will kill me 😂"): a joke is
# likely, but not certain, so the message goes to a person instead of the crisis reply.
_LAUGHING = re.compile("[\U0001f602\U0001f923\U0001f606\U0001f605\U0001f639]")


def _blank(pattern: WordPatterns | None, text: str) -> str:
    if pattern is None:
        return text
    return pattern.blank(text)


def assess(text: str, lang: str | None = None, *, model: bool = True) -> Assessment:
    """Safety tier of ``text``: ``crisis`` (precise phrases of crisis.yaml, not in a
    context that calls for a person first), else ``urgent_review`` (a possible crisis:
    any talk of death, self-harm, weapons, violence, abuse or a medical emergency that is
    not a known look-alike), else no tier. Every language's phrases are checked, whatever
    ``lang`` (kept for symmetry with the scorer). When the lists flag a text, the veto
    model (cfbot.services.safety_model.lookalike) may drop an ``urgent_review`` hit or
    lower a ``crisis`` hit to ``urgent_review`` if it is sure the text is a look-alike.
    A message that tells of a past crisis and then says the client is well now, with
    nothing after that and no word that it is back (``recovered_context`` in
    urgent_review.yaml), gets no tier. ``model=False`` leaves out both learned models,
    for training and measuring the lists alone.
    """
    del lang
    if not text or not text.strip():
        return Assessment(None)
    folded, accented = _prepare(text)
    if not _quiet().any_phrase(folded, accented):
        # no list phrase could match, the look-alikes included: nothing to blank
        return _by_model(folded, model, folded)
    comp = _compiled()
    found: CrisisMatch | None = None
    for cat in CRISIS_CATEGORIES:  # as find_crisis, on the one prepared text
        hist = comp.history.get(cat)
        phrase = _first(comp.folded.get(cat), folded, hist) or _first(
            comp.accented.get(cat), accented, hist, folded
        )
        if phrase:
            found = CrisisMatch(cat, phrase)
            break
    rev = _review()
    f = _blank(rev.lookalikes, folded)
    a = _blank(rev.lookalikes, accented)
    if found is not None and found.phrase not in f and found.phrase not in a:
        found = None  # the crisis phrase sits inside a known look-alike ("hit us with a bill")
    if _recovered(folded, f):
        return Assessment(None)  # a past crisis the client says is over, nothing after it
    if found is not None:
        demoted = False
        if (rev.demote is not None and rev.demote.search(folded)) or _LAUGHING.search(text):
            demoted = True
        else:
            i = folded.find(found.phrase)
            if i > 0 and _NEGATED_BEFORE.search(folded[:i]):
                demoted = True
        if not demoted and not (model and safety_model.lookalike(folded) is not None):
            return Assessment(CRISIS, found.category, found.phrase)
        # a context that calls for a person first, or the veto is sure it is a
        # look-alike: a person still reads it within minutes
        return Assessment(URGENT_REVIEW, found.category, found.phrase, demoted=True)
    for cat in CRISIS_CATEGORIES:
        hist = comp.history.get(cat)
        phrase = _first(rev.folded.get(cat), f, hist) or _first(rev.accented.get(cat), a, hist, f)
        if phrase:
            if model and safety_model.lookalike(folded) is not None:
                return Assessment(None)  # the veto is sure: a look-alike the lists lack
            return Assessment(URGENT_REVIEW, cat, phrase)
    return _by_model(folded, model, f, recovered=False)


def _by_model(
    folded: str, model: bool, blanked: str | None = None, *, recovered: bool | None = None
) -> Assessment:
    """The lists found nothing: the learned net may still raise urgent_review (never
    the crisis tier) for a crisis phrased in words no list holds. It reads the text with
    the known look-alikes blanked (``blanked``, worked out here when not given), and
    not when the client says the crisis is over (``recovered``, worked out here when not
    known and the net would raise a tier)."""
    if not model:
        return Assessment(None)
    if blanked is None:
        blanked = _blank(_review().lookalikes, folded)
    guess = safety_model.predict(" ".join(blanked.split()))
    if guess is None:
        return Assessment(None)
    if recovered is None:
        recovered = _recovered(folded, blanked)
    if recovered:
        return Assessment(None)
    return Assessment(URGENT_REVIEW, guess[0], f"{MODEL_PHRASE}, p={guess[1]:.2f})")


def folded_text(text: str) -> str:
    """``text`` folded as the lists read it (what the veto model reads)."""
    return _prepare(text)[0]


def model_view(text: str) -> str:
    """The text the learned net reads: folded as for the lists, with the known
    look-alikes (urgent_review.yaml) taken out, so it judges only what is left."""
    folded, _ = _prepare(text)
    return " ".join(_blank(_review().lookalikes, folded).split())


def detect_crisis(text: str, lang: str | None = None) -> str | None:
    """Crisis category of ``text`` or None.

    ``lang`` is accepted for symmetry with the scorer but deliberately not used to
    narrow the search: every language's patterns are checked.
    """
    del lang  # every language is checked; see the module docstring
    found = find_crisis(text)
    return found.category if found else None
