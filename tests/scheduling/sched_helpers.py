"""Shared helpers and fixtures for the scheduling tests (imported by conftest.py; a unique
module name so it never collides with another folder's conftest).

Time is data here: every service gets ``now`` explicitly and the outbox gets a fake
``clock``/``sleep``, so nothing waits on the wall clock.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from cfbot.channels.base import SendResult

HERE = Path(__file__).resolve().parent
FLOWS = HERE / "flows"
sys.path.insert(0, str(HERE.parent / "sms"))  # the fake Twilio server lives there

# a Saturday in July (CDT, UTC-5): 15:00 UTC is 10:00 in Minneapolis
T0 = datetime(2025, 7, 12, 15, 0, tzinfo=UTC)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {
        "conversations_dir": str(FLOWS),
        "sms_segments_per_second": 1000.0,
        "timezone": "America/Chicago",
    }


@dataclass
class Sent:
    address: str
    text: str
    moment: datetime


@dataclass
class FakeTime:
    """A frozen wall clock the tests move by hand; ``clock``/``sleep`` for the outbox."""

    now: datetime = T0
    elapsed: float = 0.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now.timestamp() + self.elapsed

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.elapsed += seconds


class RecordingChannel:
    """An SMS channel that records what it was asked to send, and when."""

    name = "sms"

    def __init__(self, time: FakeTime | None = None) -> None:
        self.sent: list[Sent] = []
        self.time = time
        self.results: list[SendResult] = []
        self.lock = threading.Lock()

    def send(self, address: str, text: str, *, message_id: int | None = None) -> SendResult:
        from datetime import timedelta

        moment = (
            self.time.now + timedelta(seconds=self.time.elapsed) if self.time else datetime.now(UTC)
        )
        with self.lock:
            self.sent.append(Sent(address, text, moment))
            if self.results:
                return self.results.pop(0)
        return SendResult(ok=True, external_id=f"SMREC{message_id:010d}", status="sent")


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def recorder(rt, fake_time: FakeTime) -> Iterator[RecordingChannel]:  # type: ignore[no-untyped-def]
    channel = RecordingChannel(fake_time)
    previous = rt.channels["sms"]
    rt.channels["sms"] = channel
    yield channel
    rt.channels["sms"] = previous


def wipe(engine: sa.Engine) -> None:
    """Empty every table (between hypothesis examples)."""
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name != "flowversion":
                conn.execute(table.delete())
