"""NPS questions ("how likely are you to recommend us"): 0..10, no keys of their own.

Unlike a rating, a thumbs-up is unclear: it could be any of 7-10, which NPS buckets
differently (see :func:`cfbot.flows.questions.numbers.parse_scale`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cfbot.flows.questions.common import as_number
from cfbot.flows.questions.rating import ScaleType

if TYPE_CHECKING:
    from cfbot.flows.question_builder import QuestionSpec

NPS_MIN = 0
NPS_MAX = 10
DETRACTOR_MAX = 6


class NpsType(ScaleType):
    """``type: nps``."""

    name = "nps"
    default_min = NPS_MIN
    default_max = NPS_MAX
    nps = True

    def build(self, spec: QuestionSpec) -> dict[str, Any]:
        """The scale is fixed."""
        return {"min": NPS_MIN, "max": NPS_MAX}

    def is_dissatisfied(
        self,
        value: object,
        *,
        min: int | None = None,
        max: int | None = None,
        sentiment: float | None = None,
        threshold: float,
    ) -> bool:
        """A detractor: 0..6."""
        num = as_number(value)
        return num is not None and NPS_MIN <= num <= DETRACTOR_MAX


NPS = NpsType()
