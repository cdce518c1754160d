"""Conversations: flow versions, contacts and their lock, starting a survey, storing what
the engine decided (answers, status, timers) and outbound messages.

The inbound path that drives it lives in :mod:`cfbot.services.inbound`; reminders and
expiry in :mod:`cfbot.services.timers`. Nothing here commits: callers own the unit of work.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, literal_column
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cfbot.db import for_update, is_sqlite
from cfbot.flow_store import parse_flow
from cfbot.flows import engine
from cfbot.flows.events import AnswerRecorded, Completed, MsgOut, Sprint
from cfbot.flows.model import Flow
from cfbot.flows.segments import sms_info
from cfbot.flows.site_question import SITE_QUESTION_ID, with_site_question
from cfbot.models import (
    Answer,
    Contact,
    Conversation,
    ConversationStatus,
    Direction,
    FlowVersion,
    Message,
    MessageStatus,
)
from cfbot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_STORED_BODY = 10_000
# channels that reach a phone number (opt-out, carrier rules); each has its own contact
PHONE_CHANNELS = ("sms", "whatsapp")
# conversation.context key holding the site list of an ``ask_site`` question
SITE_CHOICES_KEY = "_site_choices"


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
class InboundContext:
    """One inbound message on its way through the pipeline (see :mod:`cfbot.services.inbound`).

    Steps read the message, contact and open survey from it, queue immediate replies with
    :meth:`reply`, and run the engine through :meth:`apply`, which records that the
    conversation changed so the alert step evaluates it.
    """

    rt: Runtime
    session: Session
    contact: Contact
    message: Message
    conversation: Conversation | None
    now: datetime
    replies: list[OutText] = field(default_factory=list)
    # the conversation whose answers or status changed while handling this message
    changed: Conversation | None = None

    @property
    def text(self) -> str:
        return self.message.body

    @property
    def language(self) -> str:
        if self.conversation is not None:
            return self.conversation.language
        return self.contact.language

    def reply(self, text: str, kind: str = "reply") -> None:
        """Send ``text`` back in the response to this message."""
        self.replies.append(OutText(text, kind))

    def flow(self) -> Flow | None:
        """The flow version of the open survey, if any."""
        if self.conversation is None:
            return None
        return flow_for_conversation(self.session, self.conversation)

    def apply(self, conversation: Conversation, flow: Flow, sprint: Sprint) -> list[OutText]:
        """Store an engine run for ``conversation`` (answers, timers, status) and return
        its messages; the alert step will evaluate the conversation afterwards."""
        outs = apply_sprint(self.session, conversation, flow, sprint, self.now, self.message)
        self.changed = conversation
        return outs


# --------------------------------------------------------------------------- flows


# parsed flow versions by (flow_version_id, content_hash): a version row never changes,
# and the hash keeps two databases in one process (tests) from sharing an id by mistake
_FLOW_CACHE: dict[tuple[int, str], Flow] = {}
_FLOW_CACHE_SIZE = 256


def _version_flow(session: Session, version_id: int, content_hash: str | None) -> Flow:
    """The parsed flow of a stored version; the row (and its whole ``yaml_text``) is read
    only when this process has not parsed that version yet."""
    if content_hash is not None:
        cached = _FLOW_CACHE.get((version_id, content_hash))
        if cached is not None:
            return cached
    version = session.get(FlowVersion, version_id)
    if version is None:  # pragma: no cover - FK guarantees it
        raise LookupError(f"flow version {version_id} missing")
    flow = parse_flow(version.yaml_text, version.path)
    if len(_FLOW_CACHE) >= _FLOW_CACHE_SIZE:
        _FLOW_CACHE.clear()
    _FLOW_CACHE[(version_id, version.content_hash)] = flow
    return flow


def flow_for_conversation(session: Session, conversation: Conversation) -> Flow:
    """The exact flow version this conversation started with, even after edits.

    The engine's state names the hash of the flow it runs (the version's
    ``content_hash``), so a version this process already parsed costs no query.
    """
    state_hash = (conversation.state or {}).get("flow_hash")
    flow = _version_flow(session, conversation.flow_version_id, state_hash)
    choices = (conversation.context or {}).get(SITE_CHOICES_KEY)
    if choices:
        # the survey asked "Which clinic did you visit?" from the sites listed at its start
        flow = with_site_question(flow, [(str(k), str(n)) for k, n in choices])
    return flow


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


def _address_column(channel: str) -> Any:
    if channel == "webchat":
        return Contact.webchat_id
    if channel == "whatsapp":
        return Contact.whatsapp
    return Contact.phone


# Built once per channel (statements are immutable; SQLAlchemy caches their compiled
# form and their cache key on the object): the inbound path runs them for every text.
_CONTACT_BY = {
    channel: select(Contact).where(_address_column(channel) == bindparam("address"))
    for channel in ("sms", "whatsapp", "webchat")
}
# (locking on PostgreSQL, and SQLite where BEGIN IMMEDIATE is the lock); populate_existing:
# a contact already in the session is re-read, not served stale
_CONTACT_LOCK = {
    channel: (
        stmt.with_for_update().execution_options(populate_existing=True),
        stmt.execution_options(populate_existing=True),
    )
    for channel, stmt in _CONTACT_BY.items()
}


def _contact_query(channel: str) -> Any:
    return _CONTACT_BY.get(channel, _CONTACT_BY["sms"])


def get_or_create_contact(
    session: Session, channel: str, address: str, now: datetime, language: str | None = None
) -> Contact:
    """Find the contact for a channel address, creating it if new."""
    contact = session.exec(_contact_query(channel), params={"address": address}).first()
    if contact is not None:
        return contact
    return _new_contact(session, channel, address, now, language)


def lock_contact_at(session: Session, channel: str, address: str, now: datetime) -> Contact:
    """Find the contact for a channel address and take its lock for the rest of this
    transaction (see :func:`lock_contact`); a new contact is created, and locked by its
    own insert. A concurrent creation of the same contact raises ``IntegrityError``."""
    locking, plain = _CONTACT_LOCK.get(channel, _CONTACT_LOCK["sms"])
    stmt = plain if is_sqlite(session) else locking
    contact = session.exec(stmt, params={"address": address}).first()
    return contact if contact is not None else _new_contact(session, channel, address, now)


# The open survey's row version on PostgreSQL (its id and ``xmin``): see
# :func:`lock_contact_with_survey`
SURVEY_VERSION_SQL = "conversation.id::text || ':' || conversation.xmin::text"


def _survey_lock(channel: str, locking: bool) -> Any:
    stmt: Any = (
        select(Contact, Conversation)
        .outerjoin(Conversation, col(Conversation.open_key) == Contact.id)
        .where(_address_column(channel) == bindparam("address"))
        .execution_options(populate_existing=True)
    )
    if locking:
        stmt = stmt.add_columns(literal_column(SURVEY_VERSION_SQL)).with_for_update(of=Contact)
    return stmt


_SURVEY_LOCK = {
    (channel, locking): _survey_lock(channel, locking)
    for channel in ("sms", "whatsapp", "webchat")
    for locking in (True, False)
}


def lock_contact_with_survey(
    session: Session, channel: str, address: str, now: datetime
) -> tuple[Contact, Conversation | None, str | None]:
    """:func:`lock_contact_at` and :func:`open_conversation` in one statement: the
    locked contact, its open survey, and (PostgreSQL) that survey's row version.

    On SQLite the survey is current: ``BEGIN IMMEDIATE`` took the write lock before this
    read. On PostgreSQL it may not be: a row joined to a locked one comes from the
    snapshot taken before waiting for the lock, so a text of the same contact committed
    meanwhile is not seen. The caller compares the returned version (``id:xmin``, None
    without an open survey) with one read by a later statement (a fresh snapshot, after
    the lock) and takes another road when they differ.
    """
    channel = channel if channel in ("whatsapp", "webchat") else "sms"
    locking = not is_sqlite(session)
    row = session.exec(_SURVEY_LOCK[(channel, locking)], params={"address": address}).first()
    if row is None:
        return _new_contact(session, channel, address, now), None, None
    return row[0], row[1], (row[2] if locking else None)


def _new_contact(
    session: Session, channel: str, address: str, now: datetime, language: str | None = None
) -> Contact:
    contact = Contact(created_at=now, updated_at=now, language=language or "en")
    if channel == "webchat":
        contact.webchat_id = address
    elif channel == "whatsapp":
        contact.whatsapp = address
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
    if channel == "whatsapp":
        return contact.whatsapp or ""
    return (contact.webchat_id if channel == "webchat" else contact.phone) or ""


_OPEN_CONVERSATION = select(Conversation).where(Conversation.open_key == bindparam("contact_id"))


def open_conversation(session: Session, contact_id: int) -> Conversation | None:
    """The contact's open survey, if any (at most one, enforced by ``open_key``)."""
    return session.exec(_OPEN_CONVERSATION, params={"contact_id": contact_id}).first()


