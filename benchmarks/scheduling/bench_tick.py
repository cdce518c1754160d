"""Time of one "find due invitations" tick as the invitation table grows.

    python benchmarks/scheduling/bench_tick.py [SIZES ...] [--backends sqlite,postgresql]

For each size (default 10,000 100,000 1,000,000) a fresh database gets that many
visits and invitations (bulk: COPY on PostgreSQL, executemany on SQLite): 85% already
sent or skipped, the rest scheduled in the future except 1,000 that are due. The tick is
the scheduler's query (``find_due``: ``status = 'scheduled' AND send_at <= now ORDER BY
send_at LIMIT 500``) for both due statuses; the median of 30 runs is reported, with the
ratio to the smallest size measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

import _common
import sqlalchemy as sa
from _common import append_result, fresh_url, runtime
from sqlmodel import Session

from cfbot.services.invitations import DUE_STATUSES, find_due

NOW = datetime(2025, 7, 12, 15, 0, tzinfo=UTC)
DUE = 1000
CONTACTS = 1000


def rows(n: int):  # type: ignore[no-untyped-def]
    rng = random.Random(n)
    due_ids = set(rng.sample(range(n), DUE))
    for i in range(n):
        visited = NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 300))
        if i in due_ids:
            status, send_at = "scheduled", NOW - timedelta(minutes=rng.randint(0, 600))
        elif rng.random() < 0.85:
            status, send_at = rng.choice(("sent", "skipped")), visited + timedelta(hours=2)
        else:
            status, send_at = "scheduled", NOW + timedelta(minutes=rng.randint(1, 60 * 24 * 5))
        yield i + 1, (i % CONTACTS) + 1, visited, status, send_at


def load(url: str, n: int) -> float:
    start = time.perf_counter()
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
            with conn.cursor() as cur:
                with cur.copy(
                    "COPY contact (id, phone, language, opted_out, unreachable, "
                    "delivery_failures, created_at, updated_at) FROM STDIN"
                ) as copy:
                    for c in range(1, CONTACTS + 1):
                        copy.write_row((c, f"+1612555{c:04d}", "en", False, False, 0, NOW, NOW))
                with cur.copy(
                    "COPY visit (id, source, external_id, contact_id, phone, visited_at, site, "
                    "flow_id, created_at) FROM STDIN"
                ) as copy:
                    for vid, cid, visited, _s, _a in rows(n):
                        copy.write_row(
                            (
                                vid,
                                "bench",
                                f"E{vid}",
                                cid,
                                "+16125550000",
                                visited,
                                "northside",
                                "quick",
                                visited,
                            )
                        )
                with cur.copy(
                    "COPY invitation (id, visit_id, contact_id, flow_id, status, send_at, "
                    "created_at, updated_at) FROM STDIN"
                ) as copy:
                    for vid, cid, visited, status, send_at in rows(n):
                        copy.write_row((vid, vid, cid, "quick", status, send_at, visited, visited))
            conn.commit()
            # what autovacuum does in production: sets the visibility map, so the tick
            # can be an index-only scan
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
    else:
        import sqlite3

        path = url.split("sqlite:///", 1)[1]
        conn = sqlite3.connect(path)
        fmt = "%Y-%m-%d %H:%M:%S.%f"

        def ts(d: datetime) -> str:
            return d.astimezone(UTC).strftime(fmt)

        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.executemany(
            "INSERT INTO contact (id, phone, language, opted_out, unreachable, "
            "delivery_failures, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            [
                (c, f"+1612555{c:04d}", "en", 0, 0, 0, ts(NOW), ts(NOW))
                for c in range(1, CONTACTS + 1)
            ],
        )
        conn.executemany(
            "INSERT INTO visit (id, source, external_id, contact_id, phone, visited_at, site, "
            "flow_id, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                (vid, "bench", f"E{vid}", cid, "+16125550000", ts(v), "northside", "quick", ts(v))
                for vid, cid, v, _s, _a in rows(n)
            ),
        )
        conn.executemany(
            "INSERT INTO invitation (id, visit_id, contact_id, flow_id, status, send_at, "
            "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
            ((vid, vid, cid, "quick", s, ts(a), ts(v), ts(v)) for vid, cid, v, s, a in rows(n)),
        )
        conn.commit()
        conn.execute("ANALYZE")
        conn.close()
    return time.perf_counter() - start


def tick(rt) -> tuple[float, int, str]:  # type: ignore[no-untyped-def]
    times = []
    found = 0
    with Session(rt.engine) as session:
        for _ in range(3):  # warm up caches and the statement cache
            for status in DUE_STATUSES:
                find_due(session, NOW, 500, status)
        for _ in range(30):
            start = time.perf_counter()
            found = sum(len(find_due(session, NOW, 500, s)) for s in DUE_STATUSES)
            times.append(time.perf_counter() - start)
        query = (
            "SELECT id, contact_id FROM invitation WHERE status = 'scheduled' "
            "AND send_at <= :now ORDER BY send_at LIMIT 500"
        )
        prefix = "EXPLAIN QUERY PLAN " if rt.engine.dialect.name == "sqlite" else "EXPLAIN "
        plan_sql = prefix + query
        plan = (
            session.connection()
            .execute(
                sa.text(plan_sql),
                {"now": NOW.replace(tzinfo=None) if rt.engine.dialect.name == "sqlite" else NOW},
            )
            .fetchall()
        )
    text = " / ".join(str(row[-1]) for row in plan)
    return statistics.median(times), found, text


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    _common.PG_URL = os.environ.get(
        "CFBOT_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_tick"
    )
    lines = [
        "Median of 30 ticks (both due statuses, LIMIT 500, 500 rows returned), "
        f"{DUE:,} due rows per size:",
        "",
        "| backend | invitation rows | bulk load s | tick ms | vs smallest | plan |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for backend in args.backends.split(","):
        base = None
        for size in args.sizes:
            url = fresh_url(backend)
            if url is None:
                break
            load_s = load(url, size)
            rt = runtime(url)
            median, found, plan = tick(rt)
            base = base or median
            line = (
                f"| {backend} | {size:,} | {load_s:.1f} | {median * 1000:.2f} | "
                f"{median / base:.2f}x | {plan[:90]} |"
            )
            print(line, f"(found {found})", flush=True)
            lines.append(line)
            rt.engine.dispose()
    append_result("Find-due-invitations tick", "\n".join(lines))


if __name__ == "__main__":
    main()
