"""The inbound path: every channel's messages in, replies out, exactly once and in order.

:func:`handle_inbound` is the single entry point (Twilio webhook, web chat, simulator).
The common case is one transaction (:func:`_handle_at_once`):

1. the contact is found (or created) and locked (``FOR UPDATE`` on PostgreSQL,
   ``BEGIN IMMEDIATE`` on SQLite);
2. the message is inserted already marked processed, unless its ``external_id`` is
   stored (a retried webhook) or an older message of the contact still waits;
3. :data:`PIPELINE` runs on it: each step may handle the message and stop it (crisis words
   before anything else, then STOP/START/HELP and language words, then follow-ups to a
   crisis, then answers to a staff follow-up, then the flow); the alert step always runs
   last on whatever conversation changed;
4. the replies are stored with it and returned from memory; one commit stores the
   message, its processing and its replies together, or nothing.

Everything else takes the long way (:func:`_handle_stored_first`), the same way as a
message whose processing raised on the short one: the message is stored and committed
alone first, then every not-yet-processed message of the contact up to it is processed
in arrival (id) order under the contact's lock, each in a savepoint, failures counted and
quarantined (:func:`process_guarded`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, literal_column
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from cfbot.channels.base import InboundMsg
from cfbot.db import unit_of_work
from cfbot.flows import engine
from cfbot.i18n import SUPPORTED_LANGUAGES, language_in_sentence, translate
from cfbot.logging_setup import mask_phone
from cfbot.models import Contact, Conversation, Direction, Message, MessageStatus
from cfbot.runtime import Runtime
from cfbot.services import crisis_response, keyword_start, keywords, reach
from cfbot.services.alerts.followup import handle_followup_reply
from cfbot.services.alerts.raising import evaluate_alerts as evaluate_alert_rules
from cfbot.services.conversation import (
    PHONE_CHANNELS,
    SURVEY_VERSION_SQL,
    InboundContext,
    flow_for_conversation,
    get_or_create_contact,
    insert_outbound,
    lock_contact,
    lock_contact_at,
    lock_contact_with_survey,
    open_conversation,
    outbound_values,
    start_conversation,
    storable_text,
)
from cfbot.services.language import detect_language
from cfbot.services.reply_scoring import score_answer

log = logging.getLogger(__name__)

# an inbound message that failed CFBOT_INBOUND_MAX_ATTEMPTS times (staff see it)
QUARANTINED = MessageStatus.QUARANTINED


@dataclass
class InboundResult:
    """What a channel needs to answer the request that carried the message."""

    message_id: int | None
    replies: list[str] = field(default_factory=list)
    duplicate: bool = False


# --------------------------------------------------------------------------- steps

# A step returns True when it fully handled the message: later steps (but the alert
# step) do not see it.
Step = Callable[[InboundContext], bool]


def run_flow(ctx: InboundContext) -> bool:
    """Answer with the flow: start a survey by keyword, or resume the open one."""
    rt, session, contact, now = ctx.rt, ctx.session, ctx.contact, ctx.now
    if contact.opted_out and ctx.message.channel in PHONE_CHANNELS:
        # an opted-out number gets nothing until it texts START (handled by keywords)
        return True
    if ctx.conversation is None:
        found = reach.match_keyword(rt, ctx.text)
        if found is None:
            ctx.reply(no_survey_reply(rt, contact.language), kind="notice")
            return True
        flow = found.flow
        refused = keyword_start.refusal(rt, session, contact.id, flow, found.lang, now)  # type: ignore[arg-type]  # id is None only before the row is flushed
        if refused is not None:
            ctx.reply(refused, kind="notice")
            return True
        conversation, outs = start_conversation(
            session,
            contact,
            flow,
            channel=ctx.message.channel,
            lang=found.lang,
            now=now,
            deliver="collect",
            site=found.site,
            context=reach.site_context(rt, found.site),
            site_choices=reach.site_choices(rt) if flow.ask_site and not found.site else None,
        )
        ctx.conversation = conversation
        ctx.changed = conversation
        ctx.replies.extend(outs)
        return True
    conversation = ctx.conversation
    flow = flow_for_conversation(session, conversation)
    sprint = engine.resume(flow, conversation.state, ctx.text, now, scorer=score_answer)
    ctx.replies.extend(ctx.apply(conversation, flow, sprint))
    offer_language(ctx)
    return True


def offer_language(ctx: InboundContext) -> None:
    """On SMS, when a client answers in another of our languages than the survey's,
    offer once per conversation to continue in it ("Reply ESPAÑOL to continue in
    Spanish"), in that language, with the language word of ``keywords.yaml``."""
    conversation = ctx.conversation
    if conversation is None or ctx.message.channel not in PHONE_CHANNELS:
        return
    current = conversation.language
    written = detect_language(ctx.text, current)
    if written == current or written not in SUPPORTED_LANGUAGES:
        return
    context = dict(conversation.context or {})
    if context.get("language_offered"):
        return
    word = keywords.language_word(written)
    if not word:
        return
    context["language_offered"] = written
    conversation.context = context
    ctx.session.add(conversation)
    ctx.reply(
        translate(
            written,
            "Reply {keyword} to continue in {language}.",
            keyword=word,
            language=language_in_sentence(written),
        ),
        kind="notice",
    )


def evaluate_alerts(ctx: InboundContext) -> None:
    """Alert rules on the conversation this message changed, if any (never fails the
    message: :func:`cfbot.services.alerts.raising.evaluate_alerts` isolates its own errors)."""
    conversation = ctx.changed
    if conversation is None:
        return
    flow = flow_for_conversation(ctx.session, conversation)
    evaluate_alert_rules(ctx.rt, ctx.session, conversation, flow, ctx.now)


# The order is the safety policy: a crisis is answered before anything else (even STOP
# or an opted-out number), system words before survey answers, and a text after a crisis
# goes to the staff rather than into a new survey.
PIPELINE: tuple[Step, ...] = (
    crisis_response.handle_crisis,
    keywords.handle_keywords,
    crisis_response.handle_crisis_followup,
    handle_followup_reply,
    run_flow,
)


def no_survey_reply(rt: Runtime, lang: str) -> str:
    """Reply to a text from someone with no open survey: how to give feedback.

    The wording lives in the gettext catalogs (``locales/``), where admins can change it.
    """
    keyword = None
    for flow in rt.flows.all():
        words = flow.keywords.get(lang) or next(iter(flow.keywords.values()), ())
        if words:
            keyword = words[0]
            break
    if keyword:
        return translate(
            lang,
            "Thanks for your message. To give feedback about a visit, text {keyword}.",
            keyword=keyword,
        )
    return translate(lang, "Thanks for your message. We have no survey open for you right now.")


# --------------------------------------------------------------------------- handling


def handle_inbound(rt: Runtime, msg: InboundMsg, now: datetime | None = None) -> InboundResult:
    """Store and process one inbound message exactly once (see the module docstring for
    the short and the long way). Returns the replies to send back in the response (the
    same replies again for a retried delivery).

    Earlier messages of the contact still waiting (their own request crashed) are
    processed first, each in its own savepoint; their replies go through the outbox
    (they are not in this response). A message whose processing raises is counted and
    skipped, so it never blocks STOP or a crisis text behind it; after
    ``CFBOT_INBOUND_MAX_ATTEMPTS`` it is quarantined for staff. When this request's own
    message fails (and is not yet quarantined) the error is raised after the commit, so
    the caller answers 500 and Twilio retries.
    """
    now = now or rt.now()
    try:
        return _handle_once(rt, msg, now)
    except DBAPIError as exc:
        if not (exc.connection_invalidated and msg.external_id):
            raise
        # the pooled connection had died (a database restart; busy connections are not
        # pinged, see cfbot.db): the pool is renewed, and the MessageSid keeps a second
        # try exactly-once (the message may have been stored by the first)
        log.warning("database connection lost; trying inbound message %s again", msg.external_id)
        return _handle_once(rt, msg, now)


def _handle_once(rt: Runtime, msg: InboundMsg, now: datetime) -> InboundResult:
    try:
        return _handle_at_once(rt, msg, now)
    except (_NotTheCommonCase, IntegrityError):
        # a retried delivery, older messages waiting, or a concurrent request created
        # the same contact: the long way
        return _handle_stored_first(rt, msg, now)
    except Exception as exc:
        # processing failed and was rolled back whole: store the message alone, with
        # the failed attempt counted, so a retry or the clock processes it
        log.exception("processing inbound message %s failed", msg.external_id or "")
        message = _store_failed(rt, msg, now, exc)
        if message.status != QUARANTINED:
            raise
        return InboundResult(message_id=message.id)


class _NotTheCommonCase(Exception):
    """A retried delivery, or older messages of the contact still waiting."""


def _handle_at_once(rt: Runtime, msg: InboundMsg, now: datetime) -> InboundResult:
    """The common case in one transaction: lock the contact (reading its open survey),
    insert the message as processed, process it, store its replies. Raises
    :class:`_NotTheCommonCase` (rolled back) for a retried delivery, when older messages
    of the contact still wait, or when the survey read with the lock was not current."""
    with unit_of_work(rt.engine) as session:
        contact, conversation, version = lock_contact_with_survey(
            session, msg.channel, msg.address, now
        )
        message = _insert_processed(session, contact, conversation, version, msg, now)
        if message is None:
            raise _NotTheCommonCase
        replies = process_message(
            rt, session, contact, message, now, conversation=conversation, conversation_known=True
        )
    return InboundResult(message_id=message.id, replies=replies)


_message = Message.__table__  # type: ignore[attr-defined]  # SQLModel does not type __table__
_older = _message.alias("older")
# in the RETURNING of the inbound INSERT: an older message of the same contact still
# waits (plain ``message.`` columns name the inserted row)
_OLDER_WAITING = exists().where(
    _older.c.contact_id == literal_column("message.contact_id"),
    _older.c.direction == Direction.IN,
    _older.c.processed_at.is_(None),
    _older.c.status == MessageStatus.RECEIVED,
    _older.c.id < literal_column("message.id"),
)
# PostgreSQL: the contact's open survey as this statement sees it (a snapshot taken
# after the contact's lock), to compare with the one read with the lock
_SURVEY_NOW = (
    select(literal_column(SURVEY_VERSION_SQL))
    .select_from(Conversation)
    .where(col(Conversation.open_key) == literal_column("message.contact_id"))
    .scalar_subquery()
)
_INBOUND_COLUMNS = (
    "contact_id",
    "conversation_id",
    "direction",
    "channel",
    "address",
    "body",
    "external_id",
    "status",
    "kind",
    "created_at",
    "processed_at",
    "source",
)


def _insert_processed_stmt(dialect: Any, *returning: Any) -> Any:
    """``INSERT .. ON CONFLICT (external_id) DO NOTHING RETURNING id, older waiting, ..``
    with every value a bound parameter (built once per dialect, then cached compiled)."""
    values: dict[str, Any] = {name: bindparam(name) for name in _INBOUND_COLUMNS}
    return (
        dialect.insert(_message)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["external_id"])
        .returning(_message.c.id, _OLDER_WAITING, *returning)
    )


