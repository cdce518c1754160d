"""The review queue: free-text answers the sentiment rules could not settle.

An answer is queued when it is free text, not skipped, not yet labelled, and either
``needs_review`` (any language: no lexicon, foreign script, nothing recognised) or of
*low confidence*: scored just above the alert threshold (within :data:`LOW_CONFIDENCE_BAND`),
where a misread word decides whether staff hear of it. Oldest first, per site.

Staff label an answer fine, complaint or crisis, with an optional English gloss (who and
when are kept). A complaint or crisis label raises the alert the rules should have raised,
through the alert service's own functions.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import sqlalchemy as sa
from sqlmodel import col, select

from cfbot.db import unit_of_work
from cfbot.models import Answer, AnswerLabel, Contact, Conversation, Message
from cfbot.services.alerts.raising import raise_crisis, raise_dissatisfaction
from cfbot.services.alerts.rules import Fired
from cfbot.services.crisis import detect_crisis

log = logging.getLogger(__name__)

LABELS = ("fine", "complaint", "crisis")
LOW_CONFIDENCE_BAND = 0.2
MAX_GLOSS = 2000
QUEUE_LIMIT = 200


class ReviewError(Exception):
    """A label that cannot be recorded (unknown answer, not in scope, bad label)."""


@dataclass(frozen=True)
class QueueItem:
    answer_id: int
    conversation_id: int
    created_at: datetime
    site: str | None
    language: str
    question_text: str
    text: str
    sentiment: float | None
    needs_review: bool


def _queue_where(rt: Any, scope: frozenset[str] | None, site: str | None) -> list[Any]:
    threshold = rt.settings.alert_sentiment_threshold
    low = sa.and_(
        col(Answer.sentiment) > threshold,
        col(Answer.sentiment) <= threshold + LOW_CONFIDENCE_BAND,
    )
    labelled = sa.exists().where(col(AnswerLabel.answer_id) == col(Answer.id))
    where: list[Any] = [
        col(Answer.question_type) == "text",
        col(Answer.skipped).is_(False),
        sa.or_(col(Answer.needs_review).is_(True), low),
        sa.not_(labelled),
    ]
    if site is not None:
        if scope is not None and site not in scope:
            where.append(sa.false())
        where.append(col(Conversation.site) == site)
    elif scope is not None:
        where.append(col(Conversation.site).in_(sorted(scope)))
    return where


def review_queue(
    rt: Any, scope: frozenset[str] | None, site: str | None = None, limit: int = QUEUE_LIMIT
) -> tuple[list[QueueItem], int]:
    """The oldest ``limit`` queued answers and how many are queued in all."""
    where = _queue_where(rt, scope, site)
    with unit_of_work(rt.engine, immediate=False) as session:
        total = session.exec(
            select(sa.func.count())
            .select_from(Answer)
            .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
            .where(*where)
        ).one()
        rows = session.exec(
            select(Answer, Conversation.site)
            .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
            .where(*where)
            .order_by(col(Answer.created_at), col(Answer.id))
            .limit(limit)
        ).all()
    items = [
        QueueItem(
            a.id,  # type: ignore[arg-type]  # id is None only before the row is flushed
            a.conversation_id,
            a.created_at,
            s,
            a.language,
            a.question_text,
            a.raw_text,
            a.sentiment,
            a.needs_review,
        )
        for a, s in rows
    ]
    return items, int(total)


def _message_for(session: Any, answer: Answer) -> Message | None:
    if answer.message_id is not None:
        found = session.get(Message, answer.message_id)
        if found is not None:
            return found
    return session.exec(
        select(Message)
        .where(Message.conversation_id == answer.conversation_id, Message.direction == "in")
        .order_by(col(Message.id).desc())
    ).first()


def record_label(
    rt: Any,
    answer_id: int,
    label: str,
    actor: str,
    scope: frozenset[str] | None,
    gloss: str = "",
    now: datetime | None = None,
) -> int | None:
    """Store ``actor``'s label of an answer; raise the alert a complaint or crisis calls
    for. Returns the alert id (None for "fine"). One unit of work: label and alert
    together or neither."""

    if label not in LABELS:
        raise ReviewError("Choose fine, complaint or crisis.")
    now = now or rt.now()
    gloss = " ".join(gloss.split())[:MAX_GLOSS] or None  # type: ignore[assignment]  # gloss becomes None when blank
    with unit_of_work(rt.engine) as session:
        answer = session.get(Answer, answer_id)
        conversation = session.get(Conversation, answer.conversation_id) if answer else None
        if answer is None or conversation is None:
            raise ReviewError("No such answer.")
        if scope is not None and conversation.site not in scope:
            raise ReviewError("No such answer.")
        row = session.exec(select(AnswerLabel).where(AnswerLabel.answer_id == answer_id)).first()
        if row is None:
            row = AnswerLabel(answer_id=answer_id, label=label, labelled_by=actor, labelled_at=now)
        row.label, row.gloss, row.labelled_by, row.labelled_at = label, gloss, actor, now
        alert_id = row.alert_id
        if label == "complaint":
            fired = Fired(
                key=f"review:{answer.id}",
                reason=f"Staff review: complaint in “{answer.question_id}”",
                severity="normal",
                source=f"review by {actor}",
            )
            alert = raise_dissatisfaction(rt, session, conversation, [fired], now)
            alert_id = alert.id
        elif label == "crisis":
            contact = session.get(Contact, answer.contact_id)
            message = _message_for(session, answer)
            if contact is None or message is None:
                raise ReviewError("This answer has no message to raise a crisis alert from.")
            alert = raise_crisis(
                rt,
                session,
                contact=contact,
                conversation=conversation,
                message=message,
                category=detect_crisis(answer.raw_text, answer.language) or "staff_review",
                now=now,
            )
            alert_id = alert.id
        row.alert_id = alert_id
        session.add(row)
    log.info("answer %s labelled %s by staff; alert %s", answer_id, label, alert_id)
    return alert_id


EXPORT_COLUMNS = (
    "answer_id",
    "label",
    "gloss",
    "language",
    "question_id",
    "text",
    "sentiment",
    "needs_review",
    "site",
    "labelled_by",
    "labelled_at",
    "alert_id",
)


def export_labels(rt: Any, out: IO[str]) -> int:
    """Write every labelled answer as CSV (one row per answer); returns the row count.
    Phone numbers and email addresses inside the text are masked."""
    from cfbot.logging_setup import mask_text

    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    n = 0
    with unit_of_work(rt.engine, immediate=False) as session:
        rows = session.exec(
            select(AnswerLabel, Answer, Conversation.site)
            .join(Answer, col(Answer.id) == col(AnswerLabel.answer_id))
            .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
            .order_by(col(AnswerLabel.id))
        ).all()
        for lab, answer, site in rows:
            writer.writerow(
                [
                    answer.id,
                    lab.label,
                    lab.gloss or "",
                    answer.language,
                    answer.question_id,
                    mask_text(answer.raw_text),
                    "" if answer.sentiment is None else f"{answer.sentiment:.4f}",
                    "1" if answer.needs_review else "0",
                    site or "",
                    lab.labelled_by,
                    lab.labelled_at.isoformat(),
                    lab.alert_id or "",
                ]
            )
            n += 1
    return n
