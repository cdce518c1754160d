"""Delivery status callbacks: stored per message, and what they say about the number."""

from __future__ import annotations

import pytest
from sms_helpers import PHONE, STATUS, all_rows, post_signed
from sqlmodel import Session

from cfbot.models import Contact, Message, utcnow
from cfbot.services.conversation import queue_message


def sent_message(rt, sid: str, phone: str = PHONE) -> Message:
    """An outbound message Twilio has accepted (as the outbox leaves it)."""
    with Session(rt.engine, expire_on_commit=False) as s:
        person = s.exec(
            __import__("sqlmodel").select(Contact).where(Contact.phone == phone)
        ).first()
        if person is None:
            person = Contact(phone=phone)
            s.add(person)
            s.flush()
        msg = queue_message(s, person, "sms", "How was your visit?", kind="question", now=utcnow())
        msg.status, msg.external_id, msg.sent_at = "sent", sid, utcnow()
        s.add(msg)
        s.commit()
        return msg


def callback(client, sid, status, code=None, **extra):
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": "AC" + "0" * 32,
        "To": PHONE,
        "From": "+16125550000",
        "ApiVersion": "2010-04-01",
    }
    if code is not None:
        form["ErrorCode"] = code
    form.update(extra)
    return post_signed(client, STATUS, form)


def get(rt, model, id_):
    with Session(rt.engine) as s:
        return s.get(model, id_)


def sid(n: int) -> str:
    return f"SM{n:032d}"


def test_status_is_stored_and_only_moves_forward(client, rt):
    msg = sent_message(rt, sid(1))
    assert callback(client, sid(1), "sent").status_code == 204
    assert callback(client, sid(1), "delivered").status_code == 204
    assert get(rt, Message, msg.id).status == "delivered"
    # a late "sent" or "queued" never moves it back (and never re-queues it on the outbox)
    callback(client, sid(1), "sent")
    callback(client, sid(1), "queued")
    assert get(rt, Message, msg.id).status == "delivered"
    callback(client, sid(1), "read")
    assert get(rt, Message, msg.id).status == "read"


def test_failure_stores_the_error_code(client, rt):
    msg = sent_message(rt, sid(2))
    callback(client, sid(2), "undelivered", "30007")
    row = get(rt, Message, msg.id)
    assert row.status == "undelivered" and row.error_code == "30007"
    person = get(rt, Contact, row.contact_id)
    assert not person.unreachable and not person.opted_out and person.delivery_failures == 0


def test_21610_in_a_callback_opts_the_contact_out(client, rt):
    msg = sent_message(rt, sid(3))
    callback(client, sid(3), "failed", "21610")
    person = get(rt, Contact, msg.contact_id)
    assert person.opted_out and person.opted_out_at is not None


@pytest.mark.parametrize("code", ["30003", "30005", "30006"])
def test_repeated_unreachable_failures_mark_the_number(client, rt, code):
    msgs = [sent_message(rt, sid(10 + i)) for i in range(3)]
    callback(client, sid(10), "undelivered", code)
    callback(client, sid(10), "undelivered", code)  # Twilio retried the callback: counts once
    callback(client, sid(11), "undelivered", code)
    person = get(rt, Contact, msgs[0].contact_id)
    assert person.delivery_failures == 2 and not person.unreachable
    callback(client, sid(12), "failed", code)
    person = get(rt, Contact, msgs[0].contact_id)
    assert person.unreachable and code in person.unreachable_reason
    if code == "30006":
        assert "landline" in person.unreachable_reason


def test_a_delivered_message_resets_the_failure_count(client, rt):
    msgs = [sent_message(rt, sid(20 + i)) for i in range(3)]
    callback(client, sid(20), "undelivered", "30003")
    callback(client, sid(21), "undelivered", "30003")
    callback(client, sid(22), "delivered")
    person = get(rt, Contact, msgs[0].contact_id)
    assert person.delivery_failures == 0 and not person.unreachable


def test_unknown_message_is_acknowledged_and_changes_nothing(client, rt):
    assert callback(client, sid(99), "delivered").status_code == 204
    assert all_rows(rt.engine, Message) == []


@pytest.mark.parametrize(
    "form",
    [
        {"MessageStatus": "delivered"},
        {"MessageSid": "SM1", "MessageStatus": "exploded"},
        {"MessageSid": "SM1"},
        {"MessageSid": "SM1", "MessageStatus": "failed", "ErrorCode": "DROP TABLE"},
    ],
)
def test_malformed_callbacks_get_400(client, rt, form):
    sent_message(rt, "SM1")
    assert post_signed(client, STATUS, form).status_code == 400
    (row,) = all_rows(rt.engine, Message)
    assert row.status == "sent" and row.error_code is None


def test_twilio_canceled_is_stored_in_our_spelling(client, rt):
    # Twilio says "canceled"; everything of ours (STOP, staff review) says "cancelled"
    msg = sent_message(rt, sid(40))
    assert callback(client, sid(40), "canceled").status_code == 204
    assert get(rt, Message, msg.id).status == "cancelled"
    # and a late "sent" never moves it back
    assert callback(client, sid(40), "sent").status_code == 204
    assert get(rt, Message, msg.id).status == "cancelled"
