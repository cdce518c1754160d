"""Web chat: start a survey for a browser session, and read its transcript."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from cfbot.db import unit_of_work
from cfbot.flows import engine
from cfbot.i18n import translate
from cfbot.models import Contact, Direction, Message, MessageStatus
from cfbot.runtime import Runtime
from cfbot.services import crisis_response, reach
from cfbot.services.alerts import crisis_alert_for
from cfbot.services.conversation import (
    apply_sprint,
    flow_for_conversation,
    get_or_create_contact,
    lock_contact,
    open_conversation,
    start_conversation,
    store_outbound,
)


class UnknownFlow(LookupError):
    """The page asked for a flow that is not loaded."""


@dataclass(frozen=True)
class ChatLine:
    id: int
    sender: str  # "bot" | "you"
    text: str


def start_chat(
    rt: Runtime,
    webchat_id: str,
    flow_id: str,
    lang: str | None,
    now: datetime | None = None,
    *,
    site: str | None = None,
    program: str | None = None,
) -> None:
    """Open ``flow_id`` for this browser session unless a survey is already open.

    ``site`` and ``program`` come from the link that opened the chat (already checked
    against routing); without a site, a flow with ``ask_site`` asks for it first.
    """
    now = now or rt.now()
    flow = rt.flows.get(flow_id)
    if flow is None:
        raise UnknownFlow(flow_id)
    choices = reach.site_choices(rt) if flow.ask_site and not site else None
    with unit_of_work(rt.engine) as session:
        contact = get_or_create_contact(session, "webchat", webchat_id, now, language=lang)
        contact = lock_contact(session, contact.id)  # type: ignore[arg-type]  # id is None only before the row is flushed
        if open_conversation(session, contact.id) is not None:  # type: ignore[arg-type]  # id is None only before the row is flushed
            return
        conversation, outs = start_conversation(
            session,
            contact,
            flow,
            channel="webchat",
            lang=lang,
            now=now,
            deliver="collect",
            site=site,
            program=program,
            context=reach.site_context(rt, site),
            site_choices=choices,
        )
        # shown at once on the page, like a reply to the visitor's click
        for out in outs:
            store_outbound(
                session, contact, "webchat", webchat_id, out, conversation, None, now, True
            )


def switch_chat_language(
    rt: Runtime, webchat_id: str, lang: str, now: datetime | None = None
) -> bool:
    """The page's language links: remember ``lang`` for this visitor and, mid-survey,
    switch the survey too and re-ask the current question in it (as the ESPAÑOL
    keyword does). True when an open survey was switched."""
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        contact = session.exec(select(Contact).where(Contact.webchat_id == webchat_id)).first()
        if contact is None:
            return False
        contact = lock_contact(session, contact.id)  # type: ignore[arg-type]  # id is None only before the row is flushed
        if contact.language != lang:
            contact.language = lang
            contact.updated_at = now
            session.add(contact)
        conversation = open_conversation(session, contact.id)  # type: ignore[arg-type]  # id is None only before the row is flushed
        if conversation is None or conversation.language == lang:
            return False
        flow = flow_for_conversation(session, conversation)
        sprint = engine.switch_language(flow, conversation.state, lang, now)
        for out in apply_sprint(session, conversation, flow, sprint, now, None):
            store_outbound(
                session, contact, "webchat", webchat_id, out, conversation, None, now, True
            )
        return True


@dataclass(frozen=True)
class ChatView:
    """What the chat page shows: the lines after ``after_id`` and whether a survey is open."""

    lines: list[ChatLine]
    open: bool


def chat_view(rt: Runtime, webchat_id: str, after_id: int = 0, limit: int = 200) -> ChatView:
    """This browser session's messages in order (after ``after_id``, for polling) and
    whether its survey is still open, read in one transaction."""
    with unit_of_work(rt.engine, immediate=False) as session:
        contact = session.exec(select(Contact).where(Contact.webchat_id == webchat_id)).first()
        if contact is None:
            return ChatView([], False)
        rows = session.exec(
            select(Message)
            .where(
                Message.contact_id == contact.id,
                Message.channel == "webchat",
                col(Message.id) > after_id,
            )
            .order_by(col(Message.id))
            .limit(limit)
        ).all()
        lines = [
            ChatLine(row.id or 0, "bot" if row.direction == Direction.OUT else "you", row.body)
            for row in rows
            # reminders wait for the dispatcher to mark them delivered
            if not (row.direction == Direction.OUT and row.status == MessageStatus.QUEUED)
        ]
        is_open = open_conversation(session, contact.id) is not None  # type: ignore[arg-type]  # id is None only before the row is flushed
        if not is_open:
            # after a crisis message the chat stays open to staff: later messages go to
            # the alert (like the SMS crisis follow-up) until staff resolve it
            since = rt.now() - timedelta(days=rt.settings.crisis_hold_days)
            is_open = crisis_alert_for(session, contact.id, since) is not None
        return ChatView(lines, is_open)


def source_key(rt: Runtime, address: str) -> str:
    """Where an anonymous web-chat message came from, as a keyed hash of the client's
    address (the address itself is never stored)."""
    digest = hmac.new(rt.settings.secret_key.encode(), address.encode(), hashlib.sha256)
    return "ip:" + digest.hexdigest()[:32]


def limited_reply(rt: Runtime, text: str, lang: str) -> tuple[str, bool]:
    """The answer to a web-chat message a rate limit turned away (nothing is stored): the
    crisis reply when it is a crisis message (never withheld), else a "please wait"
    note that also gives 911/988. Returns the text and whether it is a crisis reply."""
    crisis = crisis_response.emergency_reply(rt, text, lang)
    if crisis is not None:
        return crisis, True
    return (
        translate(
            lang,
            "Too many messages came from this connection in a short time. Please wait a "
            "minute and try again. If you are in danger, call 911, or call or text 988.",
        ),
        False,
    )


def chat_language(rt: Runtime, webchat_id: str) -> str | None:
    """The language this chat was last in (its open survey's, else the contact's)."""
    with unit_of_work(rt.engine, immediate=False) as session:
        contact = session.exec(select(Contact).where(Contact.webchat_id == webchat_id)).first()
        if contact is None:
            return None
        conversation = open_conversation(session, contact.id)  # type: ignore[arg-type]
        if conversation is not None and conversation.language:
            return str(conversation.language)
        return contact.language
