"""cfbot.text: the one text folding used by keywords, answers, sentiment and crisis."""

from __future__ import annotations

import pytest

from cfbot.flows.builder import parse_flow
from cfbot.flows.questions import normalize
from cfbot.services import keywords
from cfbot.services.crisis import detect_crisis
from cfbot.text import fold, fold_aligned, fold_phrase, strip_accents


@pytest.mark.parametrize(
    ("text", "folded", "accented"),
    [
        ("Đúng RỒI", "dung roi", "đúng rồi"),
        ("đ Đ", "d d", "đ đ"),
        ("Straße", "strasse", "strasse"),
        ("ＦＵＬＬ", "full", "full"),
        ("👍🏽", "👍", "👍"),
        ("zero\u200bwidth", "zero width", "zero width"),
    ],
)
def test_fold(text: str, folded: str, accented: str) -> None:
    assert fold(text) == folded
    assert fold(text, keep_accents=True) == accented
    assert strip_accents(accented) == folded


def test_barred_d_folds_to_d_everywhere() -> None:
    # the old flow-keyword and system-keyword folds kept "đ" (NFKD does not split it)
    assert fold("ĐÚNG") == "dung"
    assert fold_phrase("  Đúng!! ") == "dung"
    assert fold_aligned("Đúng") == "dung"
    assert normalize("Đúng") == "dung"
    assert keywords.match("DỪNG") == keywords.match("dừng") is not None
    assert keywords.match("đừng") is None  # accent-sensitive: "đ" is kept, "don't" is no STOP


def test_case_accents_punctuation_and_spaces() -> None:
    assert fold_phrase("  ¡SÍ,   Señor!  ") == "si, senor"
    assert fold_phrase("opt-out") == fold_phrase("OPT_OUT") == "opt out"
    assert fold_phrase("“STOP”") == "stop"  # curly quotes are punctuation
    assert fold_phrase("STOP 🛑") == "stop"  # symbols trimmed by default
    assert fold_phrase("👍", trim_symbols=False) == "👍"  # an answer keeps its emoji
    assert fold_phrase("n/a") == "n/a" and fold_phrase("don't") == "don't"
    assert fold_phrase("Tiếng Việt", keep_accents=True) == "tiếng việt"


def test_aligned_fold_keeps_length_and_apostrophes() -> None:
    text = "Đừng—KILL’em, İstanbul!"
    folded = fold_aligned(text)
    assert len(folded) == len(text)
    assert folded.startswith("dung kill'em")
    assert fold_aligned("k1ll @$", keep="'@$") == "k1ll @$"
    assert fold_aligned("it’s", keep="") == "it s"


def test_flow_keywords_match_like_system_keywords() -> None:
    flow = parse_flow(
        "id: f\nlanguages: [en, vi]\nkeywords: {vi: [Đánh giá]}\n"
        'questions:\n  - {id: q, type: text, text: {en: "Hi?", vi: "Chào?"}}\n'
    )
    for typed in ("đánh giá", "DANH GIA", "danh giá!", "  Đánh   giá. "):
        assert flow.matching_keyword(typed) == "vi"


def test_crisis_matches_unaccented_and_barred_d() -> None:
    assert detect_crisis("I want to kill myself", "en")
    assert detect_crisis("I want to k1ll myself", "en")
    assert not detect_crisis("Đúng rồi, cảm ơn", "vi")
