"""hardening: where an anonymous web-chat message came from (a keyed hash, never the
address), so a burst of crisis messages from one source raises one alert

Revision ID: 0008_hardening
Revises: 0007_accounts
Create Date: 2027-01-10 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_hardening"
down_revision: str | None = "0007_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode so the same op works on SQLite (ADD COLUMN only; no table rebuild)
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("source")
