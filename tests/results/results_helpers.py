"""Builders for the results tests: conversations with answers, invitations, alerts."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select
from staff_login import login

from cfbot.db import unit_of_work
from cfbot.models import (
    Alert,
    Answer,
    Contact,
    Conversation,
    FlowVersion,
    Invitation,
    Message,
    Visit,
)

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Chicago
ROUTING_YAML = """
timezone: America/Chicago
default: [feedback@example.org]
on_call: [oncall@example.org]
escalation: [director@example.org]
sites:
  northside:
    name: Northside Clinic
    staff: [north-manager@example.org]
  southside:
    name: Southside Family Health
    staff: [south-manager@example.org]
"""
ALL_SITES = "oncall@example.org"
NORTH = "north-manager@example.org"
SOUTH = "south-manager@example.org"
_phones = itertools.count(5550100)


def sign_in(rt: Any, client: Any, email: str) -> None:
    login(rt, client, email)


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _flow_version(session: Any, flow_id: str) -> int:
    row = session.exec(select(FlowVersion).where(FlowVersion.flow_id == flow_id)).first()
    if row is None:
        row = FlowVersion(flow_id=flow_id, content_hash=flow_id, yaml_text="id: x\n")
        session.add(row)
        session.flush()
    return row.id  # type: ignore[no-any-return]


def make_survey(
    rt: Any,
    *,
    answers: list[tuple[str, str, Any]] = (),  # type: ignore[assignment]
    site: str | None = "northside",
    program: str | None = None,
    flow_id: str = "clinic_visit",
    language: str = "en",
    channel: str = "sms",
    status: str = "completed",
    started_at: datetime = T0 - timedelta(days=1),
    phone: str | None = None,
    with_contact: bool = True,
) -> int:
    """One conversation; ``answers`` are ``(question_id, type, value)``: a number for
    rating/nps, a text for text, or a dict of Answer fields."""
    with unit_of_work(rt.engine) as session:
        if phone is None and channel == "sms":
            phone = f"+1612{next(_phones):07d}"
        contact = Contact(
            phone=phone if channel == "sms" else None,
            webchat_id=None if channel == "sms" else f"w{next(_phones)}",
            language=language,
        )
        session.add(contact)
        session.flush()
        fv = _flow_version(session, flow_id)
        conv = Conversation(
            contact_id=contact.id,  # type: ignore[arg-type]
            flow_id=flow_id,
            flow_version_id=fv,
            channel=channel,
            language=language,
            status=status,
            site=site,
            program=program,
            started_at=started_at,
            updated_at=started_at,
            completed_at=started_at + timedelta(minutes=5) if status == "completed" else None,
        )
        session.add(conv)
        session.flush()
        for i, (qid, qtype, value) in enumerate(answers):
            fields: dict[str, Any] = {}
            if isinstance(value, dict):
                fields = dict(value)
                value = fields.pop("value", None)
            msg = Message(
                contact_id=contact.id,
                conversation_id=conv.id,
                direction="in",
                channel=channel,
                body=str(value),
                status="processed",
                created_at=started_at,
            )
            session.add(msg)
            session.flush()
            numeric = qtype in ("rating", "nps")
            session.add(
                Answer(
                    conversation_id=conv.id,  # type: ignore[arg-type]
                    contact_id=contact.id,  # type: ignore[arg-type]
                    flow_id=flow_id,
                    flow_version_id=fv,
                    question_id=qid,
                    question_type=qtype,
                    question_text=fields.pop("question_text", f"Question {qid}?"),
                    raw_text=str(value),
                    value_text=None if numeric else str(value),
                    value_number=float(value) if numeric else None,
                    language=language,
                    message_id=msg.id,
                    created_at=started_at + timedelta(minutes=i),
                    **fields,
                )
            )
        return conv.id  # type: ignore[return-value]


def make_invitation(
    rt: Any,
    *,
    status: str,
    reason: str | None = None,
    site: str = "northside",
    conversation_id: int | None = None,
    visited_at: datetime = T0 - timedelta(days=2),
    delivered: bool = False,
) -> int:
    with unit_of_work(rt.engine) as session:
        if conversation_id is not None:
            conv = session.get(Conversation, conversation_id)
            contact_id = conv.contact_id  # type: ignore[union-attr]
            phone = session.get(Contact, contact_id).phone  # type: ignore[union-attr]
        else:
            phone = f"+1612{next(_phones):07d}"
            contact = Contact(phone=phone)
            session.add(contact)
            session.flush()
            contact_id = contact.id  # type: ignore[assignment]
        visit = Visit(
            contact_id=contact_id,
            phone=phone or "",
            visited_at=visited_at,
            site=site,
            flow_id="clinic_visit",
        )
        session.add(visit)
        session.flush()
        inv = Invitation(
            visit_id=visit.id,  # type: ignore[arg-type]
            contact_id=contact_id,
            flow_id="clinic_visit",
            status=status,
            reason=reason,
            send_at=visited_at + timedelta(hours=2),
            conversation_id=conversation_id,
        )
        session.add(inv)
        if delivered and conversation_id is not None:
            session.add(
                Message(
                    contact_id=contact_id,
                    conversation_id=conversation_id,
                    direction="out",
                    channel="sms",
                    body="How was your visit?",
                    status="delivered",
                )
            )
        session.flush()
        return inv.id  # type: ignore[return-value]


def make_alert(
    rt: Any,
    *,
    site: str = "northside",
    created_at: datetime = T0 - timedelta(days=1),
    ack_after: timedelta | None = None,
    resolve_after: timedelta | None = None,
    conversation_id: int | None = None,
    kind: str = "dissatisfaction",
) -> int:
    with unit_of_work(rt.engine) as session:
        alert = Alert(
            kind=kind,
            site=site,
            reason="Low rating",
            conversation_id=conversation_id,
            created_at=created_at,
            updated_at=created_at,
            acknowledged_at=created_at + ack_after if ack_after else None,
            resolved_at=created_at + resolve_after if resolve_after else None,
            status="resolved" if resolve_after else ("acknowledged" if ack_after else "open"),
        )
        session.add(alert)
        session.flush()
        return alert.id  # type: ignore[return-value]
