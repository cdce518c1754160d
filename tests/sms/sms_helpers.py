"""Helpers for the SMS tests: sign webhook requests with Twilio's own validator, read
TwiML replies, count rows."""

from __future__ import annotations

import itertools
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select
from twilio.request_validator import RequestValidator

DATA = Path(__file__).resolve().parent / "data"
CONVERSATIONS = DATA / "conversations"
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://feedback.example.org"
INBOUND = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
PHONE = "+16125550123"
OUR_NUMBER = "+16125550000"

_counter = itertools.count(1)


def new_sid(prefix: str = "SM") -> str:
    """A fresh, Twilio-shaped message SID."""
    return prefix + uuid.uuid4().hex


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    """The X-Twilio-Signature Twilio would send for ``params`` posted to ``url``."""
    return RequestValidator(token).compute_signature(url, params)


def inbound_form(
    body: str, phone: str = PHONE, sid: str | None = None, **extra: str
) -> dict[str, str]:
    """The form Twilio posts for an inbound SMS."""
    form = {
        "MessageSid": sid or new_sid(),
        "SmsMessageSid": "",
        "AccountSid": ACCOUNT_SID,
        "From": phone,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
    }
    form["SmsMessageSid"] = form["MessageSid"]
    form.update(extra)
    return form


def post_signed(
    client: Any, path: str, form: dict[str, str], url: str | None = None, token: str = AUTH_TOKEN
) -> Any:
    """POST ``form`` to ``path`` signed for ``url`` (default: the public URL + path)."""
    signature = sign(url or PUBLIC_URL + path, form, token)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


def text(
    client: Any, body: str, phone: str = PHONE, sid: str | None = None, **extra: str
) -> list[str]:
    """Text the bot as ``phone`` through the signed webhook; returns the TwiML replies."""
    response = post_signed(client, INBOUND, inbound_form(body, phone, sid, **extra))
    assert response.status_code == 200, response.get_data(as_text=True)
    return twiml_messages(response.get_data(as_text=True))


def twiml_messages(xml: str) -> list[str]:
    """The text of each ``<Message>`` in a TwiML document."""
    root = ET.fromstring(xml)
    assert root.tag == "Response"
    return [(m.text or "") for m in root.iter("Message")]


def count(engine: Any, model: Any) -> int:
    """Rows in ``model``'s table."""
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def all_rows(engine: Any, model: Any, *where: Any) -> list[Any]:
    """Every row of ``model`` (optionally filtered), by id."""
    with Session(engine) as s:
        stmt = select(model)
        for cond in where:
            stmt = stmt.where(cond)
        return list(s.exec(stmt.order_by(model.id)).all())
