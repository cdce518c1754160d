"""The fast lexicon matcher (cfbot/services/lexmatch.py) finds exactly what the plain
combined regex finds, on every list of the lexicons and on the replies of our own
labelled sets (never the blind set), and the language shortcut keeps its promise."""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cfbot.services import crisis, language, sentiment
from cfbot.services.crisis import _prepare
from cfbot.services.lexmatch import (
    WordPatterns,
    _index_prefixes,
    expand,
    prefixes,
    split_alternatives,
)
from cfbot.text import fold_aligned

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
TEXTS: list[str] = []
for _name in ("feedback_labelled.csv", "safety_dev.csv", "dev4.csv"):
    with (DATA / _name).open(encoding="utf-8", newline="") as _fh:
        TEXTS += [r["text"] for r in csv.DictReader(_fh)]
TRICKY = [
    "",
    " ",
    "'",
    "waited 3 hours",
    "waited ٣ hours",  # a digit of another script
    "3-4 hours!! for a 5 min visit",
    "don't kill   me... i want to die",
    "k1ll myself",
    "no, the wait was too long",
    "tôi muốn chết",
    "đau ngực khó thở",
    "👍👍 great",
]


def _plain(wp: WordPatterns, text: str) -> list[tuple[tuple[int, int], int]]:
    return [
        (m.span(), (m.lastindex - 1) if wp.indexed and m.lastindex else -1)
        for m in wp.plain.finditer(text)
    ]


def _fast(wp: WordPatterns, text: str) -> list[tuple[tuple[int, int], int]]:
    return [(m.span(), i) for m, i in wp.find(text)]


@cache
def _lists() -> dict[str, WordPatterns]:
    """Every list of the lexicons, matched the fast way even where it is short."""
    return {
        name: WordPatterns(wp.patterns, indexed=wp.indexed, dispatch=True)
        for name, wp in _loaded().items()
    }


def _loaded() -> dict[str, WordPatterns]:
    out: dict[str, WordPatterns] = {}
    for lang in sentiment.LEXICON_LANGS:
        lex = sentiment._lexicon(lang)
        assert lex is not None
        if lex.terms is not None:
            out[f"{lang}.terms"] = lex.terms
        if lex.topics is not None:
            out[f"{lang}.topics"] = lex.topics
    comp, rev, quiet = crisis._compiled(), crisis._review(), crisis._quiet()
    for cat, wp in comp.folded.items():
        out[f"crisis.{cat}.folded"] = wp
    for cat, wp in comp.accented.items():
        out[f"crisis.{cat}.accented"] = wp
    for cat, wp in rev.folded.items():
        out[f"review.{cat}.folded"] = wp
    for cat, wp in rev.accented.items():
        out[f"review.{cat}.accented"] = wp
    for name, maybe in (
        ("crisis.exclude", comp.exclude),
        ("review.lookalikes", rev.lookalikes),
        ("review.demote", rev.demote),
        ("quiet.folded", quiet.folded),
        ("quiet.accented", quiet.accented),
    ):
        if maybe is not None:
            out[name] = maybe
    return out


@pytest.mark.parametrize("name", sorted(_loaded()))
def test_every_lexicon_list_matches_like_its_plain_regex(name: str) -> None:
    wp = _lists()[name]
    views = set()
    for text in TEXTS + TRICKY:
        views.add(fold_aligned(text))
        views.update(_prepare(text))
    wrong = [v for v in sorted(views) if _fast(wp, v) != _plain(wp, v)]
    assert wrong == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdeghiklmnorstuwy 0123456789'.-", max_size=60))
def test_random_text_matches_like_the_plain_regex(text: str) -> None:
    for wp in (sentiment._lexicon("en").terms, crisis._quiet().folded):  # type: ignore[union-attr]
        assert wp is not None
        assert _fast(wp, text) == _plain(wp, text)


@pytest.mark.parametrize(
    ("patterns", "text"),
    [
        (["a*"], "b a aa"),  # can match empty: the plain regex is used
        (["(?:x|)y?"], "x y z"),
        (["\\d+ min", "ab|a"], "12 min ab a ٣ min"),
        (["[|]x|y", "z\\|w"], "|x y z|w"),
        (["(?i:kill)"], "KILL kill"),
        (["\\w+ing", "wait"], "waiting wait"),
        (["(?<!y )te|te qua"], "y te te qua"),
        (["(a)b", "(c)\\1"], "ab cc ca"),  # own groups: the plain regex, always
        # starts of four, three and two characters side by side, and the text's end
        (["ab", "abcdef", "[a-z]{3}q", "a", "abc"], "ab abcdef abcq a abc xyzq ab"),
        (["wait(?:ing)?", "wa", "[a-z]{5}", "w"], "wa wai wait waiting waved w"),
    ],
)
def test_edge_patterns(patterns: list[str], text: str) -> None:
    for indexed in (False, True):
        if indexed and any(re.compile(p).groups for p in patterns):
            continue
        wp = WordPatterns(patterns, indexed=indexed, dispatch=True)
        assert _fast(wp, text) == _plain(wp, text)
        assert wp.blank(text) == wp.plain.sub(lambda m: " " * len(m.group()), text)


