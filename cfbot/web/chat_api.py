"""The JSON chat API (``/api/v1/chat/``): the web chat without cookies.

``start`` opens a survey and returns a session token; ``send`` and ``messages`` carry
that token (body or query), never a cookie, so the embeddable widget works in an iframe
where third-party cookies are blocked. Same services, limits and crisis handling as the
``/chat`` page; the token is the secret, so there is no CSRF token here.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.wrappers import Response

from cfbot.channels.base import InboundMsg
from cfbot.i18n import SUPPORTED_LANGUAGES, normalize_language
from cfbot.services import reach
from cfbot.services import webchat as chat_service
from cfbot.services.chat_tokens import issue_chat_token, new_chat_id, read_chat_token
from cfbot.services.inbound import handle_inbound
from cfbot.text import unstorable
from cfbot.web.context import get_runtime
from cfbot.web.jsonbody import BadJson, read_json_body
from cfbot.web.limits import client_ip, limiter, over_webchat_limits
from cfbot.web.webchat import MAX_CHAT_TEXT, dedupe_key

bp = Blueprint("chat_api", __name__, url_prefix="/api/v1/chat")

MAX_FIELD = 100
MAX_ID = 2**31 - 1  # message ids are 32-bit; a larger `after` is clamped


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify(error=code, message=message)
    response.status_code = status
    return response


def _body() -> dict[str, Any] | Response:
    """The JSON object of the request, or the 4xx response that says why not."""
    if not request.is_json:
        return _error(415, "unsupported_media_type", "send Content-Type: application/json")
    try:
        payload = read_json_body()
    except BadJson as exc:
        return _error(400, "invalid_json", str(exc))
    if not isinstance(payload, dict):
        return _error(400, "invalid_body", "send a JSON object")
    return payload


def _text_field(payload: dict[str, Any], key: str) -> str | None:
    """An optional short string field; raises ValueError when it is not one."""
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_FIELD or unstorable(value):
        raise ValueError(f"{key} must be a short string")
    return value.strip() or None


def _view(webchat_id: str, after: int, token: str | None = None) -> Response:
    view = chat_service.chat_view(get_runtime(), webchat_id, after)
    lines = [{"id": line.id, "from": line.sender, "text": line.text} for line in view.lines]
    extra = {"token": token} if token else {}
    return jsonify(messages=lines, open=view.open, **extra)


def _start_limit() -> str:
    return str(get_runtime().settings.webchat_limit_ip)


@bp.post("/start")
@limiter.limit(_start_limit)
def start() -> Response:
    """Open ``flow`` (at ``site``/``program``, in ``lang``) for a new chat session."""
    payload = _body()
    if isinstance(payload, Response):
        return payload
    rt = get_runtime()
    try:
        flow_id = _text_field(payload, "flow") or ""
        site = _text_field(payload, "site")
        program = _text_field(payload, "program")
        lang = _text_field(payload, "lang")
    except ValueError as exc:
        return _error(400, "invalid_body", str(exc))
    if lang is not None and lang.lower() not in SUPPORTED_LANGUAGES:
        return _error(400, "invalid_lang", f"lang is one of {', '.join(SUPPORTED_LANGUAGES)}")
    site_key = None
    if site is not None:
        site_key = reach.known_site(rt, site)
        if site_key is None:
            return _error(400, "unknown_site", "no such site")
    program_key = None
    if program is not None:
        program_key = reach.program_of(rt, site_key, program)
        if program_key is None:
            return _error(400, "unknown_program", "no such program")
    webchat_id = new_chat_id()
    try:
        chat_service.start_chat(
            rt,
            webchat_id,
            flow_id,
            normalize_language(lang) if lang else None,
            site=site_key,
            program=program_key,
        )
    except chat_service.UnknownFlow:
        return _error(404, "unknown_flow", "that survey is not available")
    response = _view(webchat_id, 0, issue_chat_token(rt, webchat_id))
    response.status_code = 201
    return response


@bp.post("/send")
def send() -> Response:
    """One message from the client; returns the messages after ``after`` (default: the
    ones this message added) and whether the chat is still open."""
    payload = _body()
    if isinstance(payload, Response):
        return payload
    rt = get_runtime()
    webchat_id = read_chat_token(rt, payload.get("token"))
    if webchat_id is None:
        return _error(401, "invalid_token", "the chat token is missing, wrong or expired")
    text = payload.get("text")
    client_id = payload.get("client_id") or ""
    after = payload.get("after")
    if not isinstance(text, str) or not text.strip():
        return _error(400, "invalid_body", 'send {"token": "...", "text": "..."}')
    if not isinstance(client_id, str) or len(client_id) > MAX_FIELD:
        return _error(400, "invalid_body", "client_id must be a short string")
    if after is not None and (not isinstance(after, int) or isinstance(after, bool)):
        return _error(400, "invalid_body", "after must be a message id")
    text = text.replace("\x00", "")
    if unstorable(text) or unstorable(client_id):
        text = text.encode("utf-8", "replace").decode("utf-8")
        client_id = ""
    if len(text) > MAX_CHAT_TEXT:
        return _error(400, "too_long", f"messages are at most {MAX_CHAT_TEXT} characters")
    lang = _chat_language(webchat_id)
    if over_webchat_limits(rt.settings):
        # nothing is stored, but a crisis message still gets the crisis reply
        reply, _ = chat_service.limited_reply(rt, text, lang)
        response = jsonify(
            error="too_many_requests", messages=[{"id": 0, "from": "bot", "text": reply}], open=True
        )
        response.status_code = 429
        return response
    if after is None:
        before = chat_service.chat_view(rt, webchat_id, 0)
        after = before.lines[-1].id if before.lines else 0
    msg = InboundMsg(
        channel="webchat",
        address=webchat_id,
        text=text,
        external_id=dedupe_key(webchat_id, client_id)[:64],
        received_at=rt.now(),
        extra={"source": chat_service.source_key(rt, client_ip())},
    )
    handle_inbound(rt, msg)
    return _view(webchat_id, min(max(after, 0), MAX_ID))


def _chat_language(webchat_id: str) -> str:
    asked = request.args.get("lang")
    if asked:
        return normalize_language(asked)
    return chat_service.chat_language(get_runtime(), webchat_id) or "en"


@bp.get("/messages")
def messages() -> Response:
    """The chat's messages after ``after`` and whether it is still open."""
    webchat_id = read_chat_token(get_runtime(), request.args.get("token"))
    if webchat_id is None:
        return _error(401, "invalid_token", "the chat token is missing, wrong or expired")
    try:
        after = int(request.args.get("after") or 0)
    except ValueError:
        return _error(400, "invalid_after", "after must be a message id")
    return _view(webchat_id, min(max(after, 0), MAX_ID))
