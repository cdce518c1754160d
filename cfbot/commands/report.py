"""``cfbot report phab``: the PHAB Measure 9.1.4 A evidence report as PDF and/or HTML."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cfbot.commands import cli_runtime, day_option


@click.group()
def report() -> None:
    """Printable reports."""


def _write(path: str, data: bytes) -> None:
    # write beside the target, then rename: a failed run leaves no half file
    target = Path(path)
    partial = target.with_name(f".{target.name}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


@report.command("phab")
@click.option("--from", "start", required=True, callback=day_option, metavar="YYYY-MM-DD",
              help="First day (inclusive), in the routing time zone.")  # fmt: skip
@click.option("--to", "end", required=True, callback=day_option, metavar="YYYY-MM-DD",
              help="Last day (inclusive).")  # fmt: skip
@click.option("--site", default=None, help="Only this site key (default: every site).")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False),
              help="PDF file to write.")  # fmt: skip
@click.option("--html", "html_out", default=None, type=click.Path(dir_okay=False),
              help="HTML file to write.")  # fmt: skip
@click.option("--lang", default="en", show_default=True, help="Report language (en or es).")
def phab(
    start: object,
    end: object,
    site: str | None,
    out: str | None,
    html_out: str | None,
    lang: str,
) -> None:
    """Write the PHAB 9.1.4 A customer-satisfaction evidence report for --from..--to:
    the written process (surveys, exact questions per language, invitation rules),
    volumes and response rates, results by program and over time, what clients said,
    alerts with the actions taken, and what was changed."""
    from cfbot.reports.phab import ReportError, build_report, render_html, render_pdf

    if out is None and html_out is None:
        raise click.UsageError("give --out FILE.pdf and/or --html FILE.html")
    rt = cli_runtime(log=False)
    try:
        data = build_report(rt, start, end, site)  # type: ignore[arg-type]  # click callback gives a date for the required option
    except ReportError as exc:
        raise click.BadParameter(str(exc), param_hint="'--from' / '--to'") from None
    html = render_html(data, lang)
    if html_out:
        _write(html_out, html.encode("utf-8"))
        click.echo(f"wrote {html_out}")
    if out:
        _write(out, render_pdf(html))
        click.echo(f"wrote {out}")
