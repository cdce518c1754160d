"""Helpers for the end-to-end tests (a unique module name, so it never collides with
another folder's helpers or conftest).

The e2e tests reuse the fakes the other suites already trust instead of copying them:
the fake Twilio REST API (``tests/sms/fake_twilio.py``), the webhook signing helpers
(``tests/sms/sms_helpers.py``) and the aiosmtpd server (``tests/alerts/alert_helpers.py``).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlmodel import Session, select

HERE = Path(__file__).resolve().parent
for _folder in ("sms", "alerts"):
    _path = str(HERE.parent / _folder)
    if _path not in sys.path:
        sys.path.insert(0, _path)

from alert_helpers import Received, SmtpServer  # noqa: E402
from fake_twilio import FakeTwilio  # noqa: E402
from sms_helpers import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    INBOUND,
    OUR_NUMBER,
    PUBLIC_URL,
    STATUS,
    inbound_form,
    new_sid,
    post_signed,
    twiml_messages,
)

__all__ = [
    "ACCOUNT_SID",
    "AUTH_TOKEN",
    "CHICAGO",
    "INBOUND",
    "OUR_NUMBER",
    "PUBLIC_URL",
    "STATUS",
    "FakeClock",
    "FakeTwilio",
    "Received",
    "SmtpServer",
    "expected_send_at",
    "in_window",
    "new_sid",
    "post_signed",
    "rows",
    "shipped_routing",
    "text_bot",
    "wait_for_mail",
]

CHICAGO = ZoneInfo("America/Chicago")
ROUTING_FILE = HERE.parent.parent / "conversations" / "routing.yaml"


def shipped_routing() -> dict[str, Any]:
    """The shipped ``conversations/routing.yaml`` (who the tests expect to get email)."""
    data = yaml.safe_load(ROUTING_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def expected_send_at(reported_at: datetime) -> datetime:
    """When an invitation for a visit reported at ``reported_at`` (more than the 2 h delay
    after the visit) may go out: at once inside 08:00-21:00 America/Chicago, else at the
    next 08:00 there. Computed here independently of cfbot's timing code."""
    local = reported_at.astimezone(CHICAGO)
    if dtime(8, 0) <= local.time() < dtime(21, 0):
        return reported_at
    day = local.date() if local.time() < dtime(8, 0) else local.date() + timedelta(days=1)
    return datetime.combine(day, dtime(8, 0), tzinfo=CHICAGO).astimezone(UTC)


def in_window(moment: datetime) -> bool:
    """True when ``moment`` is inside 08:00-21:00 America/Chicago."""
    return dtime(8, 0) <= moment.astimezone(CHICAGO).time() < dtime(21, 0)


@dataclass
class FakeClock:
    """``clock``/``sleep`` for the outbox dispatcher: starts at ``now``, never really sleeps."""

    now: datetime
    elapsed: float = 0.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now.timestamp() + self.elapsed

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.elapsed += seconds


def text_bot(client: Any, body: str, phone: str, sid: str | None = None) -> tuple[str, list[str]]:
    """Text the bot through the signed Twilio webhook; returns (raw TwiML, its messages)."""
    response = post_signed(client, INBOUND, inbound_form(body, phone, sid))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    return xml, twiml_messages(xml)


def wait_for_mail(smtp: SmtpServer, count: int, timeout: float = 2.0) -> list[Received]:
    """The server's messages once it has ``count`` (smtplib returns after the server's
    250, so this normally returns at once; the bounded wait only covers thread hand-off)."""
    deadline = time.monotonic() + timeout
    while len(smtp.received) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(smtp.received)


def rows(engine: Any, model: Any, *where: Any) -> list[Any]:
    """Rows of ``model`` (optionally filtered), by id."""
    with Session(engine) as session:
        stmt = select(model)
        for cond in where:
            stmt = stmt.where(cond)
        return list(session.exec(stmt.order_by(model.id)).all())
