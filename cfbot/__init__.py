"""cfbot: a customer-feedback bot for public health. Nothing runs at import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from cfbot.config import Settings

__version__ = "0.1.0"


def create_app(config: Settings | dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, database, flows, i18n, channels, blueprints."""
    from cfbot.app import build_app

    return build_app(config)
