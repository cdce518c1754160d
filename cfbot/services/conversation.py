"""Conversation service: inbound messages in, engine run, events applied, replies out.

``handle_inbound`` is the single entry point for every channel:

1. the inbound message is stored first, in its own transaction (a unique ``external_id``
   makes a retried webhook a no-op that returns the same replies);
2. the contact is locked (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) and
   every not-yet-processed inbound message of that contact up to this one is handled in
   arrival (id) order, so two texts sent together are answered one after the other;
3. pre-flow handlers (crisis words, STOP/START/HELP, language words) run before the flow;
4. the pure engine runs; its events are applied; one commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cfbot.channels.base import InboundMsg
from cfbot.db import for_update, unit_of_work
from cfbot.flows import engine
from cfbot.flows.builder import parse_flow
from cfbot.flows.events import AnswerRecorded, Completed, MsgOut, Sprint
from cfbot.flows.model import Flow
from cfbot.flows.segments import sms_info
from cfbot.i18n import translate
from cfbot.logging_setup import mask_phone
from cfbot.models import Answer, Contact, Conversation, FlowVersion, Message
from cfbot.runtime import Runtime
from cfbot.services.sentiment import score, scorer

log = logging.getLogger(__name__)

MAX_STORED_BODY = 10_000


def storable_text(text: str) -> str:
    """Text as typed, made storable on every database.

    PostgreSQL cannot hold NUL, and lone surrogates cannot be encoded; both are replaced
    visibly. Bodies longer than :data:`MAX_STORED_BODY` are cut with a marker.
    """
    text = text.replace("\x00", "\ufffd")
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if len(text) > MAX_STORED_BODY:
        text = text[:MAX_STORED_BODY] + " […]"
    return text


@dataclass
class OutText:
    """A message to send: immediately as the reply, or later through the outbox."""

    text: str
    kind: str = "reply"
    question_id: str | None = None


@dataclass
class InboundResult:
    """What a channel needs to answer the request that carried the message."""

    message_id: int | None
    replies: list[str] = field(default_factory=list)
    duplicate: bool = False


@dataclass
class InboundContext:
    """Handed to pre-flow handlers (crisis, keywords). ``reply`` queues an immediate reply."""

    rt: Runtime
    session: Session
    contact: Contact
    message: Message
    conversation: Conversation | None
    now: datetime
    replies: list[OutText] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.message.body

    @property
    def language(self) -> str:
        if self.conversation is not None:
            return self.conversation.language
        return self.contact.language

    def reply(self, text: str, kind: str = "reply") -> None:
        self.replies.append(OutText(text, kind))

    def flow(self) -> Flow | None:
        if self.conversation is None:
            return None
        return flow_for_conversation(self.session, self.conversation)


# A handler returns True when it fully handled the message (the flow must not see it).
PreFlowHandler = Callable[[InboundContext], bool]
PRE_FLOW_HANDLERS: list[PreFlowHandler] = []


def register_pre_flow_handler(handler: PreFlowHandler, first: bool = False) -> None:
    """Add a handler that sees each inbound message before the flow does."""
    if handler in PRE_FLOW_HANDLERS:
        return
    if first:
        PRE_FLOW_HANDLERS.insert(0, handler)
    else:
        PRE_FLOW_HANDLERS.append(handler)


# Called after a conversation's answers change (the alerts work evaluates rules here).
AfterSprintHook = Callable[[Runtime, Session, Conversation, Flow, Sprint, datetime], None]
AFTER_SPRINT_HOOKS: list[AfterSprintHook] = []


# --------------------------------------------------------------------------- flows


@lru_cache(maxsize=256)
def _flow_from_text(content_hash: str, text: str, path: str) -> Flow:
    return parse_flow(text, path)


def flow_for_conversation(session: Session, conversation: Conversation) -> Flow:
    """The exact flow version this conversation started with, even after edits."""
    version = session.get(FlowVersion, conversation.flow_version_id)
    if version is None:  # pragma: no cover - FK guarantees it
        raise LookupError(f"flow version {conversation.flow_version_id} missing")
    return _flow_from_text(version.content_hash, version.yaml_text, version.path)


def ensure_flow_version(session: Session, flow: Flow, now: datetime) -> FlowVersion:
    """The stored version row for ``flow``'s exact text, created on first use."""
    stmt = select(FlowVersion).where(
        FlowVersion.flow_id == flow.id, FlowVersion.content_hash == flow.content_hash
    )
    found = session.exec(stmt).first()
    if found is not None:
        return found
    version = FlowVersion(
        flow_id=flow.id,
        content_hash=flow.content_hash,
        yaml_text=flow.source_text,
        path=str(flow.path),
        first_seen_at=now,
    )
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError:
        # another process stored the same version first
        found = session.exec(stmt).first()
        if found is None:
            raise
        return found
    return version


