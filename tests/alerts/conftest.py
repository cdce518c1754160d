"""Alert test fixtures: a routing file, a real SMTP server on loopback, settings using both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alert_helpers import ROUTING_YAML, SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that parses every message it gets."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def routing_file(tmp_path: Path) -> Path:
    path = tmp_path / "routing.yaml"
    path.write_text(ROUTING_YAML, encoding="utf-8")
    return path


@pytest.fixture
def settings_overrides(smtp: SmtpServer, routing_file: Path) -> dict[str, object]:
    return {
        "smtp_url": smtp.url,
        "routing_file": str(routing_file),
        "public_url": "https://feedback.example.org",
        "mail_from": "cfbot@health.example.org",
        "program_name": "Metro Health feedback",
    }