_INSERT_PROCESSED = {
    "postgresql": _insert_processed_stmt(postgresql, _SURVEY_NOW),
    "sqlite": _insert_processed_stmt(sqlite),
}


def _insert_processed(
    session: Session,
    contact: Contact,
    conversation: Conversation | None,
    survey_version: str | None,
    msg: InboundMsg,
    now: datetime,
) -> Message | None:
    """Insert the message already marked processed (it commits with its processing or
    not at all) and return it as a persistent row of the session. None, with nothing
    inserted, when its ``external_id`` is stored; None too when an older message of the
    contact still waits, or (PostgreSQL) when the open survey is no longer the one read
    with the lock (``survey_version``): the caller rolls back and takes the long way."""
    values = _inbound_values(msg, contact.id, now)  # type: ignore[arg-type]
    values.update(
        status=MessageStatus.PROCESSED,
        processed_at=now,
        conversation_id=conversation.id if conversation is not None else None,
    )
    dialect = session.get_bind().dialect.name
    row = session.connection().execute(_INSERT_PROCESSED[dialect], values).first()
    if row is None or row[1]:
        return None
    if dialect == "postgresql" and row[2] != survey_version:
        return None
    # the row as it was inserted, attached without reading it back
    message = Message(id=row[0], **values)
    make_transient_to_detached(message)
    session.add(message)
    return message


