"""Twilio SMS adapter: parse inbound webhooks, check signatures, render TwiML, send via REST.

Nothing here touches the database; the web layer and the services do. The REST client is
the real :class:`twilio.rest.Client`; its HTTP client is swapped for one that

* has a bounded timeout, so a hanging Twilio never blocks a worker forever;
* never retries on its own (a retried POST could send a text twice; the outbox decides);
* can talk to another base URL (``CFBOT_TWILIO_API_BASE_URL``), which is how the tests
  point it at a fake Twilio on loopback;
* remembers each response's headers per thread, so ``Retry-After`` on a 429 reaches the
  outbox (``TwilioRestException`` does not carry headers).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from cfbot.channels.base import InboundMsg, SendResult
from cfbot.config import Settings
from cfbot.logging_setup import mask_phone
from cfbot.phones import to_e164

log = logging.getLogger(__name__)
# the twilio client logs eight INFO lines per request; we log one line per send ourselves
_http_log = logging.getLogger("cfbot.twilio_http")
_http_log.setLevel(logging.WARNING)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
INBOUND_PATH = "/webhooks/twilio/sms"
WHATSAPP_PREFIX = "whatsapp:"

# Twilio never sends more than 1,600 characters in one Body; anything much longer is
# not from Twilio. A little slack covers carriers that count differently.
MAX_INBOUND_BODY = 4000
MAX_MEDIA = 10

# Twilio error codes with a fixed meaning for us.
ERR_OPTED_OUT = "21610"  # the recipient replied STOP to this sender
ERR_RATE_LIMIT = "20429"  # too many requests
ERR_NOT_MOBILE = "21614"  # 'To' is not a mobile number (landline)
ERR_INVALID_TO = "21211"  # 'To' is not a valid phone number
UNDELIVERABLE_CODES = frozenset({"30003", "30005", "30006"})


class BadInbound(ValueError):
    """A webhook form that is not a usable inbound SMS (answered with a 4xx)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------- inbound


def _media_count(value: str | None) -> int:
    try:
        count = int((value or "0").strip())
    except ValueError:
        return 0
    return max(0, min(count, MAX_MEDIA))


