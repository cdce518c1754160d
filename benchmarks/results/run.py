"""Results pages and the answers export on a big database.

    .venv/bin/python benchmarks/results/run.py --db sqlite --answers 1000000
    .venv/bin/python benchmarks/results/run.py --db postgresql \
        --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test --answers 1000000

Builds a fresh database (a temporary SQLite file, or a throwaway PostgreSQL database
next to ``--pg-url``), migrates it, fills it with ``--answers`` answers (4 per survey: a
rating, an NPS, a choice and a comment; 90 days, 4 sites, 4 programs, 5 languages, 2
channels) with ``INSERT ... SELECT generate_series`` on PostgreSQL and ``executemany`` on
SQLite, then times, through the Flask test client as a signed-in all-sites manager:

* ``GET /dashboard/results`` (default period: the last 30 days) and for 90 days;
* ``GET /dashboard/responses`` (first page) and with a site filter;
* ``GET /dashboard/responses/export?format=csv`` for 30 days (every row read), as rows/s;

against baselines measured in the same run: ``SELECT COUNT(*) FROM answer`` and a plain
fetch of the same answer rows with no CSV work. ``--without-indexes`` first downgrades to
0006 (before 0010_results_indexes) to show what the indexes buy.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cfbot import db as cfdb  # noqa: E402
from cfbot import migrate  # noqa: E402

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
SITES = ("northside", "southside", "eastside", "westside")
PROGRAMS = ("wic", "immunizations", "family_planning", "sti")
LANGS = ("en", "es", "so", "hmn", "vi")
ROUTING = """
timezone: America/Chicago
default: [feedback@example.org]
on_call: [oncall@example.org]
sites:
  northside: {name: Northside Clinic, staff: [n@example.org]}
  southside: {name: Southside Family Health, staff: [s@example.org]}
  eastside: {name: Eastside Clinic, staff: [e@example.org]}
  westside: {name: Westside Clinic, staff: [w@example.org]}
