"""Links in staff emails. They carry no credentials: an alert link opens the alert after
sign-in (see :mod:`cfbot.services.staff_auth`), and sign-in links are random single-use
tokens made by the mail job."""

from __future__ import annotations

from cfbot.runtime import Runtime

LOGIN_LINK_SECONDS = 15 * 60


def base_url(rt: Runtime) -> str:
    """The public address links in emails point to."""
    # unset: the demo's default address (the demo itself uses its --host/--port)
    return (rt.settings.public_url or "http://127.0.0.1:5000").rstrip("/")


def alert_link(rt: Runtime, alert_id: int) -> str:
    """The dashboard address of one alert (opens after sign-in)."""
    return f"{base_url(rt)}/dashboard/alerts/{alert_id}"
