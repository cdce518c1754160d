"""Events the pure flow engine emits; the conversation service applies them.

Every event is a frozen dataclass so a :class:`Sprint` can be compared, logged and
replayed in tests without surprises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MESSAGE_KINDS = ("question", "reprompt", "closing", "reminder", "notice", "expired")
COMPLETION_STATUSES = ("completed", "expired", "stopped")


@dataclass(frozen=True)
class MsgOut:
    """A message to send to the client.

    ``kind`` is one of :data:`MESSAGE_KINDS`; ``question_id`` names the question the
    message asks (or repeats), when there is one.
    """

    text: str
    kind: str
    question_id: str | None = None


@dataclass(frozen=True)
class Sentiment:
    """How the engine's scorer rated a text answer.

    ``score`` is in -1..1, None when the scorer could not tell (then ``needs_review``
    says whether a person should read it); ``method`` names what scored it.
    """

    score: float | None
    method: str
    needs_review: bool = False


@dataclass(frozen=True)
class AnswerRecorded:
    """A valid answer (or an explicit skip of an optional question).

    ``question_text`` is the exact wording the client saw, placeholders filled, so a
    report can show what was asked even after the flow is edited. ``sentiment`` is the
    score the engine used for ``sentiment(id)`` conditions (text answers with a scorer
    only), so the service stores it instead of scoring the text again.
    """

    question_id: str
    raw: str
    value: int | str | None
    language: str
    question_text: str
    skipped: bool = False
    sentiment: Sentiment | None = None


@dataclass(frozen=True)
class AnswerRejected:
    """An answer that did not parse.

    ``gave_up`` is True when the retries were used up and the flow moved on; the
    question then counts as unanswered.
    """

    question_id: str
    raw: str
    attempt: int
    gave_up: bool


@dataclass(frozen=True)
class WaitStarted:
    """The engine now waits for an answer to ``question_id``.

    The service stores ``reminder_at``/``expires_at`` in indexed columns and sends a
    timer tick (``resume(..., text=None)``) when one of them is due.
    """

    question_id: str
    reminder_at: datetime | None
    expires_at: datetime


@dataclass(frozen=True)
class Completed:
    """The conversation ended; ``status`` is one of :data:`COMPLETION_STATUSES`."""

    status: str


Event = MsgOut | AnswerRecorded | AnswerRejected | WaitStarted | Completed


@dataclass(frozen=True)
class Sprint:
    """The result of one engine call: the new state and what happened, in order."""

    state: dict[str, Any]
    events: tuple[Event, ...] = field(default_factory=tuple)

    @property
    def messages(self) -> list[MsgOut]:
        """Messages to send, in order."""
        return [e for e in self.events if isinstance(e, MsgOut)]

    @property
    def answers(self) -> list[AnswerRecorded]:
        """Answers recorded during this call."""
        return [e for e in self.events if isinstance(e, AnswerRecorded)]

    @property
    def rejected(self) -> list[AnswerRejected]:
        """Invalid answers seen during this call."""
        return [e for e in self.events if isinstance(e, AnswerRejected)]

    @property
    def completed(self) -> bool:
        """True when the conversation ended during this call."""
        return any(isinstance(e, Completed) for e in self.events)

    @property
    def completion(self) -> Completed | None:
        """The :class:`Completed` event, if the conversation ended in this call."""
        for e in self.events:
            if isinstance(e, Completed):
                return e
        return None

    @property
    def wait(self) -> WaitStarted | None:
        """The last :class:`WaitStarted` event, if the engine now waits for an answer."""
        waits = [e for e in self.events if isinstance(e, WaitStarted)]
        return waits[-1] if waits else None
