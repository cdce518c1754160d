"""visits, invitations, API tokens, sender pacing

Revision ID: 0003_visits
Revises: 0002_sms
Create Date: 2026-11-28 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cfbot.models

revision: str = "0003_visits"
down_revision: str | None = "0002_sms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dt(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, cfbot.models.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        _dt("visited_at", nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("program", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        _dt("created_at", nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "external_id", name="uq_visit_source_external_id"),
    )
    op.create_index("ix_visit_contact_id", "visit", ["contact_id"])
    op.create_index("ix_visit_site", "visit", ["site"])

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _dt("send_at", nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        _dt("created_at", nullable=False),
        _dt("updated_at", nullable=False),
        _dt("sent_at"),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("visit_id"),
    )
    op.create_index("ix_invitation_contact_id", "invitation", ["contact_id"])
    # the scheduler's tick: WHERE status = ? AND send_at <= ? ORDER BY send_at LIMIT n
    op.create_index("ix_invitation_due", "invitation", ["status", "send_at", "id", "contact_id"])

    op.create_table(
        "apitoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        _dt("created_at", nullable=False),
        _dt("expires_at"),
        _dt("revoked_at"),
        _dt("last_used_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )

    op.create_table(
        "senderpace",
        sa.Column("sender", sa.String(length=100), nullable=False),
        sa.Column("next_free_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sender"),
    )


def downgrade() -> None:
    op.drop_table("senderpace")
    op.drop_table("apitoken")
    op.drop_index("ix_invitation_due", table_name="invitation")
    op.drop_index("ix_invitation_contact_id", table_name="invitation")
    op.drop_table("invitation")
    op.drop_index("ix_visit_site", table_name="visit")
    op.drop_index("ix_visit_contact_id", table_name="visit")
    op.drop_table("visit")
