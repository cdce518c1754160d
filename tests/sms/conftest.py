"""SMS test fixtures: signed-webhook settings, a fake Twilio on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_twilio import FakeTwilio
from sms_helpers import ACCOUNT_SID, AUTH_TOKEN, CONVERSATIONS, PUBLIC_URL


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Signed webhooks for a public URL, the SMS test flow, a configured HELP contact."""
    return {
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_from_number": "+16125550000",
        "public_url": PUBLIC_URL,
        "conversations_dir": str(CONVERSATIONS),
        "program_name": "Metro Health feedback",
        "help_contact": "651-555-0199",
    }


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A local Twilio REST API that records sends and answers as scripted."""
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    yield fake
    fake.close()
