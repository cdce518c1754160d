"""Per-visit links: ``CFBOT_PUBLIC_URL/s/<code>`` opens the visit's survey in the web chat.

A code is 8 random characters plus a 6-character HMAC of them (keyed with
``SECRET_KEY``), so a typo or a guessed code is refused before the database is asked.
The first browser that opens a link is bound to the visit's contact (a fresh web-chat
id on that contact), so its answers join the same conversation as the visit's SMS
answers; any other browser is refused. The link stops working when the survey ends or
at ``expires_at`` (the visit's age limit plus the flow's expiry).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from cfbot.db import unit_of_work
from cfbot.flows.model import Flow
from cfbot.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Invitation,
    InvitationStatus,
    Visit,
    VisitLink,
)
from cfbot.runtime import Runtime
from cfbot.services.conversation import (
    OutText,
    flow_for_conversation,
    lock_contact,
    open_conversation,
    start_conversation,
    store_outbound,
)
from cfbot.services.routing import get_routing

log = logging.getLogger(__name__)

RANDOM_CHARS = 8
TAG_CHARS = 6
LINK_PATH = "/s/"


class LinkRefused(Exception):
    """The link cannot open a survey: ``status`` 404 (no such link) or 410 (used, ended,
    expired); ``reason`` says which, for the page."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _tag(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TAG_CHARS]


def new_code(secret: str) -> str:
    """A fresh signed code (14 URL-safe characters)."""
    nonce = secrets.token_urlsafe(RANDOM_CHARS)[:RANDOM_CHARS]
    return nonce + _tag(secret, nonce)


def code_is_signed(secret: str, code: str) -> bool:
    """True when ``code`` carries our signature (checked in constant time)."""
    if len(code) != RANDOM_CHARS + TAG_CHARS or not code.isascii():
        return False
    nonce, tag = code[:RANDOM_CHARS], code[RANDOM_CHARS:]
    return hmac.compare_digest(_tag(secret, nonce), tag)


def link_url(rt: Runtime, code: str) -> str:
    """The link as clients see it (absolute when ``CFBOT_PUBLIC_URL`` is set)."""
    return rt.settings.public_url.rstrip("/") + LINK_PATH + code


def new_link(rt: Runtime, visit: Visit, flow: Flow, now: datetime) -> VisitLink:
    """The link row for a visit just stored (the caller adds and commits it)."""
    assert visit.id is not None
    expires = visit.visited_at + timedelta(days=rt.settings.visit_max_age_days) + flow.expire_after
    return VisitLink(
        code=new_code(rt.settings.secret_key),
        visit_id=visit.id,
        contact_id=visit.contact_id,
        created_at=now,
        expires_at=max(expires, now + flow.expire_after),
    )


@dataclass(frozen=True)
class OpenedLink:
    """What the chat page needs after a link opened: the browser's web-chat id and the
    survey's language."""

    webchat_id: str
    lang: str
    conversation_id: int


def open_link(
    rt: Runtime, code: str, webchat_id: str | None, now: datetime | None = None
) -> OpenedLink:
    """Open (or reopen, from the same browser) the survey of the visit behind ``code``.

    Starts the survey on the web if its invitation has not gone out yet (the SMS
    invitation is then not sent), or joins the open SMS survey, showing its current
    question. Raises :class:`LinkRefused` for an unknown, used, ended or expired link.
    """
    now = now or rt.now()
    if not code_is_signed(rt.settings.secret_key, code):
        raise LinkRefused(404, "unknown")
    with unit_of_work(rt.engine) as session:
        link = session.exec(select(VisitLink).where(VisitLink.code == code)).first()
        if link is None:
            raise LinkRefused(404, "unknown")
        if link.webchat_id is not None and link.webchat_id != webchat_id:
            raise LinkRefused(410, "used")
        if now >= link.expires_at:
            raise LinkRefused(410, "expired")
        contact = lock_contact(session, link.contact_id)
        visit = session.get(Visit, link.visit_id)
        assert visit is not None
        invitation = session.exec(select(Invitation).where(Invitation.visit_id == visit.id)).first()
        conversation_id = link.conversation_id or (
            invitation.conversation_id if invitation else None
        )
        conversation = session.get(Conversation, conversation_id) if conversation_id else None
        if conversation is not None and conversation.status != ConversationStatus.ACTIVE:
            raise LinkRefused(410, "ended")
        bound = link.webchat_id or _bind_browser(session, contact, now)
        if conversation is None:
            conversation = _start_on_web(rt, session, contact, visit, invitation, bound, now)
        elif link.webchat_id is None:
            _show_current_question(session, contact, conversation, bound, now)
        link.webchat_id = bound
        link.conversation_id = conversation.id
        link.used_at = link.used_at or now
        session.add(link)
        assert conversation.id is not None
        return OpenedLink(bound, conversation.language, conversation.id)


def _bind_browser(session: Session, contact: Contact, now: datetime) -> str:
    """A fresh web-chat id on the visit's contact: the browser now speaks as them."""
    bound = secrets.token_urlsafe(18)
    contact.webchat_id = bound
    contact.updated_at = now
    session.add(contact)
    return bound


def _start_on_web(
    rt: Runtime,
    session: Session,
    contact: Contact,
    visit: Visit,
    invitation: Invitation | None,
    webchat_id: str,
    now: datetime,
) -> Conversation:
    if open_conversation(session, contact.id) is not None:  # type: ignore[arg-type]  # id is None only before the row is flushed
        raise LinkRefused(410, "busy")
    flow = rt.flows.get(visit.flow_id)
    if flow is None:
        raise LinkRefused(410, "ended")
    context: dict[str, str] = {}
    if visit.first_name:
        context["first_name"] = visit.first_name
    context["site"] = get_routing(rt).site_name(visit.site)
    conversation, outs = start_conversation(
        session,
        contact,
        flow,
        channel="webchat",
        lang=visit.language or contact.language,
        now=now,
        context=context,
        site=visit.site,
        program=visit.program,
        deliver="collect",
    )
    for out in outs:
        store_outbound(session, contact, "webchat", webchat_id, out, conversation, None, now, True)
    if invitation is not None and invitation.status in (
        InvitationStatus.SCHEDULED,
        InvitationStatus.WAITING,
    ):
        # the client came on their own: no SMS invitation on top
        invitation.status = InvitationStatus.SENT
        invitation.reason = "opened the visit link"
        invitation.conversation_id = conversation.id
        invitation.sent_at = now
        invitation.updated_at = now
        session.add(invitation)
    log.info("visit %s: survey %s opened from its link", visit.id, conversation.id)
    return conversation


def _show_current_question(
    session: Session, contact: Contact, conversation: Conversation, webchat_id: str, now: datetime
) -> None:
    """Joining an SMS survey on the web: the page starts with the question it waits on."""
    flow = flow_for_conversation(session, conversation)
    current = flow.question(str(conversation.state.get("current") or ""))
    if current is None:
        return
    text = flow.render_question(current, conversation.language, conversation.state.get("context"))
    out = OutText(text, "question", current.id)
    store_outbound(session, contact, "webchat", webchat_id, out, conversation, None, now, True)
