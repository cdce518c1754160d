"""Outbox dispatch: pacing per sender, retries with backoff, opt-out at send time,
at-most-once recovery, and several dispatchers never doubling a send."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sched_helpers import T0, RecordingChannel
from sqlmodel import Session, select

from cfbot.channels.base import SendResult
from cfbot.db import unit_of_work
from cfbot.models import Contact, Message
from cfbot.services.conversation import get_or_create_contact, queue_message
from cfbot.services.outbox import dispatch_outbox, recover_stuck


def queue(rt, n: int, text: str = "Hello", phone_base: int = 6125550100, when=T0):  # type: ignore[no-untyped-def]
    with unit_of_work(rt.engine) as s:
        for i in range(n):
            c = get_or_create_contact(s, "sms", f"+1{phone_base + i}", when)
            queue_message(s, c, "sms", text, kind="question", now=when)


def messages(rt) -> list[Message]:  # type: ignore[no-untyped-def]
    with Session(rt.engine) as s:
        return list(s.exec(select(Message).order_by(Message.id)).all())


def test_sends_are_spread_at_the_configured_rate(rt, recorder, fake_time) -> None:  # type: ignore[no-untyped-def]
    rt.settings.__dict__["sms_segments_per_second"] = 2.0
    queue(rt, 5)
    queue(rt, 1, text="x" * 200, phone_base=6125550200)  # 2 segments
    report = dispatch_outbox(
        rt, T0, budget_seconds=60, clock=fake_time.clock, sleep=fake_time.sleep
    )
    assert report.sent == 6 and report.segments == 7
    gaps = [b - a for a, b in zip(report.send_times, report.send_times[1:], strict=False)]
    assert all(g == pytest.approx(0.5) for g in gaps)  # 1 segment at 2/s


def test_budget_stops_the_tick_and_the_next_tick_goes_on(rt, recorder, fake_time) -> None:  # type: ignore[no-untyped-def]
    rt.settings.__dict__["sms_segments_per_second"] = 1.0
    queue(rt, 10)
    first = dispatch_outbox(
        rt, T0, budget_seconds=3.5, clock=fake_time.clock, sleep=fake_time.sleep
    )
    assert first.sent == 4  # slots at 0.05, 1.05, 2.05, 3.05 s
    second = dispatch_outbox(
        rt, T0, budget_seconds=100, clock=fake_time.clock, sleep=fake_time.sleep
    )
    assert second.sent == 6
    assert len(recorder.sent) == 10


def test_retryable_errors_back_off_then_fail(rt, recorder, fake_time) -> None:  # type: ignore[no-untyped-def]
    rt.settings.__dict__["outbox_max_attempts"] = 3
    queue(rt, 1)
    err = SendResult(ok=False, status="failed", error_code="20500", retryable=True)
    recorder.results = [err, err, err]
    now = T0
    delays = []
    for _ in range(3):
        report = dispatch_outbox(rt, now, clock=fake_time.clock, sleep=fake_time.sleep)
        (m,) = messages(rt)
        if m.status == "queued":
            delays.append((m.next_attempt_at - now).total_seconds())
            now = m.next_attempt_at
    assert report.failed == 1 and m.status == "failed" and m.attempts == 3
    # exponential, with x1-1.5 jitter counted from the send itself, which the pacing may
    # place up to a second after the tick started
    assert 30 <= delays[0] <= 46 and 60 <= delays[1] <= 91


def test_rate_limit_honours_retry_after_and_slows_the_sender(rt, recorder, fake_time) -> None:  # type: ignore[no-untyped-def]
    queue(rt, 2)
    recorder.results = [
        SendResult(ok=False, status="failed", error_code="20429", retryable=True, retry_after=120)
    ]
    report = dispatch_outbox(
        rt, T0, budget_seconds=10, clock=fake_time.clock, sleep=fake_time.sleep
    )
    assert report.retried == 1 and report.sent == 0  # the sender's next slot moved 120 s on
    first = messages(rt)[0]
    assert first.status == "queued" and (first.next_attempt_at - T0).total_seconds() >= 120


def test_opt_out_is_checked_again_at_send_time(rt, recorder, fake_time) -> None:  # type: ignore[no-untyped-def]
    queue(rt, 1)
    with unit_of_work(rt.engine) as s:
        s.exec(select(Contact)).one().opted_out = True
    report = dispatch_outbox(rt, T0, clock=fake_time.clock, sleep=fake_time.sleep)
    assert report.cancelled == 1 and recorder.sent == []
    assert messages(rt)[0].status == "cancelled"


def test_immediate_reply_is_not_held_by_quiet_hours(rt, recorder, fake_time) -> None:  # type: ignore[no-untyped-def]
    night = T0 + timedelta(hours=13)  # 04:00 in Minneapolis
    queue(rt, 1, when=night)
    with unit_of_work(rt.engine) as s:
        c = s.exec(select(Contact)).one()
        inbound = Message(
            contact_id=c.id,
            direction="in",
            channel="sms",
            address=c.phone,
            body="hi",
            created_at=night,
        )
        s.add(inbound)
        s.flush()
        reply = queue_message(s, c, "sms", "Reply now", kind="notice", now=night)
        reply.reply_to_id = inbound.id
    fake_time.now = night
    report = dispatch_outbox(rt, night, clock=fake_time.clock, sleep=fake_time.sleep)
    assert report.sent == 1 and report.deferred == 1
    assert recorder.sent[0].text == "Reply now"


def test_stuck_sending_is_marked_unknown_not_resent(rt, recorder, fake_time) -> None:  # type: ignore[no-untyped-def]
    queue(rt, 1)
    with unit_of_work(rt.engine) as s:
        m = s.exec(select(Message)).one()
        m.status, m.attempts, m.next_attempt_at = "sending", 1, T0  # crashed mid-send
    assert recover_stuck(rt, T0 + timedelta(minutes=5)) == 0
    assert recover_stuck(rt, T0 + timedelta(minutes=11)) == 1
    dispatch_outbox(rt, T0 + timedelta(minutes=12), clock=fake_time.clock, sleep=fake_time.sleep)
    (m,) = messages(rt)
    assert (m.status, m.error_code) == ("unknown", "stuck_sending")
    assert recorder.sent == []


def test_twilio_21610_opts_the_contact_out(rt, settings, fake_time) -> None:  # type: ignore[no-untyped-def]
    from fake_twilio import FakeTwilio, OptedOut

    from cfbot.channels.twilio_sms import TwilioSmsChannel

    fake = FakeTwilio("ACtest", "secret")
    try:
        rt.channels["sms"] = TwilioSmsChannel(
            "ACtest", "secret", from_number="+16125550000", api_base_url=fake.base_url
        )
        fake.script(OptedOut())
        queue(rt, 2, phone_base=6125550100)
        with unit_of_work(rt.engine) as s:  # second message to the same contact
            c = s.exec(select(Contact).where(Contact.phone == "+16125550100")).one()
            queue_message(s, c, "sms", "again", kind="question", now=T0)
        report = dispatch_outbox(rt, T0, clock=fake_time.clock, sleep=fake_time.sleep)
        assert report.failed == 1 and report.sent == 1
        with Session(rt.engine) as s:
            c = s.exec(select(Contact).where(Contact.phone == "+16125550100")).one()
            assert c.opted_out
        assert [m.status for m in messages(rt)] == ["failed", "sent", "cancelled"]
    finally:
        fake.close()


def test_several_dispatchers_send_each_message_once(rt, db_url) -> None:  # type: ignore[no-untyped-def]
    rt.settings.__dict__["sms_segments_per_second"] = 400.0
    channel = RecordingChannel()
    rt.channels["sms"] = channel
    queue(rt, 200)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(20):
                dispatch_outbox(rt, T0 + timedelta(seconds=1), budget_seconds=2)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    addresses = [s.address for s in channel.sent]
    assert len(addresses) == 200 and len(set(addresses)) == 200
    assert all(m.status == "sent" for m in messages(rt))
