"""Signed links in emails: one alert's dashboard page, and the staff sign-in link."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cfbot.runtime import Runtime
from cfbot.services.routing import get_routing

LOGIN_LINK_SECONDS = 15 * 60
_ALERT_SALT = "cfbot-alert-link"
_LOGIN_SALT = "cfbot-staff-login"


def _serializer(rt: Runtime, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(rt.settings.secret_key, salt=salt)


def alert_token(rt: Runtime, alert_id: int) -> str:
    """A signed token that opens one alert in the dashboard."""
    return _serializer(rt, _ALERT_SALT).dumps({"a": alert_id})


def verify_alert_token(rt: Runtime, token: str, alert_id: int) -> bool:
    """True when ``token`` was issued for ``alert_id`` and has not expired."""
    max_age = int(rt.settings.alert_link_days * 86400)
    try:
        data = _serializer(rt, _ALERT_SALT).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return False
    return isinstance(data, dict) and data.get("a") == alert_id


def login_token(rt: Runtime, email: str) -> str:
    """A signed, short-lived dashboard login token for a staff address."""
    return _serializer(rt, _LOGIN_SALT).dumps({"e": email.strip().lower()})


def verify_login_token(rt: Runtime, token: str) -> str | None:
    """The staff address a login token was issued to, if valid, fresh and still listed."""
    try:
        data = _serializer(rt, _LOGIN_SALT).loads(token, max_age=LOGIN_LINK_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    email = data.get("e") if isinstance(data, dict) else None
    # removing an address from routing.yaml must also void links already sent to it
    if not isinstance(email, str) or not get_routing(rt).is_staff(email):
        return None
    return email


def base_url(rt: Runtime) -> str:
    """The public address links in emails point to."""
    # unset: the demo's default address (the demo itself uses its --host/--port)
    return (rt.settings.public_url or "http://127.0.0.1:5000").rstrip("/")


def alert_link(rt: Runtime, alert_id: int) -> str:
    """The signed dashboard link to one alert."""
    return f"{base_url(rt)}/dashboard/alerts/{alert_id}?token={alert_token(rt, alert_id)}"


def login_link(rt: Runtime, email: str) -> str:
    """The magic-link URL that logs ``email`` into the dashboard."""
    return f"{base_url(rt)}/dashboard/login/{login_token(rt, email)}"
