"""Free-text questions: any non-blank message is the answer, and it is scored for
sentiment (the scorer lives in the services and is passed to the engine)."""

from __future__ import annotations

from cfbot.flows.questions.common import Parsed, QuestionLike, QuestionType, skip_or_blank


class TextType(QuestionType):
    """``type: text``."""

    name = "text"
    scored = True

    def parse(self, question: QuestionLike, text: str, lang: str) -> Parsed:
        """The message itself, stripped."""
        return skip_or_blank(question, text, lang) or Parsed("ok", text.strip())

    def literal_warning(self, question: QuestionLike, op: str, literal: object) -> str | None:
        """Text never equals a number."""
        if isinstance(literal, int | float):
            ref = getattr(question, "id", "")
            return f"{ref!r} is text; comparing it to a number is always false"
        return None

    def is_dissatisfied(
        self,
        value: object,
        *,
        min: int | None = None,
        max: int | None = None,
        sentiment: float | None = None,
        threshold: float,
    ) -> bool:
        """Sentiment at or below ``threshold`` (no score: not by itself)."""
        return sentiment is not None and sentiment <= threshold


TEXT = TextType()
