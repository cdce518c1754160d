"""Shared helpers for the scheduling benchmarks: a fresh database and a Runtime."""

from __future__ import annotations

import os
import random
import re
import tempfile
from pathlib import Path

import sqlalchemy as sa

from cfbot import db as cfdb
from cfbot import migrate
from cfbot.config import Settings
from cfbot.runtime import Runtime, build_runtime

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "tests" / "scheduling" / "flows"
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
PG_URL = os.environ.get(
    "CFBOT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_sched"
)


def fresh_url(backend: str) -> str | None:
    """A new, migrated, empty database of ``backend`` (sqlite | postgresql), or None when
    PostgreSQL cannot be reached (the reason is printed: the caller skips it).

    The PostgreSQL database of ``CFBOT_BENCH_DATABASE_URL`` is created when it does not
    exist yet (through the server's ``postgres`` database), then emptied."""
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="cfbot-bench-")) / "bench.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = PG_URL
        problem = ensure_pg_database(url)
        if problem is not None:
            print(f"skipping PostgreSQL ({url}): {problem}", flush=True)
            return None
        engine = cfdb.get_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    migrate.upgrade(url)
    return url


def ensure_pg_database(url: str) -> str | None:
    """Create the database of ``url`` if it is missing; None when it is usable, else why
    not (the server is down, the credentials are refused...)."""
    target = sa.make_url(cfdb.normalize_url(url))
    args = {"connect_timeout": 5}
    try:
        engine = sa.create_engine(target, connect_args=args)
        with engine.connect():
            pass
        engine.dispose()
        return None
    except sa.exc.OperationalError as exc:
        if "does not exist" not in str(exc):
            return str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    name = target.database or ""
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        return f"database {name!r} does not exist (and its name is not a plain word)"
    admin = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", connect_args=args
    )
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        print(f"created PostgreSQL database {name!r}", flush=True)
        return None
    except sa.exc.SQLAlchemyError as exc:
        return f"database {name!r} does not exist and could not be created: {exc}"
    finally:
        admin.dispose()


def runtime(url: str, **overrides: object) -> Runtime:
    """A Runtime on ``url`` with the test flows (sites northside/southside)."""
    values: dict[str, object] = {
        "env": "test",
        "database_url": url,
        "conversations_dir": str(FLOWS),
        "sms_channel": "console",
        "visit_max_age_days": 3650.0,
    }
    values.update(overrides)
    return build_runtime(Settings.from_env(environ={}, **values))


def phones(n: int, seed: int = 7) -> list[str]:
    """``n`` distinct valid Minnesota mobile-looking numbers."""
    rng = random.Random(seed)
    out: set[str] = set()
    codes = ("612", "651", "763", "952", "218", "320", "507")
    while len(out) < n:
        out.add(f"+1{rng.choice(codes)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}")
    return sorted(out)


def append_result(section: str, text: str) -> None:
    """Replace ``## section`` in RESULTS.md with ``text`` (keeps other sections)."""
    current = (
        RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Scheduling benchmarks\n"
    )
    marker = f"## {section}\n"
    if marker in current:
        head, _, rest = current.partition(marker)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1 :] if nxt >= 0 else ""
        current = head + marker + text.rstrip() + "\n\n" + tail
    else:
        current = current.rstrip() + "\n\n" + marker + text.rstrip() + "\n"
    RESULTS.write_text(current, encoding="utf-8")
