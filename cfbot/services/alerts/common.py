"""What every part of the alerts package shares: kinds, statuses, staff text, the audit
trail and queueing an alert's email."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from cfbot.i18n import translate
from cfbot.models import Alert, AlertEvent, MailOut

DISSATISFACTION = "dissatisfaction"
CRISIS = "crisis"
STATUSES = ("open", "acknowledged", "resolved")
SEVERITY_RANK = {"normal": 0, "high": 1, "urgent": 2}


def staff_text(message: str, **params: object) -> str:
    """English staff-facing text, looked up in the catalogs at run time."""
    # Deliberately not an extraction keyword: the catalog test demands every
    # *client-facing* string in every language, and staff emails are English for now.
    # Add "_t" to the keywords to translate.
    return translate("en", message, **params)


def log_event(
    session: Session,
    alert_id: int,
    action: str,
    now: datetime,
    actor: str = "system",
    note: str = "",
) -> None:
    """Append one line to an alert's audit trail."""
    session.add(AlertEvent(alert_id=alert_id, action=action, actor=actor[:200], note=note, at=now))


def queue_alert_mail(
    session: Session, alert: Alert, now: datetime, due: datetime, purpose: str = "alert"
) -> None:
    """Queue the alert's (or escalation) email; it is rendered when the mail job sends it,
    so it carries whatever the client wrote until then."""
    assert alert.id is not None
    session.add(
        MailOut(
            purpose=purpose,
            alert_id=alert.id,
            # one email per alert and purpose, even if two clocks race
            dedupe_key=f"{purpose}:{alert.id}",
            created_at=now,
            due_at=due,
            next_attempt_at=due,
        )
    )
