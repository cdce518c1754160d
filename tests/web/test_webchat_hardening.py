"""Hardening findings 1-2: a crisis flood from web chat, and web chat after a crisis."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from cfbot.models import Alert, MailOut, Message

CRISIS = "I want to end my life"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webchat_limit_ip": "8/minute", "webchat_limit_total": "1000/minute"}


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _rows(rt, model):  # type: ignore[no-untyped-def]
    with Session(rt.engine) as session:
        return list(session.exec(select(model)).all())


def _send(client, token, text, client_id):  # type: ignore[no-untyped-def]
    headers = {"X-Requested-With": "fetch", "X-CSRF-Token": token}
    return client.post(
        "/chat/send?after=0", data={"text": text, "client_id": client_id}, headers=headers
    )


def test_a_crisis_flood_from_one_address_is_one_alert_and_everyone_gets_help(app, rt):
    statuses = []
    for i in range(15):
        client = app.test_client()
        token = _csrf(client.get("/chat").get_data(as_text=True))
        r = _send(client, token, CRISIS, f"c{i}")
        statuses.append(r.status_code)
        texts = " ".join(m["text"] for m in r.get_json()["messages"])
        assert "911" in texts and "988" in texts, (i, r.status_code, texts)
    assert 429 in statuses, "the per-address limit applies"
    crisis = [a for a in _rows(rt, Alert) if a.kind == "crisis"]
    assert len(crisis) == 1
    assert crisis[0].details["count"] >= 8
    assert len([m for m in _rows(rt, MailOut) if m.purpose == "alert"]) == 1


def test_a_limited_plain_message_gets_a_429_with_the_emergency_numbers(app):
    client = app.test_client()
    token = _csrf(client.get("/chat").get_data(as_text=True))
    last = None
    for i in range(10):
        last = _send(client, token, "hello", f"h{i}")
    assert last is not None and last.status_code == 429
    assert "911" in last.get_data(as_text=True)


def test_web_chat_stays_open_to_staff_after_a_crisis_in_the_clients_language(client, rt):
    token = _csrf(client.get("/chat").get_data(as_text=True))
    client.post("/chat/start", data={"csrf_token": token, "flow": "clinic_visit"})
    r = _send(client, token, "quiero quitarme la vida", "x1")
    assert r.get_json()["open"] is True, "the answer box stays"
    assert "988" in " ".join(m["text"] for m in r.get_json()["messages"])
    page = client.get("/chat").get_data(as_text=True)
    assert 'id="send-form"' in page
    r = _send(client, token, "todavía estoy aquí y tengo miedo", "x2")
    assert r.get_json()["open"] is True
    assert "Nuestro personal tiene su mensaje" in r.get_json()["messages"][-1]["text"]
    (alert,) = [a for a in _rows(rt, Alert) if a.kind == "crisis"]
    (later,) = [m for m in _rows(rt, Message) if m.body.startswith("todavía")]
    assert later.id in alert.details["followup_ids"]
