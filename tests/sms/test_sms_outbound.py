"""Sending through the real twilio REST client pointed at a fake Twilio on loopback."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fake_twilio import Hang, NotMobile, OptedOut, RateLimited, ServerError
from sms_helpers import ACCOUNT_SID, AUTH_TOKEN, PHONE, PUBLIC_URL, all_rows, text
from sqlmodel import Session

from cfbot.channels.twilio_sms import TwilioSmsChannel
from cfbot.models import Contact, Message, utcnow
from cfbot.runtime import build_runtime
from cfbot.services.conversation import queue_message
from cfbot.services.delivery import mark_send_result


@pytest.fixture
def channel(fake_twilio) -> TwilioSmsChannel:
    return TwilioSmsChannel(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        from_number="+16125550000",
        status_callback_url=PUBLIC_URL + "/webhooks/twilio/status",
        api_base_url=fake_twilio.base_url,
        timeout=1.0,
    )


def queued(rt, body="Reminder: how was your visit?") -> Message:
    """A contact who has texted us, with one message waiting in the outbox."""
    with Session(rt.engine, expire_on_commit=False) as s:
        person = Contact(phone=PHONE)
        s.add(person)
        s.flush()
        msg = queue_message(s, person, "sms", body, kind="reminder", now=utcnow())
        s.commit()
        return msg


def dispatch(rt, channel, message_id) -> Message:
    """What the outbox dispatcher does with one message: send, then record the result."""
    with Session(rt.engine, expire_on_commit=False) as s:
        msg = s.get(Message, message_id)
        result = channel.send(msg.address, msg.body, message_id=msg.id)
        mark_send_result(s, msg, result, utcnow())
        s.commit()
        return msg


def test_send_creates_a_message_with_from_and_status_callback(channel, fake_twilio):
    result = channel.send(PHONE, "Hola ¿cómo está? 😊", message_id=7)
    assert result.ok and result.external_id.startswith("SM") and not result.retryable
    (sent,) = fake_twilio.sent
    assert sent.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert sent.form["To"] == PHONE
    assert sent.form["From"] == "+16125550000"
    assert sent.form["Body"] == "Hola ¿cómo está? 😊"
    assert sent.form["StatusCallback"] == PUBLIC_URL + "/webhooks/twilio/status"


def test_send_with_a_messaging_service(fake_twilio):
    channel = TwilioSmsChannel(
        ACCOUNT_SID,
        AUTH_TOKEN,
        messaging_service_sid="MG" + "1" * 32,
        api_base_url=fake_twilio.base_url,
    )
    assert channel.send(PHONE, "hi").ok
    form = fake_twilio.sent[0].form
    assert form["MessagingServiceSid"] == "MG" + "1" * 32 and "From" not in form
    assert "StatusCallback" not in form


def test_21610_is_final_and_opts_the_contact_out(rt, channel, fake_twilio):
    msg = queued(rt)
    other = queued_for_same(rt, "Second reminder")
    fake_twilio.script(OptedOut())
    result = channel.send(PHONE, "hi")
    assert not result.ok and not result.retryable and result.error_code == "21610"
    fake_twilio.script(OptedOut())
    sent = dispatch(rt, channel, msg.id)
    assert sent.status == "failed" and sent.error_code == "21610" and sent.attempts == 1
    (person,) = all_rows(rt.engine, Contact)
    assert person.opted_out and person.opted_out_at is not None
    (left,) = [m for m in all_rows(rt.engine, Message) if m.id == other.id]
    assert left.status == "cancelled"


def queued_for_same(rt, body) -> Message:
    with Session(rt.engine, expire_on_commit=False) as s:
        (person,) = s.exec(__import__("sqlmodel").select(Contact)).all()
        msg = queue_message(s, person, "sms", body, kind="reminder", now=utcnow())
        s.commit()
        return msg


def test_429_is_retryable_after_twilios_retry_after(rt, channel, fake_twilio):
    fake_twilio.script(RateLimited(retry_after=120))
    result = channel.send(PHONE, "hi")
    assert not result.ok and result.retryable and result.error_code == "20429"
    assert result.retry_after == 120.0
    msg = queued(rt)
    fake_twilio.script(RateLimited(retry_after=120))
    before = utcnow()
    again = dispatch(rt, channel, msg.id)
    assert again.status == "queued" and again.attempts == 1
    assert again.next_attempt_at >= before + timedelta(seconds=120)
    # the next attempt goes through
    done = dispatch(rt, channel, msg.id)
    assert done.status == "sent" and done.external_id.startswith("SM") and done.attempts == 2
    (person,) = all_rows(rt.engine, Contact)
    assert not person.opted_out


def test_429_without_retry_after(channel, fake_twilio):
    fake_twilio.script(RateLimited(retry_after=None))
    result = channel.send(PHONE, "hi")
    assert result.retryable and result.retry_after is None


def test_500_is_retryable_and_gives_up_after_max_attempts(rt, channel, fake_twilio):
    fake_twilio.script(ServerError())
    result = channel.send(PHONE, "hi")
    assert not result.ok and result.retryable and result.error_code == "20500"
    msg = queued(rt)
    for _ in range(5):
        fake_twilio.script(ServerError())
        msg = dispatch(rt, channel, msg.id)
    assert msg.status == "failed" and msg.attempts == 5
    (person,) = all_rows(rt.engine, Contact)
    assert not person.opted_out and not person.unreachable


def test_a_hanging_twilio_times_out_quickly_and_is_not_resent(channel, fake_twilio):
    # Twilio got the request and may have sent it: at most once, so "unknown", no retry
    fake_twilio.script(Hang(5))
    started = time.monotonic()
    result = channel.send(PHONE, "hi")
    assert time.monotonic() - started < 3
    assert not result.ok and not result.retryable and result.status == "unknown"


def test_a_message_with_unknown_outcome_is_kept_for_review_not_requeued(rt, channel, fake_twilio):
    msg = queued(rt)
    fake_twilio.script(Hang(5))
    sent = dispatch(rt, channel, msg.id)
    assert sent.status == "unknown" and sent.next_attempt_at is None


def test_unreachable_twilio_is_retryable():
    channel = TwilioSmsChannel(
        ACCOUNT_SID, AUTH_TOKEN, api_base_url="http://127.0.0.1:9", timeout=1
    )
    result = channel.send(PHONE, "hi")
    assert not result.ok and result.retryable


def test_not_a_mobile_number_is_final_and_marks_unreachable(rt, channel, fake_twilio):
    msg = queued(rt)
    fake_twilio.script(NotMobile())
    sent = dispatch(rt, channel, msg.id)
    assert sent.status == "failed" and sent.error_code == "21614"
    (person,) = all_rows(rt.engine, Contact)
    assert person.unreachable and not person.opted_out


def test_wrong_credentials_are_final(fake_twilio):
    channel = TwilioSmsChannel(ACCOUNT_SID, "wrong-token", api_base_url=fake_twilio.base_url)
    result = channel.send(PHONE, "hi")
    assert not result.ok and not result.retryable and result.error_code == "20003"


def test_the_runtime_builds_the_twilio_channel_from_settings(settings, fake_twilio):
    rt = build_runtime(
        settings.replace(sms_channel="twilio", twilio_api_base_url=fake_twilio.base_url)
    )
    channel = rt.channels["sms"]
    assert isinstance(channel, TwilioSmsChannel)
    assert channel.send(PHONE, "hello").ok
    assert fake_twilio.sent[0].form["StatusCallback"] == PUBLIC_URL + "/webhooks/twilio/status"


def test_replies_to_inbound_never_use_the_rest_api(client, rt, fake_twilio):
    text(client, "FEEDBACK")
    assert fake_twilio.requests == []
