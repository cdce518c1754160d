"""Timers: reminders and expiry of open surveys, polled by the clock.

Each due conversation is its own unit of work under the contact's lock, so two clocks
(or a clock and a webhook) never act on it twice; alert rules are evaluated right after
the engine run, as on the inbound path.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import col, select

from cfbot.db import unit_of_work
from cfbot.flows import engine
from cfbot.logging_setup import mask_phone
from cfbot.models import Conversation, ConversationStatus
from cfbot.runtime import Runtime
from cfbot.services.alerts.raising import evaluate_alerts
from cfbot.services.conversation import (
    apply_sprint,
    flow_for_conversation,
    lock_contact,
    queue_outs,
)
from cfbot.services.reply_scoring import score_answer

log = logging.getLogger(__name__)


def run_due_timers(rt: Runtime, now: datetime | None = None, limit: int = 500) -> int:
    """Send due reminders and close expired surveys. Returns how many were handled.

    Each conversation is its own unit of work; safe to run from two processes.
    """
    now = now or rt.now()
    with unit_of_work(rt.engine, immediate=False) as session:
        due = session.exec(
            select(Conversation.id, Conversation.contact_id)
            .where(
                Conversation.status == ConversationStatus.ACTIVE,
                col(Conversation.next_wake_at) <= now,
            )
            .order_by(col(Conversation.next_wake_at))
            .limit(limit)
        ).all()
    handled = 0
    for conversation_id, contact_id in due:
        with unit_of_work(rt.engine) as session:
            contact = lock_contact(session, contact_id)
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.status != ConversationStatus.ACTIVE:
                continue
            if conversation.next_wake_at is None or conversation.next_wake_at > now:
                continue
            flow = flow_for_conversation(session, conversation)
            sprint = engine.resume(flow, conversation.state, None, now, scorer=score_answer)
            outs = apply_sprint(session, conversation, flow, sprint, now, None)
            evaluate_alerts(rt, session, conversation, flow, now)
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
