"""Blueprints. Routes stay thin: parse -> one service call -> render."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Register every blueprint; the demo-only ones only in demo mode."""
    from cfbot.web.admin import bp as admin_bp
    from cfbot.web.api import bp as api_bp
    from cfbot.web.casework import bp as casework_bp
    from cfbot.web.chat_api import bp as chat_api_bp
    from cfbot.web.dashboard import bp as dashboard_bp
    from cfbot.web.health import bp as health_bp
    from cfbot.web.links import bp as links_bp
    from cfbot.web.results import bp as results_bp
    from cfbot.web.results_downloads import phab_report  # noqa: F401 - routes on results_bp
    from cfbot.web.twilio import bp as twilio_bp
    from cfbot.web.webchat import bp as webchat_bp
    from cfbot.web.widget import bp as widget_bp

    for blueprint in (health_bp, webchat_bp, twilio_bp, api_bp, dashboard_bp, results_bp):
        app.register_blueprint(blueprint)
    for blueprint in (casework_bp, admin_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(links_bp)
    app.register_blueprint(chat_api_bp)
    app.register_blueprint(widget_bp)
    runtime = app.extensions["cfbot"]
    if runtime.settings.demo:
        from cfbot.web.dev import bp as dev_bp
        from cfbot.web.dev import home_bp

        app.register_blueprint(dev_bp)
        app.register_blueprint(home_bp)