def test_pattern_analysis() -> None:
    assert split_alternatives("a|(?:b|c)|[|]d|e\\|f") == ["a", "(?:b|c)", "[|]d", "e\\|f"]
    assert split_alternatives("(a)|b") == ["(a)|b"]  # a group: kept whole
    assert prefixes("(?:wait|line)s? long") == frozenset({"wa", "li"})
    assert prefixes("\\d+ hours") == frozenset({"\x00\x00", "\x00 "})
    assert prefixes("\\w+ing") is None
    assert prefixes("a?") is None  # can match nothing
    assert prefixes("(?i)kill") is None
    assert expand("buen[oa]?s?") == frozenset(
        {"buen", "buena", "bueno", "buens", "buenas", "buenos"}
    )
    assert expand("fiic\\w*") is None


def test_alternatives_are_indexed_by_up_to_four_characters() -> None:
    assert _index_prefixes("(?:wait|line)s? long") == frozenset({"wait", "line"})
    assert _index_prefixes("ok") == frozenset({"ok"})  # shorter: the whole string
    # too many different starts of four or three letters: indexed by two
    assert _index_prefixes("[a-z]{5}x") == prefixes("[a-z]{5}x", 2)
    assert _index_prefixes("\\w+ing") is None
    wp = WordPatterns(["waiting", "waves", "wasted", "wa"], dispatch=True)
    entry = wp._entry("wait")
    assert entry is not None and entry[1] == (0, 3)  # "waves" and "wasted" not tried
    assert wp._entry("xyzq") is None


def test_known_words_keep_the_conversation_language_without_the_detector(monkeypatch) -> None:
    calls: list[str] = []

    class Detector:
        def compute_language_confidence_values(self, text: str) -> list[object]:
            calls.append(text)
            return []

    monkeypatch.setattr(language, "_get_detector", lambda: Detector())
    assert language.detect_language("the nurse was very kind and helpful", "en") == "en"
    assert language.detect_language("la enfermera fue muy amable", "es") == "es"
    # one word no list knows, beside two words only English knows
    assert language.detect_language("the phlebotomist was wonderful", "en") == "en"
    assert calls == []
    # two unknown words, or no word that only the conversation's language knows:
    # the detector decides
    assert language.detect_language("phlebotomist xyzzyq was wonderful", "en") == "en"
    assert language.detect_language("nothing to improve", "vi") == "vi"
    assert calls == ["phlebotomist xyzzyq was wonderful", "nothing to improve"]


def test_known_words_come_from_the_lexicon_at_load_time() -> None:
    es = language.known_words("es")
    assert {"buena", "buenos", "gracias", "enfermera"} <= es
    assert "kind" in language.known_words("en")  # VADER's lexicon
    assert language.known_words("xx") == frozenset()


def test_the_same_text_asks_the_detector_once(monkeypatch) -> None:
    # the request path detects one text up to three times (crisis, scoring, offer)
    calls: list[str] = []

    class Detector:
        def compute_language_confidence_values(self, text: str) -> list[object]:
            calls.append(text)
            return []

    detector = Detector()
    monkeypatch.setattr(language, "_get_detector", lambda: detector)
    for _ in range(3):
        assert language.detect_language("zzq blorp frindle wibble", "en") == "en"
    assert calls == ["zzq blorp frindle wibble"]
    language.detect_language("another unknown qwxz text", "en")
    assert calls == ["zzq blorp frindle wibble", "another unknown qwxz text"]


def test_one_scan_of_both_sets_when_the_two_views_agree() -> None:
    quiet = crisis._quiet()
    assert quiet.folded is not None and quiet.accented is not None and quiet.both is not None
    assert quiet.both.patterns == quiet.folded.patterns + quiet.accented.patterns

    def separate(f: str, a: str) -> bool:
        return bool(quiet.folded.find(f)) or bool(quiet.accented.find(a))  # type: ignore[union-attr]

    both_hit = 0
    for text in TEXTS + TRICKY:
        folded, accented = _prepare(text)
        assert quiet.any_phrase(folded, accented) == separate(folded, accented), text
        # each view alone read by both sets: the one scan must agree with two
        for view in (folded, accented):
            hit = quiet.any_phrase(view, view)
            assert hit == separate(view, view), text
            both_hit += hit
    assert both_hit > 0
