"""Shared fixtures: ``db_url`` (SQLite always, PostgreSQL when CFBOT_TEST_DATABASE_URL is set),
``settings``, ``clock``, ``app``, ``client``, ``runner``, ``rt`` (the app's Runtime)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cfbot import db as cfdb
from cfbot import migrate

ROOT = Path(__file__).resolve().parent.parent
CONVERSATIONS = ROOT / "conversations"
PG_URL = os.environ.get("CFBOT_TEST_DATABASE_URL", "")

DB_PARAMS = ["sqlite"] + (["postgresql"] if PG_URL else [])


if os.environ.get("FAKETIME"):
    # libfaketime (the night pass in .ci/run, with FAKETIME_DONT_FAKE_MONOTONIC=1) rejects
    # the absolute monotonic deadline Python 3.11's time.sleep hands to clock_nanosleep;
    # a select() timeout is relative and unaffected. Only the wall clock is faked.
    import select
    import time as _time

    def _relative_sleep(seconds: float) -> None:
        if seconds > 0:
            select.select([], [], [], seconds)

    _time.sleep = _relative_sleep


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dbtemplate") / "template.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    cfdb.get_engine(url).dispose()
    return path


@pytest.fixture(scope="session")
def _pg_schema() -> Iterator[str]:
    """A private database per test session, so parallel runs never share tables."""
    name = f"cfbot_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(cfdb.normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = (
        sa.make_url(cfdb.normalize_url(PG_URL))
        .set(database=name)
        .render_as_string(hide_password=False)
    )
    migrate.upgrade(url)
    yield url
    cfdb.get_engine(url).dispose()
    cfdb._engines.pop(cfdb.normalize_url(url), None)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = cfdb.get_engine(url)
    with engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_tables WHERE schemaname='public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=DB_PARAMS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database on each configured backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "cfbot.sqlite3"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
        yield url
        cfdb.get_engine(url).dispose()
        cfdb._engines.pop(cfdb.normalize_url(url), None)
    else:
        url = request.getfixturevalue("_pg_schema")
        _truncate_pg(url)
        yield url


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Override in a test module to change settings for ``app``."""
    return {}


@pytest.fixture
def settings(db_url: str, tmp_path: Path, settings_overrides: dict[str, object]):  # type: ignore[no-untyped-def]
    from cfbot.config import Settings

    values: dict[str, object] = {
        "env": "test",
        "database_url": db_url,
        "conversations_dir": str(CONVERSATIONS),
        "instance_path": str(tmp_path / "instance"),
        "secret_key": "test-secret-key-0123456789",
        "sms_channel": "console",
        "demo": True,
    }
    values.update(settings_overrides)
    return Settings.from_env(environ={}, **values)


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    """The app's clock; a test module overrides it with a ``FrozenClock`` to fix "now"."""
    from cfbot.clock import SystemClock

    return SystemClock()


@pytest.fixture
def app(settings, clock):  # type: ignore[no-untyped-def]
    from cfbot import create_app

    application = create_app(settings)
    application.extensions["cfbot"].clock = clock
    with application.app_context():
        yield application


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def rt(app):  # type: ignore[no-untyped-def]
    return app.extensions["cfbot"]