def _inbound_values(msg: InboundMsg, contact_id: int, now: datetime) -> dict[str, Any]:
    return {
        "contact_id": contact_id,
        "direction": Direction.IN,
        "channel": msg.channel,
        "address": msg.address,
        "body": storable_text(msg.text),
        "external_id": msg.external_id,
        "status": MessageStatus.RECEIVED,
        "kind": "media" if msg.media_count and not msg.text.strip() else "text",
        "created_at": msg.received_at or now,
        "source": msg.extra.get("source") or None,
    }


def _handle_stored_first(rt: Runtime, msg: InboundMsg, now: datetime) -> InboundResult:
    """The long way: store the message alone (committed), then process every waiting
    message of the contact up to it, in order, each in a savepoint."""
    stored: tuple[int, int, bool] | None = None
    for _attempt in range(3):
        try:
            stored = _store_inbound(rt, msg, now)
            break
        except IntegrityError:
            # a concurrent request created the same contact or message; look again
            continue
    if stored is None:  # pragma: no cover - three races in a row
        raise RuntimeError("could not store inbound message")
    message_id, contact_id, is_new = stored
    failure: Exception | None = None
    with unit_of_work(rt.engine) as session:
        contact = lock_contact(session, contact_id)
        for pending_msg in _pending(session, contact_id, upto_id=message_id):
            current = pending_msg.id == message_id
            # a web-chat page shows every stored line, so a reply to an earlier message
            # is delivered by this response too; over SMS it goes through the outbox
            immediate = current or pending_msg.channel == "webchat"
            error = process_guarded(rt, session, contact, pending_msg, now, immediate)
            if error is not None and current and pending_msg.status != QUARANTINED:
                failure = error
        replies = _replies_for(session, message_id)
    if failure is not None:
        raise failure
    return InboundResult(message_id=message_id, replies=replies, duplicate=not is_new)


