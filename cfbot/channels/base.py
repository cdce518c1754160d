"""The one small interface every channel adapter implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class InboundMsg:
    """A client's message as any channel hands it to the conversation service."""

    channel: str
    address: str
    text: str
    external_id: str | None
    received_at: datetime
    media_count: int = 0
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    """Outcome of one send attempt. ``retryable`` tells the outbox to try again later."""

    ok: bool
    external_id: str | None = None
    status: str = "sent"
    error_code: str | None = None
    error: str | None = None
    retryable: bool = False
    retry_after: float | None = None


class Channel(Protocol):
    """A transport. ``send`` is used for messages sent on our own initiative (outbox);
    replies to an inbound message go back in that request's response."""

    name: str

    def send(self, address: str, text: str, *, message_id: int | None = None) -> SendResult:
        """Deliver ``text`` to ``address``; never raises for delivery failures."""
        ...
