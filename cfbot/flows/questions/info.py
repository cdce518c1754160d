"""Info questions: a message to the client that takes no answer (the flow moves on)."""

from __future__ import annotations

from cfbot.flows.questions.common import Parsed, QuestionLike, QuestionType


class InfoType(QuestionType):
    """``type: info``."""

    name = "info"
    waits = False

    def parse(self, question: QuestionLike, text: str, lang: str) -> Parsed:
        """Nothing the client types can be wrong here."""
        return Parsed("ok", None)


INFO = InfoType()