def _pending(
    session: Session,
    contact_id: int,
    *,
    upto_id: int | None = None,
    created_before: datetime | None = None,
) -> list[Message]:
    """The contact's stored, not yet processed (nor quarantined) inbound messages, in order."""
    stmt = select(Message).where(
        Message.contact_id == contact_id,
        Message.direction == Direction.IN,
        col(Message.processed_at).is_(None),
        Message.status == MessageStatus.RECEIVED,
    )
    if upto_id is not None:
        stmt = stmt.where(col(Message.id) <= upto_id)
    if created_before is not None:
        stmt = stmt.where(col(Message.created_at) <= created_before)
    return list(session.exec(stmt.order_by(col(Message.id))).all())


def process_guarded(
    rt: Runtime,
    session: Session,
    contact: Contact,
    message: Message,
    now: datetime,
    immediate: bool,
) -> Exception | None:
    """Process one message in a savepoint (caller holds the contact lock). On an error
    the savepoint is rolled back, the attempt counted (quarantined after
    ``CFBOT_INBOUND_MAX_ATTEMPTS``) and the error returned; None on success."""
    try:
        with session.begin_nested():
            process_message(rt, session, contact, message, now, immediate=immediate)
    except Exception as exc:
        log.exception("processing inbound message %s failed", message.id)
        _count_failure(rt, message, exc)
        session.add(message)
        session.flush()
        return exc
    return None


def _count_failure(rt: Runtime, message: Message, exc: Exception) -> None:
    """One more failed attempt; quarantined after ``CFBOT_INBOUND_MAX_ATTEMPTS``."""
    message.attempts = (message.attempts or 0) + 1
    message.error_code = type(exc).__name__[:20]
    if message.attempts >= rt.settings.inbound_max_attempts:
        message.status = QUARANTINED
        log.error(
            "inbound message %s from %s quarantined after %d failed attempts",
            message.id,
            mask_phone(message.address) if message.channel == "sms" else "web chat",
            message.attempts,
        )


def _store_failed(rt: Runtime, msg: InboundMsg, now: datetime, exc: Exception) -> Message:
    """Store a message whose processing failed on the short way, unprocessed, with the
    failed attempt counted (as :func:`process_guarded` counts it on the long way)."""
    with unit_of_work(rt.engine) as session:
        contact = lock_contact_at(session, msg.channel, msg.address, now)
        message = Message(**_inbound_values(msg, contact.id, now))  # type: ignore[arg-type]
        session.add(message)
        session.flush()
        _count_failure(rt, message, exc)
    return message


