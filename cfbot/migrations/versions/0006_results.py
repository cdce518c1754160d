"""results: staff labels of reviewed answers; indexes for date-range reports

Revision ID: 0006_results
Revises: 0005_message_review
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cfbot.models

revision: str = "0006_results"
down_revision: str | None = "0005_message_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answerlabel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=20), nullable=False),
        sa.Column("gloss", sa.Text(), nullable=True),
        sa.Column("labelled_by", sa.String(length=200), nullable=False),
        sa.Column("labelled_at", cfbot.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["answer_id"], ["answer.id"]),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("answer_id"),
    )
    op.create_index("ix_conversation_started_at", "conversation", ["started_at"])
    op.create_index("ix_answer_created_at", "answer", ["created_at"])
    op.create_index("ix_visit_visited_at", "visit", ["visited_at"])


def downgrade() -> None:
    op.drop_index("ix_visit_visited_at", table_name="visit")
    op.drop_index("ix_answer_created_at", table_name="answer")
    op.drop_index("ix_conversation_started_at", table_name="conversation")
    op.drop_table("answerlabel")
