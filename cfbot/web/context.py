"""What a request handler may ask of the app: its runtime (settings, clock, flows,
channels) and the language to show a page in.

Routes hold no database session: they call services, which run their own unit of work
and return plain view objects.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session

from cfbot.i18n import SUPPORTED_LANGUAGES, normalize_language
from cfbot.runtime import Runtime


def get_runtime(app: Flask | None = None) -> Runtime:
    """The :class:`Runtime` of ``app`` (default: the current app)."""
    return (app or current_app).extensions["cfbot"]


def page_language() -> str:
    """Language for a web page: ?lang=, then the session's choice, then the browser's
    Accept-Language; English outside a request."""
    try:
        asked = request.args.get("lang") or request.form.get("lang")
        if asked:
            return normalize_language(asked)
        if session.get("lang"):
            return normalize_language(str(session["lang"]))
        best = request.accept_languages.best_match(list(SUPPORTED_LANGUAGES))
        return best or "en"
    except RuntimeError:
        return "en"
