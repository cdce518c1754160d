"""alerts: staff alerts, their audit trail, and the mail outbox

Revision ID: 0004_alerts
Revises: 0003_visits
Create Date: 2026-11-28 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cfbot.models

revision: str = "0004_alerts"
down_revision: str | None = "0003_visits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dt(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, cfbot.models.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("rule_source", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("flow_id", sa.String(length=100), nullable=True),
        sa.Column("site", sa.String(length=100), nullable=True),
        sa.Column("program", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        _dt("created_at", nullable=False),
        _dt("updated_at", nullable=False),
        _dt("acknowledged_at"),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        _dt("resolved_at"),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        _dt("escalate_at"),
        _dt("escalated_at"),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["message.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_conversation_id", "alert", ["conversation_id"])
    op.create_index("ix_alert_contact_id", "alert", ["contact_id"])
    op.create_index("ix_alert_site", "alert", ["site"])
    op.create_index("ix_alert_created_at", "alert", ["created_at"])
    # the escalation job: WHERE status = 'open' AND escalate_at <= now
    op.create_index("ix_alert_escalation", "alert", ["status", "escalate_at"])

    op.create_table(
        "alertevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        _dt("at", nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alertevent_alert_id", "alertevent", ["alert_id"])

    op.create_table(
        "mailout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        _dt("created_at", nullable=False),
        _dt("due_at", nullable=False),
        _dt("next_attempt_at"),
        _dt("first_failed_at"),
        _dt("sent_at"),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe_key"),
    )
    op.create_index("ix_mailout_alert_id", "mailout", ["alert_id"])
    # the sender job: WHERE status IN (...) AND next_attempt_at <= now
    op.create_index("ix_mailout_due", "mailout", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_mailout_due", table_name="mailout")
    op.drop_index("ix_mailout_alert_id", table_name="mailout")
    op.drop_table("mailout")
    op.drop_index("ix_alertevent_alert_id", table_name="alertevent")
    op.drop_table("alertevent")
    op.drop_index("ix_alert_escalation", table_name="alert")
    op.drop_index("ix_alert_created_at", table_name="alert")
    op.drop_index("ix_alert_site", table_name="alert")
    op.drop_index("ix_alert_contact_id", table_name="alert")
    op.drop_index("ix_alert_conversation_id", table_name="alert")
    op.drop_table("alert")
