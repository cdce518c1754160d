"""``cfbot export answers``: survey answers as CSV or XLSX for analysts."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from cfbot.commands import cli_runtime, day_option


@click.group()
def export() -> None:
    """Export survey data to spreadsheet files."""


@export.command("answers")
@click.option(
    "--from",
    "start",
    required=True,
    callback=day_option,
    metavar="YYYY-MM-DD",
    help="First day (inclusive), a calendar day in CFBOT_TIMEZONE.",
)
@click.option(
    "--to",
    "end",
    required=True,
    callback=day_option,
    metavar="YYYY-MM-DD",
    help="Last day (inclusive), a calendar day in CFBOT_TIMEZONE.",
)
@click.option("--site", default=None, help="Only answers from this site key (e.g. northside).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="File format [default: from the --out extension, else csv].",
)
@click.option(
    "--with-phones",
    is_flag=True,
    help="Write full phone numbers (personal data!) instead of masked ones.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write ('-' writes CSV to standard output).",
)
@click.option(
    "--batch-size",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Answers read from the database at a time.",
)
def answers(
    start: object,
    end: object,
    site: str | None,
    fmt: str | None,
    with_phones: bool,
    out: str,
    batch_size: int,
) -> None:
    """Write one row per answer given between --from and --to to --out.

    Dates are calendar days in the service time zone, CFBOT_TIMEZONE (default
    America/Chicago): --from 2026-03-01 --to 2026-03-31 covers local midnight March 1 up
    to local midnight April 1. Times in the file (answered_at) are UTC, ISO 8601.

    Each row has the conversation, flow id and version, channel, site, program, language,
    question id, the question text exactly as the client saw it, the raw answer, the
    parsed value, sentiment and needs_review. Phones are masked unless --with-phones.
    Text that a spreadsheet would run as a formula (starting with = + - @, tab or
    carriage return) is prefixed with a single quote.
    """
    from cfbot.services.exports import ExportError, ExportQuery, write_export

    if start > end:  # type: ignore[operator]  # click callbacks give datetimes
        raise click.BadParameter(
            f"--from {start} is after --to {end}", param_hint="'--from' / '--to'"
        )
    if fmt is None:
        fmt = "xlsx" if out.lower().endswith(".xlsx") else "csv"
    if out == "-" and fmt != "csv":
        raise click.BadParameter("only CSV can be written to standard output", param_hint="--out")
    rt = cli_runtime(log=False)
    try:
        query = ExportQuery(
            start=start,  # type: ignore[arg-type]  # click callbacks give datetimes
            end=end,  # type: ignore[arg-type]  # click callbacks give datetimes
            timezone=rt.settings.timezone,
            site=site or None,
            with_phones=with_phones,
            batch_size=batch_size,
        )
    except ExportError as exc:
        raise click.UsageError(f"--from/--to: {exc}") from None
    if with_phones:
        click.echo("warning: the file holds full phone numbers; store it securely", err=True)
    if out == "-":
        count = write_export(rt.engine, query, sys.stdout.buffer, fmt)
    else:
        # write beside the target, then rename: a failed export leaves no half file
        target = Path(out)
        partial = target.with_name(f".{target.name}.part")
        try:
            with open(partial, "wb") as handle:
                count = write_export(rt.engine, query, handle, fmt)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    where = "standard output" if out == "-" else out
    scope = f" at site {site}" if site else ""
    from cfbot.services import audit

    audit.record(
        rt,
        os.environ.get("USER", "cli"),
        "export_with_phones" if with_phones else "export",
        target=f"answers:{site or '*'}",
        detail=f"{count} answers {query.start}..{query.end} as {fmt}",
    )
    click.echo(
        f"exported {count} answers{scope} from {query.start} to {query.end} "
        f"({rt.settings.timezone}) to {where} as {fmt}",
        err=out == "-",
    )
