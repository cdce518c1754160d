"""App-wide defences: a fast 503 when the database is down, and security headers."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from cfbot.config import Settings

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def _wants_json() -> bool:
    path = request.path
    return (
        path.startswith("/api/")
        or path == "/healthz"
        or request.is_json
        or request.headers.get("X-Requested-With") == "fetch"
        or request.accept_mimetypes.best == "application/json"
    )


def database_unavailable(exc: Exception) -> Response:
    """503 (JSON for APIs, text for pages) when the database refuses, times out or hangs."""
    log.error("database unavailable: %s", type(exc).__name__)
    if _wants_json():
        response = jsonify(
            error="database_unavailable",
            message="the database is not answering; try again shortly",
        )
    else:
        response = Response(
            "The service is briefly unavailable. Please try again in a minute.",
            mimetype="text/plain",
        )
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


# no inline script or style anywhere: templates load cfbot.css and chat.js from /static
CSP_BASE = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
)
NO_STORE_PREFIXES = ("/chat", "/dashboard", "/dev")


def _is_chat(path: str) -> bool:
    return path == "/chat" or path.startswith("/chat/")


def security_headers(response: Response, widget_origins: tuple[str, ...]) -> Response:
    """Add CSP, nosniff, Referrer-Policy, framing rules and no-store to one response."""
    path = request.path
    if _is_chat(path):
        ancestors = " ".join(("'self'", *widget_origins))
        if not widget_origins:
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    else:
        ancestors = "'none'"
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy", "; ".join((*CSP_BASE, f"frame-ancestors {ancestors}"))
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if path.startswith(NO_STORE_PREFIXES) and not path.startswith("/static"):
        # client answers and staff pages stay out of shared and back-button caches
        response.headers["Cache-Control"] = "no-store"
    return response


def register_hardening(app: Flask, settings: Settings) -> None:
    """Install the database-down handler and the security headers on ``app``."""
    for exc_type in (OperationalError, InterfaceError, PoolTimeoutError):
        app.register_error_handler(exc_type, database_unavailable)
    origins = tuple(settings.widget_origins)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        return security_headers(response, origins)
