"""Two safety tiers, look-alikes, reply language and never-a-silent-zero, measured on our
own development set (benchmarks/data/safety_dev.csv; never on the blind set)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cfbot.commands.feedback import feedback
from cfbot.services.crisis import CRISIS, URGENT_REVIEW, assess
from cfbot.services.language import detect_language
from cfbot.services.reply_scoring import classify
from cfbot.services.sentiment import score

DEV = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "safety_dev.csv"
with DEV.open(encoding="utf-8", newline="") as _fh:
    ROWS = list(csv.DictReader(_fh))


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['lang']}:{r['text'][:40]}")
def test_dev_set_tier(row: dict[str, str]) -> None:
    found = assess(row["text"], row["lang"])
    if row["expect"] == "crisis":
        assert found.tier == CRISIS, found
    elif row["expect"] == "either":
        assert found.tier in (CRISIS, URGENT_REVIEW), found
    else:
        assert found.tier is None, found


def test_look_alike_exclusions_are_measured() -> None:
    lookalikes = [r for r in ROWS if r["expect"] == "none"]
    flagged = [r["text"] for r in lookalikes if assess(r["text"]).tier]
    assert len(lookalikes) >= 40 and flagged == []


@pytest.mark.parametrize(
    ("text", "tier"),
    [
        ("the hold music made me want to die lol", URGENT_REVIEW),  # a joke: a person reads it
        ("the abuse hotline number on your poster is wrong", URGENT_REVIEW),
        ("honestly I want to kill myself", CRISIS),
        ("they hit us with a big bill after", None),
    ],
)
def test_crisis_tier_stays_precise(text: str, tier: str | None) -> None:
    assert assess(text).tier == tier


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [
        ("la espera fue muy larga", "en", "es"),
        ("the wait was long today", "es", "en"),
        ("nhân viên rất tử tế", "en", "vi"),
        ("waan is dilayaa maanta", "en", "so"),
        ("kuv xav tuag lawm", "en", "hmn"),
        ("toi muon chet roi", "en", "vi"),
        ("ok", "es", "es"),
        ("5", "vi", "vi"),
        ("si claro", "en", "en"),
    ],
)
def test_detect_language(text: str, default: str, expected: str) -> None:
    assert detect_language(text, default) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("asdfgh qwerty zxcv", "en"),
        ("kjhsdf", "en"),
        ("asdfgh qwerty zxcv", "es"),
        ("lkjlkj", "es"),
    ],
)
def test_gibberish_needs_review(text: str, lang: str) -> None:
    result = score(text, lang, "What could we improve?")
    assert result.needs_review and result.score is None


@pytest.mark.parametrize(
    ("text", "lang"),
    [("ok", "en"), ("n/a", "en"), ("no", "en"), ("nada", "es"), ("no sé", "es"), ("maya", "so")],
)
def test_plain_short_answers_are_not_review(text: str, lang: str) -> None:
    assert not score(text, lang, "What could we improve?").needs_review


@pytest.mark.parametrize(
    "text",
    [
        "great, another 2 hour wait, love that",
        "got there at 9, seen at 11:40",
        "waited 3 hrs",
        "my kid and I sat in the lobby from 8 till almost noon",
    ],
)
def test_sarcasm_and_clock_spans_are_complaints(text: str) -> None:
    assert classify(text, "en", "Anything else?")["dissatisfied"]


def test_classify_reports_tiers_and_language() -> None:
    out = classify("ya no quiero vivir, me quiero morir", "en")
    assert out["crisis"] == "self_harm" and out["urgent_review"] is False
    assert out["language"] == "es"


def test_cli_prints_urgent_review_and_language() -> None:
    result = CliRunner().invoke(
        feedback,
        ["classify", "--lang", "en"],
        input="i made a plan and wrote letters to everyone\nthanks\nmi esposo me pega\n",
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["urgent_review"] for line in lines] == [True, False, False]
    assert [line["crisis"] for line in lines] == [False, False, "violence_abuse"]
    assert [line["language"] for line in lines] == ["en", "en", "es"]
