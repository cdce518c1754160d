"""Demo-only pages: an SMS simulator to text the bot as a phone would.

Registered only when ``CFBOT_DEMO`` is on (never in production: config refuses it).
"""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from cfbot.channels.base import InboundMsg
from cfbot.channels.twilio_sms import MAX_INBOUND_BODY
from cfbot.phones import to_e164
from cfbot.services.inbound import handle_inbound
from cfbot.services.simulator import sms_thread
from cfbot.web.context import get_runtime
from cfbot.web.security import check_csrf, csrf_token

bp = Blueprint("dev", __name__, url_prefix="/dev")
# the demo's front door: "/" and the favicon (bare 404s otherwise)
home_bp = Blueprint("demo_home", __name__)

DEFAULT_PHONE = "+16125550100"


def _normalize(phone: str) -> str | None:
    # the same rule as the Twilio webhook, so the demo accepts what production would
    return to_e164(phone, get_runtime().settings.default_region)


def _channel(value: str | None) -> str:
    # the simulator can text as WhatsApp too: the same number, a separate contact
    return "whatsapp" if value == "whatsapp" else "sms"


@bp.get("/sms")
def sms_page() -> str:
    phone = _normalize(request.args.get("phone", DEFAULT_PHONE)) or DEFAULT_PHONE
    channel = _channel(request.args.get("channel"))
    thread = sms_thread(get_runtime(), phone, channel)
    return render_template(
        "dev_sms.html",
        phone=phone,
        channel=channel,
        rows=thread.lines,
        contact=thread.contact,
        csrf=csrf_token(),
        error=request.args.get("error"),
    )


@bp.post("/sms")
def sms_send() -> Response:
    check_csrf()
    phone = _normalize(request.form.get("phone", ""))
    if phone is None:
        return redirect(url_for("dev.sms_page", error="phone"))
    text = request.form.get("text", "")
    if len(text) > MAX_INBOUND_BODY:
        return redirect(url_for("dev.sms_page", phone=phone, error="long"))
    picture = request.form.get("picture") == "1"
    channel = _channel(request.form.get("channel"))
    msg = InboundMsg(
        channel=channel,
        address=phone,
        text=text,
        external_id=f"SIM{uuid.uuid4().hex}",
        received_at=get_runtime().now(),
        media_count=1 if picture else 0,
    )
    handle_inbound(get_runtime(), msg)
    return redirect(url_for("dev.sms_page", phone=phone, channel=channel) + "#latest")


@home_bp.get("/")
def home() -> str:
    from cfbot.services.invitation_list import demo_visit_example

    rt = get_runtime()
    base_url = rt.settings.public_url or request.host_url.rstrip("/")
    return render_template(
        "demo_home.html", example=demo_visit_example(rt, rt.now()), base_url=base_url
    )


@bp.get("/widget")
def widget_sample() -> str:
    """A sample agency page with the one-line chat widget, as an agency would embed it."""
    return render_template("dev_widget.html")


@home_bp.get("/favicon.ico")
def favicon() -> Response:
    return current_app.send_static_file("favicon.svg")
