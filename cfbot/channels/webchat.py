"""Web chat transport. Replies go back in the HTTP response; messages sent on our own
initiative (reminders) are stored and picked up when the page polls, so ``send`` only
marks them delivered."""

from __future__ import annotations

from cfbot.channels.base import SendResult


class WebChatChannel:
    name = "webchat"

    def send(self, address: str, text: str, *, message_id: int | None = None) -> SendResult:
        return SendResult(ok=True, external_id=None, status="delivered")
