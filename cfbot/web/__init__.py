"""Blueprints. Routes stay thin: parse -> one service call -> render."""

from __future__ import annotations

import importlib

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint; the demo-only ones only in demo mode."""
    from cfbot.web.health import bp as health_bp
    from cfbot.web.webchat import bp as webchat_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(webchat_bp)
    for module_name in ("cfbot.web.twilio", "cfbot.web.api", "cfbot.web.dashboard"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        app.register_blueprint(module.bp)
    runtime = app.extensions["cfbot"]
    if runtime.settings.demo:
        from cfbot.web.dev import bp as dev_bp

        app.register_blueprint(dev_bp)
