"""reach: WhatsApp contacts, anonymous surveys, visit channel, per-visit links

Revision ID: 0009_reach
Revises: 0008_hardening
Create Date: 2026-12-20 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import cfbot.models

revision: str = "0009_reach"
down_revision: str | None = "0008_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("whatsapp", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_contact_whatsapp"), ["whatsapp"], unique=True)
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )
    op.create_table(
        "visitlink",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("webchat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", cfbot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", cfbot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", cfbot.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("visit_id"),
    )
    op.create_index(op.f("ix_visitlink_contact_id"), "visitlink", ["contact_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_visitlink_contact_id"), table_name="visitlink")
    op.drop_table("visitlink")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("channel")
    with op.batch_alter_table("conversation", schema=None) as batch_op:
        batch_op.drop_column("anonymous")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_whatsapp"))
        batch_op.drop_column("whatsapp")
