"""``cfbot tokens create|list|revoke``: bearer tokens for the visits API."""

from __future__ import annotations

import click

from cfbot.commands import cli_runtime


@click.group()
def tokens() -> None:
    """API tokens for POST /api/v1/visits (stored hashed; shown once)."""


@tokens.command("create")
@click.argument("name")
@click.option(
    "--expires-in",
    default="365d",
    show_default=True,
    help="Lifetime such as 90d or 12h; 'never' for no expiry.",
)
def create(name: str, expires_in: str) -> None:
    """Create a token called NAME and print it (the only time it is shown)."""
    from cfbot.flows.model import parse_duration
    from cfbot.services.tokens import create_token

    lifetime = None
    if expires_in.strip().lower() != "never":
        try:
            lifetime = parse_duration(expires_in)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--expires-in") from exc
    try:
        new = create_token(cli_runtime(log=False), name, lifetime)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    until = new.expires_at.strftime("%Y-%m-%d %H:%M UTC") if new.expires_at else "never"
    click.echo(
        f"token {new.id} ({new.name}), expires {until}. Store it now; it is not shown again:"
    )
    click.echo(new.secret)


@tokens.command("list")
def list_() -> None:
    """List tokens (name, prefix, dates; never the secret)."""
    from cfbot.services.tokens import list_tokens

    def fmt(value: object) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"  # type: ignore[attr-defined]  # value is a datetime or None

    for t in list_tokens(cli_runtime(log=False)):
        state = "revoked" if t.revoked_at else "active"
        click.echo(
            f"{t.id}\t{t.name}\t{t.prefix}…\t{state}\tcreated {fmt(t.created_at)}\t"
            f"expires {fmt(t.expires_at)}\tlast used {fmt(t.last_used_at)}"
        )


@tokens.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (see ``cfbot tokens list``)."""
    from cfbot.services.tokens import revoke_token

    if not revoke_token(cli_runtime(log=False), token_id):
        raise click.ClickException(f"no token {token_id}")
    click.echo(f"token {token_id} revoked")
