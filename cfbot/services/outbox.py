"""Throttled, retried, at-most-once dispatch of outbound messages (the outbox).

Outbound rows of :class:`~cfbot.models.Message` are the outbox: ``queued`` ->
``sending`` -> ``sent`` | ``failed`` | back to ``queued`` (retry) | ``cancelled``
(opted out, unreachable, survey closed) | ``unknown`` (see below).

Delivery guarantee: **at most once, never silently.** A message is marked ``sending``
(with ``attempts + 1``) and committed *before* the provider is called; the result is
recorded in a second transaction. If the process dies between the two, the row stays
``sending``; :func:`recover_stuck` later marks it ``unknown`` (error ``stuck_sending``)
for staff to review instead of sending it again. A survey question texted twice to a
client is worse than one that staff see was perhaps not delivered; and Twilio's status
callback, which carries the message SID, still moves an actually-sent row forward.

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
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
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
EXEMPT_KINDS = frozenset({"crisis", "crisis_reply", "crisis_notice"})
CLAIM_BATCH = 20
SLOT_LEAD = 0.05
# channels whose messages reach a phone: paced and kept to quiet hours
PHONE_CHANNELS = frozenset({"sms"})


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
                result = channel.send(claim.address, claim.body, message_id=claim.message_id)
            except Exception as exc:  # an adapter must not raise; if it does, do not resend
                log.exception("channel %s raised for message %s", claim.channel, claim.message_id)
                result = SendResult(ok=False, status="failed", error=str(exc)[:200])
        sent_at = tick_now + timedelta(seconds=clock() - start)
        _record(rt, claim, result, sent_at, clock, report)
    return report


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
    if _exempt_from_quiet_hours(message, moment):
        return None
    start_t, end_t = _window(rt, conversation, rules_cache)
    zone, _ = recipient_zone(
        contact.phone if contact else message.address,
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


# --------------------------------------------------------------------------- staff review
#
# The other half of "at most once, never silently": messages whose outcome is unknown,
# that failed, or that were cancelled are listed for staff (dashboard "Delivery
# problems"), who can say what really happened after checking the Twilio console.

PROBLEM_STATUSES = ("unknown", "failed", "undelivered", "cancelled")
REVIEW_ACTIONS = ("mark_sent", "requeue", "dismiss")
MAX_REVIEW_NOTE = 5000
PREVIEW_CHARS = 80
# failures that say nothing about the number and happened before Twilio took the message
# (rate limit, server error, no connection): sending again is safe and may well work
TRANSIENT_CODES = frozenset({"20429", "429", "connect", "20500", "20503", "30001"})
# messages that matter even after their survey has ended (crisis resources)
REQUEUE_AFTER_CLOSE_KINDS = EXEMPT_KINDS

# Plain-language meaning of the codes staff meet most. English staff text, translated at
# display time by the dashboard's ``st()`` (deliberately not an extraction keyword).
ERROR_MEANINGS: dict[str, str] = {
    "21610": "The client opted out (replied STOP): Twilio will not deliver to this number.",
    "21614": "Not a mobile number: it cannot receive text messages.",
    "21211": "Not a valid phone number.",
    "30003": "Unreachable: the phone may be off or out of coverage.",
    "30005": "Unknown number: it may no longer exist.",
    "30006": "A landline, or a carrier that cannot take text messages.",
    "30007": "Filtered by the carrier (treated as spam).",
    "30001": "Twilio's queue was full; nothing was sent.",
    "20429": "Rate limited: we sent too fast; nothing was sent.",
    "429": "Rate limited: we sent too fast; nothing was sent.",
    "connect": "Could not reach Twilio; nothing was sent.",
    "read_timeout": (
        "Outcome unknown: Twilio did not answer in time. Check the Twilio console "
        "before sending it again."
    ),
    "stuck_sending": (
        "Outcome unknown: sending stopped before the result was recorded. Check the "
        "Twilio console before sending it again."
    ),
    "optout": "Cancelled: the client opted out.",
    "unreachable": "Cancelled: the number is marked unreachable.",
    "closed": "Cancelled: the survey had ended.",
}
UNKNOWN_MEANING = "Outcome unknown. Check the Twilio console before sending it again."
SERVER_ERROR_MEANING = "Twilio had a server error; nothing was sent."


class DeliveryActionError(ValueError):
    """A staff action on a delivery problem that is not allowed; the text says why."""


@dataclass(frozen=True)
class DeliveryProblem:
    """One outbound message staff should look at, as the dashboard shows it."""

    message_id: int
    created_at: datetime
    site: str | None
    masked_address: str
    channel: str
    kind: str
    status: str
    error_code: str | None
    meaning: str
    body_preview: str
    attempts: int
    external_id: str | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_action: str | None
    review_note: str | None
    # why "send again" is not offered (None: it is)
    requeue_refusal: str | None

    @property
    def dismissed(self) -> bool:
        """Staff looked at it and decided nothing more is to be done."""
        return self.review_action == "dismiss"


def error_meaning(status: str, code: str | None) -> str:
    """What an outbox error code means, in plain (English) words; "" when we do not know."""
    if code and code in ERROR_MEANINGS:
        return ERROR_MEANINGS[code]
    if code and code.isdigit() and (code.startswith("5") and len(code) == 3):
        return SERVER_ERROR_MEANING
    if status == "unknown":
        return UNKNOWN_MEANING
    return ""


def _transient(code: str | None) -> bool:
    if not code:
        return False
    return code in TRANSIENT_CODES or (len(code) == 3 and code.isdigit() and code[0] == "5")


def requeue_refusal(
    message: Message, contact: Contact | None, conversation_status: str | None
) -> str | None:
    """Why ``message`` must not be put back on the outbox, or None if it may be.

    Only a message that surely did not reach the client may go again: one whose outcome
    is unknown (staff checked the Twilio console) or that failed for a passing reason.
    Never to a number that opted out or is unreachable.
    """
    from cfbot.services.delivery import can_send_sms

    failed = message.status in ("failed", "undelivered")
    if failed and not _transient(message.error_code):
        return "This error says the message cannot be delivered; it would fail again."
    if message.status != "unknown" and not failed:
        return (
            "Only a message whose outcome is unknown, or that failed for a passing "
            "reason, can be sent again."
        )
    if message.channel in PHONE_CHANNELS:
        if contact is not None and contact.opted_out:
            return "The client has opted out: nothing more may be sent to this number."
        if contact is not None and contact.unreachable:
            return "The number is marked unreachable."
        if not can_send_sms(contact):
            return "There is no number to send to."
    elif contact is None:
        return "There is no client to send to."
    if (
        conversation_status is not None
        and conversation_status != "active"
        and message.kind not in REQUEUE_AFTER_CLOSE_KINDS
    ):
        # a survey question arriving after the survey closed only confuses the client
        return "The survey has ended; this message would arrive out of context."
    return None


def _problem_query(sites: Collection[str] | None) -> Any:
    stmt = (
        select(Message, Conversation.site, Conversation.status, Contact)
        .outerjoin(Conversation, col(Message.conversation_id) == col(Conversation.id))
        .outerjoin(Contact, col(Message.contact_id) == col(Contact.id))
        .where(Message.direction == "out", col(Message.status).in_(PROBLEM_STATUSES))
    )
    if sites is not None:
        # site staff see their sites only; messages without a survey ("No site") are
        # visible to all-site staff alone
        stmt = stmt.where(col(Conversation.site).in_(sorted(sites)))
    return stmt


def _problem(
    message: Message, site: str | None, conv_status: str | None, contact: Contact | None
) -> DeliveryProblem:
    assert message.id is not None
    preview = " ".join(message.body.split())
    if len(preview) > PREVIEW_CHARS:
        preview = preview[: PREVIEW_CHARS - 1] + "…"
    return DeliveryProblem(
        message_id=message.id,
        created_at=message.created_at,
        site=site,
        masked_address=mask_phone(message.address) if message.channel in PHONE_CHANNELS else "",
        channel=message.channel,
        kind=message.kind,
        status=message.status,
        error_code=message.error_code,
        meaning=error_meaning(message.status, message.error_code),
        body_preview=preview,
        attempts=message.attempts,
        external_id=message.external_id,
        reviewed_at=message.reviewed_at,
        reviewed_by=message.reviewed_by,
        review_action=message.review_action,
        review_note=message.review_note,
        requeue_refusal=requeue_refusal(message, contact, conv_status),
    )


def delivery_problems(
    session: Session,
    sites: Collection[str] | None,
    limit: int = 200,
    *,
    include_dismissed: bool = True,
) -> list[DeliveryProblem]:
    """Outbound messages that are ``unknown``, ``failed``, ``undelivered`` or
    ``cancelled``, newest first, with their conversation's site.

    ``sites`` None means every site plus messages with no site; a set limits the list to
    those sites (an empty set gives nothing). Read-only: the caller's session is not
    committed.
    """
    if sites is not None and not sites:
        return []
    stmt = _problem_query(sites)
    if not include_dismissed:
        stmt = stmt.where(
            or_(col(Message.review_action).is_(None), col(Message.review_action) != "dismiss")
        )
    stmt = stmt.order_by(col(Message.created_at).desc(), col(Message.id).desc()).limit(limit)
    return [_problem(*row) for row in session.exec(stmt).all()]


def delivery_problem(session: Session, message_id: int) -> DeliveryProblem | None:
    """One delivery problem by message id (any site), or None if it is not one."""
    row = session.exec(_problem_query(None).where(Message.id == message_id)).first()
    return _problem(*row) if row is not None else None


def count_unknown(session: Session, sites: Collection[str] | None) -> int:
    """How many outbound messages of ``sites`` (None: all) have an unknown outcome and
    have not been dismissed by staff (the dashboard's navigation badge)."""
    if sites is not None and not sites:
        return 0
    stmt = (
        select(func.count())
        .select_from(Message)
        .outerjoin(Conversation, col(Message.conversation_id) == col(Conversation.id))
        .where(
            Message.direction == "out",
            Message.status == "unknown",
            or_(col(Message.review_action).is_(None), col(Message.review_action) != "dismiss"),
        )
    )
    if sites is not None:
        stmt = stmt.where(col(Conversation.site).in_(sorted(sites)))
    return int(session.exec(stmt).one())


def resolve_unknown(
    rt: Runtime,
    message_id: int,
    action: str,
    staff_email: str,
    note: str = "",
    now: datetime | None = None,
) -> Message:
    """Apply a staff decision to a delivery problem and record who, when, what and why.

    * ``mark_sent``: staff saw in the Twilio console that it went (``unknown`` or
      ``failed`` only) -> ``sent``; ``sent_at`` is set to ``now`` if it was empty.
    * ``requeue``: staff saw that it did not go -> ``queued`` for the dispatcher now
      (quiet hours and opt-out are still checked at send time). Refused unless
      :func:`requeue_refusal` allows it.
    * ``dismiss``: nothing more to do; the status stays and the row leaves the default
      list.

    Takes the contact lock, so a dispatcher, a status callback and a staff action on the
    same client run one after the other. Raises :class:`DeliveryActionError` when the
    action is not allowed. Commits; returns the updated (detached) message.
    """
    from cfbot.services.conversation import lock_contact

    if action not in REVIEW_ACTIONS:
        raise DeliveryActionError("Unknown action.")
    now = now or rt.now()
    note = (note or "").strip()[:MAX_REVIEW_NOTE]
    with unit_of_work(rt.engine) as session:
        found = session.exec(
            select(Message.id, Message.contact_id).where(
                Message.id == message_id, Message.direction == "out"
            )
        ).first()
        if found is None:
            raise DeliveryActionError("No such message.")
        contact = lock_contact(session, found[1]) if found[1] is not None else None
        # also the row itself: recover_stuck updates messages without the contact lock
        message = session.exec(
            for_update(
                select(Message).where(Message.id == message_id, Message.direction == "out"),
                session,
            )
        ).first()
        if message is None:
            raise DeliveryActionError("No such message.")
        # read it again under the lock: a callback or the dispatcher may just have moved it
        session.refresh(message)
        if message.status not in PROBLEM_STATUSES:
            raise DeliveryActionError("This message is no longer a delivery problem.")
        before = message.status
        if action == "mark_sent":
            if message.status not in ("unknown", "failed"):
                raise DeliveryActionError(
                    "Only a message whose outcome is unknown or that failed can be marked sent."
                )
            message.status = "sent"
            message.sent_at = message.sent_at or now
            message.next_attempt_at = None
        elif action == "requeue":
            conversation = (
                session.get(Conversation, message.conversation_id)
                if message.conversation_id is not None
                else None
            )
            refusal = requeue_refusal(
                message, contact, conversation.status if conversation is not None else None
            )
            if refusal is not None:
                raise DeliveryActionError(refusal)
            message.status = "queued"
            message.next_attempt_at = now
        message.reviewed_at = now
        message.reviewed_by = staff_email[:200]
        message.review_action = action
        message.review_note = note or None
        session.add(message)
        log.info(
            "message %s to %s: %s -> %s by %s (%s)",
            message.id,
            mask_phone(message.address),
            before,
            message.status,
            staff_email,
            action,
        )
        return message
