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


def register_hardening(app: Flask, settings: Settings) -> None:
    """Install the database-down handler on ``app``."""
    for exc_type in (OperationalError, InterfaceError, PoolTimeoutError):
        app.register_error_handler(exc_type, database_unavailable)
