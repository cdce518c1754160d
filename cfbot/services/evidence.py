"""More results for the PHAB 9.1.4 A evidence report, beside :mod:`cfbot.services.results`
(same :class:`~cfbot.services.results.Filters`, scope rules and small-group rule):

* :func:`flow_versions` - which survey versions clients answered in the period;
* :func:`alert_log` - alerts raised in the period with the actions staff took and when;
* :func:`changes` - alerts resolved in the period with their resolution notes ("what we
  changed");
* :func:`comments` - a few recent de-identified comments, positive and negative.

Everything is read with SQL (filters, ordering and limits in the database); each function
runs its own read-only unit of work and returns frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from cfbot.models import Alert, AlertEvent, Answer, Conversation, FlowVersion
from cfbot.services.results import MIN_GROUP, Filters, _conv_where, _read, _sites, deidentify

ALERT_LOG_LIMIT = 200
# audit-trail actions shown in the report; client messages and emails stay out of it
STAFF_ACTIONS = ("acknowledged", "resolved", "escalated")
POSITIVE = 0.3


def _utc(value: datetime | None) -> datetime | None:
    from datetime import UTC

    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# --------------------------------------------------------------------------- versions


@dataclass(frozen=True)
class VersionUse:
    """One stored flow version and how many surveys in the period used it."""

    flow_id: str
    version_id: int
    content_hash: str
    first_seen_at: datetime
    surveys: int


def flow_versions(rt: Any, filters: Filters, scope: frozenset[str] | None) -> list[VersionUse]:
    """Survey versions (the exact YAML clients saw) used by surveys started in the period."""
    with _read(rt) as session:
        rows = session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types select() up to 4 columns
                Conversation.flow_id,
                FlowVersion.id,
                FlowVersion.content_hash,
                FlowVersion.first_seen_at,
                sa.func.count(),
            )
            .join(FlowVersion, col(FlowVersion.id) == col(Conversation.flow_version_id))
            .where(*_conv_where(filters, scope))
            .group_by(
                Conversation.flow_id,
                FlowVersion.id,
                FlowVersion.content_hash,
                FlowVersion.first_seen_at,
            )
            .order_by(Conversation.flow_id, FlowVersion.id)
        ).all()
    return [
        VersionUse(str(f), int(v), str(h or "")[:12], _utc(seen), int(n))  # type: ignore[arg-type]  # _utc keeps a non-null column non-null
        for f, v, h, seen, n in rows
    ]


# --------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class AlertAction:
    at: datetime
    action: str
    actor: str
    note: str


@dataclass(frozen=True)
class AlertEntry:
    """One alert: what raised it, its state and the staff actions on it, in order."""

    id: int
    created_at: datetime
    kind: str
    severity: str
    site: str | None
    program: str | None
    reason: str
    status: str
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution_note: str
    actions: tuple[AlertAction, ...]


@dataclass(frozen=True)
class AlertLog:
    total: int
    entries: list[AlertEntry]


def _alert_where(filters: Filters, scope: frozenset[str] | None, column: Any) -> list[Any]:
    where: list[Any] = [column >= filters.since, column < filters.until]
    sites = _sites(filters, scope)
    if sites is not None:
        where.append(col(Alert.site).in_(sorted(sites)))
    if filters.program is not None:
        where.append(col(Alert.program) == filters.program)
    if filters.flow is not None:
        where.append(col(Alert.flow_id) == filters.flow)
    if filters.language is not None or filters.channel is not None:
        conv = select(Conversation.id).where(col(Conversation.id) == col(Alert.conversation_id))
        if filters.language is not None:
            conv = conv.where(col(Conversation.language) == filters.language)
        if filters.channel is not None:
            conv = conv.where(col(Conversation.channel) == filters.channel)
        where.append(sa.exists(conv))
    return where


def _note(text: str | None) -> str:
    return deidentify(text or "", limit=400)


def alert_log(
    rt: Any, filters: Filters, scope: frozenset[str] | None, limit: int = ALERT_LOG_LIMIT
) -> AlertLog:
    """Alerts raised in the period (oldest first, at most ``limit``) with the staff
    actions on them (acknowledged, escalated, resolved) and their dates. Notes are
    de-identified; client messages are left out."""
    where = _alert_where(filters, scope, col(Alert.created_at))
    with _read(rt) as session:
        total = int(session.exec(select(sa.func.count()).select_from(Alert).where(*where)).one())
        alerts = session.exec(
            select(Alert).where(*where).order_by(col(Alert.created_at), col(Alert.id)).limit(limit)
        ).all()
        ids = [a.id for a in alerts]
        events = session.exec(
            select(AlertEvent)
            .where(col(AlertEvent.alert_id).in_(ids), col(AlertEvent.action).in_(STAFF_ACTIONS))
            .order_by(col(AlertEvent.at), col(AlertEvent.id))
        ).all()
        by_alert: dict[int, list[AlertAction]] = {}
        for e in events:
            by_alert.setdefault(e.alert_id, []).append(
                AlertAction(_utc(e.at), e.action, e.actor, _note(e.note))  # type: ignore[arg-type]  # _utc keeps a non-null column non-null
            )
        entries = [
            AlertEntry(
                id=a.id,
                created_at=_utc(a.created_at),  # type: ignore[arg-type]  # _utc keeps a non-null column non-null
                kind=a.kind,
                severity=a.severity,
                site=a.site,
                program=a.program,
                reason=_note(a.reason),
                status=a.status,
                acknowledged_at=_utc(a.acknowledged_at),
                resolved_at=_utc(a.resolved_at),
                resolution_note=_note(a.resolution_note),
                actions=tuple(by_alert.get(a.id, [])),
            )
            for a in alerts
        ]
    return AlertLog(total, entries)


@dataclass(frozen=True)
class Change:
    """A resolved alert whose resolution note says what was done."""

    alert_id: int
    resolved_at: datetime
    site: str | None
    program: str | None
    reason: str
    note: str
    resolved_by: str


def changes(rt: Any, filters: Filters, scope: frozenset[str] | None) -> list[Change]:
    """Alerts resolved in the period with a resolution note, oldest first."""
    where = [
        *_alert_where(filters, scope, col(Alert.resolved_at)),
        col(Alert.resolution_note).is_not(None),
        sa.func.length(sa.func.trim(col(Alert.resolution_note))) > 0,
    ]
    with _read(rt) as session:
        rows = session.exec(
            select(  # type: ignore[call-overload, misc]  # sqlmodel types select() up to 4 columns
                Alert.id,
                Alert.resolved_at,
                Alert.site,
                Alert.program,
                Alert.reason,
                Alert.resolution_note,
                Alert.resolved_by,
            )
            .where(*where)
            .order_by(col(Alert.resolved_at), col(Alert.id))
            .limit(ALERT_LOG_LIMIT)
        ).all()
    return [
        Change(int(i), _utc(at), s, p, _note(r), _note(n), by or "")  # type: ignore[arg-type]  # _utc keeps a non-null column non-null
        for i, at, s, p, r, n, by in rows
    ]


# --------------------------------------------------------------------------- comments


@dataclass(frozen=True)
class Comments:
    """Recent free-text answers, de-identified; ``hidden`` when fewer than MIN_GROUP."""

    total: int
    hidden: bool
    positive: list[str]
    negative: list[str]


def comments(
    rt: Any, filters: Filters, scope: frozenset[str] | None, per_kind: int = 5
) -> Comments:
    """A few recent comments scoring positive and a few at or below the alert threshold
    (never from a survey that raised a crisis alert, never waiting for staff review)."""
    threshold = rt.settings.alert_sentiment_threshold
    crisis = sa.exists().where(
        col(Alert.conversation_id) == col(Answer.conversation_id), col(Alert.kind) == "crisis"
    )
    base = [
        *_conv_where(filters, scope),
        col(Answer.question_type) == "text",
        col(Answer.skipped).is_(False),
        sa.func.length(col(Answer.raw_text)) >= 3,
    ]
    shown = [*base, col(Answer.needs_review).is_(False), sa.not_(crisis)]

    def pick(session: Any, cond: Any) -> list[str]:
        rows = session.exec(
            select(Answer.raw_text)
            .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
            .where(*shown, cond)
            .order_by(col(Answer.created_at).desc(), col(Answer.id).desc())
            .limit(per_kind)
        ).all()
        return [deidentify(r, limit=240) for r in rows]

    with _read(rt) as session:
        total = int(
            session.exec(
                select(sa.func.count())
                .select_from(Answer)
                .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
                .where(*base)
            ).one()
        )
        if total < MIN_GROUP:
            return Comments(total, True, [], [])
        positive = pick(session, col(Answer.sentiment) >= POSITIVE)
        negative = pick(session, col(Answer.sentiment) <= threshold)
    return Comments(total, False, positive, negative)
