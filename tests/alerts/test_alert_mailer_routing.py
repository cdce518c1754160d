"""SMTP_URL forms against real loopback servers (plain + login, STARTTLS, SMTPS) and routing.yaml."""

from __future__ import annotations

import os
import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alert_helpers import SmtpServer, free_port, make_cert

from cfbot.services.mailer import (
    ConsoleMailer,
    MailError,
    SmtpMailer,
    build_mailer,
    build_message,
    parse_smtp_url,
)
from cfbot.services.routing import RoutingError, RoutingStore, load_routing, parse_routing

ROOT = Path(__file__).resolve().parents[2]


def message(to="staff@example.org"):
    return build_message(
        sender="cfbot@example.org",
        recipients=[to],
        subject="Test\r\nBcc: injected@example.org",
        text="plain <body>",
        html="<p>html &lt;body&gt;</p>",
    )


# --------------------------------------------------------------------------- SMTP_URL


def test_smtp_url_forms():
    plain = parse_smtp_url("smtp://user:p%40ss@mail.example.org")
    assert (plain.host, plain.port, plain.mode, plain.username, plain.password) == (
        "mail.example.org",
        25,
        "opportunistic",
        "user",
        "p@ss",
    )
    assert parse_smtp_url("smtp+starttls://u:p@h").port == 587
    assert parse_smtp_url("smtp+starttls://u:p@h").mode == "starttls"
    assert parse_smtp_url("smtps://u:p@h").port == 465
    assert parse_smtp_url("smtps://h:2465?timeout=3").timeout == 3.0
    assert "p@ss" not in repr(plain) and "***" in repr(plain)
    with pytest.raises(ValueError, match="scheme"):
        parse_smtp_url("http://h")
    with pytest.raises(ValueError, match="host"):
        parse_smtp_url("smtp://")


def test_console_provider_when_smtp_url_is_empty():
    class S:
        smtp_url = ""
        smtp_timeout = 5.0

    mailer = build_mailer(S())
    assert isinstance(mailer, ConsoleMailer)
    mailer.send(message())
    assert len(mailer.sent) == 1


def test_subject_line_breaks_cannot_inject_headers():
    msg = message()
    assert msg["Bcc"] is None and "\n" not in msg["Subject"]


def test_plain_smtp_with_login():
    server = SmtpServer(auth=("alerts", "s3cret")).start()
    try:
        mailer = SmtpMailer(parse_smtp_url(f"smtp://alerts:s3cret@127.0.0.1:{server.port}"))
        assert mailer.send(message()) == []
        (got,) = server.received
        assert server.inbox.logins == ["alerts"]
        assert got.envelope_to == ["staff@example.org"]
        assert got.text.strip() == "plain <body>" and "&lt;body&gt;" in got.html
        bad = SmtpMailer(parse_smtp_url(f"smtp://alerts:wrong@127.0.0.1:{server.port}?timeout=5"))
        with pytest.raises(MailError, match="login failed") as exc:
            bad.send(message())
        assert exc.value.retryable  # fixable by config: keep the email
    finally:
        server.stop()


def test_connection_refused_is_retryable():
    mailer = SmtpMailer(parse_smtp_url(f"smtp://127.0.0.1:{free_port()}?timeout=2"))
    with pytest.raises(MailError) as exc:
        mailer.send(message())
    assert exc.value.retryable and "unavailable" in str(exc.value)


