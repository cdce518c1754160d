"""Email providers behind one small interface: SMTP (``SMTP_URL``) and a console provider.

``SMTP_URL`` forms:

* ``smtp://user:pass@host:25`` - plain SMTP; STARTTLS is used when the server offers it
* ``smtp+starttls://user:pass@host:587`` - STARTTLS required (submission port)
* ``smtps://user:pass@host:465`` - TLS from the first byte (implicit TLS)
* empty, or ``console://`` - no email leaves: a masked summary is logged (development)

User and password are URL-decoded (write ``@`` as ``%40``). ``?timeout=SECONDS`` overrides
``CFBOT_SMTP_TIMEOUT``. Callers never talk to smtplib directly; they get a
:class:`MailProvider` from :func:`build_mailer` and handle :class:`MailError`.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections import deque
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from cfbot.logging_setup import mask_text

log = logging.getLogger(__name__)

SCHEMES = {"smtp": "opportunistic", "smtp+starttls": "starttls", "smtps": "ssl"}
DEFAULT_PORTS = {"opportunistic": 25, "starttls": 587, "ssl": 465}


class MailError(Exception):
    """A send failed. ``retryable`` is False when trying again cannot help."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class MailProvider(Protocol):
    """Delivers one message; raises :class:`MailError` on failure."""

    name: str

    def send(self, message: EmailMessage) -> list[str]:
        """Send ``message`` to its To/Cc recipients; returns addresses the server refused."""
        ...


@dataclass(frozen=True)
class SmtpConfig:
    """A parsed ``SMTP_URL`` (the password never appears in ``repr``)."""

    host: str
    port: int
    mode: str  # opportunistic | starttls | ssl
    username: str = ""
    password: str = ""
    timeout: float = 15.0

    def __repr__(self) -> str:
        return (
            f"SmtpConfig(host={self.host!r}, port={self.port}, mode={self.mode!r}, "
            f"username={self.username!r}, password={'***' if self.password else ''!r})"
        )


def parse_smtp_url(url: str, timeout: float = 15.0) -> SmtpConfig:
    """Parse an ``SMTP_URL``; raises ``ValueError`` naming what is wrong (never the password)."""
    parts = urlsplit(url.strip())
    mode = SCHEMES.get(parts.scheme.lower())
    if mode is None:
        raise ValueError(
            f"SMTP_URL scheme {parts.scheme!r} is not supported "
            "(use smtp://, smtp+starttls:// or smtps://)"
        )
    if not parts.hostname:
        raise ValueError("SMTP_URL has no host")
    try:
        port = parts.port or DEFAULT_PORTS[mode]
    except ValueError as exc:
        raise ValueError("SMTP_URL has an invalid port") from exc
    query = parse_qs(parts.query)
    if "timeout" in query:
        try:
            timeout = float(query["timeout"][0])
        except ValueError as exc:
            raise ValueError("SMTP_URL timeout must be a number of seconds") from exc
    return SmtpConfig(
        host=parts.hostname,
        port=port,
        mode=mode,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        timeout=timeout,
    )


def _recipients(message: EmailMessage) -> list[str]:
    found: list[str] = []
    for header in ("To", "Cc", "Bcc"):
        for value in message.get_all(header, []):
            found.extend(a.strip() for a in str(value).split(",") if a.strip())
    return found


class SmtpMailer:
    """SMTP with STARTTLS or implicit TLS and optional login; one connection per send."""

    name = "smtp"

    def __init__(self, config: SmtpConfig, ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        # certificate checks stay on: an alert email carries a client's words
        self.ssl_context = ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.mode == "ssl":
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=self.ssl_context)
        return smtplib.SMTP(c.host, c.port, timeout=c.timeout)

    def send(self, message: EmailMessage) -> list[str]:
        """Send one message. Connection problems and 4xx replies are retryable."""
        c = self.config
        to = _recipients(message)
        if not to:
            raise MailError("message has no recipients", retryable=False)
        try:
            with self._connect() as smtp:
                smtp.ehlo()
                if c.mode == "starttls" or (
                    c.mode == "opportunistic" and smtp.has_extn("starttls")
                ):
                    smtp.starttls(context=self.ssl_context)
                    smtp.ehlo()
                if c.username:
                    smtp.login(c.username, c.password)
                refused = smtp.send_message(message, to_addrs=to)
                return sorted(refused)
        except smtplib.SMTPRecipientsRefused as exc:
            raise MailError(
                f"every recipient was refused: {sorted(exc.recipients)}", retryable=False
            ) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # wrong credentials: retrying soon will not help, but a fixed config will
            raise MailError(f"SMTP login failed ({exc.smtp_code})") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise MailError(f"SMTP server does not support a required feature: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            # 4xx is temporary; 5xx for this message will not change by retrying (the row
            # is kept as failed and shown, and an admin can retry it after fixing the cause)
            permanent = 500 <= exc.smtp_code < 600 and exc.smtp_code not in (530, 535)
            error = exc.smtp_error
            detail = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
            raise MailError(
                f"SMTP error {exc.smtp_code}: {detail[:200]}", retryable=not permanent
            ) from exc
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise MailError(f"SMTP unavailable: {type(exc).__name__}: {exc}"[:300]) from exc


class ConsoleMailer:
    """Development provider: logs a masked summary and keeps the last messages in memory."""

    name = "console"

    def __init__(self, keep: int = 100) -> None:
        self.sent: deque[EmailMessage] = deque(maxlen=keep)

    def send(self, message: EmailMessage) -> list[str]:
        """Log the message (personal data masked) instead of sending it."""
        self.sent.append(message)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        log.info(
            "console mail to %s: %s\n%s",
            ", ".join(_recipients(message)),
            message["Subject"],
            mask_text(text)[:2000],
        )
        return []


def build_mailer(settings: Any) -> MailProvider:
    """The provider ``settings.smtp_url`` asks for (console when empty)."""
    url = (settings.smtp_url or "").strip()
    if not url or url.startswith("console:"):
        return ConsoleMailer()
    return SmtpMailer(parse_smtp_url(url, timeout=float(getattr(settings, "smtp_timeout", 15.0))))


def get_mailer(rt: Any) -> MailProvider:
    """The runtime's mail provider (built once per runtime; tests may replace it)."""
    mailer = rt.extras.get("mailer")
    if mailer is None:
        mailer = build_mailer(rt.settings)
        rt.extras["mailer"] = mailer
    return mailer


def build_message(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A plain-text email with an optional HTML alternative (the HTML must be escaped)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    # header injection: subjects are built from admin/client text, so drop line breaks
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "cfbot.localhost"
    msg["Message-ID"] = make_msgid(domain=domain.strip("<> ") or None)
    # stop vacation responders from answering a robot
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        msg[name] = " ".join(value.split())
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg
