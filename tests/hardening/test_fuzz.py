"""Fuzzing with a bounded budget: parsers and scorers never raise unexpectedly and never
hang. ``CFBOT_FUZZ_EXAMPLES`` sets examples per test (default 150, CI-sized); every
example has a deadline."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "flows"))
from answer_standins import Choice, Question  # noqa: E402

from cfbot.flows.builder import parse_flow  # noqa: E402
from cfbot.flows.expr import ExprError, parse  # noqa: E402
from cfbot.flows.model import FlowError  # noqa: E402
from cfbot.flows.questions import parse_answer  # noqa: E402
from cfbot.flows.yaml_marks import compose_yaml  # noqa: E402
from cfbot.services.crisis import assess, detect_crisis  # noqa: E402
from cfbot.services.routing import RoutingError, parse_routing  # noqa: E402
from cfbot.services.sentiment import score  # noqa: E402

EXAMPLES = int(os.environ.get("CFBOT_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=os.environ.get("CFBOT_FUZZ_RANDOM", "") == "",
)
LANGS = st.sampled_from(("en", "es", "so", "hmn", "vi", "xx", ""))
TEXT = st.text(max_size=400)
WORDS = st.lists(
    st.sampled_from(
        "1 2 5 10 dos cinco bốn ⭐ yes no sí maya haa skip kill myself die end my life "
        "not never wait long ( ) and or not == != < >= 'x' rating improve \x00 \u200d 😡".split(" ")
    ),
    max_size=40,
).map(" ".join)
MESSAGES = st.one_of(TEXT, WORDS)

QUESTIONS = (
    Question("rating", 1, 5),
    Question("nps", 0, 10),
    Question("yesno"),
    Question("text"),
    Question(
        "choice",
        choices=(
            Choice("checkup", {"en": "Checkup", "es": "Chequeo"}),
            Choice("shots", {"en": "Shots", "vi": "Tiêm chủng"}),
        ),
    ),
)


@FUZZ
@given(text=MESSAGES, lang=LANGS)
def test_answer_parser_never_raises(text: str, lang: str) -> None:
    for question in QUESTIONS:
        result = parse_answer(question, text, lang)
        assert result.status in {"ok", "invalid", "skip"}


EXPR_TEXT = st.one_of(
    TEXT,
    WORDS,
    st.integers(1, 3000).map(lambda n: "(" * n + "1" + ")" * n),
    st.integers(1, 3000).map(lambda n: "not " * n + "true"),
    st.integers(1, 3000).map(lambda n: " and ".join(["rating > 1"] * n)),
)


@FUZZ
@given(text=EXPR_TEXT)
def test_expression_parser_only_raises_expr_error(text: str) -> None:
    try:
        expr = parse(text)
    except ExprError:
        return
    try:
        expr.evaluate({"rating": 3, "improve": "x"}, {"improve": -0.5})
    except (ExprError, TypeError, ValueError):
        pass  # a type mismatch at run time is reported, not a crash of the process


YAML_TEXT = st.one_of(
    TEXT,
    st.integers(1, 5000).map(lambda n: "a: " + "[" * n + "]" * n),
    st.integers(1, 5000).map(lambda n: "{a: " * n + "1" + "}" * n),
    st.integers(1, 300).map(lambda n: "".join(" " * i + "- \n" for i in range(n))),
    st.lists(
        st.sampled_from(["a:", " b:", "- x", "&a", "*a", "!!python/object", "{", "]", "\t"])
    ).map("\n".join),
)


@FUZZ
@given(text=YAML_TEXT)
def test_yaml_loaders_report_problems_instead_of_raising(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    compose_yaml(data, "fuzz.yaml")
    try:
        parse_flow(data, "fuzz.yaml")
    except FlowError:
        pass
    try:
        parse_routing(data, "routing.yaml")
    except RoutingError:
        pass


@FUZZ
@given(text=MESSAGES, lang=LANGS, question=st.one_of(st.none(), TEXT))
def test_sentiment_scorer_never_raises(text: str, lang: str, question: str | None) -> None:
    result = score(text, lang, question)
    assert result is not None


@FUZZ
@given(text=MESSAGES, lang=st.one_of(st.none(), LANGS))
def test_crisis_detector_never_raises(text: str, lang: str | None) -> None:
    tier = detect_crisis(text, lang)
    assert tier is None or isinstance(tier, str)
    assess(text, lang)


@pytest.mark.parametrize("size", [1_600, 10_000])
def test_long_messages_finish_quickly(size: int) -> None:
    import time

    text = ("I want to end my life " + "😡 no 5 " * 10) * (size // 100)
    started = time.monotonic()
    detect_crisis(text, "en")
    score(text, "en", None)
    parse_answer(Question("text"), text, "en")
    assert time.monotonic() - started < 10
