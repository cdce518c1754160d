"""Sending alert email through the generic mail queue: alert and escalation emails are
composed when they go out (so they carry the client's latest words and routing.yaml's
current recipients), and every result lands in the alert's audit trail."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from cfbot.models import Alert, MailOut
from cfbot.runtime import Runtime
from cfbot.services.alerts.common import CRISIS, log_event
from cfbot.services.alerts.render import render_alert_mail
from cfbot.services.mail_queue import ComposedMail, NotComposable, send_due_mail
from cfbot.services.mailer import MailError
from cfbot.services.routing import Routing, get_routing

log = logging.getLogger("cfbot.services.alerts")


def recipients_for(routing: Routing, alert: Alert, purpose: str) -> list[str]:
    """Who gets an alert's email: escalation contacts, on call for a crisis, else site staff."""
    if purpose == "escalation":
        return routing.escalation_for(alert.site)
    if alert.kind == CRISIS:
        return routing.on_call_for(alert.site)
    return routing.staff_for(alert.site, alert.program)


def send_pending_mail(rt: Runtime, now: datetime | None = None, limit: int = 50) -> int:
    """Send due emails from the outbox (alert emails composed now); failures are kept and
    retried with backoff. Returns how many emails were sent."""
    now = now or rt.now()
    routing = get_routing(rt)

    def compose(session: Session, row: MailOut) -> ComposedMail | None:
        if row.alert_id is None:
            return None
        alert = session.get(Alert, row.alert_id)
        if alert is None:  # pragma: no cover - FK guarantees it
            raise NotComposable("alert missing", permanent=True)
        recipients = recipients_for(routing, alert, row.purpose)
        if not recipients:
            raise NotComposable(f"no recipients for site {alert.site or '(none)'} in routing.yaml")
        rendered = render_alert_mail(rt, session, alert, row.purpose)
        return ComposedMail(recipients, rendered.subject, rendered.text, rendered.html)

    def audit(
        session: Session,
        row: MailOut,
        recipients: tuple[str, ...],
        error: MailError | None,
        first_failure: bool,
    ) -> None:
        if row.alert_id is None:
            return
        if error is None:
            action = "escalated_email_sent" if row.purpose == "escalation" else "email_sent"
            log_event(session, row.alert_id, action, now, note=", ".join(recipients))
        elif first_failure:
            # later failures of the same email would only repeat this line
            log_event(session, row.alert_id, "email_failed", now, note=str(error)[:500])

    return send_due_mail(rt, now, limit, compose=compose, audit=audit)