# --------------------------------------------------------------------------- contacts


def _contact_query(channel: str, address: str) -> Any:
    if channel == "webchat":
        return select(Contact).where(Contact.webchat_id == address)
    return select(Contact).where(Contact.phone == address)


def get_or_create_contact(
    session: Session, channel: str, address: str, now: datetime, language: str | None = None
) -> Contact:
    """Find the contact for a channel address, creating it if new."""
    contact = session.exec(_contact_query(channel, address)).first()
    if contact is not None:
        return contact
    contact = Contact(created_at=now, updated_at=now, language=language or "en")
    if channel == "webchat":
        contact.webchat_id = address
    else:
        contact.phone = address
    session.add(contact)
    session.flush()
    return contact


def lock_contact(session: Session, contact_id: int) -> Contact:
    """Take the per-contact lock for the rest of this transaction."""
    # populate_existing: a contact already in this session is re-read, not served stale;
    # on SQLite the unit of work's BEGIN IMMEDIATE is the lock (see cfbot.db.for_update)
    stmt = select(Contact).where(Contact.id == contact_id).execution_options(populate_existing=True)
    return session.exec(for_update(stmt, session)).one()


def contact_address(contact: Contact, channel: str) -> str:
    """Where ``channel`` reaches ``contact`` (its phone, or its web-chat session id)."""
    return (contact.webchat_id if channel == "webchat" else contact.phone) or ""


def open_conversation(session: Session, contact_id: int) -> Conversation | None:
    """The contact's open survey, if any (at most one, enforced by ``open_key``)."""
    return session.exec(select(Conversation).where(Conversation.open_key == contact_id)).first()


# --------------------------------------------------------------------------- inbound


def handle_inbound(rt: Runtime, msg: InboundMsg, now: datetime | None = None) -> InboundResult:
    """Store, then process, one inbound message exactly once. Returns the replies to send
    back in the response (the same replies again for a retried delivery)."""
    now = now or rt.now()
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
    with unit_of_work(rt.engine) as session:
        contact = lock_contact(session, contact_id)
        pending = session.exec(
            select(Message)
            .where(
                Message.contact_id == contact_id,
                Message.direction == "in",
                col(Message.processed_at).is_(None),
                col(Message.id) <= message_id,
            )
            .order_by(col(Message.id))
        ).all()
        for pending_msg in pending:
            _process_one(rt, session, contact, pending_msg, now)
        replies = _replies_for(session, message_id)
    return InboundResult(message_id=message_id, replies=replies, duplicate=not is_new)


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
        row = Message(
            contact_id=contact.id,
            direction="in",
            channel=msg.channel,
            address=msg.address,
            body=storable_text(msg.text),
            external_id=msg.external_id,
            status="received",
            kind="media" if msg.media_count and not msg.text.strip() else "text",
            created_at=msg.received_at or now,
        )
        session.add(row)
        session.flush()
        assert row.id is not None and contact.id is not None
        return row.id, contact.id, True


def _replies_for(session: Session, message_id: int) -> list[str]:
    rows = session.exec(
        select(Message)
        .where(Message.reply_to_id == message_id, Message.direction == "out")
        .order_by(col(Message.id))
    ).all()
    return [r.body for r in rows if r.status != "queued"]


def _process_one(
    rt: Runtime, session: Session, contact: Contact, message: Message, now: datetime
) -> None:
    conversation = open_conversation(session, contact.id)  # type: ignore[arg-type]
    if message.channel == "sms" and (contact.unreachable or contact.delivery_failures):
        # a number that texts us is a reachable mobile, whatever earlier sends said; done
        # here, before any handler, so a crisis text (handled first) resets it too
        contact.unreachable = False
        contact.unreachable_reason = None
        contact.delivery_failures = 0
        contact.updated_at = now
        session.add(contact)
    ctx = InboundContext(rt, session, contact, message, conversation, now)
    if not any(handler(ctx) for handler in PRE_FLOW_HANDLERS):
        _run_flow_for_inbound(ctx)
    message.processed_at = now
    message.status = "processed"
    if message.conversation_id is None and ctx.conversation is not None:
        message.conversation_id = ctx.conversation.id
    session.add(message)
    for out in ctx.replies:
        store_outbound(
            session,
            contact,
            message.channel,
            message.address,
            out,
            conversation=ctx.conversation,
            reply_to=message,
            now=now,
            immediate=True,
        )


