"""'You said, we did': a short reply from staff to the client behind an alert.

Staff write it from the alert page in the client's language (the page suggests the
flow's translated closing as a model and previews SMS segments). It is queued on the
outbox like any message we start, so the dispatcher keeps quiet hours (it waits) and
never texts an opted-out or unreachable number; here it is refused outright for an
opted-out client, and limited to one per alert and one per client per
:data:`MIN_GAP`. For :data:`reply window <cfbot.config.Settings.followup_reply_days>`
days afterwards the client's texts outside a survey land on the same alert
(:func:`handle_followup_reply`, a step of the inbound pipeline). On web chat the reply
shows when the client comes back to the chat page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from cfbot.db import unit_of_work
from cfbot.flows.segments import sms_info
from cfbot.i18n import SUPPORTED_LANGUAGES, translate
from cfbot.models import Alert, Contact, Conversation, Direction, Message
from cfbot.runtime import Runtime
from cfbot.services import audit
from cfbot.services.alerts.actions import AlertActionError
from cfbot.services.alerts.common import log_event
from cfbot.services.conversation import InboundContext, queue_message

KIND = "followup"
MAX_CHARS = 480
MIN_GAP = timedelta(hours=24)


class FollowupRefused(AlertActionError):
    """A follow-up that must not be sent (opted out, already sent, too soon, ...)."""


@dataclass(frozen=True)
class FollowupForm:
    """What the follow-up form shows: the client's language and channel, a model text
    per language, and what was already sent."""

    language: str
    channel: str
    suggestions: dict[str, str]
    opted_out: bool
    sent_at: datetime | None
    sent_text: str | None
    sent_status: str | None


@dataclass(frozen=True)
class Preview:
    """How a follow-up text travels by SMS."""

    text: str
    encoding: str
    segments: int
    length: int


def preview(text: str) -> Preview:
    """Encoding and segments of ``text`` (cfbot.flows.segments)."""
    info = sms_info(text)
    return Preview(text, info.encoding, info.segments, len(text))


def _sent(session: Session, alert_id: int) -> Message | None:
    return session.exec(
        select(Message)
        .where(Message.kind == KIND, Message.direction == Direction.OUT)
        .where(col(Message.id).in_(_followup_ids(session, alert_id)))
    ).first()


def _followup_ids(session: Session, alert_id: int) -> list[int]:
    alert = session.get(Alert, alert_id)
    ids = (alert.details or {}).get("followup_sent_ids", []) if alert is not None else []
    return [i for i in ids if isinstance(i, int)] or [-1]


def form(rt: Runtime, alert_id: int) -> FollowupForm | None:
    """The follow-up form of an alert (None without a client)."""
    with unit_of_work(rt.engine, immediate=False) as session:
        alert = session.get(Alert, alert_id)
        contact = session.get(Contact, alert.contact_id) if alert and alert.contact_id else None
        if alert is None or contact is None:
            return None
        conversation = (
            session.get(Conversation, alert.conversation_id) if alert.conversation_id else None
        )
        flow = rt.flows.get(alert.flow_id) if alert.flow_id else None
        context = dict(conversation.context or {}) if conversation is not None else {}
        suggestions = {}
        for lang in SUPPORTED_LANGUAGES:
            text = ""
            if flow is not None and flow.closing and lang in flow.closing:
                try:
                    text = flow.text(flow.closing, lang, context)
                except Exception:  # a placeholder the old context lacks: fall back
                    text = ""
            suggestions[lang] = text or translate(
                lang, "Thank you for your feedback! Reply STOP to opt out."
            )
        sent = _sent(session, alert_id)
        return FollowupForm(
            # a crisis alert records the language the client wrote in
            language=str((alert.details or {}).get("language") or contact.language),
            channel="sms" if contact.phone else "webchat",
            suggestions=suggestions,
            opted_out=contact.opted_out,
            sent_at=sent.created_at if sent else None,
            sent_text=sent.body if sent else None,
            sent_status=sent.status if sent else None,
        )


def send_followup(
    rt: Runtime,
    alert_id: int,
    actor: str,
    text: str,
    language: str,
    now: datetime | None = None,
    *,
    ip: str = "",
) -> int:
    """Queue the follow-up on the outbox (the dispatcher keeps quiet hours). Refused for
    an opted-out or unreachable client, a second follow-up on the same alert, or a
    client who got one less than :data:`MIN_GAP` ago. Returns the message id."""
    now = now or rt.now()
    body = " ".join(text.split())
    if not body:
        raise FollowupRefused("write the reply first")
    if len(body) > MAX_CHARS:
        raise FollowupRefused(f"keep the reply under {MAX_CHARS} characters")
    if language not in SUPPORTED_LANGUAGES:
        raise FollowupRefused("choose the client's language")
    with unit_of_work(rt.engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertActionError("no such alert")
        contact = session.get(Contact, alert.contact_id) if alert.contact_id else None
        if contact is None:
            raise FollowupRefused("this alert has no client to reply to")
        if contact.opted_out:
            raise FollowupRefused("the client has opted out (STOP): no reply can be sent")
        if contact.phone and contact.unreachable:
            raise FollowupRefused("the client's number cannot receive texts")
        if _sent(session, alert_id) is not None:
            raise FollowupRefused("a reply was already sent for this alert")
        recent = session.exec(
            select(Message.id).where(
                Message.contact_id == contact.id,
                Message.kind == KIND,
                col(Message.created_at) > now - MIN_GAP,
            )
        ).first()
        if recent is not None:
            raise FollowupRefused("the client got a reply from staff in the last 24 hours")
        channel = "sms" if contact.phone else "webchat"
        message = queue_message(session, contact, channel, body, kind=KIND, now=now)
        assert message.id is not None
        details = dict(alert.details or {})
        details["followup_sent_ids"] = [*details.get("followup_sent_ids", []), message.id]
        details["followup_language"] = language
        alert.details = details
        alert.followup_until = now + timedelta(days=rt.settings.followup_reply_days)
        alert.updated_at = now
        session.add(alert)
        log_event(
            session, alert_id, "followup_queued", now, actor=actor, note=f"[{language}] {body}"
        )
        audit.add(
            session, actor, "followup_sent", now, target=f"alert:{alert_id}", detail=language, ip=ip
        )
        return message.id


def handle_followup_reply(ctx: InboundContext) -> bool:
    """Inbound step: a text from a client with no open survey, within the reply window
    of a follow-up, goes to that alert's history (staff read it there) and gets no
    automatic reply. Survey keywords still start a survey."""
    if ctx.conversation is not None or not ctx.text.strip():
        return False
    if ctx.rt.flows.by_keyword(ctx.text) is not None:
        return False
    alert = ctx.session.exec(
        select(Alert)
        .where(Alert.contact_id == ctx.contact.id, col(Alert.followup_until) >= ctx.now)
        .order_by(col(Alert.id).desc())
    ).first()
    if alert is None or alert.id is None:
        return False
    details = dict(alert.details or {})
    details["followup_ids"] = [*details.get("followup_ids", []), ctx.message.id][-50:]
    alert.details = details
    alert.updated_at = ctx.now
    ctx.session.add(alert)
    log_event(ctx.session, alert.id, "client_replied", ctx.now, note=ctx.text[:2000])
    return True
