"""SQLModel tables (singular names). Same code on SQLite and PostgreSQL.

Datetimes are stored as UTC and always come back timezone-aware (``UTCDateTime``), so
code never compares naive and aware values. JSON columns hold engine state and context.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Statuses and kinds. Columns stay plain strings (no database enum types to migrate);
# code compares and assigns these members, which are equal to their string values.


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class MessageStatus(StrEnum):
    """Inbound: received -> processed. Outbound (the outbox): queued -> sending -> sent
    -> delivered | undelivered | failed; unknown when a send may or may not have happened;
    cancelled when STOP or staff withdrew it. Twilio's own words are mapped on arrival.
    An inbound message whose processing kept failing is quarantined for staff."""

    RECEIVED = "received"
    QUARANTINED = "quarantined"
    PROCESSED = "processed"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class ConversationStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # after a crisis message: no questions or reminders
    COMPLETED = "completed"
    EXPIRED = "expired"
    STOPPED = "stopped"


class InvitationStatus(StrEnum):
    SCHEDULED = "scheduled"
    WAITING = "waiting"  # the contact is busy in another survey (CFBOT_IF_BUSY=wait)
    SENT = "sent"
    SKIPPED = "skipped"


class AlertKind(StrEnum):
    DISSATISFACTION = "dissatisfaction"
    CRISIS = "crisis"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


def utcnow() -> datetime:
    """Current time in UTC (the one place services read the wall clock from)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores UTC; returns aware datetimes on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _dt(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _json() -> Any:
    return Field(default_factory=dict, sa_type=sa.JSON, nullable=False)


class Contact(SQLModel, table=True):
    """A client we can reach: by phone (E.164) or by a web-chat session id."""

    id: int | None = Field(default=None, primary_key=True)
    phone: str | None = Field(default=None, max_length=20, unique=True, index=True)
    webchat_id: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # a WhatsApp sender is its own contact (own opt-out), never merged with its SMS twin
    whatsapp: str | None = Field(default=None, max_length=20, unique=True, index=True)
    first_name: str | None = Field(default=None, max_length=100)
    language: str = Field(default="en", max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    opted_out: bool = Field(default=False, nullable=False)
    opted_out_at: datetime | None = _dt()
    opted_in_at: datetime | None = _dt()
    unreachable: bool = Field(default=False, nullable=False)
    unreachable_reason: str | None = Field(default=None, max_length=200)
    delivery_failures: int = Field(default=0, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class FlowVersion(SQLModel, table=True):
    """The exact YAML of a flow as it was when first used, so answers keep their wording."""

    __table_args__ = (sa.UniqueConstraint("flow_id", "content_hash", name="uq_flowversion_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    flow_id: str = Field(max_length=100, index=True)
    content_hash: str = Field(max_length=64)
    yaml_text: str = Field(sa_type=sa.Text, nullable=False)
    path: str = Field(default="", max_length=500)
    first_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Conversation(SQLModel, table=True):
    """One run of a flow with one contact. ``open_key`` makes 'one open survey per contact'
    a database constraint: it equals the contact id while open and NULL once closed."""

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    flow_id: str = Field(max_length=100, index=True)
    flow_version_id: int = Field(foreign_key="flowversion.id")
    channel: str = Field(max_length=20)
    language: str = Field(default="en", max_length=8)
    status: str = Field(default="active", max_length=20, index=True)
    state: dict[str, Any] = _json()
    context: dict[str, Any] = _json()
    site: str | None = Field(default=None, max_length=100, index=True)
    program: str | None = Field(default=None, max_length=100)
    # the flow said anonymous: answers kept, the client's address never shown or exported
    anonymous: bool = Field(default=False, nullable=False)
    open_key: int | None = Field(default=None, unique=True)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    completed_at: datetime | None = _dt()
    expires_at: datetime | None = _dt()
    next_wake_at: datetime | None = _dt(index=True)


class Message(SQLModel, table=True):
    """Every message in or out. Inbound rows are stored before they are processed;
    outbound rows double as the outbox (status queued -> sending -> sent/failed)."""

    __table_args__ = (sa.Index("ix_message_outbox", "direction", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    direction: str = Field(max_length=3)  # "in" | "out"
    channel: str = Field(max_length=20)
    address: str = Field(default="", max_length=64)
    body: str = Field(default="", sa_type=sa.Text, nullable=False)
    kind: str = Field(default="", max_length=20)
    external_id: str | None = Field(default=None, max_length=64, unique=True)
    reply_to_id: int | None = Field(default=None, foreign_key="message.id")
    status: str = Field(default="received", max_length=20)
    error_code: str | None = Field(default=None, max_length=20)
    encoding: str | None = Field(default=None, max_length=8)
    segments: int | None = Field(default=None)
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime | None = _dt()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    processed_at: datetime | None = _dt()
    sent_at: datetime | None = _dt()
    # staff review of a delivery problem (unknown / failed / cancelled), see
    # services.delivery_review.resolve_unknown: the latest review, who made it, what they did, why
    reviewed_at: datetime | None = _dt()
    reviewed_by: str | None = Field(default=None, max_length=200)
    review_action: str | None = Field(default=None, max_length=20)
    review_note: str | None = Field(default=None, sa_type=sa.Text)
    # anonymous web chat: a keyed hash of the sender's address (never the address), so
    # a burst of crisis messages from one source raises one alert
    source: str | None = Field(default=None, max_length=64)
    # a WhatsApp template send (outside the 24-hour window): {"content_sid": "HX...",
    # "variables": {"1": ...}}; the dispatcher calls send_template instead of send, and
    # ``body`` keeps the flow's own wording of what the template says
    template: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON, nullable=True)


class Answer(SQLModel, table=True):
    """One stored answer with the wording the client saw and its parsed value."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    flow_id: str = Field(max_length=100, index=True)
    flow_version_id: int = Field(foreign_key="flowversion.id")
    question_id: str = Field(max_length=100)
    question_type: str = Field(default="", max_length=20)
    question_text: str = Field(default="", sa_type=sa.Text, nullable=False)
    raw_text: str = Field(default="", sa_type=sa.Text, nullable=False)
    value_text: str | None = Field(default=None, sa_type=sa.Text)
    value_number: float | None = Field(default=None)
    language: str = Field(default="en", max_length=8)
    skipped: bool = Field(default=False, nullable=False)
    sentiment: float | None = Field(default=None)
    sentiment_method: str | None = Field(default=None, max_length=40)
    needs_review: bool = Field(default=False, nullable=False)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class SchedulerLease(SQLModel, table=True):
    """Leader election for the clock on SQLite (PostgreSQL uses an advisory lock too)."""

    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=100)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


# --------------------------------------------------------------------------- visits


class Visit(SQLModel, table=True):
    """A client's visit reported by an agency system (API or CSV). ``(source,
    external_id)`` is unique when ``external_id`` is given, so a resent visit is no
    second visit."""

    __table_args__ = (
        sa.UniqueConstraint("source", "external_id", name="uq_visit_source_external_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(default="api", max_length=100)
    external_id: str | None = Field(default=None, max_length=200)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    phone: str = Field(max_length=20)
    visited_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    site: str = Field(max_length=100, index=True)
    program: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=8)
    first_name: str | None = Field(default=None, max_length=100)
    flow_id: str = Field(max_length=100)
    timezone: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=20)  # sms (default) | whatsapp
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Invitation(SQLModel, table=True):
    """The survey a visit earns: scheduled for ``send_at`` (already inside quiet hours),
    then sent, skipped (with ``reason``), waiting (contact busy) or cancelled."""

    # contact_id makes the tick's index covering: no table lookups however large it grows
    __table_args__ = (sa.Index("ix_invitation_due", "status", "send_at", "id", "contact_id"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", unique=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    flow_id: str = Field(max_length=100)
    status: str = Field(default="scheduled", max_length=20)
    send_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    reason: str | None = Field(default=None, max_length=200)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = _dt()


class ApiToken(SQLModel, table=True):
    """A bearer token for the visits API. Only the SHA-256 of the token is stored."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(default="", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime | None = _dt()
    revoked_at: datetime | None = _dt()
    last_used_at: datetime | None = _dt()


class SenderPace(SQLModel, table=True):
    """Shared pacing state of one sending number: the earliest moment (epoch seconds) the
    next segment may leave. Every dispatcher reserves its slot here under a row lock, so
    the segments-per-second limit holds across processes."""

    sender: str = Field(primary_key=True, max_length=100)
    next_free_at: float = Field(default=0.0, nullable=False)


class Alert(SQLModel, table=True):
    """A staff alert: a dissatisfied client or a crisis message, with its case status.

    One dissatisfaction alert covers a client's whole survey (later rules add reasons to
    it, see ``details["reasons"]``), so one unhappy client gives staff one email.
    """

    __table_args__ = (sa.Index("ix_alert_escalation", "status", "escalate_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default="dissatisfaction", max_length=20)  # | "crisis"
    severity: str = Field(default="normal", max_length=10)  # normal | high | urgent
    category: str | None = Field(default=None, max_length=40)  # crisis category
    reason: str = Field(default="", max_length=500)
    rule_source: str = Field(default="", sa_type=sa.Text, nullable=False)
    details: dict[str, Any] = _json()
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    message_id: int | None = Field(default=None, foreign_key="message.id")
    flow_id: str | None = Field(default=None, max_length=100)
    site: str | None = Field(default=None, max_length=100, index=True)
    program: str | None = Field(default=None, max_length=100)
    status: str = Field(default="open", max_length=20)  # open | acknowledged | resolved
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    acknowledged_at: datetime | None = _dt()
    acknowledged_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = _dt()
    resolved_by: str | None = Field(default=None, max_length=200)
    resolution_note: str | None = Field(default=None, sa_type=sa.Text)
    escalate_at: datetime | None = _dt()
    escalated_at: datetime | None = _dt()
    # case work: who owns it, why the client was unhappy, what was done, the reply window
    assigned_to_id: int | None = Field(default=None, foreign_key="staffuser.id", index=True)
    cause: str | None = Field(default=None, max_length=40)
    action_taken: str | None = Field(default=None, sa_type=sa.Text)
    followup_until: datetime | None = _dt()


class AlertEvent(SQLModel, table=True):
    """The audit trail of an alert: created, emailed, acknowledged, phone revealed, ..."""

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alert.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor: str = Field(default="system", max_length=200)
    action: str = Field(max_length=40)
    note: str = Field(default="", sa_type=sa.Text, nullable=False)


class MailOut(SQLModel, table=True):
    """The mail outbox. Rows are sent by a job, retried with backoff, never dropped.

    Alert emails are rendered at their first attempt (so they carry every answer given by
    then); ``dedupe_key`` makes escalations and digests idempotent.
    """

    __table_args__ = (sa.Index("ix_mailout_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=20)  # alert | escalation | digest | login | test
    alert_id: int | None = Field(default=None, foreign_key="alert.id", index=True)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    recipients: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    subject: str = Field(default="", max_length=300)
    text_body: str = Field(default="", sa_type=sa.Text, nullable=False)
    html_body: str = Field(default="", sa_type=sa.Text, nullable=False)
    status: str = Field(default="pending", max_length=20)  # pending | sending | sent | failed
    attempts: int = Field(default=0, nullable=False)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    next_attempt_at: datetime | None = _dt()
    first_failed_at: datetime | None = _dt()
    sent_at: datetime | None = _dt()


# --------------------------------------------------------------------------- reach


class VisitLink(SQLModel, table=True):
    """A visit's short signed link (``/s/<code>``) to its survey in the web chat.

    It opens once: the first browser to open it (``webchat_id``) is bound to the visit's
    contact, so its web answers join the SMS conversation; it stops working when the
    survey ends or at ``expires_at``.
    """

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    visit_id: int = Field(foreign_key="visit.id", unique=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    webchat_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _dt()


# --------------------------------------------------------------------------- results


class AnswerLabel(SQLModel, table=True):
    """A staff member's reading of one free-text answer from the review queue: fine,
    complaint or crisis, with an optional English gloss; who labelled it and when.
    One row per answer (a relabel updates it); ``alert_id`` is the alert it raised."""

    id: int | None = Field(default=None, primary_key=True)
    answer_id: int = Field(foreign_key="answer.id", unique=True)
    label: str = Field(max_length=20)  # fine | complaint | crisis
    gloss: str | None = Field(default=None, sa_type=sa.Text)
    labelled_by: str = Field(max_length=200)
    labelled_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    alert_id: int | None = Field(default=None, foreign_key="alert.id")


# date-range reads of the results pages (kept out of the class bodies above)
sa.Index("ix_conversation_started_at", Conversation.__table__.c.started_at)  # type: ignore[attr-defined]  # SQLModel does not type __table__
sa.Index("ix_answer_created_at", Answer.__table__.c.created_at)  # type: ignore[attr-defined]  # SQLModel does not type __table__
sa.Index("ix_visit_visited_at", Visit.__table__.c.visited_at)  # type: ignore[attr-defined]  # SQLModel does not type __table__


# --------------------------------------------------------------------------- accounts


class StaffRole(StrEnum):
    """What a staff account may see and do (see docs/roles.md)."""

    ADMIN = "admin"
    MANAGER = "manager"
    STAFF = "staff"
    VIEWER = "viewer"


class AlertCause(StrEnum):
    """Why a client was unhappy, chosen when an alert is resolved."""

    WAIT_TIME = "wait_time"
    STAFF_MANNER = "staff_manner"
    LANGUAGE_ACCESS = "language_access"
    COST = "cost"
    FACILITY = "facility"
    PROCESS = "process"
    OTHER = "other"


class StaffUser(SQLModel, table=True):
    """A dashboard account. routing.yaml says who is ALERTED; accounts say who may see and
    do what. ``sites``/``programs`` limit managers, staff and viewers (admins see all)."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    role: str = Field(default="staff", max_length=20)
    sites: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    programs: list[str] = Field(default_factory=list, sa_type=sa.JSON, nullable=False)
    disabled_at: datetime | None = _dt()
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class StaffSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random id; only its SHA-256 is stored, and
    logout, disabling the user or expiry ends it on the server."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="staffuser.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime | None = _dt()
    revoked_at: datetime | None = _dt()
    ip: str = Field(default="", max_length=64)


class LoginRequest(SQLModel, table=True):
    """One sign-in request. Stored the same way for known and unknown addresses; the mail
    job turns a known, active address into a single-use link bound to the asking browser
    (``nonce_hash``) and drops the rest."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    nonce_hash: str | None = Field(default=None, max_length=64)
    next_path: str | None = Field(default=None, max_length=200)
    ip: str = Field(default="", max_length=64)
    status: str = Field(default="requested", max_length=20)  # requested|sent|dropped|used
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    user_id: int | None = Field(default=None, foreign_key="staffuser.id")
    requested_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _dt()


class AuditEntry(SQLModel, table=True):
    """The append-only audit trail: who did what, when, to what, from which address."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    actor: str = Field(default="system", max_length=254)
    action: str = Field(max_length=40, index=True)
    target: str = Field(default="", max_length=100)
    detail: str = Field(default="", sa_type=sa.Text, nullable=False)
    ip: str = Field(default="", max_length=64)


# 0010_results_indexes: big periods on the results, responses and export reads
sa.Index(
    "ix_conversation_started_at_id",
    Conversation.__table__.c.started_at,  # type: ignore[attr-defined]  # SQLModel does not type __table__
    Conversation.__table__.c.id,  # type: ignore[attr-defined]  # SQLModel does not type __table__
)
sa.Index(
    "ix_conversation_site_started_at",
    Conversation.__table__.c.site,  # type: ignore[attr-defined]  # SQLModel does not type __table__
    Conversation.__table__.c.started_at,  # type: ignore[attr-defined]  # SQLModel does not type __table__
)
sa.Index(
    "ix_answer_conversation_type_value",
    Answer.__table__.c.conversation_id,  # type: ignore[attr-defined]  # SQLModel does not type __table__
    Answer.__table__.c.question_type,  # type: ignore[attr-defined]  # SQLModel does not type __table__
    Answer.__table__.c.value_number,  # type: ignore[attr-defined]  # SQLModel does not type __table__
)
sa.Index("ix_alert_resolved_at", Alert.__table__.c.resolved_at)  # type: ignore[attr-defined]  # SQLModel does not type __table__
