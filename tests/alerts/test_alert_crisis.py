"""Crisis messages: help at once in the client's language, survey paused, on-call emailed."""

from __future__ import annotations

from datetime import timedelta

from alert_helpers import PHONE, T0, invite, rows, sms

from cfbot.models import Alert, AlertEvent, Conversation, Message
from cfbot.services.alerts import crisis_hold_until, send_pending_mail
from cfbot.services.crisis_response import crisis_reply, handle_crisis
from cfbot.services.routing import Routing
from cfbot.services.timers import run_due_timers

SELF_HARM_EN = "honestly I want to kill myself"
SELF_HARM_ES = "ya no quiero vivir, me quiero morir"


def test_crisis_mid_survey_replies_at_once_pauses_and_alerts_on_call(rt, smtp):
    conversation_id = invite(rt)
    replies = sms(rt, SELF_HARM_EN, now=T0 + timedelta(minutes=1))
    assert len(replies) == 1
    reply = replies[0]
    assert "911" in reply and "988" in reply and "Metro crisis line: 612-555-0199." in reply

    (conversation,) = rows(rt, Conversation)
    assert conversation.id == conversation_id
    assert conversation.status == "paused" and conversation.open_key is None
    assert conversation.next_wake_at is None

    (alert,) = rows(rt, Alert)
    assert alert.kind == "crisis" and alert.severity == "urgent" and alert.category == "self_harm"
    assert alert.site == "northside" and alert.conversation_id == conversation_id
    assert alert.escalate_at == T0 + timedelta(minutes=16)
    # the crisis text is not an answer to the survey question
    assert "honestly" not in str(conversation.state.get("answers"))

    assert send_pending_mail(rt, T0 + timedelta(minutes=1)) == 1
    (mail,) = smtp.received
    assert sorted(mail.envelope_to) == ["oncall2@example.org", "oncall@example.org"]
    assert mail.message["Subject"].strip().startswith("URGENT crisis alert #")
    assert SELF_HARM_EN in mail.text and PHONE not in mail.message.as_string()
    assert "/dashboard/alerts/" in mail.text
    actions = [e.action for e in rows(rt, AlertEvent)]
    assert actions[:2] == ["created", "client_replied"] and "email_sent" in actions


def test_crisis_reply_is_in_spanish_for_a_spanish_speaker(rt, smtp):
    invite(rt, lang="es")
    (reply,) = sms(rt, SELF_HARM_ES, now=T0 + timedelta(minutes=1))
    assert "llame al 911" in reply and "988" in reply
    assert "inglés" in reply and "AYUDA" in reply  # 988 texting: English, or AYUDA for Spanish
    assert "Línea de crisis: 612-555-0199." in reply
    (alert,) = rows(rt, Alert)
    assert alert.kind == "crisis"


def test_crisis_without_an_open_survey_still_gets_help_and_alerts(rt, smtp):
    (reply,) = sms(rt, "my husband hits me and I am scared")
    assert "911" in reply
    (alert,) = rows(rt, Alert)
    assert alert.category == "violence_abuse" and alert.conversation_id is None
    send_pending_mail(rt, T0)
    assert smtp.received[0].envelope_to == ["oncall@example.org", "oncall2@example.org"]


def test_crisis_comes_before_stop_and_before_the_flow(rt):
    invite(rt)
    (reply,) = sms(rt, "STOP I want to end my life", now=T0 + timedelta(minutes=1))
    assert "988" in reply
    assert rows(rt, Alert)[0].kind == "crisis"


def test_repeated_crisis_messages_within_minutes_make_one_alert_but_always_get_help(rt, smtp):
    invite(rt)
    first = sms(rt, SELF_HARM_EN, now=T0 + timedelta(minutes=1))
    second = sms(rt, "I want to die", now=T0 + timedelta(minutes=3))
    assert "988" in first[0] and "988" in second[0]
    (alert,) = rows(rt, Alert)
    assert len(alert.details["message_ids"]) == 2
    send_pending_mail(rt, T0 + timedelta(minutes=4))
    assert len(smtp.received) == 1
    assert SELF_HARM_EN in smtp.received[0].text and "I want to die" in smtp.received[0].text


def test_later_messages_go_to_the_crisis_alert_and_the_client_is_reminded_of_help(rt):
    invite(rt)
    sms(rt, SELF_HARM_EN, now=T0 + timedelta(minutes=1))
    (reply,) = sms(rt, "ok", now=T0 + timedelta(minutes=5))
    assert "911" in reply and "988" in reply
    (alert,) = rows(rt, Alert)
    assert len(alert.details["followup_ids"]) == 1
    assert any(e.action == "client_message" and e.note == "ok" for e in rows(rt, AlertEvent))


def test_paused_survey_gets_no_reminder_and_the_contact_is_on_hold(rt):
    from sqlmodel import Session

    invite(rt)
    sms(rt, SELF_HARM_EN, now=T0 + timedelta(minutes=1))
    run_due_timers(rt, T0 + timedelta(hours=5))  # the reminder would be due after 4 h
    outbound = [m for m in rows(rt, Message) if m.direction == "out" and m.kind == "reminder"]
    assert outbound == []
    (alert,) = rows(rt, Alert)
    with Session(rt.engine) as session:
        until = crisis_hold_until(rt, session, alert.contact_id, T0 + timedelta(days=1))
        assert until == T0 + timedelta(minutes=1) + timedelta(days=14)
        assert crisis_hold_until(rt, session, alert.contact_id, T0 + timedelta(days=15)) is None


def test_webchat_crisis_gets_the_same_help(rt, client):
    from cfbot.channels.base import InboundMsg
    from cfbot.services.inbound import handle_inbound

    result = handle_inbound(
        rt,
        InboundMsg("webchat", "webchat-session-1", SELF_HARM_EN, "WC-1", T0),
        now=T0,
    )
    assert "988" in result.replies[0]
    assert rows(rt, Alert)[0].kind == "crisis"


def test_detection_failure_never_blocks_the_survey(rt, monkeypatch):
    import cfbot.services.crisis as crisis

    def broken(text, lang=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(crisis, "detect_crisis", broken)
    monkeypatch.setattr(crisis, "assess", broken)
    invite(rt)
    replies = sms(rt, "4", now=T0 + timedelta(minutes=1))
    assert replies and "911" not in replies[0]
    assert rows(rt, Alert) == []


def test_reply_falls_back_to_english_and_keeps_emergency_numbers_in_custom_text():
    routing = Routing(
        crisis_reply={"en": "Please get help."}, crisis_resources={"en": "Line: 555."}
    )
    text = crisis_reply(routing, "xx")
    assert "Please get help." in text and "Line: 555." in text and "911" in text and "988" in text
    for lang in ("en", "es", "so", "hmn", "vi"):
        built_in = crisis_reply(Routing(), lang)
        assert "911" in built_in and "988" in built_in


def test_crisis_step_runs_first_and_the_pipeline_is_fixed_data():
    # crisis before STOP/HELP, follow-ups before the flow: the order is the safety policy
    from cfbot.services.alerts.followup import handle_followup_reply
    from cfbot.services.crisis_response import handle_crisis_followup
    from cfbot.services.inbound import PIPELINE, run_flow
    from cfbot.services.keywords import handle_keywords

    assert PIPELINE == (
        handle_crisis,
        handle_keywords,
        handle_crisis_followup,
        handle_followup_reply,
        run_flow,
    )
    assert isinstance(PIPELINE, tuple)
