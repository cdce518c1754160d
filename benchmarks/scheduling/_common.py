"""Shared helpers for the scheduling benchmarks: a fresh database and a Runtime."""

from __future__ import annotations

import os
import random
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


def fresh_url(backend: str) -> str:
    """A new, migrated, empty database of ``backend`` (sqlite | postgresql)."""
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="cfbot-bench-")) / "bench.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = PG_URL
        engine = cfdb.get_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    migrate.upgrade(url)
    return url


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
