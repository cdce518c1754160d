"""Staff review of delivery problems (dashboard "Delivery problems").

The other half of the outbox's "at most once, never silently": messages whose outcome is
unknown, that failed, or that were cancelled are listed for staff, who can say what
really happened after checking the Twilio console: mark one sent, send it again, or
dismiss it. Who, when, what and why is stored on the message.

The list and count functions take the caller's session (read-only); the ``rt``-taking
views run their own read-only unit of work for the dashboard.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from cfbot.db import for_update, unit_of_work
from cfbot.logging_setup import mask_phone
from cfbot.models import Contact, Conversation, Message
from cfbot.runtime import Runtime
from cfbot.services.outbox import EXEMPT_KINDS, PHONE_CHANNELS

log = logging.getLogger(__name__)

PROBLEM_STATUSES = ("unknown", "failed", "undelivered", "cancelled", "quarantined")
# an inbound message whose processing kept failing (see services.inbound)
QUARANTINED_MEANING = (
    "Incoming message we could not process after several attempts. Read it and answer "
    "the client yourself."
)
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
    if status == "quarantined":
        return QUARANTINED_MEANING
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
        .where(
            or_(
                (col(Message.direction) == "out") & col(Message.status).in_(PROBLEM_STATUSES),
                (col(Message.direction) == "in") & (col(Message.status) == "quarantined"),
            )
        )
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


# --------------------------------------------------------------------------- dashboard views


def problems_view(
    rt: Runtime, sites: Collection[str] | None, *, include_dismissed: bool = True
) -> list[DeliveryProblem]:
    """:func:`delivery_problems` in its own read-only unit of work."""
    with unit_of_work(rt.engine, immediate=False) as session:
        return delivery_problems(session, sites, include_dismissed=include_dismissed)


def problem_view(rt: Runtime, message_id: int) -> DeliveryProblem | None:
    """:func:`delivery_problem` in its own read-only unit of work."""
    with unit_of_work(rt.engine, immediate=False) as session:
        return delivery_problem(session, message_id)


def unknown_count_view(rt: Runtime, sites: Collection[str] | None) -> int:
    """:func:`count_unknown` in its own read-only unit of work."""
    with unit_of_work(rt.engine, immediate=False) as session:
        return count_unknown(session, sites)
