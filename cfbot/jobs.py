"""The clock: a declarative list of periodic jobs with stable ids, and run_scheduler().

Per-contact timing lives in indexed columns (``Invitation.send_at``,
``Conversation.next_wake_at``, ``Message.next_attempt_at``) polled by these few interval
jobs, not in thousands of stored scheduler jobs. Every job takes ``(rt, now)``, is
idempotent, and runs only in the elected leader (:mod:`cfbot.services.leader`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cfbot.runtime import Runtime
from cfbot.services.leader import Leader

log = logging.getLogger(__name__)

DISPATCH_EVERY = 5.0
# leave a little of each dispatch interval free so ticks do not pile up
DISPATCH_BUDGET = DISPATCH_EVERY - 1.0


@dataclass(frozen=True)
class Job:
    """One periodic job: a stable id, what it calls, and how often (seconds)."""

    id: str
    func: Callable[[Runtime, datetime], Any]
    every: float
    description: str


# --------------------------------------------------------------------------- job bodies


def dispatch_outbox(rt: Runtime, now: datetime) -> Any:
    """Send due outbox messages, paced, for most of one interval."""
    from cfbot.services.outbox import dispatch_outbox as dispatch

    return dispatch(rt, now, budget_seconds=DISPATCH_BUDGET)


def send_invitations(rt: Runtime, now: datetime) -> Any:
    """Start the surveys whose invitations are due."""
    from cfbot.services.invitations import send_due_invitations

    return send_due_invitations(rt, now)


def conversation_timers(rt: Runtime, now: datetime) -> Any:
    """Reminders and expiry of open surveys (their messages wait for quiet hours)."""
    from cfbot.services.timers import run_due_timers

    return run_due_timers(rt, now)


def process_inbound(rt: Runtime, now: datetime) -> Any:
    """Process stored inbound messages whose request failed (after a grace period)."""
    from cfbot.services.inbound import process_stored_inbound

    return process_stored_inbound(rt, now)


def recover_outbox(rt: Runtime, now: datetime) -> Any:
    """Mark messages stuck in "sending" as unknown (never resent)."""
    from cfbot.services.outbox import recover_stuck

    return recover_stuck(rt, now)


def escalate_alerts(rt: Runtime, now: datetime) -> Any:
    """Escalate alerts nobody acted on."""
    from cfbot.services.alerts import escalate_due

    return escalate_due(rt, now)


def send_alert_mail(rt: Runtime, now: datetime) -> Any:
    """Send queued alert, escalation and digest emails (retried while SMTP is down)."""
    from cfbot.services.alerts import send_pending_mail

    return send_pending_mail(rt, now)


def send_sign_in_links(rt: Runtime, now: datetime) -> Any:
    """Turn sign-in requests into emailed single-use links (unknown addresses: dropped)."""
    from cfbot.services.alerts import send_pending_mail
    from cfbot.services.staff_auth import process_sign_in_requests

    if process_sign_in_requests(rt, now):
        return send_pending_mail(rt, now)
    return 0


def daily_digest(rt: Runtime, now: datetime) -> Any:
    """Send staff digests that are due (the alerts service decides when)."""
    from cfbot.services.alerts import send_digests

    return send_digests(rt, now)


def data_retention(rt: Runtime, now: datetime) -> Any:
    """Anonymise personal data older than ``CFBOT_RETENTION_DAYS`` (0: keep)."""
    from cfbot.services.retention import apply_retention

    return apply_retention(rt, now)


JOBS: tuple[Job, ...] = (
    Job("send_invitations", send_invitations, 30, "start surveys for due invitations"),
    Job("conversation_timers", conversation_timers, 60, "reminders and expiry"),
    Job("process_inbound", process_inbound, 30, "process stored messages whose request failed"),
    Job("dispatch_outbox", dispatch_outbox, DISPATCH_EVERY, "send queued messages, paced"),
    Job("recover_outbox", recover_outbox, 300, "flag messages stuck in sending"),
    Job("send_alert_mail", send_alert_mail, 30, "send queued staff emails, with retries"),
    Job("escalate_alerts", escalate_alerts, 60, "escalate unacknowledged alerts"),
    Job("send_sign_in_links", send_sign_in_links, 5, "email staff sign-in links"),
    Job("daily_digest", daily_digest, 900, "staff digests"),
    Job("data_retention", data_retention, 6 * 3600, "anonymise old personal data"),
)


def job_by_id(job_id: str) -> Job:
    """The job with this stable id (KeyError if none)."""
    for job in JOBS:
        if job.id == job_id:
            return job
    raise KeyError(job_id)


# --------------------------------------------------------------------------- running


def run_job(rt: Runtime, job: Job, leader: Leader | None, now: datetime | None = None) -> Any:
    """Run one job if this process leads (or ``leader`` is None); errors are logged."""
    now = now or rt.now()
    if leader is not None and not leader.check(now):
        log.debug("not the leader; %s skipped", job.id)
        return None
    try:
        # the clock runs for weeks: pick up admins' flow edits (last good version kept)
        rt.flows.reload_if_changed()
        return job.func(rt, now)
    except Exception:
        log.exception("job %s failed", job.id)
        return None


def run_once(
    rt: Runtime, leader: Leader | None = None, now: datetime | None = None, only: str | None = None
) -> dict[str, Any]:
    """Run every job (or ``only`` one) once, in order; returns each job's result."""
    results: dict[str, Any] = {}
    for job in JOBS:
        if only is None or job.id == only:
            results[job.id] = run_job(rt, job, leader, now)
    return results


def run_scheduler(rt: Runtime, stop: threading.Event | None = None) -> None:
    """Run the clock until interrupted (or ``stop`` is set). Blocks.

    A process that is not the leader stays idle: each job checks leadership first and
    the check retries the lock, so a standby takes over within one interval of the
    leader going away.
    """
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    leader = Leader(rt.engine, clock=rt.clock)
    scheduler: Any = BackgroundScheduler(timezone=UTC) if stop else BlockingScheduler(timezone=UTC)
    start = datetime.now(UTC)
    for i, job in enumerate(JOBS):
        scheduler.add_job(
            run_job,
            IntervalTrigger(seconds=job.every, timezone=UTC),
            args=(rt, job, leader),
            id=job.id,
            name=job.description,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(job.every)),
            # stagger the first runs so they do not all start in the same second
            next_run_time=start + timedelta(seconds=0.2 * i),
        )
    log.info("scheduler %s starting with %d jobs", leader.holder, len(JOBS))
    try:
        if stop is None:
            scheduler.start()
        else:
            scheduler.start()
            stop.wait()
            scheduler.shutdown(wait=True)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        leader.release()
        log.info("scheduler %s stopped", leader.holder)
