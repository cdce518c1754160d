"""The audit trail: an append-only record of sign-ins, alert and transcript views, phone
reveals, exports, case actions and user changes (who, when, what, from which address).

Nothing here updates or deletes a row except :func:`purge_before`, which keeps the trail
within ``CFBOT_RETENTION_DAYS`` like the rest of the personal data.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from cfbot.db import unit_of_work
from cfbot.models import AuditEntry
from cfbot.runtime import Runtime

MAX_ROWS = 500


@dataclass(frozen=True)
class AuditLine:
    """One audit entry as the admin page and the CSV show it."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: str
    ip: str


def add(
    session: Session,
    actor: str,
    action: str,
    now: datetime,
    *,
    target: str = "",
    detail: str = "",
    ip: str = "",
) -> None:
    """Append one entry inside the caller's unit of work."""
    session.add(
        AuditEntry(
            at=now,
            actor=actor[:254],
            action=action[:40],
            target=target[:100],
            detail=detail[:2000],
            ip=ip[:64],
        )
    )


def record(
    rt: Runtime,
    actor: str,
    action: str,
    *,
    target: str = "",
    detail: str = "",
    ip: str = "",
    now: datetime | None = None,
) -> None:
    """Append one entry in its own unit of work (views and exports, which change nothing)."""
    with unit_of_work(rt.engine) as session:
        add(session, actor, action, now or rt.now(), target=target, detail=detail, ip=ip)


def entries(
    rt: Runtime, *, action: str | None = None, actor: str | None = None, limit: int = MAX_ROWS
) -> list[AuditLine]:
    """The newest entries first, optionally for one action or one actor."""
    with unit_of_work(rt.engine, immediate=False) as session:
        stmt = select(AuditEntry)
        if action:
            stmt = stmt.where(AuditEntry.action == action)
        if actor:
            stmt = stmt.where(AuditEntry.actor == actor.strip().lower())
        rows = session.exec(stmt.order_by(col(AuditEntry.id).desc()).limit(limit)).all()
        return [
            AuditLine(r.id or 0, r.at, r.actor, r.action, r.target, r.detail, r.ip) for r in rows
        ]


def csv_text(lines: list[AuditLine]) -> str:
    """The entries as CSV (UTC times; formula-looking cells prefixed with ``'``)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at_utc", "actor", "action", "target", "detail", "ip"])
    for line in lines:
        cells = [line.actor, line.action, line.target, line.detail, line.ip]
        safe = ["'" + c if c[:1] in ("=", "+", "-", "@", "\t", "\r") else c for c in cells]
        writer.writerow([line.id, line.at.strftime("%Y-%m-%d %H:%M:%S"), *safe])
    return out.getvalue()


def purge_before(rt: Runtime, now: datetime | None = None) -> int:
    """Delete entries older than ``CFBOT_RETENTION_DAYS`` (0 keeps everything)."""
    days = rt.settings.retention_days
    if days <= 0:
        return 0
    cutoff = (now or rt.now()) - timedelta(days=days)
    with unit_of_work(rt.engine) as session:
        result = session.execute(delete(AuditEntry).where(col(AuditEntry.at) < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
