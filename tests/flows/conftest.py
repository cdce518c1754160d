"""Fixtures for the pure flow package."""

from __future__ import annotations

from datetime import datetime

import pytest
from flow_helpers import T0


@pytest.fixture
def now() -> datetime:
    return T0
