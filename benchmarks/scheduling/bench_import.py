"""Visits imported per second from a CSV export, on SQLite and PostgreSQL.

    python benchmarks/scheduling/bench_import.py [ROWS] [--backends sqlite,postgresql]

Generates a CSV of ROWS visits (default 100,000; 2% invalid rows, 1% repeated rows),
imports it with ``cfbot.services.visits.import_csv`` (the code behind
``cfbot visits import``) and reports rows per second, end to end: decoding, validation,
phone normalisation, contacts, visits and invitations stored in batches of 1,000.
"""

from __future__ import annotations

import argparse
import io
import platform
import sys
import time
from datetime import UTC, datetime, timedelta

import click
from _common import append_result, fresh_url, phones, runtime

from cfbot.services.visits import import_csv


def make_csv(rows: int, now: datetime) -> bytes:
    numbers = phones(rows)
    out = io.StringIO()
    out.write("phone,visited_at,site,program,language,first_name,external_id\n")
    for i in range(rows):
        phone = numbers[i]
        when = (now - timedelta(minutes=i % 5000)).isoformat()
        if i % 50 == 7:
            phone = "555-12"  # invalid
        ext = f"E{i}" if i % 100 != 3 else f"E{i - 1}"  # 1% repeated ids
        out.write(f"{phone},{when},northside,wic,en,Client{i},{ext}\n")
    return out.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows", nargs="?", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    now = datetime(2025, 7, 12, 15, 0, tzinfo=UTC)
    data = make_csv(args.rows, now)
    lines = [
        f"{args.rows:,}-row CSV ({len(data) / 1e6:.1f} MB), batches of 1,000, "
        f"{platform.python_version()} on {platform.machine()}:",
        "",
        "| backend | rows | stored | duplicates | rejected | seconds | rows/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for backend in args.backends.split(","):
        url = fresh_url(backend)
        if url is None:
            continue
        rt = runtime(url)
        start = time.perf_counter()
        with click.progressbar(length=args.rows, label=f"{backend}", file=sys.stderr) as bar:
            report = import_csv(rt, io.BytesIO(data), now=now, progress=bar.update)
        elapsed = time.perf_counter() - start
        line = (
            f"| {backend} | {report.rows:,} | {report.created:,} | {report.duplicates:,} | "
            f"{len(report.rejected):,} | {elapsed:.1f} | {report.rows / elapsed:,.0f} |"
        )
        print(line, flush=True)
        lines.append(line)
    append_result("CSV import", "\n".join(lines))


if __name__ == "__main__":
    main()
