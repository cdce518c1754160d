"""The email outbox: queue :class:`~cfbot.models.MailOut` rows and send them with retry.

Nothing is sent on the request path. :func:`send_due_mail` (run by a clock job) claims
due rows in one short transaction, sends outside it so a slow SMTP server never holds a
database lock, and records each result in its own transaction. A failed send keeps the
row and retries with exponential backoff (1 minute doubling to 1 hour); a permanent
failure stays ``failed`` until :func:`retry_failed_mail`.

The queue knows nothing about what an email is for. A row queued without a subject is
composed at send time by the caller's ``compose`` function (alert emails are, so they
carry whatever the client wrote until then), and ``audit`` hears about every result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cfbot.db import unit_of_work
from cfbot.models import MailOut
from cfbot.runtime import Runtime
from cfbot.services.mailer import MailError, build_message, get_mailer

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(minutes=1)
# a sender that crashed mid-send leaves "sending" rows; they are retried after this
SENDING_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class ComposedMail:
    """What a queued row without a subject turns into when its time comes."""

    recipients: list[str]
    subject: str
    text: str
    html: str


class NotComposable(Exception):
    """A queued row cannot be composed yet (``permanent``: nor ever); the text says why."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


# compose(session, row): the email for a row queued without a subject; None sends it as is
Compose = Callable[[Session, MailOut], ComposedMail | None]
# audit(session, row, recipients, error, first_failure) after each send attempt
Audit = Callable[[Session, MailOut, tuple[str, ...], MailError | None, bool], None]


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try after ``attempts`` failed ones."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True)
class _Claimed:
    id: int
    purpose: str
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str


def send_due_mail(
    rt: Runtime,
    now: datetime | None = None,
    limit: int = 50,
    *,
    compose: Compose | None = None,
    audit: Audit | None = None,
) -> int:
    """Send due emails from the outbox; failures are kept and retried with backoff.

    Returns how many emails were sent.
    """
    now = now or rt.now()
    claimed: list[_Claimed] = []
    with unit_of_work(rt.engine) as session:
        rows = session.exec(
            select(MailOut)
            .where(
                col(MailOut.status).in_(("pending", "sending")),
                col(MailOut.next_attempt_at) <= now,
            )
            .order_by(col(MailOut.next_attempt_at), col(MailOut.id))
            .limit(limit)
        ).all()
        for row in rows:
            if not row.subject and compose is not None:
                try:
                    composed = compose(session, row)
                except NotComposable as exc:
                    if exc.permanent:
                        row.status = "failed"
                        row.last_error = str(exc)
                    else:
                        # keep it: once the cause is fixed, the email goes out
                        mark_failed(row, now, str(exc))
                    session.add(row)
                    continue
                except Exception as exc:
                    log.exception("could not compose mail %s (%s)", row.id, row.purpose)
                    mark_failed(row, now, f"could not render: {type(exc).__name__}")
                    session.add(row)
                    continue
                if composed is not None:
                    row.recipients = composed.recipients
                    row.subject = composed.subject[:300]
                    row.text_body = composed.text
                    row.html_body = composed.html
            row.status = "sending"
            row.attempts += 1
            row.next_attempt_at = now + SENDING_LEASE
            session.add(row)
            assert row.id is not None
            claimed.append(
                _Claimed(
                    row.id,
                    row.purpose,
                    tuple(row.recipients),
                    row.subject,
                    row.text_body,
                    row.html_body,
                )
            )
    mailer = get_mailer(rt)
    sent = 0
    for item in claimed:
        error: MailError | None = None
        refused: list[str] = []
        try:
            message = build_message(
                sender=rt.settings.mail_from,
                recipients=list(item.recipients),
                subject=item.subject,
                text=item.text,
                html=item.html or None,
                headers={"X-Cfbot-Mail": f"{item.purpose}-{item.id}"},
            )
            refused = mailer.send(message)
        except MailError as exc:
            error = exc
        except Exception as exc:  # a provider bug must not lose the email
            log.exception("mail provider failed")
            error = MailError(f"{type(exc).__name__}: {exc}"[:300])
        with unit_of_work(rt.engine) as session:
            found = session.get(MailOut, item.id)
            if found is None:  # pragma: no cover
                continue
            row = found
            first_failure = False
            if error is None:
                row.status = "sent"
                row.sent_at = now
                row.next_attempt_at = None
                row.last_error = f"refused: {', '.join(refused)}"[:500] if refused else None
                sent += 1
            else:
                first_failure = row.first_failed_at is None
                mark_failed(row, now, str(error), retryable=error.retryable)
                log.warning("mail %s (%s) not sent: %s", row.id, row.purpose, error)
            if audit is not None:
                audit(session, row, item.recipients, error, first_failure)
            session.add(row)
    return sent


def mark_failed(row: MailOut, now: datetime, error: str, retryable: bool = True) -> None:
    """Record a failed attempt: back in the queue after a backoff, or ``failed`` for good."""
    row.last_error = error[:500]
    row.first_failed_at = row.first_failed_at or now
    if retryable:
        row.status = "pending"
        row.next_attempt_at = now + backoff(max(row.attempts, 1))
    else:
        row.status = "failed"
        row.next_attempt_at = None


def retry_failed_mail(rt: Runtime, now: datetime | None = None) -> int:
    """Put permanently failed emails back in the queue (after an admin fixed the cause)."""
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        rows = session.exec(select(MailOut).where(MailOut.status == "failed")).all()
        for row in rows:
            row.status = "pending"
            row.next_attempt_at = now
            session.add(row)
        return len(rows)


def queue_mail(
    session: Session,
    *,
    purpose: str,
    recipients: list[str],
    subject: str,
    text: str,
    html_body: str = "",
    now: datetime,
    dedupe_key: str | None = None,
    alert_id: int | None = None,
) -> MailOut:
    """Put a ready-made email (login link, digest, test) on the outbox.

    A ``dedupe_key`` already queued raises ``IntegrityError`` at the flush, which callers
    use to send something once.
    """
    row = MailOut(
        purpose=purpose,
        recipients=recipients,
        subject=subject,
        text_body=text,
        html_body=html_body,
        dedupe_key=dedupe_key,
        alert_id=alert_id,
        created_at=now,
        due_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    return row
