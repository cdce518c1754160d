"""Results test fixtures: time frozen at T0 (a Tuesday) and a two-site routing file."""

from __future__ import annotations

from pathlib import Path

import pytest
from results_helpers import ROUTING_YAML, T0

from cfbot.clock import FrozenClock


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    routing = tmp_path / "routing.yaml"
    routing.write_text(ROUTING_YAML, encoding="utf-8")
    return {"routing_file": str(routing), "public_url": "https://feedback.example.org"}
