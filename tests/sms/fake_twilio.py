"""A local Twilio REST API for tests: a threaded HTTP server on 127.0.0.1.

It implements ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` the way Twilio
answers it (JSON message resource, HTTP Basic auth with the account SID and auth token)
and lets a test script what the next sends get::

    fake.script(OptedOut(), RateLimited(retry_after=7), ServerError(), Hang(3))

Unscripted sends are accepted (201). Every request is recorded in ``fake.requests``;
accepted ones also in ``fake.sent``. The real ``twilio.rest.Client`` is pointed here with
``CFBOT_TWILIO_API_BASE_URL`` / ``Settings.twilio_api_base_url = fake.base_url``.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from cfbot.flows.segments import sms_info

MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"


@dataclass(frozen=True)
class Created:
    """201 with a queued message resource (what Twilio answers to a good send)."""


@dataclass(frozen=True)
class TwilioError:
    """A Twilio error document with this HTTP status and error code."""

    status: int
    code: int
    message: str
    headers: tuple[tuple[str, str], ...] = ()


def OptedOut() -> TwilioError:  # noqa: N802 - reads like the other behaviours
    """400 / 21610: the recipient replied STOP to this sender."""
    return TwilioError(400, 21610, "Attempt to send to unsubscribed recipient")


def NotMobile() -> TwilioError:  # noqa: N802
    """400 / 21614: 'To' number is not a valid mobile number."""
    return TwilioError(400, 21614, "'To' number is not a valid mobile number")


def RateLimited(retry_after: int | None = 1) -> TwilioError:  # noqa: N802
    """429 / 20429: too many requests, optionally with ``Retry-After``."""
    headers = (("Retry-After", str(retry_after)),) if retry_after is not None else ()
    return TwilioError(429, 20429, "Too Many Requests", headers)


def ServerError() -> TwilioError:  # noqa: N802
    """500 / 20500: an internal Twilio error."""
    return TwilioError(500, 20500, "Internal Server Error")


@dataclass(frozen=True)
class Hang:
    """Accept the connection, then answer nothing for ``seconds`` (then 201)."""

    seconds: float


Behaviour = Created | TwilioError | Hang


@dataclass
class Recorded:
    """One request the fake received."""

    path: str
    form: dict[str, str]
    auth: tuple[str, str] | None
    answered: int = 0
    sid: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class FakeTwilio:
    """Start with ``FakeTwilio(account_sid, auth_token)``; stop with :meth:`close`."""

    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.requests: list[Recorded] = []
        self.sent: list[Recorded] = []
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # keep test output clean

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                fake._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (give it to ``twilio_api_base_url``)."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *behaviours: Behaviour) -> None:
        """Queue what the next sends get, in order; afterwards sends are accepted."""
        with self._lock:
            self._script.extend(behaviours)

    def close(self) -> None:
        """Stop serving and release any hanging request."""
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ internals

    def _next(self) -> Behaviour:
        with self._lock:
            return self._script.popleft() if self._script else Created()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length).decode("utf-8")
        form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
        auth = _basic_auth(handler.headers.get("Authorization"))
        record = Recorded(path=handler.path, form=form, auth=auth)
        with self._lock:
            self.requests.append(record)
        if handler.path != MESSAGES_PATH.format(sid=self.account_sid):
            record.answered = 404
            _send_json(handler, 404, _error(20404, "The requested resource was not found", 404))
            return
        if auth != (self.account_sid, self.auth_token):
            record.answered = 401
            _send_json(handler, 401, _error(20003, "Authenticate", 401))
            return
        if not form.get("To") or not (
            form.get("Body") or form.get("MediaUrl") or form.get("ContentSid")
        ):
            record.answered = 400
            _send_json(handler, 400, _error(21602, "Message body is required.", 400))
            return
        behaviour = self._next()
        if isinstance(behaviour, Hang):
            self._closing.wait(behaviour.seconds)
            behaviour = Created()
        if isinstance(behaviour, TwilioError):
            record.answered = behaviour.status
            _send_json(
                handler,
                behaviour.status,
                _error(behaviour.code, behaviour.message, behaviour.status),
                behaviour.headers,
            )
            return
        sid = "SM" + uuid.uuid4().hex
        record.answered = 201
        record.sid = sid
        with self._lock:
            self.sent.append(record)
        _send_json(handler, 201, self._resource(sid, form))

    def _resource(self, sid: str, form: dict[str, str]) -> dict[str, Any]:
        body = form.get("Body", "")
        now = formatdate(usegmt=True)
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From") or None,
            "messaging_service_sid": form.get("MessagingServiceSid") or None,
            "num_media": "0",
            "num_segments": str(sms_info(body).segments),
            "price": None,
            "price_unit": "USD",
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": form.get("To"),
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return user, password


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _send_json(
    handler: BaseHTTPRequestHandler,
    status: int,
    payload: dict[str, Any],
    headers: tuple[tuple[str, str], ...] = (),
) -> None:
    data = json.dumps(payload).encode("utf-8")
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up (timeout test); nothing to answer
