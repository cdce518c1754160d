"""The demo SMS simulator's read side: one phone number's text thread."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from cfbot.db import unit_of_work
from cfbot.models import Contact, Message
from cfbot.runtime import Runtime


@dataclass(frozen=True)
class ThreadContact:
    """What the simulator shows about the phone's contact."""

    language: str
    opted_out: bool
    unreachable: bool


@dataclass(frozen=True)
class ThreadLine:
    """One SMS in the thread, in or out."""

    id: int
    direction: str  # "in" | "out"
    kind: str
    body: str
    status: str
    encoding: str | None
    segments: int | None


@dataclass(frozen=True)
class SmsThread:
    """A phone number's contact (None before its first text) and SMS messages, oldest first."""

    contact: ThreadContact | None
    lines: list[ThreadLine]


def sms_thread(rt: Runtime, phone: str, channel: str = "sms") -> SmsThread:
    """The SMS (or ``whatsapp``) thread with ``phone`` (E.164), read in its own unit of
    work so the page shows what other requests just committed."""
    with unit_of_work(rt.engine, immediate=False) as session:
        column = Contact.whatsapp if channel == "whatsapp" else Contact.phone
        contact = session.exec(select(Contact).where(column == phone)).first()
        if contact is None:
            return SmsThread(None, [])
        rows = session.exec(
            select(Message)
            .where(Message.contact_id == contact.id, Message.channel == channel)
            .order_by(col(Message.id))
        ).all()
        return SmsThread(
            ThreadContact(contact.language, contact.opted_out, contact.unreachable),
            [
                ThreadLine(
                    row.id or 0,
                    row.direction,
                    row.kind,
                    row.body,
                    row.status,
                    row.encoding,
                    row.segments,
                )
                for row in rows
            ],
        )
