"""Whether a keyword (``FEEDBACK``, ``COMENTARIOS`` ...) may start a survey now.

Two rules, each answered kindly in the client's language instead of a survey:

* the crisis hold: for ``CFBOT_CRISIS_HOLD_DAYS`` after a crisis message the client hears
  from staff, not from a survey (the same hold invitations and reminders honour);
* the flow's ``restart_after`` (default 7 days): a client who completed this survey
  can start it again by keyword only this long after completing it (``0s``: at once).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from cfbot.flows.model import Flow
from cfbot.i18n import translate
from cfbot.models import Conversation, ConversationStatus
from cfbot.runtime import Runtime


def last_completed(session: Session, contact_id: int, flow_id: str) -> datetime | None:
    """When the contact last completed ``flow_id``, or None."""
    row = session.exec(
        select(Conversation.completed_at)
        .where(
            Conversation.contact_id == contact_id,
            Conversation.flow_id == flow_id,
            Conversation.status == ConversationStatus.COMPLETED,
            col(Conversation.completed_at).is_not(None),
        )
        .order_by(col(Conversation.completed_at).desc())
    ).first()
    return row


def refusal(
    rt: Runtime, session: Session, contact_id: int, flow: Flow, lang: str, now: datetime
) -> str | None:
    """The reply instead of a survey when a keyword may not start ``flow`` now, else None."""
    from cfbot.services.alerts import crisis_hold_until

    if crisis_hold_until(rt, session, contact_id, now) is not None:
        return translate(
            lang,
            "Thank you for writing. We are not sending surveys right now; our staff will "
            "be in touch with you. If you are in danger, call 911, or call or text 988.",
        )
    if flow.restart_after:
        done = last_completed(session, contact_id, flow.id)
        if done is not None and now - done < flow.restart_after:
            again = (done + flow.restart_after).astimezone(rt.settings.tz)
            return translate(
                lang,
                "Thank you, you already answered this survey. You can answer it again from {date}.",
                date=again.strftime("%Y-%m-%d"),
            )
    return None
