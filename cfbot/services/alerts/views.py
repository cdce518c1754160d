"""Read-only views of alerts for the dashboard and the CLI.

Each public ``rt``-taking function runs its own read-only unit of work and returns plain
dataclasses, so a web request holds no database session and never shows rows from
before a change another unit of work committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from cfbot.db import unit_of_work
from cfbot.models import Alert, AlertEvent, Conversation, MailOut, Message, StaffUser
from cfbot.runtime import Runtime
from cfbot.services.accounts import StaffIdentity
from cfbot.services.alerts.common import CRISIS, STATUSES
from cfbot.services.alerts.content import (
    AnswerLine,
    answers_for,
    contact_line,
    crisis_messages,
    detail_ids,
    messages_by_id,
)
from cfbot.services.routing import get_routing


@dataclass(frozen=True)
class AlertView:
    """One alert's own fields, as list and detail pages show them."""

    id: int
    kind: str
    severity: str
    category: str | None
    reason: str
    site: str | None
    program: str | None
    status: str
    created_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None
    escalate_at: datetime | None
    escalated_at: datetime | None
    assigned_to_id: int | None = None
    assigned_to: str | None = None
    cause: str | None = None
    action_taken: str | None = None
    followup_until: datetime | None = None

    @property
    def due_at(self) -> datetime | None:
        """When the alert is due (the escalation SLA by severity), while it is open."""
        return self.escalate_at if self.status == "open" else None

    @classmethod
    def of(cls, alert: Alert, assignee: str | None = None) -> AlertView:
        """The view of a loaded alert row."""
        assert alert.id is not None
        return cls(
            id=alert.id,
            kind=alert.kind,
            severity=alert.severity,
            category=alert.category,
            reason=alert.reason,
            site=alert.site,
            program=alert.program,
            status=alert.status,
            created_at=alert.created_at,
            acknowledged_at=alert.acknowledged_at,
            acknowledged_by=alert.acknowledged_by,
            resolved_at=alert.resolved_at,
            resolved_by=alert.resolved_by,
            resolution_note=alert.resolution_note,
            escalate_at=alert.escalate_at,
            escalated_at=alert.escalated_at,
            assigned_to_id=alert.assigned_to_id,
            assigned_to=assignee,
            cause=alert.cause,
            action_taken=alert.action_taken,
            followup_until=alert.followup_until,
        )


@dataclass(frozen=True)
class AlertRef:
    """Just enough of an alert to decide who may see it."""

    id: int
    site: str | None
    program: str | None = None
    assigned_to_id: int | None = None


@dataclass(frozen=True)
class MessageLine:
    """A client message shown on the alert page."""

    created_at: datetime
    body: str


@dataclass(frozen=True)
class EventLine:
    """One line of an alert's audit trail."""

    at: datetime
    actor: str
    action: str
    note: str


@dataclass(frozen=True)
class MailLine:
    """One email of an alert and where it stands."""

    purpose: str
    state: str  # sent | held | delayed | pending | sending | failed
    recipients: list[str]
    sent_at: datetime | None
    since: datetime | None
    due_at: datetime
    attempts: int
    error: str | None
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class MailState:
    """An alert's emails, and whether any of them is delayed."""

    mails: list[MailLine]
    delayed: bool


@dataclass(frozen=True)
class AlertDetail:
    """Everything the alert page shows."""

    alert: AlertView
    masked_phone: str
    channel: str
    language: str
    answers: list[AnswerLine]
    messages: list[MessageLine]
    followups: list[MessageLine]
    events: list[EventLine]
    mail: MailState
    site_name: str
    flow_name: str
    conversation_status: str | None
    # crisis alerts: what flagged each message (a list phrase, or "model, p=0.97")
    triggers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class AlertList:
    """The alert list page: alerts newest first, since when each delayed one waits, and
    until when each held one waits (its survey is still open)."""

    alerts: list[AlertView]
    delayed: dict[int, datetime]
    held: dict[int, datetime] = field(default_factory=dict)


# --------------------------------------------------------------------------- own units of work


def alert_ref(rt: Runtime, alert_id: int) -> AlertRef | None:
    """The alert's id and site (for access checks), or None if there is no such alert."""
    with unit_of_work(rt.engine, immediate=False) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return None
        return AlertRef(alert_id, alert.site, alert.program, alert.assigned_to_id)


def alert_list(
    rt: Runtime,
    *,
    status: str | None = None,
    site: str | None = None,
    scope: frozenset[str] | None = None,
    limit: int = 200,
    visible_to: StaffIdentity | None = None,
    mine: bool = False,
) -> AlertList:
    """Alerts for the list page (newest first, within ``scope``, and what ``visible_to``
    may open; ``mine``: only those assigned to them) with their email delays."""
    with unit_of_work(rt.engine, immediate=False) as session:
        stmt_scope = scope if visible_to is None else visible_to.scope
        rows = list_alerts(
            session,
            status=status,
            site=site,
            scope=stmt_scope,
            limit=limit,
            person=visible_to,
            mine=mine,
        )
        ids = [a.id for a in rows if a.id is not None]
        delayed = delayed_alert_ids(session, ids)
        held = held_alert_ids(session, ids, rt.now())
        names = assignee_names(session, rows)
        return AlertList(
            [AlertView.of(a, names.get(a.assigned_to_id)) for a in rows], delayed, held
        )


def assignee_names(session: Session, rows: Sequence[Alert]) -> dict[int | None, str]:
    """{user id: email} of the people the alerts are assigned to."""
    ids = sorted({a.assigned_to_id for a in rows if a.assigned_to_id is not None})
    if not ids:
        return {}
    users = session.exec(select(StaffUser).where(col(StaffUser.id).in_(ids))).all()
    return {u.id: u.email for u in users}


