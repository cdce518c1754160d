"""Case work and the follow-up to the client: assign (emailed), notes, reopen, a crisis
survey resumed, a reply sent once, held for quiet hours, refused after STOP, and the
client's answer landing on the same alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alert_helpers import PHONE, T0, csrf_from, invite, rows, sms
from staff_login import login

from cfbot.db import unit_of_work
from cfbot.models import Alert, AlertEvent, Contact, Conversation, MailOut, Message
from cfbot.services.accounts import save_user
from cfbot.services.alerts import followup
from cfbot.services.alerts.actions import resolve_alert
from cfbot.services.alerts.casework import reopen_alert, set_paused_survey
from cfbot.services.outbox import dispatch_outbox

UNHAPPY = ["1", "Terrible, nobody helped me", "2", "3", "skip"]
DAY = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)  # 12:00 in Minneapolis
NIGHT = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # 01:00 in Minneapolis
MANAGER = "north-manager@example.org"


def unhappy(rt) -> int:
    invite(rt, site="northside")
    for i, text in enumerate(UNHAPPY, 1):
        sms(rt, text, now=T0 + timedelta(minutes=i))
    return rows(rt, Alert)[-1].id


def dispatch(rt, now):
    return dispatch_outbox(rt, now, budget_seconds=1.0, clock=lambda: 0.0, sleep=lambda s: None)


def followups(rt) -> list[Message]:
    return [m for m in rows(rt, Message) if m.kind == "followup"]


def test_assign_emails_the_person_note_and_reopen(rt, client):
    alert_id = unhappy(rt)
    save_user(rt, "north-wic@example.org", "staff", ["northside"], ["immunizations"])
    login(rt, client, MANAGER, "manager", ["northside"])
    page = client.get(f"/dashboard/alerts/{alert_id}").get_data(as_text=True)
    token = csrf_from(page)
    assert 'value="north-wic@example.org"' in page  # offered in the assign list
    reply = client.post(
        f"/dashboard/alerts/{alert_id}/assign",
        data={"csrf_token": token, "assignee": "north-wic@example.org"},
    )
    assert reply.status_code == 302
    (mail,) = [m for m in rows(rt, MailOut) if m.purpose == "assigned"]
    assert mail.recipients == ["north-wic@example.org"]
    assert f"/dashboard/alerts/{alert_id}" in mail.text_body
    # an unknown person is a clear 400
    bad = client.post(
        f"/dashboard/alerts/{alert_id}/assign",
        data={"csrf_token": token, "assignee": "nobody@example.org"},
    )
    assert bad.status_code == 400
    assert (
        client.post(
            f"/dashboard/alerts/{alert_id}/note", data={"csrf_token": token, "note": " "}
        ).status_code
        == 400
    )
    client.post(
        f"/dashboard/alerts/{alert_id}/note", data={"csrf_token": token, "note": "Left a voicemail"}
    )
    listing = client.get("/dashboard/?status=all").get_data(as_text=True)
    assert "north-wic@example.org" in listing  # the list shows the assignee and the due time
    assert "overdue since" in listing or "2026-03-0" in listing
    # reopening needs a resolved alert and a reason
    assert (
        client.post(
            f"/dashboard/alerts/{alert_id}/reopen", data={"csrf_token": token, "note": "x"}
        ).status_code
        == 409
    )
    resolve_alert(rt, alert_id, MANAGER, "Apologised", cause="staff_manner")
    client.post(
        f"/dashboard/alerts/{alert_id}/reopen",
        data={"csrf_token": token, "note": "Client called back"},
    )
    (alert,) = rows(rt, Alert)
    assert alert.status == "open" and alert.resolved_at is None and alert.escalated_at is None
    actions = [(e.action, e.actor) for e in rows(rt, AlertEvent)]
    for action in ("assigned", "note", "resolved", "reopened"):
        assert (action, MANAGER) in actions


def test_followup_is_sent_once_and_the_answer_lands_on_the_alert(rt, client):
    alert_id = unhappy(rt)
    login(rt, client, MANAGER, "manager", ["northside"])
    page = client.get(f"/dashboard/alerts/{alert_id}").get_data(as_text=True)
    assert "client&#39;s language" in page or "client's language" in page
    token = csrf_from(page)
    text = "Nos dijo que la espera fue larga; ahora está una segunda enfermera los martes."
    preview = client.post(
        f"/dashboard/alerts/{alert_id}/followup",
        data={"csrf_token": token, "text": text, "language": "es", "action": "preview"},
    ).get_data(as_text=True)
    assert "SMS segment(s), UCS-2" in preview and followups(rt) == []
    followup.send_followup(rt, alert_id, MANAGER, text, "es", DAY)
    with pytest.raises(followup.FollowupRefused, match="already sent"):
        followup.send_followup(rt, alert_id, MANAGER, text, "es", DAY)
    again = client.post(
        f"/dashboard/alerts/{alert_id}/followup",
        data={"csrf_token": token, "text": text, "language": "es", "action": "send"},
    )
    assert again.status_code == 409
    dispatch(rt, DAY)  # (the survey's first question, queued by the invitation, goes too)
    (sent,) = followups(rt)
    assert sent.status == "sent" and sent.body == text
    # the client answers: the text lands on the alert, not in a new survey
    sms(rt, "Gracias, muy amables", now=DAY + timedelta(hours=1))
    page = client.get(f"/dashboard/alerts/{alert_id}").get_data(as_text=True)
    assert "Gracias, muy amables" in page
    assert any(e.action == "client_replied" for e in rows(rt, AlertEvent))


def test_followup_waits_for_quiet_hours(rt):
    alert_id = unhappy(rt)
    followup.send_followup(rt, alert_id, MANAGER, "We fixed the wait.", "en", NIGHT)
    report = dispatch(rt, NIGHT)
    assert report.sent == 0 and report.deferred >= 1
    (queued,) = followups(rt)
    assert queued.status == "queued" and queued.next_attempt_at == datetime(
        2026, 3, 4, 14, 0, tzinfo=UTC
    )  # 08:00 in Minneapolis


def test_followup_is_refused_for_an_opted_out_client(rt, client):
    alert_id = unhappy(rt)
    sms(rt, "STOP", now=T0 + timedelta(minutes=30))
    with pytest.raises(followup.FollowupRefused, match="opted out"):
        followup.send_followup(rt, alert_id, MANAGER, "Hello", "en", DAY)
    login(rt, client, MANAGER, "manager", ["northside"])
    page = client.get(f"/dashboard/alerts/{alert_id}").get_data(as_text=True)
    assert "opted out" in page
    reply = client.post(
        f"/dashboard/alerts/{alert_id}/followup",
        data={"csrf_token": csrf_from(page), "text": "Hi", "language": "en", "action": "send"},
    )
    assert reply.status_code == 409 and followups(rt) == []
    bad = client.post(
        f"/dashboard/alerts/{alert_id}/followup",
        data={"csrf_token": csrf_from(page), "text": "Hi", "language": "xx", "action": "send"},
    )
    assert bad.status_code in (400, 409)


def test_resolved_crisis_alert_resumes_or_closes_the_paused_survey(rt):
    invite(rt, site="northside")
    sms(rt, "I want to end my life", now=T0 + timedelta(minutes=1))
    (alert,) = rows(rt, Alert)
    (conversation,) = rows(rt, Conversation)
    assert conversation.status == "paused"
    with pytest.raises(Exception, match="resolve the crisis alert first"):
        set_paused_survey(rt, alert.id, MANAGER, resume=True)
    resolve_alert(rt, alert.id, MANAGER, "Called; client is safe", cause="other")
    assert set_paused_survey(rt, alert.id, MANAGER, resume=True) == "active"
    (conversation,) = rows(rt, Conversation)
    assert conversation.status == "active" and conversation.open_key == conversation.contact_id
    with unit_of_work(rt.engine) as session:
        contact = session.get(Contact, conversation.contact_id)
        assert contact is not None and contact.phone == PHONE
    reopen_alert(rt, alert.id, MANAGER, "again")
