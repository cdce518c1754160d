"""Rating questions: a number on a scale, ``min``..``max`` (default 1..5, at most 11 points).

Digits, number words, ``4/5``, stars and thumbs are read by
:func:`cfbot.flows.questions.numbers.parse_scale`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cfbot.flows.questions.common import (
    Parsed,
    QuestionLike,
    QuestionType,
    as_number,
    skip_or_blank,
)
from cfbot.flows.questions.numbers import parse_scale
from cfbot.flows.yaml_marks import as_int

if TYPE_CHECKING:
    from cfbot.flows.question_builder import QuestionSpec

DEFAULT_MIN = 1
DEFAULT_MAX = 5
MAX_RATING_RANGE = 11


class ScaleType(QuestionType):
    """What rating and NPS share: a number answer on a closed scale."""

    default_min: int = DEFAULT_MIN
    default_max: int = DEFAULT_MAX
    nps: bool = False

    def bounds(self, question: QuestionLike) -> tuple[int, int]:
        """The scale of ``question`` (its ``min``/``max``, or the type's defaults)."""
        lo = question.min if question.min is not None else self.default_min
        hi = question.max if question.max is not None else self.default_max
        return lo, hi

    def parse(self, question: QuestionLike, text: str, lang: str) -> Parsed:
        """A number on the question's scale."""
        early = skip_or_blank(question, text, lang)
        if early is not None:
            return early
        lo, hi = self.bounds(question)
        return parse_scale(text, lang, lo, hi, self.nps)

    def literal_warning(self, question: QuestionLike, op: str, literal: object) -> str | None:
        """Comparing a number with text, or testing equality with a value off the scale."""
        ref = getattr(question, "id", "")
        if not isinstance(literal, int | float):
            return f"{ref!r} is a number; comparing it to {literal!r} is always false"
        if op in ("==", "!=") and question.min is not None and question.max is not None:
            if not question.min <= literal <= question.max:
                return f"{literal} is outside {ref!r}'s scale {question.min}-{question.max}"
        return None


class RatingType(ScaleType):
    """``type: rating``."""

    name = "rating"
    keys = ("min", "max")

    def build(self, spec: QuestionSpec) -> dict[str, Any]:
        """``min``/``max`` (default 1..5): min below max, at most 11 points."""
        ctx, items, label = spec.ctx, spec.items, spec.label
        qmin = as_int(ctx, items["min"][1], f"{label} min") if "min" in items else DEFAULT_MIN
        qmax = as_int(ctx, items["max"][1], f"{label} max") if "max" in items else DEFAULT_MAX
        if qmin is not None and qmax is not None:
            if qmin >= qmax:
                ctx.error(spec.node, f"{label}: min ({qmin}) must be less than max ({qmax})")
            elif qmax - qmin + 1 > MAX_RATING_RANGE:
                ctx.error(
                    spec.node,
                    f"{label}: a rating scale may have at most {MAX_RATING_RANGE} points "
                    f"({qmin} to {qmax} has {qmax - qmin + 1})",
                )
        return {"min": qmin, "max": qmax}

    def is_dissatisfied(
        self,
        value: object,
        *,
        min: int | None = None,
        max: int | None = None,
        sentiment: float | None = None,
        threshold: float,
    ) -> bool:
        """In the lowest two points of the scale (the lowest one on 3 points or fewer)."""
        num = as_number(value)
        if num is None:
            return False
        lo = DEFAULT_MIN if min is None else min
        hi = DEFAULT_MAX if max is None else max
        if hi < lo:
            lo, hi = hi, lo
        points = 2 if hi - lo + 1 > 3 else 1
        return lo <= num <= lo + points - 1


RATING = RatingType()
