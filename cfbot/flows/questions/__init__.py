"""Question types and turning what a client texted into a survey answer.

Clients answer in English (``en``), Spanish (``es``), Somali (``so``), Hmong (``hmn``,
White/Green Hmong RPA) and Vietnamese (``vi``), often without accents, often mixing in
English, from phones that add emoji, skin tones and stray control characters. This
module is pure (no I/O, no clock): the tables below are constants and every function
returns the same result for the same input.

The guiding rule is *a wrong answer is worse than a re-prompt*: a misread "2" on a
satisfaction rating raises a staff alert and corrupts the PHAB evidence, while an
``invalid`` result only costs the client one more text. So whenever a message could
mean two things the parser answers ``invalid`` with a short machine ``reason``:

``empty``         nothing but whitespace / control characters
``required``      a skip word on a question that is not optional
``out_of_range``  one clear number outside the scale (``"7"`` on 1-5, ``"-1"``)
``ambiguous``     several different answers (``"3 or 4"``, ``"yes and no"``)
``unclear``       no answer found, or one that looks like something else (phone number)

Each question type is one module here: it owns its YAML keys and their validation, how
an answer is parsed, how the question is rendered, which literals a condition may
compare it with, and its default "dissatisfied" alert rule. :data:`REGISTRY` is the
explicit list the builder and the engine look types up in (see docs/flows.md, "Adding a
question type"). :mod:`.numbers` and :mod:`.common` hold what several types share.
"""

from __future__ import annotations

from collections.abc import Mapping

from cfbot.flows.questions.choice import CHOICE, parse_choice
from cfbot.flows.questions.common import (
    ChoiceLike,
    Parsed,
    QuestionLike,
    QuestionType,
    is_skip,
    lang_key,
    normalize,
)
from cfbot.flows.questions.info import INFO
from cfbot.flows.questions.nps import NPS
from cfbot.flows.questions.numbers import parse_number
from cfbot.flows.questions.rating import RATING
from cfbot.flows.questions.text import TEXT
from cfbot.flows.questions.yesno import YESNO, parse_yesno

__all__ = [
    "REGISTRY",
    "ChoiceLike",
    "Parsed",
    "QuestionLike",
    "QuestionType",
    "get_type",
    "is_dissatisfied",
    "is_skip",
    "normalize",
    "parse_answer",
    "parse_choice",
    "parse_number",
    "parse_yesno",
]

#: Every question type by its ``type:`` name, in the order the docs list them.
REGISTRY: Mapping[str, QuestionType] = {t.name: t for t in (RATING, NPS, CHOICE, YESNO, TEXT, INFO)}


def get_type(name: str) -> QuestionType:
    """The question type called ``name``; ValueError for an unknown one (flow validation
    rules that out, so it means a programming error)."""
    found = REGISTRY.get(name)
    if found is None:
        raise ValueError(f"unknown question type {name!r}")
    return found


def parse_answer(question: QuestionLike, text: str, lang: str) -> Parsed:
    """Parse ``text`` as an answer to ``question`` typed by a client speaking ``lang``.

    Never raises on any string. Raises ValueError only for an unknown question type,
    which flow validation rules out.
    """
    qtype = get_type(question.type)
    if not isinstance(text, str):
        text = ""  # defensive: a missing Body must not crash the engine
    return qtype.parse(question, text, lang_key(lang))


def is_dissatisfied(
    qtype: str,
    value: object,
    *,
    # named like the flow format's keys, shadowing the builtins on purpose
    min: int | None = None,
    max: int | None = None,
    sentiment: float | None = None,
    threshold: float,
) -> bool:
    """The default alert rule of type ``qtype`` for one answer (False for unknown types).

    ``sentiment`` is the score the services computed for a text answer.
    """
    found = REGISTRY.get(qtype)
    if found is None:
        return False
    return found.is_dissatisfied(value, min=min, max=max, sentiment=sentiment, threshold=threshold)
