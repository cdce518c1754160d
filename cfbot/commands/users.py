"""``cfbot users create|list|disable|enable|import-routing``: dashboard accounts."""

from __future__ import annotations

import click

from cfbot.commands import cli_runtime


@click.group()
def users() -> None:
    """Dashboard accounts and roles (routing.yaml says who is alerted; accounts say who
    may see and do what; see docs/roles.md)."""


@users.command("create")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "manager", "staff", "viewer"]),
    help="What the account may do.",
)
@click.option("--site", "sites", multiple=True, help="A site key (repeat; none = every site).")
@click.option("--program", "programs", multiple=True, help="A program key (repeat; staff).")
def create(email: str, role: str, sites: tuple[str, ...], programs: tuple[str, ...]) -> None:
    """Create EMAIL's account, or change its role and sites (re-enabling it)."""
    from cfbot.services.accounts import AccountError, save_user

    try:
        user = save_user(cli_runtime(), email, role, sites, programs, actor="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{user.email}: {user.role}, sites {','.join(user.sites) or '*'}"
        + (f", programs {','.join(user.programs)}" if user.programs else "")
    )


@users.command("list")
def list_() -> None:
    """List accounts: email, role, sites, programs, state."""
    from cfbot.services.accounts import list_users

    for u in list_users(cli_runtime(log=False)):
        state = "disabled" if u.disabled else "active"
        click.echo(
            f"{u.email}\t{u.role}\t{','.join(u.sites) or '*'}\t{','.join(u.programs) or '-'}\t{state}"
        )


def _set_disabled(email: str, disabled: bool) -> None:
    from cfbot.services.accounts import AccountError, set_disabled

    try:
        found = set_disabled(cli_runtime(), email, disabled, actor="cli")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    if not found:
        raise click.ClickException(f"no account for {email}")


@users.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Disable EMAIL's account; every session it has ends at once."""
    _set_disabled(email, True)
    click.echo(f"{email.strip().lower()}: disabled, sessions ended")


@users.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Re-enable a disabled account."""
    _set_disabled(email, False)
    click.echo(f"{email.strip().lower()}: enabled")


@users.command("import-routing")
def import_routing_command() -> None:
    """Create accounts for routing.yaml's addresses that have none (site staff -> manager
    of the site, program lists -> staff, default/on-call/escalation -> manager of every
    site; never admin)."""
    from cfbot.services.accounts import import_routing

    created = import_routing(cli_runtime(), actor="cli")
    for line in created:
        click.echo(line)
    click.echo(f"{len(created)} account(s) created")
