"""Finding 10: database connect/statement timeouts; 503 JSON fast when the database is down."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cfbot import db as cfdb

ROOT = Path(__file__).resolve().parent.parent.parent
CONVERSATIONS = ROOT / "conversations"
PG_URL = os.environ.get("CFBOT_TEST_DATABASE_URL", "")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


@pytest.fixture
def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens here now
    return port


def _app(tmp_path: Path, port: int):  # type: ignore[no-untyped-def]
    from cfbot import create_app
    from cfbot.config import Settings

    settings = Settings.from_env(
        environ={},
        env="test",
        database_url=f"postgresql://nobody@127.0.0.1:{port}/none",
        conversations_dir=str(CONVERSATIONS),
        instance_path=str(tmp_path / "instance"),
        secret_key="test-secret-key-0123456789",
        sms_channel="console",
        db_connect_timeout=1,
    )
    app = create_app(settings)
    app.config["TESTING"] = False  # errors go through the handlers, as in production
    return app


@pytest.mark.parametrize("which", ["silent_port", "closed_port"])
def test_healthz_and_api_are_503_json_fast_when_db_is_down(
    tmp_path: Path, request: pytest.FixtureRequest, which: str
) -> None:
    port = request.getfixturevalue(which)
    app = _app(tmp_path, port)
    client = app.test_client()
    try:
        for method, path in (("get", "/healthz"), ("post", "/api/v1/visits")):
            started = time.monotonic()
            r = getattr(client, method)(
                path, headers={"Authorization": "Bearer abc"}, json={"phone": "1"}
            )
            elapsed = time.monotonic() - started
            assert r.status_code == 503, (path, r.status_code, r.get_data(as_text=True))
            assert r.is_json and r.json["error"] == "database_unavailable"
            assert r.headers.get("Retry-After")
            assert elapsed < 5, (path, elapsed)
    finally:
        cfdb.dispose_engines()


def test_settings_have_timeouts() -> None:
    from cfbot.config import Settings

    s = Settings.from_env(
        environ={"CFBOT_DB_CONNECT_TIMEOUT": "3", "CFBOT_DB_STATEMENT_TIMEOUT": "7"}
    )
    assert s.db_connect_timeout == 3 and s.db_statement_timeout == 7
    d = Settings.from_env(environ={})
    assert 0 < d.db_connect_timeout <= 10 and 0 < d.db_statement_timeout < 14


def test_sqlite_busy_timeout_follows_setting(tmp_path: Path) -> None:
    engine = cfdb.make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}", statement_timeout=4)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4000
    engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs CFBOT_TEST_DATABASE_URL")
def test_postgres_statement_timeout_is_set_and_enforced() -> None:
    engine = cfdb.make_engine(PG_URL, connect_timeout=2, statement_timeout=1)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "1s"
            started = time.monotonic()
            with pytest.raises(sa.exc.OperationalError):
                conn.exec_driver_sql("SELECT pg_sleep(5)")
            assert time.monotonic() - started < 3
    finally:
        engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="needs CFBOT_TEST_DATABASE_URL")
def test_a_pooled_connection_closed_while_idle_is_replaced(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Connections in steady use are not pinged (a round trip per text); one idle longer
    than PING_AFTER_IDLE_SECONDS is, and a dead one is replaced without an error."""
    engine = cfdb.make_engine(PG_URL, connect_timeout=2)
    pings: list[str] = []
    sa.event.listen(engine, "checkout", lambda *_a: pings.append("checkout"), insert=True)
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with engine.connect() as conn:  # just used: not pinged, same backend
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == pid
        admin = sa.create_engine(cfdb.normalize_url(PG_URL), poolclass=sa.pool.NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")  # type: ignore[arg-type]
        admin.dispose()
        monkeypatch.setattr(cfdb, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as conn:
            fresh = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert fresh != pid and len(pings) >= 3
    finally:
        engine.dispose()
