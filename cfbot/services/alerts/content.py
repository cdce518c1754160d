"""What an alert is about, read for its email and its dashboard page: the client's
answers under the wording they saw, their crisis messages, who they are (masked)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from cfbot.logging_setup import mask_phone
from cfbot.models import Alert, Answer, Contact, Conversation, Message
from cfbot.services.alerts.common import staff_text as _t
from cfbot.services.routing import Routing


@dataclass
class AnswerLine:
    """One answer under the wording the client saw (and the fallback wording if different)."""

    question: str
    question_fallback: str | None
    answer: str
    skipped: bool
    at: datetime


def answers_for(session: Session, alert: Alert) -> list[AnswerLine]:
    """The client's answers in the alert's survey(s), under the question wording they saw."""
    from cfbot.services.conversation import flow_for_conversation

    conv_ids = list((alert.details or {}).get("conversations") or [])
    if alert.conversation_id is not None and alert.conversation_id not in conv_ids:
        conv_ids.insert(0, alert.conversation_id)
    if not conv_ids:
        return []
    rows = session.exec(
        select(Answer).where(col(Answer.conversation_id).in_(conv_ids)).order_by(col(Answer.id))
    ).all()
    flows: dict[int, Any] = {}
    lines: list[AnswerLine] = []
    for row in rows:
        fallback: str | None = None
        conversation = session.get(Conversation, row.conversation_id)
        if conversation is not None:
            try:
                flow = flows.get(conversation.id)  # type: ignore[arg-type]  # id is None only before the row is flushed
                if flow is None:
                    flow = flow_for_conversation(session, conversation)
                    flows[conversation.id] = flow  # type: ignore[index]  # id is None only before the row is flushed
                question = flow.question(row.question_id)
                if question is not None and row.language != flow.fallback_language:
                    fallback = flow.render_question(
                        question, flow.fallback_language, conversation.context
                    )
            except Exception:  # an old flow version that no longer parses: skip the gloss
                fallback = None
        answer = row.raw_text
        if row.value_text and row.value_text.lower() != row.raw_text.strip().lower():
            answer = f"{row.raw_text} (= {row.value_text})"
        lines.append(AnswerLine(row.question_text, fallback, answer, row.skipped, row.created_at))
    return lines


def detail_ids(alert: Alert, key: str) -> list[int]:
    """The integer ids an alert keeps under ``details[key]`` (message ids, follow-ups)."""
    return [i for i in (alert.details or {}).get(key, []) if isinstance(i, int)]


def messages_by_id(session: Session, ids: list[int]) -> list[Message]:
    """The messages with ``ids``, oldest first."""
    if not ids:
        return []
    return list(
        session.exec(
            select(Message).where(col(Message.id).in_(ids)).order_by(col(Message.id))
        ).all()
    )


def crisis_messages(session: Session, alert: Alert) -> list[Message]:
    """The client's messages that triggered a crisis alert, oldest first."""
    ids = detail_ids(alert, "message_ids")
    if alert.message_id is not None and alert.message_id not in ids:
        ids.insert(0, alert.message_id)
    return messages_by_id(session, ids)


def local_time(routing: Routing, moment: datetime | None) -> str:
    """``moment`` in the routing time zone, as staff read it in emails ("" for None)."""
    if moment is None:
        return ""
    return moment.astimezone(routing.tz).strftime("%Y-%m-%d %H:%M %Z")


def contact_line(session: Session, alert: Alert) -> tuple[str, str, str]:
    """(masked phone or web-chat label, channel, language) of the alert's client.

    The language is the one the alert recorded (a crisis alert stores the language the
    client wrote in), else the contact's."""
    contact = session.get(Contact, alert.contact_id) if alert.contact_id else None
    if contact is None:
        return "", "", ""
    language = str((alert.details or {}).get("language") or contact.language or "")
    conversation = (
        session.get(Conversation, alert.conversation_id) if alert.conversation_id else None
    )
    if conversation is not None and conversation.anonymous:
        return (
            _t("anonymous survey: there is no way to reach this client"),
            conversation.channel,
            language,
        )
    if contact.phone:
        who = mask_phone(contact.phone)
        channel = "SMS"
    elif contact.whatsapp:
        who = mask_phone(contact.whatsapp)
        channel = "WhatsApp"
    else:
        who = _t("web chat visitor #{id}", id=contact.id)
        channel = _t("web chat")
    return who, channel, language
