"""Scoring, dissatisfaction rules and the `cfbot feedback classify` command."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cfbot.commands.feedback import feedback
from cfbot.services import sentiment
from cfbot.services.reply_scoring import classify, scorer
from cfbot.services.sentiment import (
    DEFAULT_TEXT_THRESHOLD,
    SentimentResult,
    is_dissatisfied,
    score,
    vader_compound,
)

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "sentiment_cases.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c['lang']}:{c['text'][:40]}")
def test_reply_is_classified_as_labelled(case: dict[str, Any]) -> None:
    result = score(case["text"], case["lang"], case.get("question"))
    if case["expect"] == "review":
        assert result.needs_review and result.score is None, result
        return
    assert not result.needs_review, result
    assert result.score is not None and -1.0 <= result.score <= 1.0
    dissatisfied = result.score <= DEFAULT_TEXT_THRESHOLD
    assert dissatisfied == (case["expect"] == "complaint"), result


def test_plain_vader_fails_the_cases_we_fix() -> None:
    # The reason this module exists; if VADER changes, revisit the rules.
    assert vader_compound("the wait was too long") == 0.0
    assert vader_compound("I had no issues") < 0
    assert vader_compound("la espera fue muy larga") == 0.0


def test_english_without_survey_rules_is_exactly_vader() -> None:
    text = "The movie was a bit slow, but the acting was wonderful."
    assert score(text, "en").score == vader_compound(text)


def test_question_decides_what_a_bare_topic_means() -> None:
    improve = score("waiting time", "en", "What could we improve?").score
    neutral = score("waiting time", "en", "What was your visit for?").score
    assert improve is not None and improve <= DEFAULT_TEXT_THRESHOLD
    # after a neutral question a bare topic is no complaint: no score, a person reads it
    assert neutral is None or neutral > DEFAULT_TEXT_THRESHOLD


def test_signals_name_what_fired() -> None:
    result = score("they lost my paperwork", "en")
    assert result.method == "vader+rules"
    assert any("lost my paperwork" in s for s in result.signals)
    assert score("👍", "so").method == "emoji"


def test_unknown_language_needs_review_instead_of_zero() -> None:
    result = score("xyz qwerty blorp", "xx")
    assert result == SentimentResult(None, True, "none", result.signals)
    assert scorer("xyz qwerty blorp", "xx", None) is None


def test_mixed_language_reply_falls_back_to_the_language_it_is_in() -> None:
    result = score("the wait was too long", "so")
    assert result.score is not None and result.score < DEFAULT_TEXT_THRESHOLD
    assert "fallback:en" in result.signals


def test_scorer_adapter_returns_the_score() -> None:
    assert scorer("terrible service", "en", None) == score("terrible service", "en").score


def test_empty_reply_is_neutral() -> None:
    assert score("", "en").score == 0.0
    assert score("   ", "es").score == 0.0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"qtype": "rating", "value": 1, "min": 1, "max": 5}, True),
        ({"qtype": "rating", "value": 2, "min": 1, "max": 5}, True),
        ({"qtype": "rating", "value": 3, "min": 1, "max": 5}, False),
        ({"qtype": "rating", "value": 2}, True),
        ({"qtype": "rating", "value": 1, "min": 0, "max": 10}, True),
        ({"qtype": "rating", "value": 2, "min": 0, "max": 10}, False),
        ({"qtype": "rating", "value": 2, "min": 1, "max": 3}, False),
        ({"qtype": "rating", "value": 1, "min": 1, "max": 3}, True),
        ({"qtype": "rating", "value": "2", "min": 1, "max": 5}, True),
        ({"qtype": "rating", "value": None, "min": 1, "max": 5}, False),
        ({"qtype": "rating", "value": "abc", "min": 1, "max": 5}, False),
        ({"qtype": "rating", "value": True, "min": 1, "max": 5}, False),
        ({"qtype": "nps", "value": 0}, True),
        ({"qtype": "nps", "value": 6}, True),
        ({"qtype": "nps", "value": 7}, False),
        ({"qtype": "nps", "value": 10}, False),
        ({"qtype": "yesno", "value": False}, False),
        ({"qtype": "choice", "value": "wic"}, False),
        ({"qtype": "text", "value": "x", "sentiment": -0.3}, True),
        ({"qtype": "text", "value": "x", "sentiment": -0.29}, False),
        ({"qtype": "text", "value": "x", "sentiment": None}, False),
        ({"qtype": "text", "value": "x", "sentiment": -0.2, "threshold": -0.1}, True),
    ],
)
def test_default_dissatisfaction_rules(kwargs: dict[str, Any], expected: bool) -> None:
    assert is_dissatisfied(**kwargs) is expected


def test_classify_has_the_documented_keys() -> None:
    out = classify("I want to kill myself", "en")
    assert {
        "text",
        "lang",
        "sentiment",
        "needs_review",
        "dissatisfied",
        "crisis",
        "signals",
    } <= set(out)
    assert out["crisis"] == "self_harm"
    assert classify("great visit", "en")["crisis"] is False


def test_vader_singleton_is_built_once_across_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sentiment, "_vader_instance", None)
    seen: list[int] = []

    def work() -> None:
        seen.append(id(sentiment._vader()))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1


def test_bare_no_in_a_lexicon_list_is_rejected() -> None:
    # YAML reads an unquoted `no` as False; the loader must refuse it, not skip it.
    with pytest.raises(ValueError, match="quote it"):
        sentiment._strs([False], "lexicons/xx.yaml")


def test_cli_prints_one_json_object_per_line() -> None:
    runner = CliRunner()
    result = runner.invoke(
        feedback,
        ["classify", "--lang", "es", "--question", "¿Qué podemos mejorar?"],
        input="la espera fue muy larga\n\nnada\nquiero morirme\natención pésima\n",
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    # a crisis is routed by `crisis`, not by sentiment
    assert [line["dissatisfied"] for line in lines] == [True, False, False, True]
    assert [line["crisis"] for line in lines] == [False, False, "self_harm", False]
    assert "atención pésima" in result.output  # ensure_ascii=False keeps accents readable
    assert lines[0]["lang"] == "es" and -1 <= lines[0]["sentiment"] <= 1


def test_cli_requires_a_language() -> None:
    result = CliRunner().invoke(feedback, ["classify"], input="hi\n")
    assert result.exit_code != 0
