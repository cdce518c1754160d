"""Data retention: anonymise personal data older than ``CFBOT_RETENTION_DAYS``.

Default 0 = keep everything. When set, message bodies and addresses, free-text answers
and the phone and first name of visits older than the cutoff are blanked in batches; so
are the copies kept by closed conversations (free-text answers in ``state``, the first
name in ``state`` and ``context``), the first name in the question wording an answer
stores ("Hi Lan, ..." becomes "Hi [name], ...") and the contact's first name once the
contact has had no visit or conversation since the cutoff. Numbers (ratings, NPS),
choices and dates stay, so reports keep working; contacts stay too, because an
opted-out number must be remembered to honour the opt-out.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, update
from sqlmodel import Session, col, select

from cfbot.db import unit_of_work
from cfbot.models import Answer, Contact, Conversation, Message, Visit
from cfbot.runtime import Runtime

log = logging.getLogger(__name__)

REMOVED = "[removed]"
NAME_REMOVED = "[name]"
NAME_KEYS = ("first_name",)
BATCH = 500


def apply_retention(rt: Runtime, now: datetime | None = None) -> int:
    """Anonymise old rows; returns how many rows changed (0 when retention is off)."""
    days = rt.settings.retention_days
    if days <= 0:
        return 0
    now = now or rt.now()
    cutoff = now - timedelta(days=days)
    changed = 0
    with unit_of_work(rt.engine) as session:
        changed += session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
            update(Message)
            .where(col(Message.created_at) < cutoff, col(Message.body) != REMOVED)
            .where(col(Message.status).notin_(("queued", "sending")))
            .values(body=REMOVED, address="")
        ).rowcount
        changed += session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
            update(Answer)
            .where(col(Answer.created_at) < cutoff, col(Answer.question_type) == "text")
            .where(col(Answer.raw_text) != REMOVED)
            .values(raw_text=REMOVED, value_text=None)
        ).rowcount
        changed += session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
            update(Visit)
            .where(col(Visit.created_at) < cutoff, col(Visit.phone) != "")
            .values(phone="", first_name=None)
        ).rowcount
    changed += _anonymise_conversations(rt, cutoff)
    with unit_of_work(rt.engine) as session:
        recent_visit = exists().where(
            col(Visit.contact_id) == col(Contact.id), col(Visit.created_at) >= cutoff
        )
        recent_conv = exists().where(
            col(Conversation.contact_id) == col(Contact.id),
            col(Conversation.updated_at) >= cutoff,
        )
        changed += session.execute(  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
            update(Contact)
            .where(col(Contact.first_name).is_not(None), col(Contact.updated_at) < cutoff)
            .where(~recent_visit, ~recent_conv)
            .values(first_name=None)
            .execution_options(synchronize_session=False)
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


def _anonymise_conversations(rt: Runtime, cutoff: datetime) -> int:
    """Blank names and free text kept by closed conversations last touched before
    ``cutoff``, and the name in their answers' question wording; in batches."""
    changed = 0
    last_id = 0
    while True:
        with unit_of_work(rt.engine) as session:
            rows = session.exec(
                select(Conversation)
                .where(col(Conversation.updated_at) < cutoff, col(Conversation.id) > last_id)
                .where(col(Conversation.status) != "active")
                .order_by(col(Conversation.id))
                .limit(BATCH)
            ).all()
            if not rows:
                return changed
            for conv in rows:
                last_id = conv.id or last_id
                changed += _anonymise_one(session, conv)


def _names(conv: Conversation) -> list[str]:
    found = []
    for ctx in (conv.context or {}, (conv.state or {}).get("context") or {}):
        for key in NAME_KEYS:
            value = ctx.get(key) if isinstance(ctx, dict) else None
            if isinstance(value, str) and value.strip() and value not in (REMOVED, NAME_REMOVED):
                found.append(value.strip())
    return sorted(set(found), key=len, reverse=True)


def _anonymise_one(session: Session, conv: Conversation) -> int:
    names = _names(conv)
    answers = session.exec(select(Answer).where(Answer.conversation_id == conv.id)).all()
    text_ids = {a.question_id for a in answers if a.question_type == "text"}
    touched = 0
    if names:
        pattern = re.compile("|".join(rf"\b{re.escape(n)}\b" for n in names), re.IGNORECASE)
        for answer in answers:
            blanked = pattern.sub(NAME_REMOVED, answer.question_text)
            if blanked != answer.question_text:
                answer.question_text = blanked
                session.add(answer)
                touched = 1
    context = _without_names(conv.context or {})
    state: dict[str, Any] = dict(conv.state or {})
    if isinstance(state.get("context"), dict):
        state["context"] = _without_names(state["context"])
    stored = state.get("answers")
    if isinstance(stored, dict):
        state["answers"] = {
            qid: (REMOVED if qid in text_ids and isinstance(v, str) else v)
            for qid, v in stored.items()
        }
    if context != conv.context or state != conv.state:
        conv.context = context  # new dicts, so the JSON columns are seen as changed
        conv.state = state
        session.add(conv)
        touched = 1
    return touched


def _without_names(ctx: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in ctx.items() if k not in NAME_KEYS}
