"""``cfbot scheduler``: the clock process (Procfile ``clock:``), plus helpers.

``cfbot scheduler`` runs every job on its interval in the elected leader;
``cfbot scheduler --once`` runs each job once (cron, tests); ``cfbot scheduler jobs``
lists them; ``cfbot scheduler dispatch`` runs an extra outbox dispatcher (no leadership
needed: claims are row-locked and the pace is shared).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from typing import Any

import click

from cfbot.commands import cli_runtime


@click.group(invoke_without_command=True)
@click.option("--once", is_flag=True, help="Run every job once and exit (if this process leads).")
@click.option("--job", "only", default=None, help="With --once: run only this job id.")
@click.option("--force", is_flag=True, help="With --once: run even if another scheduler leads.")
@click.option("--json", "as_json", is_flag=True, help="With --once: one JSON object of results.")
@click.pass_context
def scheduler(ctx: click.Context, once: bool, only: str | None, force: bool, as_json: bool) -> None:
    """Run the clock: outbox dispatch, invitations, reminders/expiry, alerts, retention."""
    if ctx.invoked_subcommand is not None:
        return
    from cfbot import jobs
    from cfbot.services.leader import Leader

    if only is not None:
        try:
            jobs.job_by_id(only)
        except KeyError as exc:
            known = ", ".join(j.id for j in jobs.JOBS)
            raise click.ClickException(f"no job {only!r} (known: {known})") from exc
    rt = cli_runtime()
    if once:
        leader = None if force else Leader(rt.engine, clock=rt.clock)
        if leader is not None and not leader.check():
            # cron must be able to tell: a distinct exit code, not a silent success
            click.echo(
                "another scheduler is the leader; nothing run (use --force to run anyway)",
                err=True,
            )
            sys.exit(NOT_LEADER_EXIT)
        try:
            results = jobs.run_once(rt, None, only=only)
        finally:
            if leader is not None:
                leader.release()
        if as_json:
            click.echo(json.dumps({k: _jsonable(v) for k, v in results.items()}, default=str))
            return
        for job_id, result in results.items():
            click.echo(f"{job_id}: {plain(result)}")
        return
    jobs.run_scheduler(rt)


# ``--once`` when another scheduler leads (EX_TEMPFAIL: try again later)
NOT_LEADER_EXIT = 75


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def plain(value: Any) -> str:
    """A job's result in plain words: ``sent 3, skipped 1`` rather than a Python repr."""
    value = _jsonable(value)
    if value is None:
        return "done"
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if isinstance(item, dict):
                item = ", ".join(f"{k} {v}" for k, v in item.items()) or "none"
                parts.append(f"{key.replace('_', ' ')}: {item}")
            elif isinstance(item, list | tuple):
                parts.append(f"{key.replace('_', ' ')} {len(item)}")
            else:
                parts.append(f"{key.replace('_', ' ')} {item}")
        return ", ".join(parts) or "nothing to do"
    return str(value)


@scheduler.command("jobs")
def list_jobs() -> None:
    """List the clock's jobs with their stable ids and intervals."""
    from cfbot import jobs

    for job in jobs.JOBS:
        click.echo(f"{job.id:22} every {job.every:>6g}s  {job.description}")


@scheduler.command("dispatch")
@click.option("--forever", is_flag=True, help="Keep dispatching every few seconds.")
@click.option("--budget", default=4.0, show_default=True, help="Seconds per round.")
def dispatch(forever: bool, budget: float) -> None:
    """Dispatch the outbox (an extra dispatcher beside the clock; safe to run several)."""
    from cfbot.services.outbox import dispatch_outbox

    rt = cli_runtime()
    log = logging.getLogger("cfbot.dispatch")
    while True:
        report = dispatch_outbox(rt, budget_seconds=budget)
        log.info(
            "dispatched: %d sent, %d retried, %d failed, %d cancelled, %d deferred",
            report.sent,
            report.retried,
            report.failed,
            report.cancelled,
            report.deferred,
        )
        if not forever:
            click.echo(f"sent {report.sent}, retried {report.retried}, failed {report.failed}")
            return
        if report.sent == 0:
            time.sleep(1.0)
