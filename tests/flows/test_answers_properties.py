"""Properties of answer parsing that must hold for any message a phone can send."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
import yaml
from answer_standins import Choice, Question
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cfbot.flows.questions.numbers as numbers_module
from cfbot.flows.questions import (
    Parsed,
    is_skip,
    normalize,
    parse_answer,
    parse_choice,
    parse_number,
    parse_yesno,
)

LANGS = ("en", "es", "so", "hmn", "vi")
DATA = Path(__file__).parent / "data" / "answers"


CHOICES = (
    Choice("shots", {"en": "Shots", "es": "Vacunas", "vi": "Tiêm chủng"}),
    Choice("wic", {"en": "WIC", "es": "WIC"}),
    Choice("flu_shots", {"en": "Flu shots", "es": "Vacuna de la gripe"}),
)
QUESTIONS = (
    Question("rating", 1, 5),
    Question("rating", 1, 10, optional=True),
    Question("nps", 0, 10),
    Question("yesno"),
    Question("choice", choices=CHOICES),
    Question("text"),
    Question("info"),
)

# Everything, including lone surrogates and unassigned code points, which a broken
# client or a malicious web-chat user can send.
ANY_CHAR = st.characters(exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=200)
# Messages built from the parser's own vocabulary hit far more interesting paths.
VOCAB = st.sampled_from(
    [
        "4", "10", "-1", "3/4", "4/5", "4.0", "4,5", "#", "/", "-", ":", "%", "$", " ", ",",
        "⭐", "★", "👍", "👎", "🏽", "\ufe0f", "\u200d", "yes", "no", "sí", "si", "tsis",
        "yog", "không", "có", "năm", "tám", "tạm", "peb", "ob", "una", "one", "five",
        "out", "of", "de", "hours", "hnub", "qub", "stars", "sao", "skip", "bỏ qua",
        "shots", "WIC", "vacinas", "option", "second", "\x00", "\ud800", "\u202e", "đ",
    ]
)  # fmt: skip
VOCAB_TEXT = st.lists(VOCAB, max_size=30).map("".join)
MESSAGES = st.one_of(ANY_TEXT, VOCAB_TEXT)


def _check_shape(question: Question, text: str, result: Parsed) -> None:
    assert result.status in {"ok", "invalid", "skip"}
    assert (result.reason is not None) == (result.status == "invalid")
    if result.status != "ok":
        assert result.value is None
        return
    if question.type in {"rating", "nps"}:
        assert isinstance(result.value, int)
        assert question.min is not None and question.max is not None
        assert question.min <= result.value <= question.max
    elif question.type == "yesno":
        assert result.value in {"yes", "no"}
    elif question.type == "choice":
        assert result.value in {c.value for c in question.choices}
    elif question.type == "text":
        assert result.value == text.strip()
    else:
        assert result.value is None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(text=MESSAGES, lang=st.sampled_from((*LANGS, "xx", "")))
def test_no_message_makes_any_parser_raise_and_results_are_well_formed(
    text: str, lang: str
) -> None:
    for question in QUESTIONS:
        result = parse_answer(question, text, lang)
        _check_shape(question, text, result)
        assert parse_answer(question, text, lang) == result  # deterministic
    assert isinstance(normalize(text), str)
    assert isinstance(is_skip(text, lang), bool)
    number = parse_number(text, lang)
    assert number is None or isinstance(number, int)
    assert parse_yesno(text, lang) in {None, "yes", "no"}
    assert parse_choice(text, lang, CHOICES) in {None, "shots", "wic", "flu_shots"}


@given(text=MESSAGES)
def test_normalize_is_idempotent_and_has_no_edge_whitespace(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    assert once == once.strip()
    assert "  " not in once


@given(value=st.integers(min_value=1, max_value=5), lang=st.sampled_from(LANGS))
def test_every_in_range_digit_is_read_alone_and_in_common_frames(value: int, lang: str) -> None:
    rating = Question("rating", 1, 5)
    for frame in ("{}", " {} ", "{}!", "#{}", "{}/5", "a {}", "I'd say {}", "{} ⭐"):
        assert parse_answer(rating, frame.format(value), lang) == Parsed("ok", value)


@given(a=st.integers(0, 10), b=st.integers(0, 10), lang=st.sampled_from(LANGS))
def test_two_different_numbers_are_never_guessed(a: int, b: int, lang: str) -> None:
    result = parse_answer(Question("nps", 0, 10), f"{a} or {b}", lang)
    if a == b:
        assert result == Parsed("ok", a)
    else:
        assert result == Parsed("invalid", reason="ambiguous")


@given(value=st.integers(min_value=6, max_value=999) | st.integers(-999, 0))
def test_single_numbers_off_the_scale_are_out_of_range(value: int) -> None:
    result = parse_answer(Question("rating", 1, 5), str(value), "en")
    assert result == Parsed("invalid", reason="out_of_range")


@given(digits=st.text("0123456789", min_size=4, max_size=30))
def test_long_digit_strings_are_unclear(digits: str) -> None:
    result = parse_answer(Question("nps", 0, 10), digits, "en")
    assert result == Parsed("invalid", reason="unclear")


def _yaml_rows(name: str) -> list[tuple[str, str]]:
    rows = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return [(text, lang) for text, lang, _ in rows]


@pytest.mark.parametrize(("text", "lang"), _yaml_rows("yesno.yaml"))
def test_yesno_ignores_letter_case(text: str, lang: str) -> None:
    question = Question("yesno")
    for variant in (text.upper(), text.lower(), text.title()):
        assert parse_answer(question, variant, lang) == parse_answer(question, text, lang)


@pytest.mark.parametrize(
    ("lang", "word", "value"),
    [
        (lang, word, value)
        for lang, table in numbers_module._NUMBER_WORDS.items()
        for word, (value, _risky) in table.items()
    ]
    + [("vi", word, v) for word, (v, _r) in numbers_module._VI_MARKED_NUMBERS.items()]
    + [("vi", word, v) for word, (v, _r) in numbers_module._VI_PLAIN_NUMBERS.items()],
)
def test_every_number_word_alone_is_its_number(lang: str, word: str, value: int) -> None:
    assert parse_number(word, lang) == value
    assert parse_number(word.upper(), lang) == value


ADVERSARIAL = [
    "4 " * 800,
    "a" * 1600,
    "⭐" * 1600,
    "1/" * 800,
    "1-" * 800,
    "1." * 800,
    "1:" * 800,
    "no " * 533,
    "yes and no " * 145,
    "si " * 533,
    "tsis yog " * 177,
    "one star " * 177,
    "vacinas " * 200,
    "shots " * 267,
    "flu shots wic " * 115,
    "👍🏽\ufe0f\u200d" * 320,
    "\ud800" * 1600,
    "\x00" * 1600,
    "đ̃" * 800,
    "1/" + "9" * 1598,  # int() refuses strings over 4,300 digits; nothing may call it so
    "9" * 1600,
    ("The nurse was kind but we waited two hours and the parking was bad. " * 24)[:1600],
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_1600_char_messages_never_backtrack_for_long(text: str) -> None:
    # a guard against catastrophic regex backtracking (seconds or worse), not a speed goal:
    # typical cost is ~3 ms; speed is measured in benchmarks, not asserted in tests
    text = text[:1600]
    for question in QUESTIONS:
        best = min(_timed(question, text) for _ in range(3))
        assert best < 0.5, f"{question.type}: {best * 1000:.1f} ms"


def _timed(question: Question, text: str) -> float:
    start = time.perf_counter()
    parse_answer(question, text, "vi")
    parse_answer(question, text, "es")
    return (time.perf_counter() - start) / 2


@pytest.mark.parametrize("text", ["1/" + "9" * 5000, "9" * 5000 + "/5", "-" + "9" * 5000])
def test_huge_numbers_never_reach_int_conversion(text: str) -> None:
    assert parse_number(text, "en") is None
    for question in QUESTIONS:
        _check_shape(question, text, parse_answer(question, text, "en"))


def test_answers_module_stays_pure() -> None:
    """flows/ may not touch frameworks, the clock or I/O; only the stdlib it needs."""
    package = Path(numbers_module.__file__).parent
    imported = set()
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.add(node.module or "")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"open", "print", "input", "eval", "exec"}
    allowed = {
        "__future__",
        "collections.abc",
        "dataclasses",
        "difflib",
        "functools",
        "math",
        "re",
        "typing",
        "unicodedata",
        "cfbot.text",  # the shared pure text folding (no I/O; see tests/core/test_text.py)
        # the type modules build questions: the pure flow model and YAML node helpers
        # (no file access; tests/flows/test_purity.py covers the whole package)
        "yaml",
        "cfbot.flows.model",
        "cfbot.flows.values",
        "cfbot.flows.yaml_marks",
        "cfbot.flows.question_builder",  # annotations only (TYPE_CHECKING)
    }
    own = {m for m in imported if m.startswith("cfbot.flows.questions")}
    assert imported - own <= allowed, imported - own - allowed
