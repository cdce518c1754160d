"""Hardening findings 3-7: replies to earlier messages, poison messages, the clock's
safety net for unprocessed texts, no console transport in production, and which
Twilio connection errors may be retried."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sms_helpers import INBOUND, PHONE, inbound_form, post_signed, text, twiml_messages
from sqlmodel import Session, select

from cfbot.clock import FrozenClock
from cfbot.models import Alert, Contact, Message
from cfbot.services import inbound as inbound_service

# a weekday afternoon in Minnesota: inside quiet hours whatever the test machine's time
NOON = datetime(2025, 3, 12, 18, 0, tzinfo=UTC)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    return FrozenClock(NOON)


def _rows(rt, model):  # type: ignore[no-untyped-def]
    with Session(rt.engine) as session:
        return list(session.exec(select(model)).all())


def _fail_on(monkeypatch, body: str, times: int = 10**6) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Make processing of messages with ``body`` raise (the first ``times`` tries)."""
    real = inbound_service.process_message
    calls = {"n": 0}

    def flaky(rt, session, contact, message, now, *args, **kwargs):  # type: ignore[no-untyped-def]
        if message.body == body and calls["n"] < times:
            calls["n"] += 1
            raise RuntimeError("processing bug")
        return real(rt, session, contact, message, now, *args, **kwargs)

    monkeypatch.setattr(inbound_service, "process_message", flaky)
    return calls


# ------------------------------------------------------------------ finding 3


def test_a_reply_to_an_earlier_message_is_never_marked_sent_unless_it_was_sent(
    client, rt, monkeypatch
):
    text(client, "FEEDBACK")
    _fail_on(monkeypatch, "5", times=1)
    with pytest.raises(RuntimeError):
        post_signed(client, INBOUND, inbound_form("5"))
    response = post_signed(client, INBOUND, inbound_form("clinic"))
    assert response.status_code == 200
    in_twiml = twiml_messages(response.get_data(as_text=True))
    (earlier,) = [m for m in _rows(rt, Message) if m.direction == "in" and m.body == "5"]
    replies = [m for m in _rows(rt, Message) if m.reply_to_id == earlier.id]
    assert replies, "the earlier message was answered"
    for reply in replies:
        # delivered in this TwiML, or handed to the outbox: never "sent" out of thin air
        assert reply.body in in_twiml or reply.status == "queued", (reply.status, in_twiml)


# ------------------------------------------------------------------ finding 4


def test_a_failing_message_does_not_block_stop(client, rt, monkeypatch):
    text(client, "FEEDBACK")
    _fail_on(monkeypatch, "boom")
    with pytest.raises(RuntimeError):
        post_signed(client, INBOUND, inbound_form("boom"))
    replies = text(client, "STOP")
    assert replies, "STOP is confirmed"
    (contact,) = _rows(rt, Contact)
    assert contact.opted_out


def test_a_failing_message_does_not_block_a_crisis_reply(client, rt, monkeypatch):
    text(client, "FEEDBACK")
    _fail_on(monkeypatch, "boom")
    with pytest.raises(RuntimeError):
        post_signed(client, INBOUND, inbound_form("boom"))
    replies = text(client, "I want to end my life")
    assert any("988" in r for r in replies)
    assert len([a for a in _rows(rt, Alert) if a.kind == "crisis"]) == 1


def test_a_message_that_keeps_failing_is_quarantined_and_shown_to_staff(client, rt, monkeypatch):
    from cfbot.services import delivery_review

    text(client, "FEEDBACK")
    _fail_on(monkeypatch, "boom")
    form = inbound_form("boom")
    attempts = rt.settings.inbound_max_attempts
    for _ in range(attempts - 1):
        with pytest.raises(RuntimeError):
            post_signed(client, INBOUND, form)
    # the last attempt quarantines it: Twilio gets a 200 and stops retrying
    assert post_signed(client, INBOUND, form).status_code == 200
    (boom,) = [m for m in _rows(rt, Message) if m.body == "boom"]
    assert boom.status == "quarantined" and boom.attempts == attempts
    problems = delivery_review.problems_view(rt, None)
    assert [p.message_id for p in problems if p.status == "quarantined"] == [boom.id]
    # later messages go on normally
    assert text(client, "HELP")


# ------------------------------------------------------------------ finding 5


def test_the_clock_processes_a_stored_crisis_text_that_failed(client, rt, clock, monkeypatch):
    from cfbot import jobs

    text(client, "FEEDBACK")
    _fail_on(monkeypatch, "I want to end my life", times=1)
    with pytest.raises(RuntimeError):
        post_signed(client, INBOUND, inbound_form("I want to end my life"))
    # not within the grace period: a live request may still be working on it
    jobs.run_once(rt, now=clock.now() + timedelta(seconds=5), only="process_inbound")
    assert not [a for a in _rows(rt, Alert) if a.kind == "crisis"]
    jobs.run_once(rt, now=clock.now() + timedelta(minutes=2), only="process_inbound")
    (crisis,) = [m for m in _rows(rt, Message) if m.body == "I want to end my life"]
    assert crisis.status == "processed"
    assert len([a for a in _rows(rt, Alert) if a.kind == "crisis"]) == 1
    replies = [m for m in _rows(rt, Message) if m.reply_to_id == crisis.id]
    assert replies and all(r.status == "queued" for r in replies)
    assert any("988" in r.body for r in replies)


# ------------------------------------------------------------------ finding 6


def test_production_refuses_to_start_without_an_sms_transport(tmp_path):
    from cfbot.config import ConfigError, Settings

    with pytest.raises(ConfigError) as excinfo:
        Settings.from_env(
            environ={},
            env="production",
            secret_key="x" * 48,
            database_url=f"sqlite:///{tmp_path}/p.sqlite3",
        )
    assert "TWILIO_ACCOUNT_SID" in str(excinfo.value)
    assert "TWILIO_AUTH_TOKEN" in str(excinfo.value)


def test_console_ids_are_unique_across_processes():
    from cfbot.channels.console import ConsoleChannel

    one = ConsoleChannel().send(PHONE, "a").external_id
    two = ConsoleChannel().send(PHONE, "b").external_id
    assert one and two and one != two


# ------------------------------------------------------------------ finding 7


def _server(behaviour: str) -> tuple[str, threading.Thread, socket.socket]:
    """A TCP server that reads one HTTP request and then closes without answering."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)

    def serve() -> None:
        conn, _ = sock.accept()
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        while len(body) < length:
            body += conn.recv(65536)
        conn.close()  # the POST arrived; no answer

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}", thread, sock


def _channel(base_url: str):  # type: ignore[no-untyped-def]
    from sms_helpers import ACCOUNT_SID, AUTH_TOKEN

    from cfbot.channels.twilio_sms import TwilioSmsChannel

    return TwilioSmsChannel(
        ACCOUNT_SID, AUTH_TOKEN, from_number="+16125550000", api_base_url=base_url, timeout=5
    )


def test_a_connection_dropped_after_the_post_arrived_is_unknown_not_retried():
    base, thread, sock = _server("drop")
    try:
        result = _channel(base).send(PHONE, "hello")
    finally:
        thread.join(5)
        sock.close()
    assert not result.ok and result.status == "unknown" and not result.retryable


def test_a_refused_connection_is_retried():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there
    result = _channel(f"http://127.0.0.1:{port}").send(PHONE, "hello")
    assert not result.ok and result.retryable and result.error == "connect"
