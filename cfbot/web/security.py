"""Small web-security helpers: CSRF tokens for forms and same-origin JSON posts."""

from __future__ import annotations

import hmac
import secrets

from flask import abort, request, session


def csrf_token() -> str:
    """The session's CSRF token (created on first use)."""
    token = session.get("_csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["_csrf"] = token
    return str(token)


def check_csrf() -> None:
    """Abort 400 unless the request carries the session's token (form field or header)."""
    expected = session.get("_csrf")
    given = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    if not expected or not hmac.compare_digest(str(expected), str(given)):
        abort(400, description="Your session has expired. Please reload the page.")