def parse_inbound(form: Any, received_at: datetime, region: str = "US") -> InboundMsg:
    """Turn Twilio's inbound-message form into an :class:`InboundMsg`.

    Raises :class:`BadInbound` (a 4xx for the caller) for a missing ``MessageSid`` or
    ``From``, a ``From`` that is not a phone number, or an oversized body. The body is
    otherwise kept exactly as sent (emoji, any script).
    """
    sid = (form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    if not sid or len(sid) > 64 or not (sid.isascii() and sid.isalnum()):
        raise BadInbound("missing or malformed MessageSid")
    raw_from = (form.get("From") or "").strip()
    if not raw_from:
        raise BadInbound("missing From")
    # WhatsApp through Twilio: "whatsapp:+1612..." is its own channel and contact
    channel = "sms"
    if raw_from.lower().startswith(WHATSAPP_PREFIX):
        channel = "whatsapp"
        raw_from = raw_from[len(WHATSAPP_PREFIX) :]
    phone = to_e164(raw_from, region)
    if phone is None:
        raise BadInbound("From is not a phone number")
    body = form.get("Body")
    if body is None:
        body = ""
    if len(body) > MAX_INBOUND_BODY:
        raise BadInbound("Body too long", status=413)
    media = _media_count(form.get("NumMedia"))
    extra = {"to": (form.get("To") or "")[:32]}
    return InboundMsg(
        channel=channel,
        address=phone,
        text=body,
        external_id=sid,
        received_at=received_at,
        media_count=media,
        extra=extra,
    )


_TWIML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_twiml(replies: list[str]) -> str:
    """TwiML answering an inbound message: one ``<Message>`` per reply (none is valid).

    Written out directly (the same bytes as twilio's ``MessagingResponse``, which builds
    an ElementTree per response): it runs for every text.
    """
    if not replies:
        return _TWIML_HEAD + "<Response />"
    body = "".join(
        f"<Message>{_xml_text(text)}</Message>" if text else "<Message />" for text in replies
    )
    return f"{_TWIML_HEAD}<Response>{body}</Response>"


def signature_is_valid(
    auth_token: str,
    url: str,
    params: Any,
    signature: str | None,
    settings_header: str | None = None,
) -> bool:
    """True when ``signature`` is Twilio's signature of ``url`` + ``params``."""
    if not auth_token or not signature:
        return False
    algorithm = get_signature_algorithm(settings_header)
    try:
        return bool(RequestValidator(auth_token).validate(url, params, signature, algorithm))
    except (ValueError, TypeError, UnicodeError):
        return False


# --------------------------------------------------------------------------- outbound


class _BoundedHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with a fixed timeout, an optional base URL and no retries."""

    def __init__(self, timeout: float, base_url: str = "") -> None:
        super().__init__(timeout=timeout, logger=_http_log)
        self._base = urlsplit(base_url) if base_url else None
        self._local = threading.local()

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        if self._base is not None:
            parts = urlsplit(url)
            prefix = self._base.path.rstrip("/")
            url = urlunsplit(
                (self._base.scheme, self._base.netloc, prefix + parts.path, parts.query, "")
            )
        self._local.headers = {}
        response = super().request(
            method, url, params, data, headers, auth, timeout, allow_redirects
        )
        self._local.headers = dict(response.headers or {})
        return response

    def last_headers(self) -> dict[str, str]:
        """Headers of this thread's last response (empty before any)."""
        return dict(getattr(self._local, "headers", {}) or {})


def _never_left(exc: requests.ConnectionError) -> bool:
    """True only when ``exc`` proves the request was never sent: the TCP/TLS connection
    (or the name lookup) failed before any byte of the POST went out."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason: object = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # NewConnectionError and NameResolutionError are ConnectTimeoutError subclasses
    return isinstance(reason, ConnectTimeoutError)


def _retry_after(headers: dict[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


@dataclass
class TwilioSmsChannel:
    """Sends SMS through Twilio's REST API. ``send`` never raises for delivery problems."""

    account_sid: str
    auth_token: str
    from_number: str = ""
    messaging_service_sid: str = ""
    status_callback_url: str = ""
    api_base_url: str = ""
    timeout: float = 10.0
    name: str = "sms"
    prefix: str = ""  # "whatsapp:" for the WhatsApp channel (cfbot.channels.twilio_whatsapp)

    def __post_init__(self) -> None:
        self._http = _BoundedHttpClient(self.timeout, self.api_base_url)
        # environment={} so stray TWILIO_EDGE/TWILIO_REGION variables cannot redirect us
        self.client = Client(
            self.account_sid, self.auth_token, http_client=self._http, environment={}
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioSmsChannel:
        """Build the adapter from settings; the status callback needs ``CFBOT_PUBLIC_URL``."""
        callback = ""
        if settings.public_url:
            callback = settings.public_url.rstrip("/") + STATUS_CALLBACK_PATH
        else:
            log.warning(
                "CFBOT_PUBLIC_URL is not set: outbound SMS are sent without a status "
                "callback, so delivery failures and carrier opt-outs are not recorded"
            )
        if not settings.twilio_from_number and not settings.twilio_messaging_service_sid:
            log.warning("neither TWILIO_FROM_NUMBER nor TWILIO_MESSAGING_SERVICE_SID is set")
        return cls(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token,
            from_number=settings.twilio_from_number,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            status_callback_url=callback,
            api_base_url=settings.twilio_api_base_url,
            timeout=settings.twilio_timeout,
        )

    def send(self, address: str, text: str, *, message_id: int | None = None) -> SendResult:
        """Send ``text`` to ``address`` (E.164) with ``messages.create``.

        Errors map to :class:`SendResult`: 21610 (opted out) and other 4xx are final;
        429 / 20429, 5xx and failures to connect (the request never left) are retryable,
        with ``retry_after`` from the ``Retry-After`` header when Twilio gives one. A read
        timeout, a connection lost after the POST went out, or a malformed answer is
        ``status="unknown"`` and not retried (at most once).
        """
        kwargs: dict[str, Any] = {"to": self.prefix + address, "body": text}
        if self.messaging_service_sid:
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        if self.from_number:
            kwargs["from_"] = self.prefix + self.from_number
        if self.status_callback_url:
            kwargs["status_callback"] = self.status_callback_url
        return self._create(kwargs, address, message_id)

    def _create(self, kwargs: dict[str, Any], address: str, message_id: int | None) -> SendResult:
        """``messages.create(**kwargs)`` with the error mapping described in :meth:`send`."""
        try:
            created = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            return self._rest_error(exc, address, message_id)
        except requests.ReadTimeout:
            # the request reached Twilio and no answer came back: it may have been sent.
            # Twilio has no idempotency key, so retrying could text the client twice;
            # mark it "unknown" for staff (the status callback still records a send).
            log.warning(
                "twilio send to %s (message %s): no answer in time; outcome unknown",
                mask_phone(address),
                message_id,
            )
            return SendResult(ok=False, status="unknown", error="read_timeout", retryable=False)
        except requests.ConnectionError as exc:
            if not _never_left(exc):
                # the connection broke after the request may have reached Twilio (reset,
                # closed without an answer): it may have been sent; never resend blindly
                log.warning(
                    "twilio send to %s (message %s): connection lost after sending; "
                    "outcome unknown",
                    mask_phone(address),
                    message_id,
                )
                return SendResult(
                    ok=False, status="unknown", error="connection_lost", retryable=False
                )
            # nothing reached Twilio: safe to try again later
            log.warning(
                "twilio send to %s (message %s) could not connect: %s",
                mask_phone(address),
                message_id,
                type(exc).__name__,
            )
            return SendResult(
                ok=False, status="failed", error="connect", retryable=True, retry_after=None
            )
        except (TwilioException, requests.RequestException, ValueError) as exc:
            # a malformed answer: Twilio may have accepted the message; do not resend blindly
            log.warning("twilio send (message %s) failed: %s", message_id, type(exc).__name__)
            return SendResult(ok=False, status="unknown", error=str(exc)[:200], retryable=False)
        log.info("twilio sent message %s to %s as %s", message_id, mask_phone(address), created.sid)
        return SendResult(ok=True, external_id=created.sid, status="sent")

    def _rest_error(
        self, exc: TwilioRestException, address: str, message_id: int | None
    ) -> SendResult:
        status = int(exc.status or 0)
        code = str(exc.code) if exc.code is not None else str(status)
        retry_after = _retry_after(self._http.last_headers())
        retryable = status == 429 or code == ERR_RATE_LIMIT or status >= 500
        log.warning(
            "twilio refused message %s to %s: HTTP %s code %s",
            message_id,
            mask_phone(address),
            status,
            code,
        )
        return SendResult(
            ok=False,
            status="failed",
            error_code=code,
            error=(exc.msg or "")[:200],
            retryable=retryable,
            retry_after=retry_after if retryable else None,
        )
