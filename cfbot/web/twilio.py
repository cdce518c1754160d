"""Twilio webhooks: inbound SMS (answered with TwiML) and delivery status callbacks.

Every request must carry a valid ``X-Twilio-Signature`` for the URL Twilio called:

* with ``CFBOT_PUBLIC_URL`` set, that URL is ``CFBOT_PUBLIC_URL`` + path (+ query), so
  any proxy in front is irrelevant (recommended);
* without it, the URL the app sees; in production ``create_app`` then wraps the app in
  ``ProxyFix`` (one proxy hop: ``X-Forwarded-Proto``/``-Host``), so behind a
  TLS-terminating proxy the ``https://`` URL is rebuilt from its headers.

Signature checking can be switched off (``CFBOT_TWILIO_VALIDATE_SIGNATURE=0``) only in
the demo (``CFBOT_DEMO=1``); anywhere else an unchecked request is refused with 403.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, request

from cfbot.channels.twilio_sms import (
    INBOUND_PATH,
    STATUS_CALLBACK_PATH,
    BadInbound,
    parse_inbound,
    render_twiml,
    signature_is_valid,
)
from cfbot.services.delivery import BadCallback, apply_status_callback
from cfbot.services.inbound import handle_inbound
from cfbot.web.context import get_runtime

log = logging.getLogger(__name__)

bp = Blueprint("twilio", __name__)

TWIML_TYPE = "application/xml; charset=utf-8"


def signed_url() -> str:
    """The URL Twilio signed: ``CFBOT_PUBLIC_URL`` + path (+ query), else the request URL."""
    public = get_runtime().settings.public_url
    if not public:
        return request.url
    url = public.rstrip("/") + request.path
    query = request.query_string.decode("latin-1")
    return f"{url}?{query}" if query else url


def twilio_signed(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse (403) any request without a valid Twilio signature, before it is parsed
    into anything that could be stored."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = get_runtime().settings
        if not settings.twilio_validate_signature:
            if settings.demo:
                return view(*args, **kwargs)
            log.error("Twilio signature checking is off outside the demo: refusing webhook")
            abort(403)
        if not settings.twilio_auth_token:
            log.error("TWILIO_AUTH_TOKEN is not set: cannot check webhook signatures")
            abort(403)
        ok = signature_is_valid(
            settings.twilio_auth_token,
            signed_url(),
            request.form,
            request.headers.get("X-Twilio-Signature"),
            request.headers.get("X-Twilio-Webhooks-Signature-Settings"),
        )
        if not ok:
            log.warning("refused a webhook with a missing or wrong Twilio signature")
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _twiml(replies: list[str], status: int = 200) -> Response:
    return Response(render_twiml(replies), status=status, content_type=TWIML_TYPE)


@bp.post(INBOUND_PATH)
@twilio_signed
def inbound_sms() -> Response:
    """Store and answer one inbound SMS; a retried ``MessageSid`` gets the same answer."""
    rt = get_runtime()
    try:
        msg = parse_inbound(request.form, rt.now(), rt.settings.default_region)
    except BadInbound as exc:
        log.warning("refused inbound SMS: %s", exc)
        return Response(str(exc), status=exc.status, content_type="text/plain; charset=utf-8")
    result = handle_inbound(rt, msg)
    return _twiml(result.replies)


@bp.post(STATUS_CALLBACK_PATH)
@twilio_signed
def status_callback() -> Response:
    """Record a delivery status (and what its error code says about the number)."""
    rt = get_runtime()
    try:
        apply_status_callback(rt, request.form, rt.now())
    except BadCallback as exc:
        return Response(str(exc), status=400, content_type="text/plain; charset=utf-8")
    # unknown messages are acknowledged too: a 4xx would only make Twilio retry
    return Response("", status=204)
