"""What happened to our outbound SMS: send results and Twilio status callbacks.

The consequences for a contact live here, in one place, whichever way Twilio tells us:

* error **21610** (the number replied STOP to our sender at the carrier or Twilio level):
  the contact is opted out at once and every queued message to it is cancelled;
* error **21614** (not a mobile number): unreachable at once (a landline never gets SMS);
* errors **30003 / 30005 / 30006** (unreachable handset, unknown number, landline or
  unreachable carrier): counted per contact; after ``CFBOT_SMS_UNREACHABLE_AFTER``
  failures in a row the number is marked unreachable so it is not retried forever. A
  delivered message (or any text from the number) resets the count.

Status callbacks may arrive late, twice or out of order: a message's status only moves
forward (sent -> delivered/undelivered/failed -> read), and a repeated callback changes
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cfbot.channels.base import SendResult
from cfbot.channels.twilio_sms import (
    ERR_INVALID_TO,
    ERR_NOT_MOBILE,
    ERR_OPTED_OUT,
    UNDELIVERABLE_CODES,
)
from cfbot.db import unit_of_work
from cfbot.logging_setup import mask_phone
from cfbot.models import Contact, Direction, Message, MessageStatus
from cfbot.runtime import Runtime
from cfbot.services.conversation import lock_contact

log = logging.getLogger(__name__)

# Twilio's message statuses by how far along they are. Our own outbox statuses
# ("queued" waiting to send, "sending") rank below anything Twilio reports back, so a
# late "queued" callback can never put a sent message back on the outbox.
STATUS_RANK: dict[str, int] = {
    "queued": 0,
    "sending": 1,
    "accepted": 2,
    "scheduled": 2,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "canceled": 3,
    "cancelled": 3,
    "partially_delivered": 3,
    "read": 4,
}
FAILED_STATUSES = frozenset({"undelivered", "failed"})
# Twilio's words that we store in our own spelling
OUR_WORD = {"canceled": MessageStatus.CANCELLED}
MAX_BACKOFF = timedelta(hours=1)


class BadCallback(ValueError):
    """A status callback without a usable MessageSid / MessageStatus (answered 400)."""


# --------------------------------------------------------------------------- contacts


def can_send_sms(contact: Contact | None) -> bool:
    """Whether anything we start (invitation, reminder, follow-up) may go to this number
    now. The outbox calls this at send time: a STOP may have arrived since queueing."""
    return bool(
        contact is not None
        and (contact.phone or contact.whatsapp)
        and not contact.opted_out
        and not contact.unreachable
    )


def cancel_queued(session: Session, contact_id: int | None, reason: str = "optout") -> int:
    """Cancel every outbound SMS still waiting in the outbox for this contact."""
    rows = session.exec(
        select(Message).where(
            Message.contact_id == contact_id,
            Message.direction == Direction.OUT,
            col(Message.channel).in_(("sms", "whatsapp")),
            Message.status == MessageStatus.QUEUED,
        )
    ).all()
    for row in rows:
        row.status = MessageStatus.CANCELLED
        row.error_code = reason[:20]
        row.next_attempt_at = None
        session.add(row)
    return len(rows)


def mark_opted_out(session: Session, contact: Contact, now: datetime, why: str) -> int:
    """Opt ``contact`` out (idempotent) and cancel what is queued for it; returns how many
    queued messages were cancelled."""
    if not contact.opted_out:
        contact.opted_out = True
        contact.opted_out_at = now
        contact.updated_at = now
        session.add(contact)
        log.info("contact %s opted out (%s)", mask_phone(contact.phone), why)
    return cancel_queued(session, contact.id)


def apply_error_to_contact(
    session: Session, contact: Contact, code: str | None, now: datetime, unreachable_after: int
) -> None:
    """Record what a final send error says about the contact's number."""
    if not code:
        return
    if code == ERR_OPTED_OUT:
        mark_opted_out(session, contact, now, "Twilio error 21610")
        return
    if code in (ERR_NOT_MOBILE, ERR_INVALID_TO):
        _mark_unreachable(session, contact, now, f"not an SMS-capable number ({code})")
        return
    if code in UNDELIVERABLE_CODES:
        contact.delivery_failures += 1
        contact.updated_at = now
        session.add(contact)
        if contact.delivery_failures >= unreachable_after:
            reason = "landline or unreachable carrier" if code == "30006" else "unreachable"
            _mark_unreachable(
                session,
                contact,
                now,
                f"{reason} ({code}, {contact.delivery_failures} failed deliveries)",
            )


