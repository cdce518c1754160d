"""The embeddable chat widget: ``/chat/widget.js`` (the one script line an agency puts
on its own site) and ``/chat/embed`` (the chat page the widget opens in an iframe).

The embedded chat holds no cookie: ``static/chat.js`` starts the survey through the JSON
chat API and keeps the session token in the iframe's own URL, so it works where
third-party cookies are blocked. Which sites may embed it is ``CFBOT_WIDGET_ORIGINS``:
the script refuses to start elsewhere and CSP ``frame-ancestors`` enforces it.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, request

from cfbot.i18n import SUPPORTED_LANGUAGES, normalize_language, translate
from cfbot.services import reach
from cfbot.web.context import get_runtime
from cfbot.web.webchat import MAX_CHAT_TEXT

bp = Blueprint("widget", __name__, url_prefix="/chat")

WIDGET_JS = Path(__file__).resolve().parent.parent / "static" / "widget.js"


def widget_strings() -> dict[str, dict[str, str]]:
    """The widget's few words in every language (gettext, like the chat page)."""
    return {
        lang: {
            "open": translate(lang, "Give feedback"),
            "close": translate(lang, "Close the feedback chat"),
            "title": translate(lang, "Share your feedback"),
        }
        for lang in SUPPORTED_LANGUAGES
    }


@bp.get("/widget.js")
def widget_js() -> Response:
    """The widget script with this deployment's allowed origins and words filled in."""
    config = {
        "origins": list(get_runtime().settings.widget_origins),
        "strings": widget_strings(),
    }
    source = WIDGET_JS.read_text(encoding="utf-8")
    body = source.replace("/*CFBOT_CONFIG*/ null", json.dumps(config, ensure_ascii=True))
    response = Response(body, mimetype="application/javascript")
    # any site may load the script; only the listed ones get a working widget
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/embed")
def embed() -> tuple[str, int] | str:
    """The chat for the widget's iframe: ``?flow=&site=&program=&lang=`` (``token=`` once
    started). Touches no session, so no cookie is set or needed."""
    rt = get_runtime()
    flow_id = (request.args.get("flow") or rt.settings.default_flow or "").strip()
    flow = rt.flows.get(flow_id)
    if flow is None:
        abort(404, description="That survey is not available.")
    site = (request.args.get("site") or "").strip() or None
    if site is not None and reach.known_site(rt, site) is None:
        abort(400, description="The link names a site we do not know.")
    program = (request.args.get("program") or "").strip() or None
    if program is not None and reach.program_of(rt, site, program) is None:
        abort(400, description="The link names a program we do not know.")
    lang = normalize_language(request.args.get("lang") or flow.languages[0])
    return render_template(
        "chat_embed.html",
        lang=lang,
        flow=flow,
        site=site or "",
        program=program or "",
        max_len=MAX_CHAT_TEXT,
    )
