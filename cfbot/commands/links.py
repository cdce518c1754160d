"""``cfbot links``: printable posters and QR codes that bring clients to the survey."""

from __future__ import annotations

from pathlib import Path

import click

from cfbot.commands import cli_runtime


@click.group()
def links() -> None:
    """Posters and QR codes for surveys."""


@links.command("poster")
@click.option("--site", required=True, help="Site key from routing.yaml.")
@click.option("--flow", "flow_id", default=None, help="Flow id (default: the site's flow).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="FILE.pdf")
def poster(site: str, flow_id: str | None, out: str) -> None:
    """A one-page PDF poster: QR code to the web chat and the keyword in five languages."""
    from cfbot.services.printables import PrintableError, poster_for, poster_pdf

    if not out.lower().endswith(".pdf"):
        raise click.BadParameter("the poster is a PDF: --out must end in .pdf", param_hint="--out")
    rt = cli_runtime()
    try:
        made = poster_for(rt, site, flow_id)
    except PrintableError as exc:
        raise click.ClickException(str(exc)) from exc
    Path(out).write_bytes(poster_pdf(made))
    click.echo(f"wrote {out} ({made.url})")


@links.command("qr")
@click.option("--site", default=None, help="QR code to the web chat for this site.")
@click.option("--visit", "visit_id", type=int, default=None, help="QR code to a visit's link.")
@click.option("--flow", "flow_id", default=None, help="Flow id (with --site).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="FILE.png|svg")
def qr(site: str | None, visit_id: int | None, flow_id: str | None, out: str) -> None:
    """A QR code (PNG or SVG) for a visit summary or a site."""
    from cfbot.services.printables import PrintableError, poster_for, qr_code, visit_url

    if (site is None) == (visit_id is None):
        raise click.UsageError("give exactly one of --site or --visit")
    kind = Path(out).suffix.lower().lstrip(".")
    rt = cli_runtime()
    try:
        url = visit_url(rt, visit_id) if visit_id is not None else poster_for(rt, site, flow_id).url  # type: ignore[arg-type]  # site is given when visit_id is not (checked above)
        data = qr_code(url, kind)
    except PrintableError as exc:
        raise click.ClickException(str(exc)) from exc
    Path(out).write_bytes(data)
    click.echo(f"wrote {out} ({url})")
