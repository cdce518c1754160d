"""Database engine and sessions: one Session per app context or job.

SQLite runs in WAL mode with a busy timeout so the web and clock processes can share a
file; writers serialise through ``BEGIN IMMEDIATE`` (see :func:`write_transaction`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

_engines: dict[str, Engine] = {}
_Select = TypeVar("_Select", bound=sa.Select[Any])


def normalize_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(
    url: str,
    connect_timeout: float | None = None,
    statement_timeout: float | None = None,
    **kwargs: Any,
) -> Engine:
    """Create an engine with the pragmas and pool settings cfbot relies on.

    ``connect_timeout`` (seconds) bounds opening a connection and waiting for a pooled
    one; ``statement_timeout`` (seconds, 0 = none) is PostgreSQL's ``statement_timeout``
    and SQLite's busy timeout. Without them (migrations, tools) nothing is cut short.
    """
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        busy = float(statement_timeout) if statement_timeout else 30.0
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy},
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # let us issue BEGIN ourselves (pysqlite's implicit BEGIN is deferred)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            mode = conn.info.pop("cfbot_begin", "BEGIN")
            conn.exec_driver_sql(mode)

        if path and path != ":memory:":
            _writer_locks[engine] = (path + "-writer.lock", busy)
        return engine
    ping_idle = "pool_pre_ping" not in kwargs
    connect_args: dict[str, Any] = dict(kwargs.pop("connect_args", {}))
    if connect_timeout:
        # libpq wants whole seconds, at least 2 (psycopg enforces the same floor)
        connect_args.setdefault("connect_timeout", max(2, int(connect_timeout + 0.999)))
        kwargs.setdefault("pool_timeout", connect_timeout)
    if statement_timeout:
        connect_args.setdefault("options", f"-c statement_timeout={int(statement_timeout * 1000)}")
    engine = sa.create_engine(url, connect_args=connect_args, **kwargs)
    if ping_idle:
        _ping_when_idle(engine)
    return engine


# A pooled connection idle this long is pinged before use (a PostgreSQL restart or an
# idle timeout in between may have closed it). One in steady use is not: SQLAlchemy's
# ``pool_pre_ping`` costs a round trip on every checkout, one per inbound text. A
# connection that broke while busy fails its first statement, which invalidates the pool.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info["cfbot_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("cfbot_idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            dbapi_conn.rollback()
        except Exception as exc:
            # the pool drops this connection and checks out (or opens) another
            raise sa.exc.DisconnectionError() from exc


_engine_timeouts: dict[str, tuple[float | None, float | None]] = {}


def get_engine(
    url: str, connect_timeout: float | None = None, statement_timeout: float | None = None
) -> Engine:
    """A process-wide engine per URL (engines own connection pools).

    Asking with other timeouts than the cached engine's replaces it; asking without
    timeouts returns whatever is cached.
    """
    url = normalize_url(url)
    wanted = (connect_timeout, statement_timeout)
    have = _engine_timeouts.get(url)
    if url in _engines and (wanted == (None, None) or have == wanted):
        return _engines[url]
    if url in _engines:
        _engines.pop(url).dispose()
    _engines[url] = make_engine(url, connect_timeout, statement_timeout)
    _engine_timeouts[url] = wanted
    return _engines[url]


def dispose_engines() -> None:
    """Close every pool (tests, and after a fork)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _engine_timeouts.clear()


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return bind.dialect.name == "sqlite"


def for_update(stmt: _Select, session: Session, **kwargs: Any) -> _Select:
    """``stmt ... FOR UPDATE`` (``kwargs``: e.g. ``skip_locked=True``), except on SQLite,
    where the unit of work's ``BEGIN IMMEDIATE`` already serialises writers."""
    return stmt if is_sqlite(session) else stmt.with_for_update(**kwargs)


# SQLite file -> (its writers' lock file, busy timeout in seconds); see _writer_turn
_writer_locks: weakref.WeakKeyDictionary[Engine, tuple[str, float]] = weakref.WeakKeyDictionary()
_TURN_POLL_SECONDS = 0.0005


@contextlib.contextmanager
def _writer_turn(engine: Engine) -> Iterator[None]:
    """On a SQLite file, wait for the writers' turn on a lock file before ``BEGIN
    IMMEDIATE``, polling every half millisecond.

    ``BEGIN IMMEDIATE`` stays the lock; this only shortens the wait for it: SQLite's
    busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms between tries,
    so a writer that met a busy database slept on long after the other (a few ms) had
    committed. After the busy timeout the wait is left to SQLite (which then fails).
    Each call opens its own descriptor: ``flock`` excludes threads of one process too.
    """
    lock = _writer_locks.get(engine)
    if lock is None:
        yield
        return
    path, busy = lock
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + busy
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(_TURN_POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def unit_of_work(engine: Engine, immediate: bool = True) -> Iterator[Session]:
    """One unit of work: a session that commits on success and rolls back on error.

    ``immediate`` makes the SQLite transaction a write transaction from the start (and
    takes the writers' turn first, see :func:`_writer_turn`).
    """
    sqlite_writer = immediate and engine.dialect.name == "sqlite"
    with _writer_turn(engine) if sqlite_writer else contextlib.nullcontext():
        with engine.connect() as conn:
            if sqlite_writer:
                conn.info["cfbot_begin"] = "BEGIN IMMEDIATE"
            with Session(bind=conn, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise


def ping(engine: Engine) -> None:
    """Round-trip to the database; raises when it does not answer."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
