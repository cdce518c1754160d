"""Helpers for the alert tests: a real SMTP server on loopback, survey drivers, parsing."""

from __future__ import annotations

import email
import email.policy
import itertools
import re
import socket
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import Session, select

from cfbot.channels.base import InboundMsg
from cfbot.db import unit_of_work
from cfbot.services.conversation import get_or_create_contact, start_conversation
from cfbot.services.inbound import handle_inbound

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Chicago
PHONE = "+16125550142"
_ids = itertools.count(1)

ROUTING_YAML = """
timezone: America/Chicago
business_hours: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "17:00"}
default: [feedback@example.org]
on_call: [oncall@example.org, oncall2@example.org]
escalation: [director@example.org]
sites:
  northside:
    name: Northside Clinic
    staff: [north-manager@example.org]
    programs:
      wic: [north-wic@example.org]
  southside:
    name: Southside Family Health
    staff: [south-manager@example.org]
crisis_resources:
  en: "Metro crisis line: 612-555-0199."
  es: "Línea de crisis: 612-555-0199."
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    """One email as the SMTP server got it."""

    envelope_to: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Inbox:
    """aiosmtpd handler that parses and keeps every message."""

    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        self.received.append(Received(list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 (optionally with AUTH and TLS)."""

    def __init__(self, *, auth: tuple[str, str] | None = None, **kwargs: Any) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        extra: dict[str, Any] = dict(kwargs)
        if auth is not None:
            user, password = auth

            def authenticator(
                server: Any, session: Any, envelope: Any, mechanism: str, data: Any
            ) -> AuthResult:
                ok = (
                    isinstance(data, LoginPassword)
                    and data.login.decode() == user
                    and data.password.decode() == password
                )
                if ok:
                    self.inbox.logins.append(user)
                return AuthResult(success=ok, handled=False)

            # PLAIN only: keeps a failed login a quick 535 instead of a LOGIN dialogue
            extra.update(
                authenticator=authenticator,
                auth_require_tls=False,
                auth_exclude_mechanism=["LOGIN"],
            )
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **extra)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        return self.inbox.received


def make_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (via the openssl command)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def sms(rt: Any, text: str, phone: str = PHONE, now: datetime = T0) -> list[str]:
    """The client texts ``text``; returns the bot's immediate replies."""
    msg = InboundMsg(
        channel="sms",
        address=phone,
        text=text,
        external_id=f"SMALERT{next(_ids):012d}",
        received_at=now,
    )
    return handle_inbound(rt, msg, now=now).replies


def invite(
    rt: Any,
    flow_id: str = "clinic_visit",
    phone: str = PHONE,
    site: str | None = "northside",
    program: str | None = "wic",
    now: datetime = T0,
    lang: str = "en",
) -> int:
    """Start a survey for a visit at ``site`` (as an invitation would); returns its id."""
    with unit_of_work(rt.engine) as session:
        contact = get_or_create_contact(session, "sms", phone, now)
        flow = rt.flows.get(flow_id)
        assert flow is not None, flow_id
        conversation, _ = start_conversation(
            session,
            contact,
            flow,
            channel="sms",
            lang=lang,
            now=now,
            site=site,
            program=program,
        )
        assert conversation.id is not None
        return conversation.id


def rows(rt: Any, model: Any) -> list[Any]:
    with Session(rt.engine) as session:
        return list(session.exec(select(model)).all())


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)
