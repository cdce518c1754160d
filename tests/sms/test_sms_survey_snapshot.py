"""PostgreSQL: the open survey is read in the same statement as the contact's lock, from
the snapshot taken before waiting for it. A survey changed meanwhile must never be
answered from that stale read: the text takes the long way and meets the current one."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from sms_helpers import INBOUND, PHONE, all_rows, inbound_form, post_signed, text

from cfbot.db import is_sqlite
from cfbot.models import Answer, Conversation, Message
from cfbot.services import inbound as inbound_service


def _waiting_on_a_lock(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar()
        )


def test_a_survey_closed_while_waiting_for_the_lock_is_not_answered(app, client, rt, monkeypatch):
    if is_sqlite(rt.engine):
        pytest.skip("on SQLite BEGIN IMMEDIATE takes the lock before the survey is read")
    text(client, "FEEDBACK")
    long_way = []
    real = inbound_service._handle_stored_first
    monkeypatch.setattr(
        inbound_service,
        "_handle_stored_first",
        lambda *a: long_way.append(1) or real(*a),
    )
    result: dict[str, object] = {}
    with rt.engine.connect() as other:
        # another request holds the contact's lock ...
        other.execute(sa.text("SELECT id FROM contact WHERE phone = :p FOR UPDATE"), {"p": PHONE})

        def send() -> None:
            response = post_signed(app.test_client(), INBOUND, inbound_form("4"))
            result["status"] = response.status_code
            result["body"] = response.get_data(as_text=True)

        thread = threading.Thread(target=send)
        thread.start()
        deadline = time.monotonic() + 10
        while not _waiting_on_a_lock(rt.engine):
            assert time.monotonic() < deadline, "the text never waited for the lock"
            time.sleep(0.02)
        # ... and closes the survey before letting go
        other.execute(
            sa.text("UPDATE conversation SET status = 'expired', open_key = NULL"),
        )
        other.commit()
        thread.join(timeout=30)
    assert result["status"] == 200
    assert long_way == [1]
    # the "4" met no open survey: no answer stored, the no-survey notice sent
    assert all_rows(rt.engine, Answer) == []
    assert "text FEEDBACK" in str(result["body"])
    (conversation,) = all_rows(rt.engine, Conversation)
    assert conversation.status == "expired"
    inbound = [m for m in all_rows(rt.engine, Message) if m.direction == "in"]
    assert all(m.processed_at is not None for m in inbound)
