"""The "signed floor": the least a correct Twilio SMS webhook can do, as a Flask app.

It checks ``X-Twilio-Signature`` exactly as cfbot must (twilio's ``RequestValidator``
over ``CFBOT_PUBLIC_URL`` + path and the form) and answers with fixed TwiML: no
database, no flow engine. Served by gunicorn with the same settings as cfbot, it is the
baseline that cfbot's throughput is divided by (see ``run.py``).

    gunicorn --chdir benchmarks/webhook floor_app:app
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

PUBLIC_URL = os.environ.get("CFBOT_PUBLIC_URL", "").rstrip("/")
VALIDATOR = RequestValidator(os.environ.get("TWILIO_AUTH_TOKEN", ""))
TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    "<Response><Message>Thank you for your feedback!</Message></Response>"
)

app = Flask(__name__)


@app.get("/healthz")
def healthz() -> Response:
    return Response('{"status":"ok"}', content_type="application/json")


@app.post("/webhooks/twilio/sms")
def inbound_sms() -> Response:
    url = (PUBLIC_URL + request.path) if PUBLIC_URL else request.url
    if not VALIDATOR.validate(url, request.form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    return Response(TWIML, content_type="application/xml; charset=utf-8")
