"""Retention: blank the client words alerts keep once they are old enough."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col

from cfbot.db import unit_of_work
from cfbot.models import AlertEvent, MailOut
from cfbot.runtime import Runtime

REMOVED = "[removed]"


def anonymise_before(rt: Runtime, cutoff: datetime) -> int:
    """Blank client words kept by alerts before ``cutoff`` (for the retention job).

    Sent and failed email bodies and the client's follow-up messages copied into the
    audit trail are replaced; alert reasons, statuses, dates and staff notes stay.
    """
    with unit_of_work(rt.engine) as session:
        changed = session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
            update(MailOut)
            .where(
                col(MailOut.created_at) < cutoff,
                col(MailOut.status).in_(("sent", "failed")),
                col(MailOut.text_body) != REMOVED,
            )
            .values(text_body=REMOVED, html_body="")
        ).rowcount
        changed += session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
            update(AlertEvent)
            .where(
                col(AlertEvent.at) < cutoff,
                col(AlertEvent.action) == "client_message",
                col(AlertEvent.note) != REMOVED,
            )
            .values(note=REMOVED)
        ).rowcount
    return int(changed or 0)