def alert_detail(rt: Runtime, alert_id: int, now: datetime | None = None) -> AlertDetail | None:
    """One alert with its answers, messages, audit trail and email state."""
    now = now or rt.now()
    routing = get_routing(rt)
    with unit_of_work(rt.engine, immediate=False) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return None
        who, channel, lang = contact_line(session, alert)
        events = session.exec(
            select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(col(AlertEvent.id))
        ).all()
        flow_name = ""
        if alert.flow_id:
            flow = rt.flows.get(alert.flow_id)
            flow_name = flow.name if flow is not None else alert.flow_id
        conversation = (
            session.get(Conversation, alert.conversation_id) if alert.conversation_id else None
        )
        messages = crisis_messages(session, alert) if alert.kind == CRISIS else []
        return AlertDetail(
            alert=AlertView.of(alert, assignee_names(session, [alert]).get(alert.assigned_to_id)),
            masked_phone=who,
            channel=channel,
            language=lang,
            answers=answers_for(session, alert),
            messages=_lines(messages),
            followups=_lines(messages_by_id(session, detail_ids(alert, "followup_ids"))),
            events=[EventLine(e.at, e.actor, e.action, e.note) for e in events],
            mail=mail_state(session, alert_id, now),
            site_name=routing.site_name(alert.site),
            flow_name=flow_name,
            conversation_status=conversation.status if conversation is not None else None,
            triggers=[str(t) for t in (alert.details or {}).get("triggers", [])],
        )


def _lines(messages: Sequence[Message]) -> list[MessageLine]:
    return [MessageLine(m.created_at, m.body) for m in messages]


# --------------------------------------------------------------------------- in a session


def list_alerts(
    session: Session,
    *,
    status: str | None = None,
    site: str | None = None,
    scope: frozenset[str] | None = None,
    limit: int = 200,
    person: StaffIdentity | None = None,
    mine: bool = False,
) -> list[Alert]:
    """Alerts for the dashboard list, newest first, within a staff member's site scope;
    for the ``staff`` role only their programs' alerts and those assigned to them."""
    stmt = select(Alert)
    if person is not None and (mine or person.role == "staff"):
        assigned = col(Alert.assigned_to_id) == person.id
        if mine:
            stmt = stmt.where(assigned)
        else:
            in_scope: ColumnElement[bool] = col(Alert.program).in_(sorted(person.programs) or [""])
            if person.scope is not None:
                in_scope = and_(in_scope, col(Alert.site).in_(sorted(person.scope)))
            stmt = stmt.where(or_(assigned, in_scope))
        scope = None
    if status in STATUSES:
        stmt = stmt.where(Alert.status == status)
    if site:
        stmt = stmt.where(Alert.site == site)
    if scope is not None:
        if not scope:
            return []
        stmt = stmt.where(col(Alert.site).in_(sorted(scope)))
    return list(session.exec(stmt.order_by(col(Alert.id).desc()).limit(limit)).all())


def mail_state(session: Session, alert_id: int, now: datetime) -> MailState:
    """Email status of an alert for the dashboard: sent, held, delayed (since when, why)."""
    rows = session.exec(
        select(MailOut).where(MailOut.alert_id == alert_id).order_by(col(MailOut.id))
    ).all()
    items = []
    for row in rows:
        state = row.status
        if row.status in ("pending", "sending") and row.first_failed_at is not None:
            state = "delayed"
        elif row.status == "pending" and row.attempts == 0 and row.due_at > now:
            state = "held"
        items.append(
            MailLine(
                purpose=row.purpose,
                state=state,
                recipients=list(row.recipients),
                sent_at=row.sent_at,
                since=row.first_failed_at or row.due_at,
                due_at=row.due_at,
                attempts=row.attempts,
                error=row.last_error,
                next_attempt_at=row.next_attempt_at,
            )
        )
    return MailState(items, any(i.state == "delayed" for i in items))


def delayed_alert_ids(session: Session, alert_ids: Sequence[int]) -> dict[int, datetime]:
    """For the list page: alerts whose email has failed at least once and is still unsent."""
    if not alert_ids:
        return {}
    rows = session.exec(
        select(MailOut.alert_id, MailOut.first_failed_at).where(
            col(MailOut.alert_id).in_(list(alert_ids)),
            col(MailOut.status).in_(("pending", "sending", "failed")),
            col(MailOut.first_failed_at).is_not(None),
        )
    ).all()
    out: dict[int, datetime] = {}
    for alert_id, since in rows:
        if alert_id is not None and since is not None:
            out[alert_id] = min(since, out.get(alert_id, since))
    return out


def held_alert_ids(
    session: Session, alert_ids: Sequence[int], now: datetime
) -> dict[int, datetime]:
    """For the list page: alerts whose email is held (mid-survey), with the latest time it
    goes out (it goes sooner when the survey ends)."""
    if not alert_ids:
        return {}
    rows = session.exec(
        select(MailOut.alert_id, MailOut.due_at).where(
            col(MailOut.alert_id).in_(list(alert_ids)),
            MailOut.status == "pending",
            MailOut.attempts == 0,
            col(MailOut.first_failed_at).is_(None),
        )
    ).all()
    out: dict[int, datetime] = {}
    for alert_id, due in rows:
        # the same test as mail_state's "held" (in Python: SQLite keeps naive times)
        if alert_id is not None and due > now:
            out[alert_id] = max(due, out.get(alert_id, due))
    return out
