"""Development transport: logs outbound messages (phone masked) and keeps the last ones in
memory so the demo's SMS simulator can show them. Needs no credentials."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass

from cfbot.channels.base import SendResult
from cfbot.logging_setup import mask_phone

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentRecord:
    address: str
    text: str
    external_id: str


class ConsoleChannel:
    """Prints instead of sending. Used for SMS when Twilio is not configured."""

    def __init__(self, name: str = "sms", keep: int = 500) -> None:
        self.name = name
        self.sent: deque[SentRecord] = deque(maxlen=keep)
        self._lock = threading.Lock()

    def send(self, address: str, text: str, *, message_id: int | None = None) -> SendResult:
        with self._lock:
            # unique across processes and restarts (external_id is a unique column)
            external_id = f"CONSOLE{uuid.uuid4().hex[:25]}"
            self.sent.append(SentRecord(address, text, external_id))
        log.info("console %s -> %s: %s", self.name, mask_phone(address), text)
        return SendResult(ok=True, external_id=external_id, status="sent")

    def send_template(
        self,
        address: str,
        content_sid: str,
        variables: dict[str, str],
        *,
        message_id: int | None = None,
    ) -> SendResult:
        """A WhatsApp template send, shown as its Content SID and variables."""
        return self.send(address, f"[template {content_sid} {variables}]", message_id=message_id)
