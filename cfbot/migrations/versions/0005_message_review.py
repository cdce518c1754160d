"""message review: who looked at a delivery problem, when, what they did and why

Revision ID: 0005_message_review
Revises: 0004_alerts
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cfbot.models

revision: str = "0005_message_review"
down_revision: str | None = "0004_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode so the same ops work on SQLite (ADD COLUMN only; no table rebuild)
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reviewed_at", cfbot.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("review_action", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("review_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("review_note")
        batch_op.drop_column("review_action")
        batch_op.drop_column("reviewed_by")
        batch_op.drop_column("reviewed_at")
