"""Exactly one acting scheduler, elected in the database.

* PostgreSQL: ``pg_try_advisory_lock(key)`` on a connection this process keeps open for
  its lifetime. The lock dies with the connection, so a crashed or partitioned clock
  frees it at once; a second scheduler's ``try`` fails and it stays idle, trying again
  on each tick.
* SQLite (one machine): a :class:`~cfbot.models.SchedulerLease` row with the holder's id
  and an expiry, renewed on every tick; another process takes over once it has expired.

Jobs are idempotent anyway (rows are claimed under locks), so a short overlap during a
lease takeover cannot double a send; the election keeps the work in one place.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from cfbot.clock import Clock, SystemClock
from cfbot.db import unit_of_work
from cfbot.models import SchedulerLease

log = logging.getLogger(__name__)

LEASE_NAME = "clock"
DEFAULT_TTL = timedelta(seconds=60)


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock``."""
    digest = hashlib.sha256(f"cfbot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leader:
    """Leader election for one named role (default: the scheduler)."""

    def __init__(
        self,
        engine: Engine,
        name: str = LEASE_NAME,
        ttl: timedelta = DEFAULT_TTL,
        clock: Clock | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self.name = name
        self.ttl = ttl
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._conn: Connection | None = None
        self.is_leader = False

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def check(self, now: datetime | None = None) -> bool:
        """Acquire or keep leadership (at ``now``, default the clock's); True while this
        process should act."""
        now = now or self.clock.now()
        was = self.is_leader
        try:
            self.is_leader = self._check_pg() if self.postgres else self._check_lease(now)
        except OperationalError as exc:
            log.warning("leader check failed (%s); standing down", type(exc).__name__)
            self._drop_connection()
            self.is_leader = False
        if self.is_leader and not was:
            log.info("scheduler %s is now the leader", self.holder)
        elif was and not self.is_leader:
            log.warning("scheduler %s lost leadership", self.holder)
        return self.is_leader

    def release(self) -> None:
        """Give leadership up (on shutdown) so another scheduler can act at once."""
        if self.postgres:
            if self._conn is not None and self.is_leader:
                try:
                    self._conn.execute(
                        text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(self.name)}
                    )
                    self._conn.commit()
                except OperationalError:
                    pass
            self._drop_connection()
        elif self.is_leader:
            with unit_of_work(self.engine) as session:
                lease = session.get(SchedulerLease, self.name)
                if lease is not None and lease.holder == self.holder:
                    session.delete(lease)
        self.is_leader = False

    # -- PostgreSQL --------------------------------------------------------------

    def _check_pg(self) -> bool:
        if self._conn is not None and self.is_leader:
            # still holding? the lock lives as long as this connection does
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        if self._conn is None:
            # a dedicated connection outside the pool's recycling: the lock lives on it
            self._conn = self.engine.connect()
        got: Any = self._conn.execute(
            text("SELECT pg_try_advisory_lock(:k)"), {"k": advisory_key(self.name)}
        ).scalar()
        self._conn.commit()
        return bool(got)

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection may fail too
                pass
            self._conn = None

    # -- SQLite lease ------------------------------------------------------------

    def _check_lease(self, now: datetime) -> bool:
        try:
            with unit_of_work(self.engine) as session:
                lease = session.get(SchedulerLease, self.name)
                if lease is None:
                    session.add(
                        SchedulerLease(
                            name=self.name, holder=self.holder, expires_at=now + self.ttl
                        )
                    )
                    return True
                if lease.holder == self.holder or lease.expires_at <= now:
                    if lease.holder != self.holder:
                        log.info("taking over expired scheduler lease from %s", lease.holder)
                    lease.holder = self.holder
                    lease.expires_at = now + self.ttl
                    session.add(lease)
                    return True
                return False
        except IntegrityError:
            return False  # another process created the lease first