def _run_flow_for_inbound(ctx: InboundContext) -> None:
    rt, session, contact, now = ctx.rt, ctx.session, ctx.contact, ctx.now
    if contact.opted_out and ctx.message.channel == "sms":
        # an opted-out number gets nothing until it texts START (handled by keywords)
        return
    if ctx.conversation is None:
        found = rt.flows.by_keyword(ctx.text)
        if found is None:
            ctx.reply(no_survey_reply(rt, contact.language), kind="notice")
            return
        flow, lang = found
        conversation, outs = start_conversation(
            rt,
            session,
            contact,
            flow,
            channel=ctx.message.channel,
            lang=lang,
            now=now,
            deliver="collect",
        )
        ctx.conversation = conversation
        ctx.replies.extend(outs)
        return
    conversation = ctx.conversation
    flow = flow_for_conversation(session, conversation)
    sprint = engine.resume(flow, conversation.state, ctx.text, now, scorer=scorer)
    ctx.replies.extend(apply_sprint(rt, session, conversation, flow, sprint, now, ctx.message))


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


# --------------------------------------------------------------------------- starting


def start_conversation(
    rt: Runtime,
    session: Session,
    contact: Contact,
    flow: Flow,
    *,
    channel: str,
    lang: str | None,
    now: datetime,
    context: dict[str, str] | None = None,
    site: str | None = None,
    program: str | None = None,
    deliver: str = "outbox",
) -> tuple[Conversation, list[OutText]]:
    """Open a survey for ``contact`` and produce its first messages.

    ``deliver="outbox"`` queues them for the dispatcher (invitations); ``"collect"``
    returns them to the caller to send as the reply to an inbound message.
    Closes nothing: callers check :func:`open_conversation` first.
    """
    version = ensure_flow_version(session, flow, now)
    ctx = dict(context or {})
    if contact.first_name and "first_name" not in ctx:
        ctx["first_name"] = contact.first_name
    if site and "site" not in ctx:
        ctx["site"] = site
    if program and "program" not in ctx:
        ctx["program"] = program
    sprint = engine.start(flow, now, lang=lang or contact.language, context=ctx)
    language = sprint.state.get("lang", lang or flow.languages[0])
    conversation = Conversation(
        contact_id=contact.id,  # type: ignore[arg-type]
        flow_id=flow.id,
        flow_version_id=version.id,  # type: ignore[arg-type]
        channel=channel,
        language=language,
        status="active",
        state={},
        context=ctx,
        site=site,
        program=program,
        open_key=contact.id,
        started_at=now,
        updated_at=now,
    )
    session.add(conversation)
    session.flush()
    if contact.language != language:
        contact.language = language
        contact.updated_at = now
        session.add(contact)
    outs = apply_sprint(rt, session, conversation, flow, sprint, now, None)
    if deliver == "outbox":
        queue_outs(session, contact, conversation, outs, now)
        return conversation, []
    return conversation, outs


# --------------------------------------------------------------------------- applying


def apply_sprint(
    rt: Runtime,
    session: Session,
    conversation: Conversation,
    flow: Flow,
    sprint: Sprint,
    now: datetime,
    inbound: Message | None,
) -> list[OutText]:
    """Store what the engine decided: answers, timers, status. Returns messages to send."""
    outs: list[OutText] = []
    version_id = conversation.flow_version_id
    for event in sprint.events:
        if isinstance(event, MsgOut):
            outs.append(OutText(event.text, event.kind, event.question_id))
        elif isinstance(event, AnswerRecorded):
            session.add(_answer_row(conversation, flow, version_id, event, inbound, now))
        elif isinstance(event, Completed):
            conversation.status = event.status
    state = dict(sprint.state)
    conversation.state = state
    conversation.language = str(state.get("lang", conversation.language))
    conversation.expires_at = engine.expires_at(state) or conversation.expires_at
    # the engine knows when a tick can next change the state (reminder, then expiry)
    conversation.next_wake_at = engine.next_timer(state)
    status = engine.state_status(state)
    if conversation.status in ("active",) and status != "active":
        conversation.status = status
    if conversation.status != "active":
        conversation.open_key = None
        conversation.next_wake_at = None
        conversation.completed_at = conversation.completed_at or now
    conversation.updated_at = now
    session.add(conversation)
    session.flush()
    for hook in AFTER_SPRINT_HOOKS:
        hook(rt, session, conversation, flow, sprint, now)
    return outs