@pytest.fixture
def tls(tmp_path):
    cert, key = make_cert(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    client_ctx = ssl.create_default_context(cafile=str(cert))
    return server_ctx, client_ctx


def test_starttls_required(tls):
    server_ctx, client_ctx = tls
    server = SmtpServer(auth=("u", "p"), tls_context=server_ctx, require_starttls=True).start()
    try:
        mailer = SmtpMailer(
            parse_smtp_url(f"smtp+starttls://u:p@127.0.0.1:{server.port}"), client_ctx
        )
        mailer.send(message())
        assert len(server.received) == 1 and server.inbox.logins == ["u"]
        # an untrusted certificate is refused (and kept for retry)
        strict = SmtpMailer(parse_smtp_url(f"smtp+starttls://u:p@127.0.0.1:{server.port}"))
        with pytest.raises(MailError):
            strict.send(message())
    finally:
        server.stop()


def test_implicit_tls_smtps(tls):
    server_ctx, client_ctx = tls
    server = SmtpServer(ssl_context=server_ctx).start()
    try:
        mailer = SmtpMailer(parse_smtp_url(f"smtps://127.0.0.1:{server.port}"), client_ctx)
        mailer.send(message())
        assert len(server.received) == 1
    finally:
        server.stop()


# --------------------------------------------------------------------------- routing.yaml


def test_shipped_routing_file_is_valid():
    routing = load_routing(ROOT / "conversations" / "routing.yaml")
    assert routing.on_call and routing.escalation and "northside" in routing.sites


def test_routing_recipients():
    routing = parse_routing(
        """
default: [d@x.org]
on_call: [oc@x.org]
escalation: [boss@x.org]
sites:
  north:
    name: North
    staff: [North-Staff@x.org]
    programs: {wic: [wic@x.org]}
    escalation: [north-boss@x.org]
"""
    )
    assert routing.staff_for("north", "wic") == ["wic@x.org", "north-staff@x.org"]
    assert routing.staff_for("north", None) == ["north-staff@x.org"]
    assert routing.staff_for("elsewhere", None) == ["d@x.org"]
    assert routing.on_call_for("north") == ["oc@x.org"]
    assert routing.escalation_for("north") == ["north-boss@x.org"]
    assert routing.escalation_for(None) == ["boss@x.org"]
    assert routing.staff_scope("wic@x.org") == frozenset({"north"})
    assert routing.staff_scope("oc@x.org") is None
    assert routing.staff_scope("stranger@x.org") == frozenset()
    assert routing.is_staff("NORTH-STAFF@x.org")


def test_routing_errors_name_file_and_line():
    with pytest.raises(RoutingError) as exc:
        parse_routing(
            "default: [ok@x.org]\nsites:\n  north:\n    staff: [not-an-email]\n    stafff: []\n",
            "conversations/routing.yaml",
        )
    text = str(exc.value)
    assert "conversations/routing.yaml:4:13: error:" in text and "not-an-email" in text
    assert "conversations/routing.yaml:5:5: error:" in text and "stafff" in text
    with pytest.raises(RoutingError, match=r"routing.yaml:\d+:\d+: error: YAML syntax"):
        parse_routing("sites:\n  - [unclosed\n", "routing.yaml")
    with pytest.raises(RoutingError, match="aliases"):
        parse_routing("a: &x [q@x.org]\ndefault: *x\n", "routing.yaml")
    with pytest.raises(RoutingError, match="time zone"):
        parse_routing("timezone: Mars/Olympus\n")
    with pytest.raises(RoutingError, match="start must be before end"):
        parse_routing('business_hours: {start: "17:00", end: "08:00"}\n')


def test_a_broken_edit_keeps_the_last_good_routing(tmp_path):
    path = tmp_path / "routing.yaml"
    path.write_text("default: [good@x.org]\n")
    store = RoutingStore(path)
    assert store.get().default == ("good@x.org",)
    path.write_text("default: [broken\n")
    os.utime(path, (1e9, 2e9))
    assert store.get().default == ("good@x.org",)
    assert store.problems and "routing.yaml" in str(store.problems[0])
    path.write_text("default: [fixed@x.org]\n")
    os.utime(path, (1e9, 2e9 + 10))
    assert store.get().default == ("fixed@x.org",)
    assert store.problems == []


def test_business_time_skips_weekends_and_holidays():
    routing = parse_routing('holidays: ["2026-03-09"]\n')
    friday_3pm = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
    # Monday is a holiday: due Tuesday 15:00 CDT
    assert routing.add_business_time(friday_3pm, 1) == datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
    saturday = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)
    assert routing.add_business_time(saturday, 1) == datetime(2026, 3, 10, 22, 0, tzinfo=UTC)
