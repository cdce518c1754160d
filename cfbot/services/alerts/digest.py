"""Daily digests: once a day per site, yesterday's alerts and the cases still open."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cfbot.db import unit_of_work
from cfbot.models import Alert, MailOut
from cfbot.runtime import Runtime
from cfbot.services.alerts.render import render_digest
from cfbot.services.mail_queue import queue_mail
from cfbot.services.routing import Routing, get_routing

log = logging.getLogger("cfbot.services.alerts")

# the dedupe key's site part for alerts without a (known) site
NO_SITE = "_none"


def send_digests(rt: Runtime, now: datetime | None = None) -> int:
    """Once a day per site (after ``CFBOT_ALERT_DIGEST_HOUR`` local time), queue a digest of
    yesterday's alerts and the cases still open. Idempotent: the date sent is remembered."""
    now = now or rt.now()
    routing = get_routing(rt)
    tz = routing.tz
    local = now.astimezone(tz)
    if local.hour < rt.settings.alert_digest_hour:
        return 0
    day = local.date() - timedelta(days=1)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(local.date(), time(0), tzinfo=tz)
    queued = 0
    site_keys: list[str | None] = [*routing.sites.keys(), None]
    with unit_of_work(rt.engine) as session:
        for site in site_keys:
            key = f"digest:{site or NO_SITE}:{day.isoformat()}"
            if session.exec(select(MailOut.id).where(MailOut.dedupe_key == key)).first():
                continue
            yesterday = _site_alerts(session, routing, site, start=start, end=end)
            still_open = _site_alerts(session, routing, site, open_only=True)
            if not yesterday and not still_open:
                continue
            recipients = routing.digest_for(site)
            if not recipients:
                log.warning("no digest recipients for site %s", site or "(none)")
                continue
            rendered = render_digest(rt, routing, site, day, yesterday, still_open, now)
            try:
                with session.begin_nested():
                    queue_mail(
                        session,
                        purpose="digest",
                        recipients=recipients,
                        subject=rendered.subject,
                        text=rendered.text,
                        html_body=rendered.html,
                        now=now,
                        dedupe_key=key,
                    )
            except IntegrityError:
                continue  # another clock queued it first
            queued += 1
    return queued


def _site_alerts(
    session: Session,
    routing: Routing,
    site: str | None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    open_only: bool = False,
) -> list[Alert]:
    stmt = select(Alert)
    if site is None:
        # alerts of sites routing.yaml no longer lists must still reach someone
        known = list(routing.sites.keys())
        stmt = stmt.where(or_(col(Alert.site).is_(None), col(Alert.site).not_in(known)))
    else:
        stmt = stmt.where(Alert.site == site)
    if start is not None:
        stmt = stmt.where(col(Alert.created_at) >= start)
    if end is not None:
        stmt = stmt.where(col(Alert.created_at) < end)
    if open_only:
        stmt = stmt.where(col(Alert.status).in_(("open", "acknowledged")))
    return list(session.exec(stmt.order_by(col(Alert.id)).limit(500)).all())
