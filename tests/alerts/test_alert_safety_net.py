"""The urgent_review tier end to end (SMS and web chat) and crisis replies in the
language the client wrote."""

from __future__ import annotations

from datetime import timedelta

from alert_helpers import T0, invite, rows, sms

from cfbot.models import Alert, AlertEvent, Conversation
from cfbot.services.alerts import escalate_due, send_pending_mail

POSSIBLE_EN = "everyone would be better off without me"
KIND_EN = "A staff member will read your message."


def test_urgent_review_over_sms_gets_the_kind_reply_pauses_and_raises_an_urgent_item(rt, smtp):
    invite(rt)
    (reply,) = sms(rt, POSSIBLE_EN, now=T0 + timedelta(minutes=1))
    assert KIND_EN in reply and "911" in reply and "988" in reply
    (conversation,) = rows(rt, Conversation)
    assert conversation.status == "paused"  # the survey never swallows it
    assert POSSIBLE_EN not in str(conversation.state.get("answers"))
    (alert,) = rows(rt, Alert)
    assert alert.kind == "crisis" and alert.severity == "urgent"
    assert alert.details["tier"] == "urgent_review" and alert.details["language"] == "en"
    assert alert.reason.startswith("Urgent review: ")
    assert alert.escalate_at == T0 + timedelta(minutes=16)
    assert send_pending_mail(rt, T0 + timedelta(minutes=1)) == 1
    (mail,) = smtp.received
    assert sorted(mail.envelope_to) == ["oncall2@example.org", "oncall@example.org"]
    # nobody acknowledges: it escalates like any urgent alert
    assert escalate_due(rt, T0 + timedelta(minutes=17)) == 1


def test_a_crisis_message_after_an_urgent_review_raises_the_alert_to_crisis(rt, smtp):
    invite(rt)
    sms(rt, POSSIBLE_EN, now=T0 + timedelta(minutes=1))
    (alert,) = rows(rt, Alert)
    assert alert.reason.startswith("Urgent review: ")
    sms(rt, "i want to kill myself tonight", now=T0 + timedelta(minutes=3))
    (alert,) = rows(rt, Alert)  # the same alert, now read as a crisis
    assert alert.details["tier"] == "crisis" and alert.details["count"] == 2
    assert not alert.reason.startswith("Urgent review") and alert.rule_source.startswith("crisis:")
    events = [e.note for e in rows(rt, AlertEvent) if e.alert_id == alert.id]
    assert "A crisis-tier message: raised from urgent review" in events


def test_urgent_review_in_somali_gets_the_somali_kind_reply(rt, smtp):
    invite(rt)
    (reply,) = sms(rt, "kaniiniyo badan ayaan kaydiyay maalmahan", now=T0 + timedelta(minutes=1))
    assert "Shaqaale ayaa akhrin doona fariintaada" in reply and "911" in reply
    (alert,) = rows(rt, Alert)
    assert alert.details["tier"] == "urgent_review" and alert.details["language"] == "so"


def test_urgent_review_over_web_chat_gets_the_kind_reply(rt, client):
    from cfbot.channels.base import InboundMsg
    from cfbot.services.inbound import handle_inbound

    result = handle_inbound(
        rt, InboundMsg("webchat", "webchat-session-9", "I bought a rope yesterday", "WC-9", T0), T0
    )
    assert KIND_EN in result.replies[0] and "988" in result.replies[0]
    (alert,) = rows(rt, Alert)
    assert alert.details["tier"] == "urgent_review" and alert.severity == "urgent"


def test_a_crisis_written_in_spanish_in_an_english_survey_gets_the_spanish_reply(rt, smtp):
    invite(rt)  # English survey
    (reply,) = sms(rt, "mi esposo me pega y tengo miedo", now=T0 + timedelta(minutes=1))
    assert "llame al 911" in reply and "AYUDA" in reply
    (alert,) = rows(rt, Alert)
    assert alert.details["tier"] == "crisis" and alert.details["language"] == "es"


def test_look_alikes_stay_in_the_survey(rt, smtp):
    invite(rt)
    sms(rt, "2", now=T0 + timedelta(minutes=1))
    sms(rt, "the wait was killing me", now=T0 + timedelta(minutes=2))
    assert rows(rt, Conversation)[0].status == "active"
    assert all(a.kind != "crisis" for a in rows(rt, Alert))
