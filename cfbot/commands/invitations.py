"""``cfbot invitations list``: scheduled and skipped invitations, when and why."""

from __future__ import annotations

import json

import click

from cfbot.commands import cli_runtime

STATUSES = ("scheduled", "waiting", "sent", "skipped")


@click.group()
def invitations() -> None:
    """Survey invitations made from visits."""


@invitations.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only these statuses (repeatable); default: all.",
)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_(statuses: tuple[str, ...], limit: int, as_json: bool) -> None:
    """List invitations, latest send time first: status, send time (UTC and the
    client's local time), and why it goes out then or why it was skipped."""
    from cfbot.services.invitation_list import list_invitations

    rows = list_invitations(cli_runtime(log=False), statuses, limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(row.as_dict()))
        return
    if not rows:
        click.echo("no invitations yet (visits come from the visits API or `visits import`)")
        return
    click.echo("id\tstatus\tflow\tphone\tsend at (UTC)\tlocal time\twhy")
    for row in rows:
        click.echo(
            f"{row.id}\t{row.status}\t{row.flow_id}\t{row.phone}\t"
            f"{row.send_at:%Y-%m-%d %H:%M}\t{row.local_send_at:%H:%M} {row.zone}\t{row.why}"
        )