"""
COMMENTS = (
    "The wait was too long",
    "Staff were kind and quick",
    "Nobody explained the bill",
    "Great service, thank you",
    "La espera fue muy larga",
    "ok",
)


def fill_postgres(url: str, surveys: int) -> None:
    engine = sa.create_engine(cfdb.normalize_url(url))
    days = 90
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO flowversion (flow_id, content_hash, yaml_text, path, first_seen_at)"
                " VALUES ('clinic_visit', 'bench', 'id: clinic_visit', '', :t)"
            ),
            {"t": NOW - timedelta(days=days)},
        )
        conn.execute(
            sa.text(
                "INSERT INTO contact (id, phone, language, opted_out, unreachable,"
                " delivery_failures, created_at, updated_at)"
                " SELECT g, '+1612' || lpad(g::text, 7, '0'), 'en', false, false, 0, :t, :t"
                " FROM generate_series(1, :n) g"
            ),
            {"n": surveys, "t": NOW - timedelta(days=days)},
        )
        conn.execute(
            sa.text(
                "INSERT INTO conversation (id, contact_id, flow_id, flow_version_id, channel,"
                " language, status, state, context, site, program, started_at, updated_at)"
                " SELECT g, g, 'clinic_visit', 1,"
                " CASE WHEN g % 3 = 0 THEN 'webchat' ELSE 'sms' END,"
                " (ARRAY['en','es','so','hmn','vi'])[1 + g % 5],"
                " CASE WHEN g % 7 = 0 THEN 'expired' ELSE 'completed' END, '{}', '{}',"
                " (ARRAY['northside','southside','eastside','westside'])[1 + g % 4],"
                " (ARRAY['wic','immunizations','family_planning','sti'])[1 + (g / 4) % 4],"
                " :now - make_interval(secs => (g::bigint * 7919) % (:days * 86400)),"
                " :now FROM generate_series(1, :n) g"
            ),
            {"n": surveys, "now": NOW, "days": days},
        )
        for i, (qid, qtype, value, text) in enumerate(
            (
                ("overall", "rating", "1 + (c.id * 31) % 5", "NULL"),
                ("recommend", "nps", "(c.id * 17) % 11", "NULL"),
                ("reason", "choice", "NULL", "'wic'"),
                ("comments", "text", "NULL", "NULL"),
            )
        ):
            raw = (
                "(ARRAY['The wait was too long','Staff were kind and quick',"
                "'Nobody explained the bill','Great service, thank you',"
                "'La espera fue muy larga','ok'])[1 + c.id % 6]"
                if qtype == "text"
                else f"coalesce(({value})::text, 'wic')"
            )
            sentiment = "CASE WHEN c.id % 6 IN (0, 2, 4) THEN -0.6 ELSE 0.6 END"
            conn.execute(
                sa.text(
                    "INSERT INTO answer (conversation_id, contact_id, flow_id, flow_version_id,"  # noqa: S608 - constants of this script
                    " question_id, question_type, question_text, raw_text, value_text,"
                    " value_number, language, skipped, sentiment, needs_review, created_at)"
                    f" SELECT c.id, c.contact_id, 'clinic_visit', 1, '{qid}', '{qtype}',"
                    f" 'Question {qid}?', {raw}, {text},"
                    f" {value}, c.language, false,"
                    f" {sentiment if qtype == 'text' else 'NULL'}, false,"
                    f" c.started_at + interval '{i} minutes'"
                    " FROM conversation c"
                )
            )
        for table in ("contact", "conversation"):
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608 - constant table names
                    f" (SELECT max(id) FROM {table}))"
                )
            )
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


def fill_sqlite(path: str, surveys: int) -> None:
    rng = random.Random(7)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    stamp = lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f")  # noqa: E731
    conn.execute(
        "INSERT INTO flowversion (flow_id, content_hash, yaml_text, path, first_seen_at)"
        " VALUES ('clinic_visit', 'bench', 'id: clinic_visit', '', ?)",
        (stamp(NOW - timedelta(days=90)),),
    )
    batch = 50_000
    for start in range(1, surveys + 1, batch):
        ids = range(start, min(start + batch, surveys + 1))
        t0 = stamp(NOW - timedelta(days=90))
        conn.executemany(
            "INSERT INTO contact (id, phone, language, opted_out, unreachable,"
            " delivery_failures, created_at, updated_at) VALUES (?, ?, 'en', 0, 0, 0, ?, ?)",
            [(g, f"+1612{g:07d}", t0, t0) for g in ids],
        )
        convs = []
        answers = []
        for g in ids:
            started = NOW - timedelta(seconds=(g * 7919) % (90 * 86400))
            lang = LANGS[g % 5]
            convs.append(
                (g, g, "webchat" if g % 3 == 0 else "sms", lang,
                 "expired" if g % 7 == 0 else "completed", SITES[g % 4],
                 PROGRAMS[(g // 4) % 4], stamp(started), stamp(NOW))
            )  # fmt: skip
            for i, (qid, qtype, number, raw) in enumerate(
                (
                    ("overall", "rating", 1 + (g * 31) % 5, None),
                    ("recommend", "nps", (g * 17) % 11, None),
                    ("reason", "choice", None, "wic"),
                    ("comments", "text", None, COMMENTS[g % 6]),
                )
            ):
                text = raw if raw is not None else str(number)
                sentiment = (-0.6 if g % 6 in (0, 2, 4) else 0.6) if qtype == "text" else None
                answers.append(
                    (g, g, qid, qtype, f"Question {qid}?", text,
                     raw if qtype == "choice" else None, number, lang, sentiment,
                     stamp(started + timedelta(minutes=i)))
                )  # fmt: skip
        conn.executemany(
            "INSERT INTO conversation (id, contact_id, flow_id, flow_version_id, channel,"
            " language, status, state, context, site, program, started_at, updated_at)"
            " VALUES (?, ?, 'clinic_visit', 1, ?, ?, ?, '{}', '{}', ?, ?, ?, ?)",
            convs,
        )
        conn.executemany(
            "INSERT INTO answer (conversation_id, contact_id, flow_id, flow_version_id,"
            " question_id, question_type, question_text, raw_text, value_text, value_number,"
            " language, skipped, sentiment, needs_review, created_at)"
            " VALUES (?, ?, 'clinic_visit', 1, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?)",
            answers,
        )
        conn.commit()
    del rng
    conn.execute("ANALYZE")
    conn.commit()
    conn.close()


def timed(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    """Median seconds of ``repeat`` runs after one warm-up."""
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def measure(url: str, label: str, tmp: Path) -> list[tuple[str, str]]:
    from cfbot import create_app
    from cfbot.clock import FrozenClock
    from cfbot.config import Settings
    from cfbot.services.accounts import import_routing
    from cfbot.services.staff_auth import issue_link

    routing = tmp / "routing.yaml"
    routing.write_text(ROUTING, encoding="utf-8")
    settings = Settings.from_env(
        environ={},
        env="test",
        database_url=url,
        conversations_dir=str(ROOT / "conversations"),
        instance_path=str(tmp / "instance"),
        secret_key="bench-secret-key-0123456789",
        routing_file=str(routing),
        rate_limits=False,
    )
    app = create_app(settings)
    rt = app.extensions["cfbot"]
    rt.clock = FrozenClock(NOW)
    client = app.test_client()
    with app.app_context():
        import_routing(rt)
        link = issue_link(rt, "oncall@example.org")
        assert link is not None, "oncall@example.org has no account"
        assert client.get("/dashboard/" + link.split("/dashboard/", 1)[1]).status_code == 302
    engine = rt.engine
    out: list[tuple[str, str]] = []

    def count() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT COUNT(*) FROM answer")).scalar()

    base = timed(count)
    out.append(("baseline: SELECT COUNT(*) FROM answer", f"{base:.3f} s"))

    def page(path: str) -> None:
        reply = client.get(path)
        assert reply.status_code == 200, (path, reply.status_code)

    for name, path in (
        ("results page, 30 days", "/dashboard/results"),
        ("results page, 90 days", "/dashboard/results?from=2025-12-04&to=2026-03-03"),
        ("results page, 30 days, one site", "/dashboard/results?site=northside"),
        ("responses page 1, 30 days", "/dashboard/responses"),
        ("responses page 1, one site + program", "/dashboard/responses?site=eastside&program=wic"),
        ("responses page 1, search 'bill'", "/dashboard/responses?q=bill"),
    ):
        seconds = timed(lambda p=path: page(p))
        out.append((name, f"{seconds:.3f} s ({seconds / base:.1f}x baseline)"))

    since = NOW - timedelta(days=30)

    def plain_fetch() -> int:
        n = 0
        with engine.connect() as conn:
            result = conn.execution_options(yield_per=1000).execute(
                sa.text(
                    "SELECT a.* FROM answer a JOIN conversation c ON c.id = a.conversation_id"
                    " WHERE c.started_at >= :s ORDER BY a.created_at, a.id"
                ),
                {"s": since},
            )
            for part in result.partitions():
                n += len(part)
        return n

    t = time.perf_counter()
    rows = plain_fetch()
    fetch = time.perf_counter() - t
    out.append(
        ("baseline: plain fetch of the same answers", f"{rows / fetch:,.0f} rows/s ({rows:,} rows)")
    )
    t = time.perf_counter()
    reply = client.get("/dashboard/responses/export?format=csv&from=2026-02-02&to=2026-03-03")
    size = 0
    lines = 0
    for chunk in reply.response:
        size += len(chunk)
        lines += chunk.count(b"\r\n")
    reply.close()
    export = time.perf_counter() - t
    exported = lines - 1
    out.append(
        ("CSV export (streamed), 30 days",
         f"{exported / export:,.0f} rows/s ({exported:,} rows, {size / 1e6:.0f} MB, {export:.1f} s;"
         f" {fetch / export:.2f}x plain fetch speed)")
    )  # fmt: skip
    print(f"\n## {label}\n")
    print("| measure | result |\n| --- | --- |")
    for name, value in out:
        print(f"| {name} | {value} |")
    sys.stdout.flush()
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get("CFBOT_TEST_DATABASE_URL", ""))
    parser.add_argument("--without-indexes", action="store_true",
                        help="also measure at revision 0006 (before 0010_results_indexes)")  # fmt: skip
    args = parser.parse_args()
    surveys = args.answers // 4
    tmp = Path(tempfile.mkdtemp(prefix="cfbot-bench-results-"))
    admin = None
    if args.db == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        if not args.pg_url:
            sys.exit("--pg-url or CFBOT_TEST_DATABASE_URL is needed")
        name = f"cfbot_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(cfdb.normalize_url(args.pg_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = (
            sa.make_url(cfdb.normalize_url(args.pg_url))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    try:
        migrate.upgrade(url)
        t = time.perf_counter()
        if args.db == "sqlite":
            fill_sqlite(url.removeprefix("sqlite:///"), surveys)
        else:
            fill_postgres(url, surveys)
        print(f"# {args.db}: {surveys * 4:,} answers in {surveys:,} surveys,"
              f" generated in {time.perf_counter() - t:.0f} s")  # fmt: skip
        if args.without_indexes:
            migrate.downgrade(url, "0006_results")
            measure(url, "without 0010_results_indexes", tmp)
            t = time.perf_counter()
            migrate.upgrade(url)
            print(f"\n(0010_results_indexes built in {time.perf_counter() - t:.1f} s)")
        measure(url, "with 0010_results_indexes", tmp)
    finally:
        cfdb.get_engine(url).dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
