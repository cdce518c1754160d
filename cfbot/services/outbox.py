"""Throttled, retried, at-most-once dispatch of outbound messages (the outbox).

Outbound rows of :class:`~cfbot.models.Message` are the outbox: ``queued`` ->
``sending`` -> ``sent`` | ``failed`` | back to ``queued`` (retry) | ``cancelled``
(opted out, unreachable, survey closed) | ``unknown`` (see below).

Delivery guarantee: **at most once, never silently.** A message is marked ``sending``
(with ``attempts + 1``) and committed *before* the provider is called; the result is
recorded in a second transaction. If the process dies between the two, the row stays
``sending``; :func:`recover_stuck` later marks it ``unknown`` (error ``stuck_sending``)
for staff to review (:mod:`cfbot.services.delivery_review`) instead of sending it again.
A survey question texted twice to a client is worse than one that staff see was perhaps
not delivered; and Twilio's status callback, which carries the message SID, still moves
an actually-sent row forward.

Pace: at most ``CFBOT_SMS_SEGMENTS_PER_SECOND`` segments per second per sender (1 for a
long code, 3 toll-free), using each row's stored segment count. The pace is global: each
dispatcher reserves its send slot on the sender's :class:`~cfbot.models.SenderPace` row
under a row lock, so any number of dispatcher processes together stay under the limit.
Sends inside a tick are spread out (the dispatcher sleeps until its slot); a large
backlog drains at the limit rather than bursting.

Several dispatchers: candidate rows are claimed with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL (SQLite's ``BEGIN IMMEDIATE`` serialises claims), and a row is only claimed
while it is ``queued``, so each message is handed to the provider once.

Quiet hours: a message we send on our own initiative (invitation, reminder, expiry note)
never leaves outside the recipient's window (the flow's, else 08:00-21:00) in their zone;
it waits for the next allowed moment. Immediate replies to a text the client just sent
(``reply_to_id`` set, within :data:`REPLY_GRACE`) and crisis messages are exempt.
Opt-out and reachability are checked again right before sending.

Retries: 429 and 5xx (and timeouts) go back to ``queued`` with exponential backoff from
30 s (capped at 1 h, never sooner than ``Retry-After``) and jitter, up to
``CFBOT_OUTBOX_MAX_ATTEMPTS``; a 429 also pushes the sender's next slot back.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from cfbot.channels.base import SendResult
from cfbot.db import for_update, is_sqlite, unit_of_work
from cfbot.logging_setup import mask_phone
from cfbot.models import Contact, Conversation, Message, SenderPace
from cfbot.runtime import Runtime
from cfbot.services.timing import next_allowed, recipient_zone

log = logging.getLogger(__name__)

REPLY_GRACE = timedelta(hours=1)
# WhatsApp allows free text only this long after the client's last message
WHATSAPP_WINDOW = timedelta(hours=24)
EXEMPT_KINDS = frozenset({"crisis", "crisis_reply", "crisis_notice"})
CLAIM_BATCH = 20
SLOT_LEAD = 0.05
# channels whose messages reach a phone: paced and kept to quiet hours
PHONE_CHANNELS = frozenset({"sms", "whatsapp"})


@dataclass
class DispatchReport:
    """What one :func:`dispatch_outbox` call did; send times are clock() values."""

    sent: int = 0
    failed: int = 0
    retried: int = 0
    cancelled: int = 0
    deferred: int = 0
    segments: int = 0
    send_times: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class _Claim:
    message_id: int
    contact_id: int | None
    channel: str
    address: str
    body: str
    slot: float
    moment: datetime
    sender: str
    template: dict[str, Any] | None = None


def sender_key(rt: Runtime, channel: str) -> str:
    """The sending identity a pace applies to (a number or a messaging service)."""
    if channel == "sms":
        s = rt.settings
        return f"sms:{s.twilio_messaging_service_sid or s.twilio_from_number or 'default'}"
    return channel


def _exempt_from_quiet_hours(message: Message, moment: datetime) -> bool:
    if message.kind in EXEMPT_KINDS:
        return True
    # the client just wrote to us: answering now is expected, not intrusive
    return message.reply_to_id is not None and moment - message.created_at < REPLY_GRACE


def dispatch_outbox(
    rt: Runtime,
    now: datetime | None = None,
    budget_seconds: float = 5.0,
    *,
    limit: int = 10_000,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> DispatchReport:
    """Send due outbox messages for up to ``budget_seconds``, paced per sender.

    ``now`` is the tick's wall time (passed explicitly so tests freeze it); time spent in
    the tick is added from ``clock`` so quiet hours are judged at the real send moment.
    """
    tick_now = now or rt.now()
    start = clock()
    deadline = start + budget_seconds
    report = DispatchReport()
    rules_cache: dict[Any, Any] = {}
    while report.sent + report.failed + report.retried < limit:
        claim = _claim_next(rt, tick_now, start, deadline, clock, report, rules_cache)
        if claim is None:
            break
        wait = claim.slot - clock()
        if wait > 0:
            sleep(wait)
        channel = rt.channels.get(claim.channel)
        if channel is None:
            result = SendResult(ok=False, status="failed", error=f"no channel {claim.channel}")
        else:
            try:
                result = _send(channel, claim)
            except Exception as exc:  # an adapter must not raise; if it does, do not resend
                log.exception("channel %s raised for message %s", claim.channel, claim.message_id)
                result = SendResult(ok=False, status="failed", error=str(exc)[:200])
        sent_at = tick_now + timedelta(seconds=clock() - start)
        _record(rt, claim, result, sent_at, clock, report)
    return report


def _send(channel: Any, claim: _Claim) -> SendResult:
    """One provider call: a WhatsApp template (outside the 24-hour window) or free text."""
    if claim.template is None:
        result: SendResult = channel.send(claim.address, claim.body, message_id=claim.message_id)
        return result
    send_template = getattr(channel, "send_template", None)
    if send_template is None:
        return SendResult(ok=False, status="failed", error=f"{claim.channel} sends no templates")
    variables = claim.template.get("variables") or {}
    result = send_template(
        claim.address,
        str(claim.template.get("content_sid") or ""),
        {str(k): str(v) for k, v in variables.items()},
        message_id=claim.message_id,
    )
    return result


def _claim_next(
    rt: Runtime,
    tick_now: datetime,
    start: float,
    deadline: float,
    clock: Callable[[], float],
    report: DispatchReport,
    rules_cache: dict[Any, Any],
) -> _Claim | None:
    channels = sorted(rt.channels)
    with unit_of_work(rt.engine) as session:
        while True:
            moment = tick_now + timedelta(seconds=clock() - start)
            stmt = (
                select(Message)
                .where(
                    Message.direction == "out",
                    Message.status == "queued",
                    col(Message.next_attempt_at) <= moment,
                    col(Message.channel).in_(channels),
                )
                .order_by(col(Message.next_attempt_at), col(Message.id))
                .limit(CLAIM_BATCH)
            )
            rows = session.exec(for_update(stmt, session, skip_locked=True)).all()
            if not rows:
                return None
            for message in rows:
                verdict = _check(rt, session, message, moment, rules_cache, report)
                if verdict is not None:
                    continue  # cancelled or deferred; look at the next one
                if message.channel not in PHONE_CHANNELS:
                    return _take(session, message, clock(), moment, message.channel)
                sender = sender_key(rt, message.channel)
                pace = _lock_pace(session, sender)
                at = clock()
                # a burst's first send also waits for a slot slightly ahead, like the
                # rest of the burst, so the claim's commit never narrows the first gap
                idle = pace.next_free_at < at - 1.0
                slot = at + SLOT_LEAD if idle else max(pace.next_free_at, at)
                if slot > deadline:
                    return None  # this tick's budget is spent; the next tick goes on
                send_moment = tick_now + timedelta(seconds=slot - start)
                if _check(rt, session, message, send_moment, rules_cache, report) is not None:
                    continue
                segments = max(1, message.segments or 1)
                pace.next_free_at = slot + segments / rt.settings.sms_segments_per_second
                session.add(pace)
                return _take(session, message, slot, send_moment, sender)


def _take(session: Session, message: Message, slot: float, moment: datetime, sender: str) -> _Claim:
    message.status = "sending"
    message.attempts += 1
    # while "sending", next_attempt_at records when it was handed over (recover_stuck)
    message.next_attempt_at = moment
    session.add(message)
    assert message.id is not None
    return _Claim(
        message.id,
        message.contact_id,
        message.channel,
        message.address,
        message.body,
        slot,
        moment,
        sender,
        dict(message.template) if message.template else None,
    )


def _check(
    rt: Runtime,
    session: Session,
    message: Message,
    moment: datetime,
    rules_cache: dict[Any, Any],
    report: DispatchReport,
) -> str | None:
    """None if ``message`` may go at ``moment``; else cancels or defers it and says why."""
    if message.channel not in PHONE_CHANNELS:
        return None
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is not None:
        session.refresh(contact)
        if contact.opted_out or contact.unreachable:
            return _cancel(
                session, message, "optout" if contact.opted_out else "unreachable", report
            )
    conversation = (
        session.get(Conversation, message.conversation_id) if message.conversation_id else None
    )
    if message.kind == "reminder" and conversation is not None and conversation.status != "active":
        # a reminder held back by quiet hours is pointless once the survey has ended
        return _cancel(session, message, "closed", report)
    if message.channel == "whatsapp" and message.template is None:
        if not _in_whatsapp_window(session, message, moment):
            # WhatsApp refuses free text 24 hours after the client's last message (63016)
            return _cancel(session, message, "whatsapp_window", report)
    if _exempt_from_quiet_hours(message, moment):
        return None
    start_t, end_t = _window(rt, conversation, rules_cache)
    zone, _ = recipient_zone(
        (contact.phone or contact.whatsapp) if contact else message.address,
        contact.timezone if contact else None,
        rt.settings.timezone,
    )
    allowed = next_allowed(moment, zone, start_t, end_t)
    if allowed > moment:
        message.next_attempt_at = allowed
        session.add(message)
        report.deferred += 1
        return "quiet_hours"
    return None


def _in_whatsapp_window(session: Session, message: Message, moment: datetime) -> bool:
    """True when the client wrote to us on WhatsApp in the 24 hours before ``moment``."""
    if message.contact_id is None:
        return False
    last = session.exec(
        select(Message.created_at)
        .where(
            Message.contact_id == message.contact_id,
            Message.direction == "in",
            Message.channel == "whatsapp",
        )
        .order_by(col(Message.created_at).desc())
        .limit(1)
    ).first()
    return last is not None and moment - last < WHATSAPP_WINDOW


def _cancel(session: Session, message: Message, reason: str, report: DispatchReport) -> str:
    message.status = "cancelled"
    message.error_code = reason
    message.next_attempt_at = None
    session.add(message)
    report.cancelled += 1
    return reason


def _window(rt: Runtime, conversation: Conversation | None, cache: dict[Any, Any]) -> Any:
    from cfbot.services.invitations import rules_for

    key = (conversation.flow_id, conversation.site) if conversation is not None else None
    if key not in cache:
        flow = rt.flows.get(key[0]) if key is not None else None
        rules = rules_for(rt, flow, key[1] if key is not None else None)
        cache[key] = (rules.quiet_start, rules.quiet_end)
    return cache[key]


def _lock_pace(session: Session, sender: str) -> SenderPace:
    insert = sqlite_insert if is_sqlite(session) else pg_insert
    session.execute(
        insert(SenderPace).values(sender=sender, next_free_at=0.0).on_conflict_do_nothing()
    )
    pace = session.exec(
        for_update(select(SenderPace).where(SenderPace.sender == sender), session)
    ).one()
    session.refresh(pace)
    return pace


def _record(
    rt: Runtime,
    claim: _Claim,
    result: SendResult,
    sent_at: datetime,
    clock: Callable[[], float],
    report: DispatchReport,
) -> None:
    from cfbot.services.conversation import lock_contact
    from cfbot.services.delivery import mark_send_result

    with unit_of_work(rt.engine) as session:
        if claim.contact_id is not None:
            lock_contact(session, claim.contact_id)
        # a fresh session: this reads the row as it is now, under the contact lock
        message = session.get(Message, claim.message_id)
        assert message is not None
        # mark_send_result counts the attempt itself; ours was counted at claim time
        message.attempts -= 1
        mark_send_result(
            session,
            message,
            result,
            sent_at,
            max_attempts=rt.settings.outbox_max_attempts,
            unreachable_after=rt.settings.sms_unreachable_after,
        )
        if message.status == "queued" and message.next_attempt_at is not None:
            # jitter (x1 to x1.5, never below Retry-After) so a burst of failures does not
            # come back as a burst
            delay = message.next_attempt_at - sent_at
            message.next_attempt_at = sent_at + delay * random.uniform(1.0, 1.5)
            session.add(message)
            report.retried += 1
        elif result.ok:
            report.sent += 1
            report.segments += max(1, message.segments or 1)
            report.send_times.append(claim.slot)
        else:
            report.failed += 1
            log.warning(
                "message %s to %s failed: %s %s",
                message.id,
                mask_phone(claim.address),
                result.error_code,
                result.error,
            )
    if not result.ok and (result.error_code in ("429", "20429") or result.retry_after):
        # the provider says we are too fast: hold the whole sender back, not just this row
        with unit_of_work(rt.engine) as session:
            pace = _lock_pace(session, claim.sender)
            pace.next_free_at = max(pace.next_free_at, clock() + (result.retry_after or 1.0))
            session.add(pace)


def recover_stuck(rt: Runtime, now: datetime | None = None) -> int:
    """Mark rows left in ``sending`` longer than ``CFBOT_OUTBOX_STUCK_MINUTES`` as
    ``unknown`` (error ``stuck_sending``) for staff review. Never resends them."""
    now = now or rt.now()
    cutoff = now - timedelta(minutes=rt.settings.outbox_stuck_minutes)
    with unit_of_work(rt.engine) as session:
        rows = session.exec(
            select(Message).where(
                Message.direction == "out",
                Message.status == "sending",
                col(Message.next_attempt_at) < cutoff,
            )
        ).all()
        for row in rows:
            row.status = "unknown"
            row.error_code = "stuck_sending"
            session.add(row)
            log.warning(
                "message %s to %s was handed to %s at %s but its result was never recorded; "
                "marked unknown (not resent)",
                row.id,
                mask_phone(row.address),
                row.channel,
                row.next_attempt_at,
            )
        return len(rows)
