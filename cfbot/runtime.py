"""What every process needs (web, clock, CLI): settings, engine, flows, channels.

Flask-free so the scheduler and CLI build the same thing the web app does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from cfbot import db
from cfbot.clock import Clock, SystemClock
from cfbot.config import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Settings, database engine, flow registry and channel adapters of one process."""

    settings: Settings
    engine: Engine
    flows: Any  # cfbot.flow_store.FlowRegistry
    channels: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)

    def now(self) -> datetime:
        """Current UTC time from this runtime's clock (frozen in tests)."""
        return self.clock.now()


def build_runtime(settings: Settings) -> Runtime:
    """Create the engine, load flows (logging problems) and build channel adapters."""
    from cfbot.channels import build_channels
    from cfbot.flow_store import FlowRegistry

    engine = db.get_engine(
        settings.database_url, settings.db_connect_timeout, settings.db_statement_timeout
    )
    registry = FlowRegistry(settings.conversations_dir)  # loads the directory once
    for problem in registry.problems:
        log.warning("flow problem: %s", problem)
    return Runtime(
        settings=settings, engine=engine, flows=registry, channels=build_channels(settings)
    )
