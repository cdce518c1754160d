"""sms: Twilio webhooks, keywords and delivery status

The SMS work needs no new columns: ``message`` already has ``external_id`` (unique, the
MessageSid), ``status``, ``error_code``, ``encoding`` and ``segments``, and ``contact``
has the opt-out and reachability fields. The revision exists so the chain stays stable.

Revision ID: 0002_sms
Revises: 0001_core
Create Date: 2026-11-28 21:00:00
"""

from collections.abc import Sequence

revision: str = "0002_sms"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