def process_stored_inbound(rt: Runtime, now: datetime | None = None, limit: int = 200) -> int:
    """The clock's safety net: process inbound messages stored more than
    ``CFBOT_INBOUND_GRACE_SECONDS`` ago and still unprocessed (their request failed).

    The grace period keeps it from racing a live request; replies go through the outbox.
    Returns how many messages were processed.
    """
    now = now or rt.now()
    cutoff = now - timedelta(seconds=rt.settings.inbound_grace_seconds)
    with unit_of_work(rt.engine, immediate=False) as session:
        contact_ids = session.exec(
            select(Message.contact_id)
            .where(
                Message.direction == Direction.IN,
                col(Message.processed_at).is_(None),
                Message.status == MessageStatus.RECEIVED,
                col(Message.created_at) <= cutoff,
                col(Message.contact_id).is_not(None),
            )
            .distinct()
            .limit(limit)
        ).all()
    done = 0
    for contact_id in contact_ids:
        assert contact_id is not None
        with unit_of_work(rt.engine) as session:
            contact = lock_contact(session, contact_id)
            for message in _pending(session, contact_id, created_before=cutoff):
                if process_guarded(rt, session, contact, message, now, immediate=False) is None:
                    done += 1
                    log.warning(
                        "inbound message %s processed late by the clock; replies queued",
                        message.id,
                    )
    return done


def _store_inbound(rt: Runtime, msg: InboundMsg, now: datetime) -> tuple[int, int, bool]:
    with unit_of_work(rt.engine) as session:
        if msg.external_id:
            existing = session.exec(
                select(Message).where(Message.external_id == msg.external_id)
            ).first()
            if existing is not None and existing.id is not None:
                assert existing.contact_id is not None
                return existing.id, existing.contact_id, False
        contact = get_or_create_contact(session, msg.channel, msg.address, now)
        row = Message(**_inbound_values(msg, contact.id, now))  # type: ignore[arg-type]
        session.add(row)
        session.flush()
        assert row.id is not None and contact.id is not None
        return row.id, contact.id, True


def _replies_for(session: Session, message_id: int) -> list[str]:
    rows = session.exec(
        select(Message)
        .where(Message.reply_to_id == message_id, Message.direction == Direction.OUT)
        .order_by(col(Message.id))
    ).all()
    return [r.body for r in rows if r.status != MessageStatus.QUEUED]


def process_message(
    rt: Runtime,
    session: Session,
    contact: Contact,
    message: Message,
    now: datetime,
    immediate: bool = True,
    conversation: Conversation | None = None,
    conversation_known: bool = False,
) -> list[str]:
    """Run one stored inbound message through :data:`PIPELINE` under the contact's lock,
    then evaluate alerts and store the replies: ``immediate`` ones travel in the current
    response (stored as sent), the others are queued for the outbox. ``conversation`` is
    the contact's open survey when the caller already read it (``conversation_known``).
    Returns the replies' texts."""
    if not conversation_known:
        conversation = open_conversation(session, contact.id)  # type: ignore[arg-type]  # id is None only before the row is flushed
    if message.channel in PHONE_CHANNELS and (contact.unreachable or contact.delivery_failures):
        # a number that texts us is a reachable mobile, whatever earlier sends said; done
        # here, before any step, so a crisis text (handled first) resets it too
        contact.unreachable = False
        contact.unreachable_reason = None
        contact.delivery_failures = 0
        contact.updated_at = now
        session.add(contact)
    ctx = InboundContext(rt, session, contact, message, conversation, now)
    for step in PIPELINE:
        if step(ctx):
            break
    evaluate_alerts(ctx)
    if message.status != MessageStatus.PROCESSED:
        # (on the short way it was inserted processed: setting it again would make the
        # session flush the row only to find nothing changed)
        message.processed_at = now
        message.status = MessageStatus.PROCESSED
    if message.conversation_id is None and ctx.conversation is not None:
        message.conversation_id = ctx.conversation.id
    session.add(message)
    # the replies as plain rows in one INSERT (multi-row on SQLite and PostgreSQL alike)
    insert_outbound(
        session,
        [
            outbound_values(
                contact,
                message.channel,
                message.address,
                out,
                ctx.conversation,
                message,
                now,
                immediate,
            )
            for out in ctx.replies
        ],
    )
    return [out.text for out in ctx.replies]
