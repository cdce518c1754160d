"""Per-visit links: the visits API returns one; it opens the visit's survey in the web
chat with its site and language, joins the SMS answers, and is refused once used
elsewhere or after the survey ends."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from cfbot.channels.base import InboundMsg
from cfbot.clock import FrozenClock
from cfbot.models import Answer, Conversation, Invitation
from cfbot.services.inbound import handle_inbound
from cfbot.services.invitations import send_due_invitations
from cfbot.services.tokens import create_token
from cfbot.services.visit_links import code_is_signed, new_code

T0 = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Chicago
PHONE = "+16125550123"


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"public_url": "https://feedback.example.org"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


def _visit(client, rt, **over):  # type: ignore[no-untyped-def]
    token = create_token(rt, "ehr").secret
    body = {
        "phone": PHONE,
        "visited_at": (T0 - timedelta(hours=1)).isoformat(),
        "site": "southside",
        "program": "wic",
        "language": "es",
        "first_name": "Ana",
        "external_id": "V1",
        **over,
    }
    r = client.post("/api/v1/visits", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.get_json()
    link = r.get_json()["results"][0]["link"]
    assert re.fullmatch(r"https://feedback\.example\.org/s/[A-Za-z0-9_-]{14}", link)
    return link.removeprefix("https://feedback.example.org")


def _rows(rt, model):  # type: ignore[no-untyped-def]
    with Session(rt.engine) as s:
        return list(s.exec(select(model)).all())


def _sms(rt, text: str, now: datetime, sid: str) -> list[str]:  # type: ignore[no-untyped-def]
    msg = InboundMsg(channel="sms", address=PHONE, text=text, external_id=sid, received_at=now)
    return handle_inbound(rt, msg, now=now).replies


def test_link_opens_the_visits_survey_with_its_site_language_and_no_sms(client, rt):
    path = _visit(client, rt)
    r = client.get(path)
    assert r.status_code == 302 and r.headers["Location"].startswith("/chat")
    page = client.get("/chat").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Hola Ana" in page and "Southside Family Health" in page
    (conversation,) = _rows(rt, Conversation)
    assert (conversation.site, conversation.program, conversation.channel) == (
        "southside",
        "wic",
        "webchat",
    )
    (invitation,) = _rows(rt, Invitation)
    assert invitation.status == "sent" and invitation.reason == "opened the visit link"
    assert send_due_invitations(rt, T0 + timedelta(hours=3)).sent == 0
    # the same browser may come back; another one may not
    assert client.get(path).status_code == 302
    other = rt_client(client)
    refused = other.get(path)
    assert refused.status_code == 410 and "ended" in refused.get_data(as_text=True)


def rt_client(client):  # type: ignore[no-untyped-def]
    return client.application.test_client()


def test_link_joins_the_sms_survey_and_is_refused_after_it_ends(client, rt, clock):
    path = _visit(client, rt, language="en")
    clock.set(T0 + timedelta(hours=2))
    assert send_due_invitations(rt, clock.now()).sent == 1
    _sms(rt, "4", clock.now(), "SMLINK0001")  # overall, answered by text
    r = client.get(path)
    assert r.status_code == 302
    page = client.get("/chat").get_data(as_text=True)
    assert "What was your visit for?" in page  # the question the SMS survey waits on
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    for i, text in enumerate(["1", "9", "SKIP"]):
        client.post("/chat/send", data={"csrf_token": token, "text": text, "client_id": str(i)})
    (conversation,) = _rows(rt, Conversation)
    assert conversation.status == "completed" and conversation.channel == "sms"
    answers = {a.question_id: a.value_text for a in _rows(rt, Answer)}
    assert answers["overall"] == "4" and answers["reason"] == "shots"
    assert answers["recommend"] == "9"
    again = client.get(path)
    assert again.status_code == 410
    assert "ended" in again.get_data(as_text=True)


def test_bad_expired_or_forged_links_are_refused(client, rt, clock):
    assert client.get("/s/nonsense").status_code == 404
    forged = new_code("another-secret-key-0123")
    assert not code_is_signed(rt.settings.secret_key, forged)
    assert client.get(f"/s/{forged}").status_code == 404
    path = _visit(client, rt)
    clock.set(T0 + timedelta(days=30))
    assert client.get(path).status_code == 410
