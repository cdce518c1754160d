"""Data retention: anonymise personal data older than ``CFBOT_RETENTION_DAYS``.

Default 0 = keep everything. When set, message bodies and addresses, free-text answers
and the phone and first name of visits older than the cutoff are blanked in batches.
Numbers (ratings, NPS), choices and dates stay, so reports keep working; contacts stay
too, because an opted-out number must be remembered to honour the opt-out.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from cfbot.db import unit_of_work
from cfbot.models import Answer, Message, Visit
from cfbot.runtime import Runtime

log = logging.getLogger(__name__)

REMOVED = "[removed]"


def apply_retention(rt: Runtime, now: datetime | None = None) -> int:
    """Anonymise old rows; returns how many rows changed (0 when retention is off)."""
    days = rt.settings.retention_days
    if days <= 0:
        return 0
    now = now or rt.now()
    cutoff = now - timedelta(days=days)
    changed = 0
    with unit_of_work(rt.engine) as session:
        changed += session.execute(  # type: ignore[attr-defined]
            update(Message)
            .where(col(Message.created_at) < cutoff, col(Message.body) != REMOVED)
            .where(col(Message.status).notin_(("queued", "sending")))
            .values(body=REMOVED, address="")
        ).rowcount
        changed += session.execute(  # type: ignore[attr-defined]
            update(Answer)
            .where(col(Answer.created_at) < cutoff, col(Answer.question_type) == "text")
            .where(col(Answer.raw_text) != REMOVED)
            .values(raw_text=REMOVED, value_text=None)
        ).rowcount
        changed += session.execute(  # type: ignore[attr-defined]
            update(Visit)
            .where(col(Visit.created_at) < cutoff, col(Visit.phone) != "")
            .values(phone="", first_name=None)
        ).rowcount
    from cfbot.services.alerts import anonymise_before

    # alert emails and histories hold the client's words too
    changed += anonymise_before(rt, cutoff)
    from cfbot.services import audit

    # the audit trail names staff and clients' alerts: it is kept as long, not longer
    changed += audit.purge_before(rt, now)
    if changed:
        log.info("retention: anonymised %d rows older than %d days", changed, days)
    return changed
