"""Per-visit links: ``/s/<code>`` opens the visit's survey in the web chat."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, session, url_for
from werkzeug.wrappers import Response

from cfbot.services.visit_links import LinkRefused, open_link
from cfbot.web.context import get_runtime

bp = Blueprint("links", __name__)


@bp.get("/s/<code>")
def visit_link(code: str) -> Response | tuple[str, int]:
    """Bind this browser to the visit's survey and show it; 404/410 with a clear page."""
    try:
        opened = open_link(get_runtime(), code[:64], session.get("webchat_id"))
    except LinkRefused as exc:
        return render_template("link_refused.html", reason=exc.reason), exc.status
    session["webchat_id"] = opened.webchat_id
    session["lang"] = opened.lang
    session.permanent = True
    return redirect(url_for("webchat.page") + "#latest")