# --------------------------------------------------------------------------- starting


def start_conversation(
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
    site_choices: Sequence[tuple[str, str]] | None = None,
) -> tuple[Conversation, list[OutText]]:
    """Open a survey for ``contact`` and produce its first messages.

    ``deliver="outbox"`` queues them for the dispatcher (invitations); ``"collect"``
    returns them to the caller to send as the reply to an inbound message.
    ``program`` defaults to the flow's ``program``; with no ``site`` and a flow that
    ``ask_site``, ``site_choices`` (``(key, name)`` from routing) are asked first.
    Closes nothing: callers check :func:`open_conversation` first.
    """
    program = program or flow.program
    choices = list(site_choices or []) if flow.ask_site and not site else []
    if choices:
        flow = with_site_question(flow, choices)
    version = ensure_flow_version(session, flow, now)
    ctx = dict(context or {})
    if contact.first_name and "first_name" not in ctx:
        ctx["first_name"] = contact.first_name
    if site and "site" not in ctx:
        ctx["site"] = site
    if program and "program" not in ctx:
        ctx["program"] = program
    sprint = engine.start(flow, now, lang=lang or contact.language, context=ctx, channel=channel)
    language = sprint.state.get("lang", lang or flow.languages[0])
    conversation = Conversation(
        contact_id=contact.id,  # type: ignore[arg-type]  # id is None only before the row is flushed
        flow_id=flow.id,
        flow_version_id=version.id,  # type: ignore[arg-type]  # id is None only before the row is flushed
        channel=channel,
        language=language,
        status=ConversationStatus.ACTIVE,
        state={},
        context={**ctx, SITE_CHOICES_KEY: [list(c) for c in choices]} if choices else ctx,
        site=site,
        program=program,
        anonymous=flow.anonymous,
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
    outs = apply_sprint(session, conversation, flow, sprint, now, None)
    if deliver == "outbox":
        queue_outs(session, contact, conversation, outs, now)
        return conversation, []
    return conversation, outs


# --------------------------------------------------------------------------- applying


def apply_sprint(
    session: Session,
    conversation: Conversation,
    flow: Flow,
    sprint: Sprint,
    now: datetime,
    inbound: Message | None,
) -> list[OutText]:
    """Store what the engine decided: answers, timers, status. Returns messages to send."""
    outs: list[OutText] = []
    answers: list[dict[str, Any]] = []
    version_id = conversation.flow_version_id
    for event in sprint.events:
        if isinstance(event, MsgOut):
            outs.append(OutText(event.text, event.kind, event.question_id))
        elif isinstance(event, AnswerRecorded):
            answers.append(_answer_values(conversation, flow, version_id, event, inbound, now))
            if event.question_id == SITE_QUESTION_ID and event.value:
                conversation.site = str(event.value)
        elif isinstance(event, Completed):
            conversation.status = event.status
    state = dict(sprint.state)
    conversation.state = state
    conversation.language = str(state.get("lang", conversation.language))
    conversation.expires_at = engine.expires_at(state) or conversation.expires_at
    # the engine knows when a tick can next change the state (reminder, then expiry)
    conversation.next_wake_at = engine.next_timer(state)
    status = engine.state_status(state)
    if conversation.status == ConversationStatus.ACTIVE and status != ConversationStatus.ACTIVE:
        conversation.status = status
    if conversation.status != ConversationStatus.ACTIVE:
        conversation.open_key = None
        conversation.next_wake_at = None
        conversation.completed_at = conversation.completed_at or now
    conversation.updated_at = now
    session.add(conversation)
    session.flush()
    if answers:
        # plain rows through Core: nothing reads them back as objects in this transaction
        session.connection().execute(_INSERT_ANSWER, answers)
    return outs


_INSERT_ANSWER = insert(Answer.__table__)  # type: ignore[attr-defined]  # SQLModel does not type __table__


def _answer_values(
    conversation: Conversation,
    flow: Flow,
    version_id: int,
    event: AnswerRecorded,
    inbound: Message | None,
    now: datetime,
) -> dict[str, Any]:
    """The ``answer`` row for ``event``, as column values."""
    question = flow.question(event.question_id)
    value = event.value
    scored = event.sentiment is not None and not event.skipped
    return {
        "conversation_id": conversation.id,
        "contact_id": conversation.contact_id,
        "flow_id": flow.id,
        "flow_version_id": version_id,
        "question_id": event.question_id,
        "question_type": question.type if question is not None else "",
        "question_text": event.question_text,
        "raw_text": storable_text(event.raw),
        "value_text": None if value is None else storable_text(str(value)),
        "value_number": float(value)
        if isinstance(value, int | float) and not isinstance(value, bool)
        else None,
        "language": event.language,
        "skipped": event.skipped,
        # the score the engine used for conditions and alerts: never scored twice
        "sentiment": event.sentiment.score if scored else None,  # type: ignore[union-attr]
        "sentiment_method": event.sentiment.method if scored else None,  # type: ignore[union-attr]
        "needs_review": event.sentiment.needs_review if scored else False,  # type: ignore[union-attr]
        "message_id": inbound.id if inbound is not None else None,
        "created_at": now,
    }


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
    row = outbound_row(contact, channel, address, out, conversation, reply_to, now, immediate)
    session.add(row)
    session.flush()
    return row


def outbound_row(
    contact: Contact,
    channel: str,
    address: str,
    out: OutText,
    conversation: Conversation | None,
    reply_to: Message | None,
    now: datetime,
    immediate: bool,
) -> Message:
    """The row :func:`store_outbound` stores (not yet added to a session)."""
    return Message(
        **outbound_values(contact, channel, address, out, conversation, reply_to, now, immediate)
    )


def outbound_values(
    contact: Contact,
    channel: str,
    address: str,
    out: OutText,
    conversation: Conversation | None,
    reply_to: Message | None,
    now: datetime,
    immediate: bool,
) -> dict[str, Any]:
    """The column values of an outbound ``message`` row (see :func:`outbound_row`)."""
    info = sms_info(out.text)
    return {
        "contact_id": contact.id,
        "conversation_id": conversation.id if conversation is not None else None,
        "direction": Direction.OUT,
        "channel": channel,
        "address": address,
        "body": out.text,
        "kind": out.kind,
        "reply_to_id": reply_to.id if reply_to is not None else None,
        # an immediate reply travels in the response (TwiML / JSON); the rest wait
        "status": MessageStatus.SENT if immediate else MessageStatus.QUEUED,
        "encoding": info.encoding,
        "segments": info.segments,
        "created_at": now,
        "sent_at": now if immediate else None,
        "next_attempt_at": None if immediate else now,
        "attempts": 0,
    }


def insert_outbound(session: Session, rows: list[dict[str, Any]]) -> None:
    """Store outbound rows (:func:`outbound_values`) in one statement, without objects:
    the inbound path returns their bodies and never reads them back."""
    if rows:
        session.connection().execute(_INSERT_MESSAGE, rows)


_INSERT_MESSAGE = insert(Message.__table__)  # type: ignore[attr-defined]  # SQLModel does not type __table__


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


def queue_template(
    session: Session,
    contact: Contact,
    conversation: Conversation,
    outs: list[OutText],
    content_sid: str,
    variables: dict[str, str],
    now: datetime,
) -> Message:
    """Queue a WhatsApp template (approved Twilio Content SID) that stands for the
    survey's first messages ``outs``: the dispatcher sends the template, and the row's
    body keeps the flow's wording of what it says (for staff and retention)."""
    text = "\n\n".join(out.text for out in outs)
    kind = outs[-1].kind if outs else "invitation"
    row = outbound_row(
        contact,
        conversation.channel,
        contact_address(contact, conversation.channel),
        OutText(text, kind, outs[-1].question_id if outs else None),
        conversation,
        None,
        now,
        False,
    )
    row.template = {"content_sid": content_sid, "variables": dict(variables)}
    row.segments = 1  # one WhatsApp message, whatever the wording's length
    session.add(row)
    session.flush()
    return row