def _mark_unreachable(session: Session, contact: Contact, now: datetime, reason: str) -> None:
    if not contact.unreachable:
        log.info("contact %s marked unreachable: %s", mask_phone(contact.phone), reason)
    contact.unreachable = True
    contact.unreachable_reason = reason[:200]
    contact.updated_at = now
    session.add(contact)
    cancel_queued(session, contact.id, reason="unreachable")


# --------------------------------------------------------------------------- send results


def retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    """How long to wait before attempt ``attempts + 1``: exponential from 30 s, at most an
    hour, and never sooner than Twilio's ``Retry-After``."""
    backoff = timedelta(seconds=30 * 2 ** max(0, attempts - 1))
    if retry_after is not None:
        backoff = max(backoff, timedelta(seconds=retry_after))
    return min(backoff, MAX_BACKOFF)


def mark_send_result(
    session: Session,
    message: Message,
    result: SendResult,
    now: datetime,
    *,
    max_attempts: int = 5,
    unreachable_after: int = 3,
) -> None:
    """Store the outcome of one send attempt of an outbox ``message``.

    Counts the attempt (``attempts += 1``). Success: ``sent`` with the provider's id. A
    retryable failure goes back to ``queued`` with ``next_attempt_at`` (honouring
    ``retry_after``) until ``max_attempts``; then, or for a final error, ``failed`` with
    the error code, and the error's meaning for the contact is applied (21610 opts out).
    The caller holds the contact lock and commits.
    """
    message.attempts += 1
    if result.ok:
        message.status = MessageStatus.SENT
        message.external_id = result.external_id or message.external_id
        message.error_code = None
        message.sent_at = now
        message.next_attempt_at = None
        session.add(message)
        return
    message.error_code = (result.error_code or result.error or "error")[:20]
    if result.status == "unknown":
        # the provider may have sent it; never resend blindly (staff review, callbacks fix it)
        message.status = MessageStatus.UNKNOWN
        message.next_attempt_at = None
        session.add(message)
        return
    if result.retryable and message.attempts < max_attempts:
        message.status = MessageStatus.QUEUED
        message.next_attempt_at = now + retry_delay(message.attempts, result.retry_after)
        session.add(message)
        return
    message.status = MessageStatus.FAILED
    message.next_attempt_at = None
    session.add(message)
    if message.contact_id is not None and message.channel in ("sms", "whatsapp"):
        contact = session.get(Contact, message.contact_id)
        if contact is not None:
            apply_error_to_contact(session, contact, result.error_code, now, unreachable_after)


# --------------------------------------------------------------------------- callbacks


def _clean_code(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value or value == "0":
        return None
    if not value.isdigit() or len(value) > 10:
        raise BadCallback("ErrorCode is not a number")
    return value


def apply_status_callback(rt: Runtime, form: Mapping[str, str], now: datetime) -> str:
    """Apply one Twilio status callback. Returns ``"updated"``, ``"unchanged"`` (a repeat
    or an out-of-order older status) or ``"unknown"`` (not one of our messages).

    Raises :class:`BadCallback` for a form without ``MessageSid`` / ``MessageStatus``.
    """
    sid = (form.get("MessageSid") or form.get("SmsSid") or "").strip()
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not sid or len(sid) > 64 or not (sid.isascii() and sid.isalnum()):
        raise BadCallback("missing or malformed MessageSid")
    if status not in STATUS_RANK:
        raise BadCallback("unknown MessageStatus")
    code = _clean_code(form.get("ErrorCode"))
    with unit_of_work(rt.engine) as session:
        message = session.exec(
            select(Message).where(Message.external_id == sid, Message.direction == Direction.OUT)
        ).first()
        if message is None:
            return "unknown"
        contact = lock_contact(session, message.contact_id) if message.contact_id else None
        session.refresh(message)
        current = STATUS_RANK.get(message.status, 2)
        if STATUS_RANK[status] <= current and not (code and message.error_code != code):
            return "unchanged"
        if STATUS_RANK[status] > current:
            message.status = OUR_WORD.get(status, status)
        if code:
            message.error_code = code
        session.add(message)
        if contact is not None:
            if status in FAILED_STATUSES and current < STATUS_RANK[status]:
                apply_error_to_contact(
                    session, contact, code, now, rt.settings.sms_unreachable_after
                )
            elif status == "delivered" and contact.delivery_failures:
                contact.delivery_failures = 0
                contact.updated_at = now
                session.add(contact)
        log.info("status %s for message %s (error %s)", status, message.id, code or "-")
        return "updated"
