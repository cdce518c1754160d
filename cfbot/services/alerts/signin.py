"""Dashboard sign-in: email a magic link to an address routing.yaml lists as staff."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from cfbot.db import unit_of_work
from cfbot.runtime import Runtime
from cfbot.services.alerts.links import login_link
from cfbot.services.alerts.render import render_login_mail
from cfbot.services.mail_queue import queue_mail
from cfbot.services.routing import get_routing

log = logging.getLogger("cfbot.services.alerts")

# at most one sign-in email per address per this many seconds
LOGIN_MAIL_BUCKET_SECONDS = 300


def request_login(rt: Runtime, email: str, now: datetime | None = None) -> str | None:
    """Queue a magic-link login email for a staff address listed in routing.yaml.

    Returns the link (shown on the page in demo mode only), or None when the address is
    not staff. At most one login email per address per five minutes.
    """
    now = now or rt.now()
    address = email.strip().lower()
    if not address or not get_routing(rt).is_staff(address):
        log.info("dashboard login requested for an address not in routing.yaml")
        return None
    link = login_link(rt, address)
    rendered = render_login_mail(rt, link)
    bucket = int(now.timestamp() // LOGIN_MAIL_BUCKET_SECONDS)
    try:
        with unit_of_work(rt.engine) as session:
            queue_mail(
                session,
                purpose="login",
                recipients=[address],
                subject=rendered.subject,
                text=rendered.text,
                html_body=rendered.html,
                now=now,
                dedupe_key=f"login:{address}:{bucket}",
            )
    except IntegrityError:
        pass  # a link was sent to this address moments ago
    return link
