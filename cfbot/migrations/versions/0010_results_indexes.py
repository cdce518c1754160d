"""results indexes: the results, responses and export reads of big periods

Revision ID: 0010_results_indexes
Revises: 0009_reach
Create Date: 2026-12-09 10:00:00

* ``conversation (started_at, id)``: the responses page's newest-first page and count;
* ``conversation (site, started_at)``: a site filter (and site staff's scope) by period;
* ``answer (conversation_id, question_type, value_number)``: satisfaction, NPS and the
  breakdowns read only this index for the answers of the surveys in the period;
* ``alert (resolved_at)``: "what we changed" of the PHAB report.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_results_indexes"
down_revision: str | None = "0009_reach"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversation_started_at_id", "conversation", ["started_at", "id"])
    op.create_index("ix_conversation_site_started_at", "conversation", ["site", "started_at"])
    op.create_index(
        "ix_answer_conversation_type_value",
        "answer",
        ["conversation_id", "question_type", "value_number"],
    )
    op.create_index("ix_alert_resolved_at", "alert", ["resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_alert_resolved_at", table_name="alert")
    op.drop_index("ix_answer_conversation_type_value", table_name="answer")
    op.drop_index("ix_conversation_site_started_at", table_name="conversation")
    op.drop_index("ix_conversation_started_at_id", table_name="conversation")