def _answer_row(
    conversation: Conversation,
    flow: Flow,
    version_id: int,
    event: AnswerRecorded,
    inbound: Message | None,
    now: datetime,
) -> Answer:
    question = flow.question(event.question_id)
    qtype = question.type if question is not None else ""
    value = event.value
    row = Answer(
        conversation_id=conversation.id,  # type: ignore[arg-type]
        contact_id=conversation.contact_id,
        flow_id=flow.id,
        flow_version_id=version_id,
        question_id=event.question_id,
        question_type=qtype,
        question_text=event.question_text,
        raw_text=storable_text(event.raw),
        value_text=None if value is None else storable_text(str(value)),
        value_number=float(value)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else None,
        language=event.language,
        skipped=event.skipped,
        message_id=inbound.id if inbound is not None else None,
        created_at=now,
    )
    if qtype == "text" and not event.skipped and event.raw.strip():
        result = score(event.raw, event.language, event.question_text)
        row.sentiment = result.score
        row.sentiment_method = result.method
        row.needs_review = result.needs_review
    return row


def store_outbound(
    session: Session,
    contact: Contact,
    channel: str,
    address: str,
    out: OutText,
    conversation: Conversation | None,
    reply_to: Message | None,
    now: datetime,
    immediate: bool,
) -> Message:
    """Store one outbound message: ``immediate`` replies travel in the response and are
    stored as sent; the rest are queued for the outbox dispatcher."""
    info = sms_info(out.text)
    row = Message(
        contact_id=contact.id,
        conversation_id=conversation.id if conversation is not None else None,
        direction="out",
        channel=channel,
        address=address,
        body=out.text,
        kind=out.kind,
        reply_to_id=reply_to.id if reply_to is not None else None,
        # an immediate reply travels in the response (TwiML / JSON); the rest wait
        status="sent" if immediate else "queued",
        encoding=info.encoding,
        segments=info.segments,
        created_at=now,
        sent_at=now if immediate else None,
        next_attempt_at=None if immediate else now,
    )
    session.add(row)
    session.flush()
    return row


def queue_message(
    session: Session,
    contact: Contact,
    channel: str,
    text: str,
    *,
    kind: str,
    now: datetime,
    conversation: Conversation | None = None,
) -> Message:
    """Put a message on the outbox for the dispatcher to send."""
    return store_outbound(
        session,
        contact,
        channel,
        contact_address(contact, channel),
        OutText(text, kind),
        conversation,
        None,
        now,
        False,
    )


def queue_outs(
    session: Session,
    contact: Contact,
    conversation: Conversation,
    outs: list[OutText],
    now: datetime,
) -> None:
    """Queue a conversation's messages (first question, reminder) for the dispatcher."""
    address = contact_address(contact, conversation.channel)
    for out in outs:
        store_outbound(
            session, contact, conversation.channel, address, out, conversation, None, now, False
        )


# --------------------------------------------------------------------------- timers


def run_due_timers(rt: Runtime, now: datetime | None = None, limit: int = 500) -> int:
    """Send due reminders and close expired surveys. Returns how many were handled.

    Each conversation is its own unit of work; safe to run from two processes.
    """
    now = now or rt.now()
    with unit_of_work(rt.engine, immediate=False) as session:
        due = session.exec(
            select(Conversation.id, Conversation.contact_id)
            .where(Conversation.status == "active", col(Conversation.next_wake_at) <= now)
            .order_by(col(Conversation.next_wake_at))
            .limit(limit)
        ).all()
    handled = 0
    for conversation_id, contact_id in due:
        with unit_of_work(rt.engine) as session:
            contact = lock_contact(session, contact_id)
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.status != "active":
                continue
            if conversation.next_wake_at is None or conversation.next_wake_at > now:
                continue
            flow = flow_for_conversation(session, conversation)
            sprint = engine.resume(flow, conversation.state, None, now, scorer=scorer)
            outs = apply_sprint(rt, session, conversation, flow, sprint, now, None)
            if contact.opted_out:
                outs = []
            queue_outs(session, contact, conversation, outs, now)
            handled += 1
            log.info(
                "timer for conversation %s (%s): %d message(s)",
                conversation.id,
                mask_phone(contact.phone),
                len(outs),
            )
    return handled
