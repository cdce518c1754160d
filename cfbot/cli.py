"""The ``cfbot`` command line. Each command builds only what it needs."""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from cfbot.config import ConfigError, Settings


def _settings(**overrides: object) -> Settings:
    try:
        return Settings.from_env(None, **overrides)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cfbot")
def cli() -> None:
    """cfbot: multilingual customer-feedback surveys over SMS and web chat."""


# --------------------------------------------------------------------------- db


@cli.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from cfbot import migrate
    from cfbot.config import mask_url

    settings = _settings()
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database at {mask_url(settings.database_url)} is at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION."""
    from cfbot import migrate

    migrate.downgrade(_settings().database_url, revision)


@db.command("current")
def db_current() -> None:
    """Show the schema revision the database is at."""
    from cfbot import migrate

    migrate.current(_settings().database_url)


# --------------------------------------------------------------------------- flows


@cli.group()
def flows() -> None:
    """Check, test and list survey flows."""


def _flow_paths(paths: tuple[str, ...]) -> list[str]:
    return list(paths) or [_settings().conversations_dir]


@flows.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--strict", is_flag=True, help="Treat warnings (e.g. missing translations) as errors."
)
@click.option("--quiet", "-q", is_flag=True, help="Only print problems, not the SMS segment table.")
@click.option(
    "--price-per-segment",
    type=click.FloatRange(min=0),
    default=None,
    help="US$ per SMS segment for the cost estimate (default CFBOT_SMS_PRICE_PER_SEGMENT).",
)
def flows_check(
    paths: tuple[str, ...], strict: bool, quiet: bool, price_per_segment: float | None
) -> None:
    """Validate flow files; print FILE:LINE:COL: problems; exit 1 on errors."""
    from cfbot.flow_check import check_paths, format_report
    from cfbot.services.reach import routing_sites

    settings = _settings()
    report = check_paths(_flow_paths(paths), strict=strict, known_sites=routing_sites(settings))
    price = settings.sms_price_per_segment if price_per_segment is None else price_per_segment
    click.echo(format_report(report, segments=not quiet, price_per_segment=price))
    sys.exit(report.exit_code)


@flows.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--flows-dir", type=click.Path(), default=None, help="Where the flows live.")
def flows_test(paths: tuple[str, ...], flows_dir: str | None) -> None:
    """Run flow test cases (default: conversations/tests/*.yaml)."""
    from cfbot.flow_cases import case_files, run_case_files
    from cfbot.flow_store import load_directory
    from cfbot.services.reply_scoring import scorer

    directory = Path(flows_dir or _settings().conversations_dir)
    flow_set = load_directory(directory)
    for problem in flow_set.problems:
        click.echo(str(problem), err=True)
    tests_dir = directory / "tests"
    case_paths = case_files(list(paths) or ([tests_dir] if tests_dir.is_dir() else []))
    if not case_paths:
        raise click.ClickException(f"no test case files found under {directory / 'tests'}")
    report = run_case_files(case_paths, flow_set, scorer=scorer)
    click.echo(report.format())
    sys.exit(report.exit_code)


@flows.command("list")
def flows_list() -> None:
    """List loaded flows with their languages and keywords."""
    from cfbot.flow_store import load_directory

    flow_set = load_directory(Path(_settings().conversations_dir))
    for flow in flow_set.flows.values():
        words = ", ".join(f"{lang}: {'/'.join(ws)}" for lang, ws in flow.keywords.items())
        click.echo(f"{flow.id}\t{flow.name}\t{','.join(flow.languages)}\t{words}")
    for problem in flow_set.problems:
        click.echo(str(problem), err=True)


# --------------------------------------------------------------------------- chat


@cli.command("chat")
@click.argument("flow_id")
@click.option("--lang", default=None, help="Language code: en, es, so, hmn or vi.")
@click.option("--name", "first_name", default="", help="First name for {first_name}.")
@click.option("--site", default="", help="Site name for {site}.")
def chat(flow_id: str, lang: str | None, first_name: str, site: str) -> None:
    """Take a survey in the terminal through the same engine the bot uses.

    Type answers as a client would. Commands: /tick DURATION (let time pass, e.g.
    /tick 5h), /lang CODE, /quit. When stdin is not a terminal, each line is one client
    message and each bot message is printed on a line starting with "bot> ".
    """
    from cfbot.flow_store import load_directory
    from cfbot.flows import engine
    from cfbot.flows.events import AnswerRecorded, MsgOut
    from cfbot.flows.model import parse_duration
    from cfbot.services.reply_scoring import scorer

    settings = _settings()
    flow_set = load_directory(Path(settings.conversations_dir))
    flow = flow_set.flows.get(flow_id)
    if flow is None:
        known = ", ".join(sorted(flow_set.flows)) or "none"
        # a flow whose file has errors is not loaded: say why rather than "no flow"
        broken = [str(p) for p in flow_set.problems if p.severity == "error"]
        why = ("\nfiles that failed to load:\n  " + "\n  ".join(broken)) if broken else ""
        raise click.ClickException(f"no flow {flow_id!r} (loaded: {known}){why}")
    if lang is not None and lang not in flow.languages:
        raise click.BadParameter(
            f"{lang!r} is not one of this flow's languages ({', '.join(flow.languages)})",
            param_hint="--lang",
        )
    interactive = sys.stdin.isatty()
    now = datetime.now(UTC)
    context = {k: v for k, v in {"first_name": first_name, "site": site}.items() if v}

    def show(sprint: engine.Sprint) -> None:
        for event in sprint.events:
            if isinstance(event, MsgOut):
                for line in event.text.splitlines() or [""]:
                    click.echo(f"bot> {line}")
            elif isinstance(event, AnswerRecorded) and interactive:
                click.secho(f"      [stored {event.question_id} = {event.value!r}]", dim=True)

    sprint = engine.start(flow, now, lang=lang, context=context)
    show(sprint)
    state = sprint.state
    while state.get("status") == "active":
        try:
            line = input("you> " if interactive else "")
        except EOFError:
            break
        line = line.rstrip("\n")
        if line.startswith("/"):
            cmd, _, arg = line[1:].partition(" ")
            if cmd == "quit":
                break
            if cmd == "tick":
                try:
                    now += parse_duration(arg.strip() or "1h")
                except ValueError as exc:
                    click.echo(f"error: {exc}", err=True)
                    continue
                sprint = engine.resume(flow, state, None, now, scorer=scorer)
            elif cmd == "lang":
                sprint = engine.switch_language(flow, state, arg.strip(), now)
            else:
                click.echo("commands: /tick DURATION, /lang CODE, /quit", err=True)
                continue
        else:
            now += timedelta(seconds=30)
            sprint = engine.resume(flow, state, line, now, scorer=scorer)
        show(sprint)
        state = sprint.state
    if interactive:
        click.secho(f"[survey {state.get('status')}; answers: {state.get('answers')}]", dim=True)
    from cfbot.services.alerts.rules import fired_rules

    fired = fired_rules(flow, state, settings.alert_sentiment_threshold)
    for rule in fired:
        click.echo(f"alert: {rule.reason} ({rule.severity}; {rule.source})", err=True)
    if not fired:
        click.echo("alert: none fired", err=True)


# --------------------------------------------------------------------------- demo / serve


@cli.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--clock/--no-clock",
    default=True,
    show_default=True,
    help="Also run the scheduler (invitations, reminders, outbox, alert mail) in-process.",
)
@click.option(
    "--seed/--no-seed",
    default=True,
    show_default=True,
    help="Fill an empty database once with 8 weeks of demo surveys, answers and alerts.",
)
def demo(host: str, port: int, clock: bool, seed: bool) -> None:
    """Start the demo: SQLite, sample flows, web chat and SMS simulator, no credentials."""
    busy = _port_in_use(host, port)
    if busy:
        free = next((p for p in range(port + 1, port + 50) if not _port_in_use(host, p)), None)
        hint = f"; try: cfbot demo --port {free}" if free else ""
        raise click.ClickException(
            f"port {port} on {host} is already in use (another cfbot demo?){hint}"
        )
    os.environ.setdefault("CFBOT_DEMO", "1")
    os.environ.setdefault("CFBOT_TWILIO_VALIDATE_SIGNATURE", "0")
    os.environ.setdefault("CFBOT_SMS_CHANNEL", "console")
    overrides: dict[str, object] = {"demo": True}
    if not os.environ.get("CFBOT_PUBLIC_URL"):
        # links in (console) staff emails point at the demo server itself
        overrides["public_url"] = f"http://{host}:{port}"
    if not os.environ.get("CFBOT_WIDGET_ORIGINS"):
        # the demo's sample agency page (/dev/widget) embeds the chat widget
        overrides["widget_origins"] = (f"http://{host}:{port}", f"http://localhost:{port}")
    settings = _settings(**overrides)
    if settings.is_production:
        raise click.ClickException("the demo cannot run with CFBOT_ENV=production")
    from cfbot import create_app, migrate
    from cfbot.config import mask_url

    migrate.upgrade(settings.database_url)
    app = create_app(settings)
    if seed:
        from cfbot.services.demo_data import seed_demo_data

        click.echo(seed_demo_data(app.extensions["cfbot"]).summary())
    from cfbot.services.accounts import demo_accounts

    demo_accounts(app.extensions["cfbot"])
    base = f"http://{host}:{port}"
    click.echo(f"cfbot demo: database {mask_url(settings.database_url)}")
    click.echo(f"  web chat:      {base}/chat")
    click.echo(f"  SMS simulator: {base}/dev/sms")
    click.echo(
        f"  staff dashboard: {base}/dashboard (demo shows the sign-in link; accounts from "
        "routing.yaml, and admin@example.org as admin)"
    )
    click.echo(f"  start page:    {base}/")
    click.echo("  (outbound SMS is printed here by the console transport; Ctrl+C stops)")
    if clock:
        from cfbot.services.invitation_list import demo_visit_example

        runtime = app.extensions["cfbot"]
        example = demo_visit_example(runtime, runtime.now())
        click.echo(
            f"  report a visit that is invited within a minute (local time in {example.zone}"
            " is inside the sending window):"
        )
        click.echo("    T=$(.venv/bin/cfbot tokens create demo | tail -1)")
        click.echo(f"    {example.curl(base)}")
        click.echo(
            "    .venv/bin/cfbot invitations list   # when each invitation goes out, and why"
        )
    stop = threading.Event()
    clock_thread: threading.Thread | None = None
    if clock:
        from cfbot.jobs import run_scheduler

        # one process for the demo: the clock runs beside the web server
        clock_thread = threading.Thread(
            target=run_scheduler, args=(app.extensions["cfbot"], stop), daemon=True
        )
        clock_thread.start()
    # on SIGTERM, stop like on Ctrl+C so the clock hands its lease back at once
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)
    finally:
        stop.set()
        if clock_thread is not None:
            clock_thread.join(timeout=10)


def _port_in_use(host: str, port: int) -> bool:
    """Whether something already listens on ``host:port`` (checked before the demo
    prints its URLs, so it never advertises a server that cannot start)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not busy
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _register_commands() -> None:
    """Command groups that live in their own modules."""
    from cfbot.commands.alerts import alerts
    from cfbot.commands.export import export
    from cfbot.commands.feedback import feedback
    from cfbot.commands.invitations import invitations
    from cfbot.commands.links import links
    from cfbot.commands.report import report
    from cfbot.commands.scheduler import scheduler
    from cfbot.commands.tokens import tokens
    from cfbot.commands.translations import translations
    from cfbot.commands.users import users
    from cfbot.commands.visits import visits

    for command in (
        translations,
        feedback,
        scheduler,
        visits,
        tokens,
        alerts,
        export,
        users,
        invitations,
        links,
        report,
    ):
        cli.add_command(command)


_register_commands()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="cfbot")
