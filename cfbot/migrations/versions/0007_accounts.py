"""accounts: staff users and roles, server-side sessions, sign-in requests, audit trail,
case work on alerts (assignee, cause, action taken, follow-up window)

Revision ID: 0007_accounts
Revises: 0006_results
Create Date: 2026-12-15 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cfbot.models

revision: str = "0007_accounts"
down_revision: str | None = "0006_results"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _dt(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, cfbot.models.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staffuser",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("programs", sa.JSON(), nullable=False),
        _dt("disabled_at"),
        _dt("created_at", nullable=False),
        _dt("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staffuser_email", "staffuser", ["email"], unique=True)

    op.create_table(
        "staffsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _dt("created_at", nullable=False),
        _dt("expires_at", nullable=False),
        _dt("last_seen_at"),
        _dt("revoked_at"),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["staffuser.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_staffsession_user_id", "staffsession", ["user_id"])

    op.create_table(
        "loginrequest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=True),
        sa.Column("next_path", sa.String(length=200), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        _dt("requested_at", nullable=False),
        _dt("expires_at", nullable=False),
        _dt("used_at"),
        sa.ForeignKeyConstraint(["user_id"], ["staffuser.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_loginrequest_email", "loginrequest", ["email"])
    op.create_index("ix_loginrequest_requested_at", "loginrequest", ["requested_at"])

    op.create_table(
        "auditentry",
        sa.Column("id", sa.Integer(), nullable=False),
        _dt("at", nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auditentry_at", "auditentry", ["at"])
    op.create_index("ix_auditentry_action", "auditentry", ["action"])

    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("assigned_to_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cause", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("action_taken", sa.Text(), nullable=True))
        batch.add_column(_dt("followup_until"))
        batch.create_foreign_key("fk_alert_assigned_to_id", "staffuser", ["assigned_to_id"], ["id"])
        batch.create_index("ix_alert_assigned_to_id", ["assigned_to_id"])


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.drop_index("ix_alert_assigned_to_id")
        batch.drop_constraint("fk_alert_assigned_to_id", type_="foreignkey")
        batch.drop_column("followup_until")
        batch.drop_column("action_taken")
        batch.drop_column("cause")
        batch.drop_column("assigned_to_id")
    op.drop_index("ix_auditentry_action", table_name="auditentry")
    op.drop_index("ix_auditentry_at", table_name="auditentry")
    op.drop_table("auditentry")
    op.drop_index("ix_loginrequest_requested_at", table_name="loginrequest")
    op.drop_index("ix_loginrequest_email", table_name="loginrequest")
    op.drop_table("loginrequest")
    op.drop_index("ix_staffsession_user_id", table_name="staffsession")
    op.drop_table("staffsession")
    op.drop_index("ix_staffuser_email", table_name="staffuser")
    op.drop_table("staffuser")
