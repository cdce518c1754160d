"""``cfbot visits import FILE.csv``: visits from a spreadsheet export."""

from __future__ import annotations

import os
import sys

import click

from cfbot.commands import cli_runtime


@click.group()
def visits() -> None:
    """Import visits (each visit schedules a survey invitation)."""


@visits.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source",
    default="csv",
    show_default=True,
    help="Names the system the rows come from; (source, external_id) is unique.",
)
@click.option(
    "--assume-timezone",
    default=None,
    help="Zone for visited_at values without an offset (default: CFBOT_TIMEZONE).",
)
@click.option("--dry-run", is_flag=True, help="Validate and report only; store nothing.")
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--max-errors-shown", default=200, show_default=True, type=int)
def import_(
    path: str,
    source: str,
    assume_timezone: str | None,
    dry_run: bool,
    batch_size: int,
    max_errors_shown: int,
) -> None:
    """Import visits from PATH (CSV with a header: phone, visited_at, site, and optional
    program, language, first_name, flow, external_id, timezone). Header names ignore case
    and spaces, and common spreadsheet names work ("Phone Number", "Visit Date",
    "Clinic"); times may be ISO 8601 or "11/30/2026 2:30 PM".

    Rejected rows are listed with their row number and reasons; valid rows are stored in
    batches, each batch all-or-nothing. Re-running the same file stores only what is
    missing (rows without external_id are identified by phone, time, site and flow).
    """
    from cfbot.services.timing import zone_or_none
    from cfbot.services.visits import CsvFileError, import_csv

    if assume_timezone and zone_or_none(assume_timezone) is None:
        raise click.BadParameter(
            f"unknown time zone {assume_timezone!r}", param_hint="--assume-timezone"
        )
    rt = cli_runtime(log=False)
    if not assume_timezone:
        # spreadsheet times rarely carry an offset: read them in CFBOT_TIMEZONE, and say so
        assume_timezone = rt.settings.timezone
        click.echo(
            f"note: times without an offset are read in {assume_timezone} (CFBOT_TIMEZONE); "
            "use --assume-timezone to change",
            err=True,
        )
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        sample = handle.read(65536)
        handle.seek(0)
        # rows, from the average line length of the first 64 KiB
        newlines = sample.count(b"\n")
        line_length = max(1, len(sample) / newlines) if newlines else 1
        estimate = max(1, int(size / line_length))
        label = "checking" if dry_run else "importing"
        with click.progressbar(length=estimate, label=label, file=sys.stderr) as bar:
            try:
                report = import_csv(
                    rt,
                    handle,
                    source=source,
                    assume_zone=assume_timezone,
                    dry_run=dry_run,
                    progress=bar.update,
                    batch_size=batch_size,
                )
            except CsvFileError as exc:
                raise click.ClickException(f"{path}: {exc}") from exc
    for note in report.notes[:max_errors_shown]:
        click.echo(f"note: {note}", err=True)
    for rejected in report.rejected[:max_errors_shown]:
        click.echo(f"{path}: {rejected.format()}")
    if len(report.rejected) > max_errors_shown:
        click.echo(f"... and {len(report.rejected) - max_errors_shown} more rejected rows")
    verb = "would import" if dry_run else "imported"
    click.echo(
        f"{report.rows} rows: {verb} {report.created}, {report.duplicates} duplicates, "
        f"{len(report.rejected)} rejected (encoding {report.encoding})"
    )
    if report.rejected:
        sys.exit(1)
