"""The cost of a texted answer: one transaction and a handful of statements (the webhook
benchmark's in-process mode measures the same; see benchmarks/webhook/RESULTS.md)."""

from __future__ import annotations

from sms_helpers import INBOUND, inbound_form, post_signed, text
from sqlalchemy import event

from cfbot.db import is_sqlite


def _count(engine, send):
    counts = {"statements": 0, "commits": 0}

    def on_execute(*_a):
        counts["statements"] += 1

    def on_commit(_conn):
        counts["commits"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_commit)
    try:
        response = send()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_commit)
    return response, counts


def test_an_answer_is_one_commit_and_few_statements(client, rt):
    text(client, "FEEDBACK")
    text(client, "4")  # the survey's flow version is parsed and cached by now
    response, counts = _count(rt.engine, lambda: post_signed(client, INBOUND, inbound_form("2")))
    assert response.status_code == 200 and b"<Message>" in response.get_data()
    # lock the contact and read its open survey, insert the message (processed), update
    # the survey, insert the answer, insert the reply; SQLite adds its BEGIN IMMEDIATE
    assert counts == {"statements": 6 if is_sqlite(rt.engine) else 5, "commits": 1}
