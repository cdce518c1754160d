"""Web chat: an accessible page that works without JavaScript and is enhanced with it."""

from __future__ import annotations

import secrets
import uuid

from flask import (
    Blueprint,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from cfbot.channels.base import InboundMsg
from cfbot.i18n import LANGUAGE_NAMES, SUPPORTED_LANGUAGES, normalize_language
from cfbot.services import webchat as chat_service
from cfbot.services.inbound import handle_inbound
from cfbot.web.context import get_runtime
from cfbot.web.limits import client_ip, limiter, over_webchat_limits
from cfbot.web.security import check_csrf, csrf_token

bp = Blueprint("webchat", __name__, url_prefix="/chat")

MAX_CHAT_TEXT = 1600


def _webchat_id() -> str:
    if "webchat_id" not in session:
        session["webchat_id"] = secrets.token_urlsafe(18)
        session.permanent = True
    return str(session["webchat_id"])


def _lang() -> str:
    asked = request.values.get("lang")
    if asked:
        session["lang"] = normalize_language(asked)
    if "lang" in session:
        return str(session["lang"])
    return request.accept_languages.best_match(list(SUPPORTED_LANGUAGES)) or "en"


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch" or request.is_json


@bp.get("")
@bp.get("/")
def page() -> str:
    rt = get_runtime()
    webchat_id = _webchat_id()
    lang = _lang()
    view = chat_service.chat_view(rt, webchat_id)
    return render_template(
        "chat.html",
        lang=lang,
        lines=view.lines,
        open_survey=view.open,
        flows=list(rt.flows.all()),
        languages=[(code, LANGUAGE_NAMES[code]) for code in SUPPORTED_LANGUAGES],
        csrf=csrf_token(),
        max_len=MAX_CHAT_TEXT,
        error=request.args.get("error"),
    )


def _webchat_start_limit() -> str:
    return str(get_runtime().settings.webchat_limit_ip)


@bp.post("/start")
@limiter.limit(_webchat_start_limit)
def start() -> Response:
    check_csrf()
    rt = get_runtime()
    flow_id = request.form.get("flow", "")
    lang = _lang()
    try:
        chat_service.start_chat(rt, _webchat_id(), flow_id, lang)
    except chat_service.UnknownFlow:
        abort(404, description="That survey is not available.")
    return redirect(url_for("webchat.page") + "#latest")


@bp.post("/send")
def send() -> Response | tuple[Response, int]:
    check_csrf()
    rt = get_runtime()
    text = request.form.get("text", "")
    if request.is_json:
        payload = request.get_json(silent=True) or {}
        text = str(payload.get("text", ""))
    client_id = request.form.get("client_id") or request.headers.get("X-Client-Id") or ""
    if len(text) > MAX_CHAT_TEXT:
        if _wants_json():
            return jsonify(error="too_long", max=MAX_CHAT_TEXT), 400
        return redirect(url_for("webchat.page", error="too_long"))
    if over_webchat_limits(rt.settings):
        # nothing is stored, but the person still gets help: a crisis message gets the
        # crisis reply, anything else a "please wait" that also gives 911/988
        reply, is_crisis = chat_service.limited_reply(rt, text, _lang())
        if _wants_json():
            line = {"id": 0, "from": "bot", "text": reply}
            return jsonify(error="too_many_requests", messages=[line], open=True), 429
        return make_response(render_template("too_many.html", crisis_text=reply), 429)
    # the client id makes a double-submitted form a no-op (like Twilio's MessageSid)
    external_id = f"web-{client_id}" if client_id else f"web-{uuid.uuid4().hex}"
    msg = InboundMsg(
        channel="webchat",
        address=_webchat_id(),
        text=text,
        external_id=external_id[:64],
        received_at=get_runtime().now(),
        extra={"source": chat_service.source_key(rt, client_ip())},
    )
    handle_inbound(rt, msg)
    if _wants_json():
        after = request.args.get("after", type=int) or 0
        return _view_json(after)
    return redirect(url_for("webchat.page") + "#latest")


@bp.get("/messages")
def messages() -> Response:
    after = request.args.get("after", type=int) or 0
    return _view_json(after)


def _view_json(after: int) -> Response:
    view = chat_service.chat_view(get_runtime(), _webchat_id(), after)
    lines = [{"id": line.id, "from": line.sender, "text": line.text} for line in view.lines]
    return jsonify(messages=lines, open=view.open)
