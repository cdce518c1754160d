"""The application factory's body (kept out of ``__init__`` so importing cfbot is cheap)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from flask import Flask

from cfbot.config import Settings
from cfbot.i18n import translate
from cfbot.logging_setup import configure_logging
from cfbot.runtime import build_runtime
from cfbot.web import register_blueprints
from cfbot.web.context import page_language
from cfbot.web.hardening import register_hardening
from cfbot.web.limits import init_limits

log = logging.getLogger(__name__)

FLOW_RELOAD_SECONDS = 2.0


def build_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    if isinstance(config, Settings):
        settings = config
    else:
        settings = Settings.from_env(**(config or {}))
    configure_logging()
    pkg_dir = Path(__file__).resolve().parent
    app = Flask(
        "cfbot",
        instance_path=str(Path(settings.instance_path).resolve()),
        template_folder=str(pkg_dir / "templates"),
        static_folder=str(pkg_dir / "static"),
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=256 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        TESTING=settings.env == "test",
    )
    if settings.public_url == "" and settings.is_production:
        # behind a TLS-terminating proxy the URL Twilio signed is only known via headers
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware

    runtime = build_runtime(settings)
    app.extensions["cfbot"] = runtime

    reload_state = {"checked": 0.0}

    @app.before_request
    def _reload_flows() -> None:
        # admins edit conversations/ while the server runs: pick edits up within seconds
        # (a broken edit keeps the last good version, see FlowRegistry)
        now = time.monotonic()
        if now - reload_state["checked"] >= FLOW_RELOAD_SECONDS:
            reload_state["checked"] = now
            if runtime.flows.reload_if_changed():
                for problem in runtime.flows.problems:
                    log.warning("flow problem: %s", problem)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        lang = page_language()

        def t(message: str, **params: object) -> str:
            return translate(lang, message, **params)

        return {"settings": settings, "page_lang": lang, "t": t}

    init_limits(app, settings)
    register_blueprints(app)
    register_hardening(app, settings)
    return app
