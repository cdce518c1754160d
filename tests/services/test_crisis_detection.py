"""Crisis detection: every language's patterns, typos, and look-alikes that must not fire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from cfbot.services.crisis import CRISIS_CATEGORIES, detect_crisis, find_crisis

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "crisis_cases.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["text"][:40] or "<empty>")
def test_crisis_category_as_labelled(case: dict[str, Any]) -> None:
    assert detect_crisis(case["text"]) == case["category"]


@pytest.mark.parametrize("lang", [None, "en", "es", "so", "hmn", "vi", "xx"])
def test_every_language_is_checked_whatever_the_survey_language(lang: str | None) -> None:
    assert detect_crisis("quiero morirme", lang) == "self_harm"
    assert detect_crisis("chest pain", lang) == "medical_emergency"


def test_categories_are_the_documented_ones() -> None:
    assert CRISIS_CATEGORIES == ("self_harm", "violence_abuse", "medical_emergency")
    for case in CASES:
        assert case["category"] in (*CRISIS_CATEGORIES, None)


def test_match_reports_the_phrase_for_staff() -> None:
    found = find_crisis("Honestly I want to END MY LIFE!!!")
    assert found is not None
    assert found.category == "self_harm" and "end my life" in found.phrase


def test_self_harm_wins_over_medical_when_both_appear() -> None:
    assert detect_crisis("i overdosed, i want to die") == "self_harm"


def test_leetspeak_and_repeated_letters_are_read() -> None:
    assert detect_crisis("i want to d1e") == "self_harm"
    assert detect_crisis("k1ll myselfff") == "self_harm"
