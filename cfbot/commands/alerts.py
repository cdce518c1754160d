"""``cfbot alerts ...``: list alerts, check routing.yaml, send/retry mail, test SMTP.

Examples::

    cfbot alerts list --status open
    cfbot alerts check-routing
    cfbot alerts test-email someone@example.org
    cfbot alerts send            # send due emails now (the clock does this every minute)
    cfbot alerts escalate        # queue escalations that are due
    cfbot alerts digest          # queue today's digests (if past the digest hour)
    cfbot alerts retry-failed    # re-queue emails that failed permanently
    cfbot alerts login-link EMAIL
"""

from __future__ import annotations

from pathlib import Path

import click

from cfbot.commands import cli_runtime
from cfbot.config import Settings


@click.group()
def alerts() -> None:
    """Staff alerts: routing, email, escalation and digests."""


@alerts.command("list")
@click.option(
    "--status", type=click.Choice(["open", "acknowledged", "resolved", "all"]), default="open"
)
@click.option("--site", default=None, help="Only this site key.")
@click.option("--limit", default=50, show_default=True)
def list_command(status: str, site: str | None, limit: int) -> None:
    """Show alerts, newest first, with their email state (phones masked)."""
    from cfbot.services.alerts.views import alert_list

    page = alert_list(
        cli_runtime(), status=None if status == "all" else status, site=site, limit=limit
    )
    if not page.alerts:
        click.echo("no alerts")
        return
    click.echo(
        f"{'alert':<6} {'created (UTC)':<17} {'severity':<7} {'status':<12} {'site':<12} reason"
    )
    for a in page.alerts:
        delayed = page.delayed.get(a.id)
        mail = f"  EMAIL DELAYED since {delayed:%Y-%m-%d %H:%M}Z" if delayed else ""
        click.echo(
            f"#{a.id:<5} {a.created_at:%Y-%m-%d %H:%M}Z {a.severity:<7} {a.status:<12} "
            f"{a.site or '-':<12} {a.reason}{mail}"
        )


@alerts.command("check-routing")
@click.argument("path", required=False, type=click.Path())
def check_routing(path: str | None) -> None:
    """Validate routing.yaml (default: the configured one); exit 1 on errors."""
    from cfbot.services.routing import RoutingError, load_routing, routing_path

    settings = Settings.from_env()
    target = Path(path) if path else routing_path(settings)
    if not target.exists():
        raise click.ClickException(f"{target}: no such file")
    try:
        routing = load_routing(target, settings.timezone)
    except RoutingError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise SystemExit(1) from exc
    click.echo(
        f"{target}: ok ({len(routing.sites)} site(s), {len(routing.all_staff())} address(es), "
        f"on call: {', '.join(routing.on_call) or 'nobody'})"
    )
    if not routing.on_call:
        click.echo("warning: no on_call list; crisis alerts go to escalation/default", err=True)
    for warning in routing.warnings:
        click.echo(str(warning), err=True)


@alerts.command("test-email")
@click.argument("to")
def test_email(to: str) -> None:
    """Send a test email through SMTP_URL right now and report the result."""
    from cfbot.config import mask_url
    from cfbot.services.mailer import MailError, build_message, get_mailer

    rt = cli_runtime()
    mailer = get_mailer(rt)
    message = build_message(
        sender=rt.settings.mail_from,
        recipients=[to],
        subject=f"cfbot test email ({rt.settings.program_name})",
        text="This is a test email from cfbot. If you can read it, alert emails will reach you.",
        html="<p>This is a test email from cfbot. If you can read it, alert emails will reach you.</p>",
    )
    try:
        refused = mailer.send(message)
    except MailError as exc:
        raise click.ClickException(
            f"not sent via {mailer.name} ({mask_url(rt.settings.smtp_url)}): {exc}"
        ) from exc
    if refused:
        raise click.ClickException(f"server refused: {', '.join(refused)}")
    click.echo(f"sent via {mailer.name} to {to}")


@alerts.command("send")
def send_command() -> None:
    """Send due emails from the mail outbox once."""
    from cfbot.services.alerts import send_pending_mail

    click.echo(f"sent {send_pending_mail(cli_runtime())} email(s)")


@alerts.command("escalate")
def escalate_command() -> None:
    """Queue escalation emails for alerts past their deadline."""
    from cfbot.services.alerts import escalate_due

    click.echo(f"escalated {escalate_due(cli_runtime())} alert(s)")


@alerts.command("digest")
def digest_command() -> None:
    """Queue daily digests that are due."""
    from cfbot.services.alerts import send_digests

    click.echo(f"queued {send_digests(cli_runtime())} digest(s)")


@alerts.command("retry-failed")
def retry_failed_command() -> None:
    """Put emails that failed permanently back in the queue."""
    from cfbot.services.mail_queue import retry_failed_mail

    click.echo(f"re-queued {retry_failed_mail(cli_runtime())} email(s)")


@alerts.command("login-link")
@click.argument("email")
def login_link_command(email: str) -> None:
    """Print a single-use, 15-minute sign-in link for an enabled account (for admins)."""
    from cfbot.services.staff_auth import issue_link

    link = issue_link(cli_runtime(), email)
    if link is None:
        raise click.ClickException(f"{email} has no enabled account (see cfbot users)")
    click.echo(link)
