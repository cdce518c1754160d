"""Escalation: alerts nobody acknowledged in time are emailed to the escalation contact."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from cfbot.db import unit_of_work
from cfbot.models import Alert
from cfbot.runtime import Runtime
from cfbot.services.alerts.common import log_event, queue_alert_mail
from cfbot.services.routing import get_routing

log = logging.getLogger("cfbot.services.alerts")


def escalation_deadline(rt: Runtime, severity: str, now: datetime) -> datetime:
    """When an unacknowledged alert escalates: urgent after minutes, others after business days."""
    s = rt.settings
    if severity == "urgent":
        return now + timedelta(minutes=s.alert_escalate_urgent_minutes)
    return get_routing(rt).add_business_time(now, s.alert_escalate_business_days)


def escalate_due(rt: Runtime, now: datetime | None = None) -> int:
    """Queue one escalation email for each open alert past its deadline. Returns the count."""
    now = now or rt.now()
    count = 0
    with unit_of_work(rt.engine) as session:
        due = session.exec(
            select(Alert)
            .where(
                Alert.status == "open",
                col(Alert.escalate_at) <= now,
                col(Alert.escalated_at).is_(None),
            )
            .order_by(col(Alert.escalate_at))
            .limit(200)
        ).all()
        for alert in due:
            assert alert.id is not None
            try:
                with session.begin_nested():
                    alert.escalated_at = now
                    session.add(alert)
                    queue_alert_mail(session, alert, now, now, purpose="escalation")
                    log_event(session, alert.id, "escalated", now)
                    session.flush()
            except IntegrityError:
                continue  # another clock escalated it first
            count += 1
            log.info(
                "alert %s escalated (%s, open since %s)", alert.id, alert.severity, alert.created_at
            )
    return count
