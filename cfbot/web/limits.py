"""Rate limits for anonymous and sign-in endpoints (Flask-Limiter).

Counters live in Redis when ``REDIS_URL`` is set, so every web process shares them;
otherwise in the process's memory (development, tests, one-process demos). The Twilio
webhooks are never limited here: Twilio must never get a 429 (it would drop or retry
the client's message); abuse over SMS is handled in the conversation itself.
"""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse
from werkzeug.wrappers import Response

from cfbot.config import Settings


def client_ip() -> str:
    """The caller's address (ProxyFix has already applied X-Forwarded-For in production)."""
    return request.remote_addr or "unknown"


# One limiter object shared by the blueprints' decorators; each app binds it to its own
# storage in init_limits().
limiter = Limiter(key_func=client_ip, default_limits=[], headers_enabled=True)


def over_webchat_limits(settings: Settings) -> bool:
    """Count one anonymous web-chat message against the per-address and the overall
    limit (``CFBOT_WEBCHAT_LIMIT_IP`` / ``_TOTAL``); True when it is over either. The
    route decides what a limited request still gets (a crisis reply is never withheld)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return False
    strategy = limiter.limiter
    per_address = strategy.hit(parse(settings.webchat_limit_ip), "webchat-ip", client_ip())
    overall = strategy.hit(parse(settings.webchat_limit_total), "webchat-all", "all")
    return not (per_address and overall)


def init_limits(app: Flask, settings: Settings) -> None:
    """Bind the limiter to ``app`` with Redis or memory storage."""
    app.config["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    app.config["RATELIMIT_ENABLED"] = settings.rate_limits
    app.config["RATELIMIT_STRATEGY"] = "moving-window"
    # a Redis outage must not take the survey down: fall back to memory and log
    app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    limiter.init_app(app)

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded) -> tuple[Response | str, int]:
        if request.is_json or request.path.startswith("/api/"):
            return jsonify(error="too_many_requests", detail=str(exc.description)), 429
        return render_template("too_many.html"), 429
