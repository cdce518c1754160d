"""Table-driven answer parsing cases; the tables live in data/answers/*.yaml."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from answer_standins import Choice, Question

from cfbot.flows.questions import (
    Parsed,
    is_skip,
    normalize,
    parse_answer,
    parse_choice,
    parse_number,
    parse_yesno,
)

DATA = Path(__file__).parent / "data" / "answers"


def _load(name: str) -> Any:
    with (DATA / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _case(text: Any, lang: Any) -> tuple[str, str]:
    # YAML 1.1 turns bare no/yes/on into booleans: fail loudly rather than test a bool
    assert isinstance(text, str), f"quote {text!r} in the data file"
    assert isinstance(lang, str), f"quote the language of {text!r}"
    return text, lang


def _expected(expect: Any) -> Parsed:
    if isinstance(expect, str) and expect.startswith("invalid:"):
        return Parsed("invalid", reason=expect.removeprefix("invalid:"))
    if expect == "skip":
        return Parsed("skip")
    return Parsed("ok", expect)


def _rows(name: str, key: str, build: Any) -> list[Any]:
    # parametrize wants a collection, not a generator (pytest 9.2 deprecates iterators)
    return list(_iter_rows(name, key, build))


def _iter_rows(name: str, key: str, build: Any) -> Iterator[Any]:
    for group in _load(name):
        question = build(group[key])
        for text, lang, expect in group["cases"]:
            _case(text, lang)
            yield pytest.param(question, text, lang, _expected(expect), id=f"{lang}:{text!r}")


def _scale(spec: Mapping[str, Any]) -> Question:
    return Question(
        type=spec["type"],
        min=spec.get("min"),
        max=spec.get("max"),
        optional=spec.get("optional", False),
    )


def _choice_question(specs: list[Mapping[str, Any]]) -> Question:
    choices = tuple(Choice(str(c["value"]), dict(c["text"])) for c in specs)
    return Question(type="choice", choices=choices)


def _flat(name: str) -> list[Any]:
    return list(_iter_flat(name))


def _iter_flat(name: str) -> Iterator[Any]:
    for text, lang, expect in _load(name):
        _case(text, lang)
        yield pytest.param(text, lang, expect, id=f"{lang}:{text!r}")


@pytest.mark.parametrize(
    ("question", "text", "lang", "expected"), _rows("ratings.yaml", "scale", _scale)
)
def test_rating_and_nps_answers_follow_the_table(
    question: Question, text: str, lang: str, expected: Parsed
) -> None:
    assert parse_answer(question, text, lang) == expected


@pytest.mark.parametrize(
    ("question", "text", "lang", "expected"), _rows("choices.yaml", "choices", _choice_question)
)
def test_choice_answers_follow_the_table(
    question: Question, text: str, lang: str, expected: Parsed
) -> None:
    assert parse_answer(question, text, lang) == expected
    want = expected.value if expected.status == "ok" else None
    assert parse_choice(text, lang, question.choices) == want


@pytest.mark.parametrize(("text", "lang", "expect"), _flat("yesno.yaml"))
def test_yesno_answers_follow_the_table(text: str, lang: str, expect: str) -> None:
    expected = _expected(expect)
    assert parse_answer(Question(type="yesno"), text, lang) == expected
    assert parse_yesno(text, lang) == (expected.value if expected.status == "ok" else None)


@pytest.mark.parametrize(("text", "lang", "expect"), _flat("numbers.yaml"))
def test_parse_number_follows_the_table(text: str, lang: str, expect: int | None) -> None:
    assert parse_number(text, lang) == expect


@pytest.mark.parametrize(("text", "lang", "expect"), _flat("skip.yaml"))
def test_skip_words_match_only_whole_messages(text: str, lang: str, expect: bool) -> None:
    assert is_skip(text, lang) is expect


@pytest.mark.parametrize(
    ("text", "expected"),
    [pytest.param(t, e, id=repr(t)) for t, e in _load("normalize.yaml")],
)
def test_normalize_follows_the_table(text: str, expected: str) -> None:
    assert normalize(text) == expected


# --- cases that do not fit a table row -------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "  Thank you, Dr. Ali!  ",
        "مرحبا، شكرا",
        "😡😡 terrible",
        "<b>bad</b>'; DROP TABLE x;--",
        "a\u202eb",
    ],
)
def test_text_answers_keep_what_was_typed_minus_surrounding_whitespace(text: str) -> None:
    assert parse_answer(Question(type="text"), text, "en") == Parsed("ok", text.strip())


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01", "\u200b", "\x1b[0m"[:1]])
def test_blank_or_control_only_text_is_empty(text: str) -> None:
    assert parse_answer(Question(type="text"), text, "es") == Parsed("invalid", reason="empty")


def test_optional_text_question_can_be_skipped() -> None:
    assert parse_answer(Question(type="text", optional=True), "skip", "so") == Parsed("skip")


def test_required_text_question_refuses_a_skip_word() -> None:
    assert parse_answer(Question(type="text"), "PASS", "en") == Parsed("invalid", reason="required")


@pytest.mark.parametrize("text", ["", "skip", "4", "anything at all"])
def test_info_questions_take_any_message(text: str) -> None:
    assert parse_answer(Question(type="info"), text, "vi") == Parsed("ok", None)


def test_unknown_question_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown question type"):
        parse_answer(Question(type="slider"), "4", "en")


def test_vietnamese_accents_decide_between_number_and_other_word() -> None:
    rating = Question(type="rating", min=1, max=10)
    assert parse_answer(rating, "tám", "vi") == Parsed("ok", 8)
    assert parse_answer(rating, "tạm", "vi") == Parsed("invalid", reason="unclear")
    # without any diacritics the bare form is still read when it stands alone
    assert parse_answer(rating, "tam", "vi") == Parsed("ok", 8)
