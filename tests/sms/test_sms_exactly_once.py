"""Exactly once: Twilio retries change nothing, simultaneous texts are handled in order."""

from __future__ import annotations

import threading

import pytest
from sms_helpers import INBOUND, PHONE, all_rows, count, inbound_form, new_sid, post_signed, text

from cfbot.models import Answer, Contact, Conversation, Message
from cfbot.services import inbound as inbound_service


def test_a_retried_message_sid_returns_the_same_twiml_and_stores_nothing(client, rt):
    text(client, "FEEDBACK")
    form = inbound_form("4")
    first = post_signed(client, INBOUND, form)
    rows_before = (count(rt.engine, Message), count(rt.engine, Answer))
    again = post_signed(client, INBOUND, form)
    third = post_signed(client, INBOUND, form)
    assert first.status_code == again.status_code == third.status_code == 200
    assert first.get_data() == again.get_data() == third.get_data()
    assert (count(rt.engine, Message), count(rt.engine, Answer)) == rows_before
    (answer,) = all_rows(rt.engine, Answer)
    assert answer.value_number == 4


def test_a_retried_stop_sends_one_confirmation(client, rt):
    form = inbound_form("STOP")
    one = post_signed(client, INBOUND, form).get_data()
    two = post_signed(client, INBOUND, form).get_data()
    assert one == two and b"<Message>" in one
    out = [m for m in all_rows(rt.engine, Message) if m.direction == "out"]
    assert len(out) == 1


def test_an_answer_survives_a_crash_and_the_retry_processes_it(client, rt, monkeypatch):
    text(client, "FEEDBACK")
    real = inbound_service.process_message
    calls = {"n": 0}

    def crash_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker died")
        return real(*args, **kwargs)

    monkeypatch.setattr(inbound_service, "process_message", crash_once)
    form = inbound_form("5")
    with pytest.raises(RuntimeError):
        post_signed(client, INBOUND, form)
    # the inbound message was stored before processing: nothing is lost
    stored = [m for m in all_rows(rt.engine, Message) if m.external_id == form["MessageSid"]]
    assert len(stored) == 1 and stored[0].processed_at is None
    retry = post_signed(client, INBOUND, form)
    assert retry.status_code == 200 and b"What was your visit for?" in retry.get_data()
    (answer,) = all_rows(rt.engine, Answer)
    assert answer.value_number == 5


def _fire(app, forms):
    """Post every form at the same moment from its own thread; returns responses by index."""
    barrier = threading.Barrier(len(forms))
    results: dict[int, tuple[int, bytes]] = {}
    errors: list[BaseException] = []

    def worker(i, form):
        try:
            client = app.test_client()
            barrier.wait(timeout=10)
            response = post_signed(client, INBOUND, form)
            results[i] = (response.status_code, response.get_data())
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == len(forms)
    return results


@pytest.mark.parametrize("round_", range(3))
def test_two_texts_at_once_are_handled_one_after_the_other(app, client, rt, round_):
    text(client, "FEEDBACK")
    forms = [inbound_form("4"), inbound_form("5")]
    results = _fire(app, forms)
    assert all(status == 200 for status, _ in results.values())

    inbound = [m for m in all_rows(rt.engine, Message) if m.direction == "in"][1:]
    assert len(inbound) == 2 and all(m.processed_at is not None for m in inbound)
    first, second = inbound  # arrival (id) order
    # the first to arrive answered the rating; the second met the next question
    (answer,) = all_rows(rt.engine, Answer)
    assert answer.question_id == "overall"
    assert answer.message_id == first.id and answer.value_number == float(first.body)
    out = [m for m in all_rows(rt.engine, Message) if m.direction == "out"]
    for m in (first, second):
        assert len([o for o in out if o.reply_to_id == m.id]) == 1
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.state["current"] == "reason" and conv.state["attempts"] == 1


def test_the_same_message_sid_at_once_is_stored_and_answered_once(app, client, rt):
    text(client, "FEEDBACK")
    form = inbound_form("3")
    results = _fire(app, [form, form, form])
    bodies = {body for _, body in results.values()}
    assert len(bodies) == 1 and b"What was your visit for?" in bodies.pop()
    assert (
        len([m for m in all_rows(rt.engine, Message) if m.external_id == form["MessageSid"]]) == 1
    )
    assert len(all_rows(rt.engine, Answer)) == 1


def test_many_phones_at_once_each_get_their_own_survey(app, rt):
    phones = [f"+1612555{1000 + i}" for i in range(6)]
    results = _fire(app, [inbound_form("FEEDBACK", phone=p) for p in phones])
    assert all(status == 200 for status, _ in results.values())
    assert count(rt.engine, Contact) == 6 and count(rt.engine, Conversation) == 6


def test_first_texts_from_a_new_number_at_once_create_one_contact(app, rt):
    results = _fire(app, [inbound_form("FEEDBACK"), inbound_form("HELP"), inbound_form("hi")])
    assert all(status == 200 for status, _ in results.values())
    assert count(rt.engine, Contact) == 1
    assert all(m.processed_at for m in all_rows(rt.engine, Message) if m.direction == "in")


def test_new_sid_helper_is_unique():
    assert new_sid() != new_sid() and PHONE.startswith("+1")


def test_a_text_on_a_connection_that_died_is_tried_again_once(client, rt, monkeypatch):
    """Busy pooled connections are not pinged (cfbot.db): when one turns out dead the
    text is tried once more on a renewed connection, still exactly once."""
    import sqlalchemy as sa

    text(client, "FEEDBACK")
    real = inbound_service._handle_at_once
    calls = {"n": 0}

    def dies_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise sa.exc.OperationalError(
                "SELECT", {}, Exception("server closed the connection"), connection_invalidated=True
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(inbound_service, "_handle_at_once", dies_once)
    response = post_signed(client, INBOUND, inbound_form("5"))
    assert response.status_code == 200 and b"What was your visit for?" in response.get_data()
    (answer,) = all_rows(rt.engine, Answer)
    assert answer.value_number == 5.0
    assert len([m for m in all_rows(rt.engine, Message) if m.direction == "in"]) == 2
