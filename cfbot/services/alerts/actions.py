"""What staff do with an alert: acknowledge it, resolve it, reveal the client's phone.
Each action runs in its own unit of work and leaves a line in the audit trail."""

from __future__ import annotations

import logging
from datetime import datetime

from cfbot.db import unit_of_work
from cfbot.models import Alert, AlertCause, Contact, Conversation
from cfbot.runtime import Runtime
from cfbot.services import audit
from cfbot.services.alerts.common import log_event

CAUSES = tuple(c.value for c in AlertCause)

log = logging.getLogger("cfbot.services.alerts")


class AlertActionError(Exception):
    """A staff action that does not apply (e.g. resolving twice)."""


def acknowledge_alert(
    rt: Runtime,
    alert_id: int,
    actor: str,
    now: datetime | None = None,
    note: str = "",
    *,
    ip: str = "",
) -> Alert:
    """Mark an alert acknowledged (stops its escalation). Acknowledging twice is a no-op."""
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertActionError("no such alert")
        if alert.status == "open":
            alert.status = "acknowledged"
            alert.acknowledged_at = now
            alert.acknowledged_by = actor[:200]
            alert.updated_at = now
            session.add(alert)
            log_event(session, alert_id, "acknowledged", now, actor=actor, note=note.strip()[:2000])
            audit.add(session, actor, "alert_acknowledged", now, target=f"alert:{alert_id}", ip=ip)
        return alert


def resolve_alert(
    rt: Runtime,
    alert_id: int,
    actor: str,
    note: str,
    now: datetime | None = None,
    *,
    cause: str | None = None,
    ip: str = "",
) -> Alert:
    """Close an alert with the action taken (``note``) and, when given, the cause
    category (acknowledging it too if needed)."""
    now = now or rt.now()
    note = note.strip()
    if not note:
        raise AlertActionError("a resolution note is required")
    if cause is not None and cause not in CAUSES:
        raise AlertActionError("choose a cause from the list")
    with unit_of_work(rt.engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertActionError("no such alert")
        if alert.status == "resolved":
            raise AlertActionError("this alert is already resolved")
        if alert.acknowledged_at is None:
            alert.acknowledged_at = now
            alert.acknowledged_by = actor[:200]
        alert.status = "resolved"
        alert.resolved_at = now
        alert.resolved_by = actor[:200]
        alert.resolution_note = note[:5000]
        alert.action_taken = note[:5000]
        alert.cause = cause
        alert.updated_at = now
        session.add(alert)
        log_event(
            session,
            alert_id,
            "resolved",
            now,
            actor=actor,
            note=(f"[{cause}] " if cause else "") + note[:2000],
        )
        audit.add(
            session,
            actor,
            "alert_resolved",
            now,
            target=f"alert:{alert_id}",
            detail=cause or "",
            ip=ip,
        )
        return alert


def reveal_phone(
    rt: Runtime, alert_id: int, actor: str, now: datetime | None = None, *, ip: str = ""
) -> str | None:
    """The client's full phone number for a staff member; the reveal is logged."""
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.contact_id is None:
            return None
        contact = session.get(Contact, alert.contact_id)
        if contact is None or not contact.phone:
            return None
        if alert.conversation_id is not None:
            conversation = session.get(Conversation, alert.conversation_id)
            if conversation is not None and conversation.anonymous:
                return None  # the survey promised anonymity
        log_event(session, alert_id, "phone_revealed", now, actor=actor)
        audit.add(session, actor, "phone_revealed", now, target=f"alert:{alert_id}", ip=ip)
        log.info("alert %s: phone revealed to %s", alert_id, actor)
        return contact.phone
