"""Web chat: an accessible page that works without JavaScript and is enhanced with it."""

from __future__ import annotations

import hashlib
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
from cfbot.services import reach
from cfbot.services import webchat as chat_service
from cfbot.services.chat_tokens import issue_chat_token
from cfbot.services.inbound import handle_inbound
from cfbot.text import unstorable
from cfbot.web.context import get_runtime
from cfbot.web.jsonbody import BadJson, read_json_body
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


def _remember_place() -> None:
    """``?site=&program=`` on a chat link: checked against routing (400 when unknown)
    and remembered for the survey this browser starts next."""
    rt = get_runtime()
    site = request.args.get("site")
    program = request.args.get("program")
    if site is not None:
        key = reach.known_site(rt, site.strip())
        if key is None:
            abort(400, description="The link names a site we do not know.")
        session["site"] = key
    if program is not None:
        found = reach.program_of(rt, session.get("site"), program.strip())
        if found is None:
            abort(400, description="The link names a program we do not know.")
        session["program"] = found


@bp.get("")
@bp.get("/")
def page() -> str:
    _remember_place()
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
        chat_token=issue_chat_token(rt, webchat_id),
    )


@bp.post("/lang")
def switch_language() -> Response:
    """A language link mid-survey: the page and the survey switch together."""
    check_csrf()
    lang = _lang()
    chat_service.switch_chat_language(get_runtime(), _webchat_id(), lang)
    return redirect(url_for("webchat.page") + "#latest")


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
        chat_service.start_chat(
            rt,
            _webchat_id(),
            flow_id,
            lang,
            site=session.get("site"),
            program=session.get("program"),
        )
    except chat_service.UnknownFlow:
        abort(404, description="That survey is not available.")
    return redirect(url_for("webchat.page") + "#latest")


@bp.post("/send")
def send() -> Response | tuple[Response, int]:
    check_csrf()
    rt = get_runtime()
    text = request.form.get("text", "")
    client_id = request.form.get("client_id") or request.headers.get("X-Client-Id") or ""
    if request.is_json:
        try:
            payload = read_json_body()
        except BadJson as exc:
            return jsonify(error="invalid_body", message=str(exc)), 400
        if not isinstance(payload, dict) or not isinstance(payload.get("text", ""), str):
            return jsonify(error="invalid_body", message='send {"text": "..."}'), 400
        text = payload.get("text", "")
        client_id = str(payload.get("client_id") or client_id)
    text = text.replace("\x00", "")
    if unstorable(text) or unstorable(client_id):
        text = text.encode("utf-8", "replace").decode("utf-8")
        client_id = ""
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
    # the client id makes a double-submitted form a no-op (like Twilio's MessageSid); it is
    # scoped to this chat session, so another browser reusing the same id is not a repeat
    external_id = dedupe_key(_webchat_id(), client_id)
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


def dedupe_key(webchat_id: str, client_id: str) -> str:
    if not client_id:
        return f"web-{uuid.uuid4().hex}"
    digest = hashlib.sha256(f"{webchat_id}\n{client_id}".encode()).hexdigest()
    return f"web-{digest[:56]}"


@bp.get("/messages")
def messages() -> Response:
    after = request.args.get("after", type=int) or 0
    return _view_json(after)


def _view_json(after: int) -> Response:
    view = chat_service.chat_view(get_runtime(), _webchat_id(), after)
    lines = [{"id": line.id, "from": line.sender, "text": line.text} for line in view.lines]
    return jsonify(messages=lines, open=view.open)
