"""Case work on an alert: assign it to a person (emailed through the mail queue), add
notes at any time, reopen a resolved alert, and resume or close the survey a crisis
paused. Each action runs in its own unit of work, lands in the alert's history and in
the audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cfbot.db import unit_of_work
from cfbot.models import Alert, AlertStatus, Conversation, ConversationStatus, StaffUser
from cfbot.runtime import Runtime
from cfbot.services import audit
from cfbot.services.alerts.actions import AlertActionError
from cfbot.services.alerts.common import log_event, staff_text
from cfbot.services.alerts.escalation import escalation_deadline
from cfbot.services.alerts.links import alert_link
from cfbot.services.mail_queue import queue_mail

MAX_NOTE = 5000


def _alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertActionError("no such alert")
    return alert


def assign_alert(
    rt: Runtime,
    alert_id: int,
    assignee_email: str,
    actor: str,
    now: datetime | None = None,
    *,
    ip: str = "",
) -> str:
    """Assign an alert to an enabled, non-viewer account and email them the link (through
    the mail queue). Returns the assignee's address."""
    now = now or rt.now()
    address = assignee_email.strip().lower()
    with unit_of_work(rt.engine) as session:
        alert = _alert(session, alert_id)
        user = session.exec(select(StaffUser).where(StaffUser.email == address)).first()
        if user is None or user.disabled_at is not None or user.role == "viewer":
            raise AlertActionError("choose a person from the list")
        if user.role != "admin" and user.sites and alert.site not in user.sites:
            raise AlertActionError("that person does not cover this alert's site")
        alert.assigned_to_id = user.id
        alert.updated_at = now
        session.add(alert)
        log_event(session, alert_id, "assigned", now, actor=actor, note=address)
        audit.add(
            session, actor, "alert_assigned", now, target=f"alert:{alert_id}", detail=address, ip=ip
        )
        link = alert_link(rt, alert_id)
        subject = staff_text("Alert #{id} was assigned to you", id=alert_id)
        text = staff_text(
            "{actor} assigned alert #{id} ({reason}) to you.\n\nOpen it after signing in: {link}",
            actor=actor,
            id=alert_id,
            reason=alert.reason,
            link=link,
        )
        session.flush()
        queue_mail(
            session,
            purpose="assigned",
            recipients=[address],
            subject=subject,
            text=text,
            html_body="",
            now=now,
            dedupe_key=f"assigned:{alert_id}:{user.id}:{now.timestamp():.0f}",
        )
        return address


def add_note(
    rt: Runtime, alert_id: int, actor: str, note: str, now: datetime | None = None, *, ip: str = ""
) -> None:
    """Add a note to an alert's history (any status)."""
    now = now or rt.now()
    text = note.strip()[:MAX_NOTE]
    if not text:
        raise AlertActionError("write a note first")
    with unit_of_work(rt.engine) as session:
        alert = _alert(session, alert_id)
        alert.updated_at = now
        session.add(alert)
        log_event(session, alert_id, "note", now, actor=actor, note=text)
        audit.add(session, actor, "alert_note", now, target=f"alert:{alert_id}", ip=ip)


def reopen_alert(
    rt: Runtime, alert_id: int, actor: str, note: str, now: datetime | None = None, *, ip: str = ""
) -> None:
    """Reopen a resolved alert (with a reason); its due time starts again."""
    now = now or rt.now()
    text = note.strip()[:MAX_NOTE]
    if not text:
        raise AlertActionError("say why the alert is reopened")
    with unit_of_work(rt.engine) as session:
        alert = _alert(session, alert_id)
        if alert.status != AlertStatus.RESOLVED:
            raise AlertActionError("only a resolved alert can be reopened")
        alert.status = AlertStatus.OPEN
        alert.resolved_at = None
        alert.resolved_by = None
        alert.acknowledged_at = None
        alert.acknowledged_by = None
        alert.escalate_at = escalation_deadline(rt, alert.severity, now)
        alert.escalated_at = None
        alert.updated_at = now
        session.add(alert)
        log_event(session, alert_id, "reopened", now, actor=actor, note=text)
        audit.add(session, actor, "alert_reopened", now, target=f"alert:{alert_id}", ip=ip)


def set_paused_survey(
    rt: Runtime,
    alert_id: int,
    actor: str,
    resume: bool,
    now: datetime | None = None,
    *,
    ip: str = "",
) -> str:
    """For a resolved crisis alert: resume the survey the crisis paused (the client's next
    text continues it) or close it. Returns the survey's new status."""
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        alert = _alert(session, alert_id)
        if alert.kind != "crisis" or alert.status != AlertStatus.RESOLVED:
            raise AlertActionError("resolve the crisis alert first")
        conversation = (
            session.get(Conversation, alert.conversation_id) if alert.conversation_id else None
        )
        if conversation is None or conversation.status != ConversationStatus.PAUSED:
            raise AlertActionError("there is no paused survey")
        if resume:
            conversation.status = ConversationStatus.ACTIVE
            conversation.open_key = conversation.contact_id
        else:
            conversation.status = ConversationStatus.STOPPED
            conversation.completed_at = now
        conversation.updated_at = now
        session.add(conversation)
        try:
            session.flush()
        except IntegrityError as exc:
            raise AlertActionError("the client has another survey open") from exc
        action = "survey_resumed" if resume else "survey_closed"
        log_event(session, alert_id, action, now, actor=actor)
        audit.add(session, actor, action, now, target=f"alert:{alert_id}", ip=ip)
        return str(conversation.status)
