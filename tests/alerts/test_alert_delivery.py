"""SMTP down: alerts wait, are retried, none is lost, and the delay is visible."""

from __future__ import annotations

import re
from datetime import timedelta

from alert_helpers import T0, SmtpServer, csrf_from, free_port, invite, rows, sms
from staff_login import login

from cfbot.models import Alert, MailOut
from cfbot.services.accounts import import_routing
from cfbot.services.alerts import send_pending_mail
from cfbot.services.mailer import SmtpMailer, parse_smtp_url

UNHAPPY = ["1", "Terrible, nobody helped me", "2", "3", "skip"]


def unhappy(rt, start=T0):
    invite(rt, now=start)
    now = start
    for text in UNHAPPY:
        now += timedelta(minutes=1)
        sms(rt, text, now=now)
    return now


def test_smtp_down_keeps_the_alert_retries_and_shows_the_delay(rt, client):
    rt.extras["mailer"] = SmtpMailer(parse_smtp_url(f"smtp://127.0.0.1:{free_port()}", timeout=2))
    end = unhappy(rt)
    assert send_pending_mail(rt, end) == 0
    (row,) = rows(rt, MailOut)
    assert row.status == "pending" and row.attempts == 1
    assert row.first_failed_at == end and "SMTP unavailable" in (row.last_error or "")
    assert row.next_attempt_at == end + timedelta(minutes=1)
    # not due yet: no attempt
    assert send_pending_mail(rt, end + timedelta(seconds=30)) == 0
    assert rows(rt, MailOut)[0].attempts == 1
    # backoff doubles
    send_pending_mail(rt, end + timedelta(minutes=1))
    row = rows(rt, MailOut)[0]
    assert row.attempts == 2 and row.next_attempt_at == end + timedelta(minutes=3)

    # the delay is visible on the alert page and in the list
    (alert,) = rows(rt, Alert)
    login(rt, client, "north-manager@example.org")
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    assert "Email delayed since" in page and "SMTP unavailable" in page

    # SMTP comes back: the same email goes out, once
    server = SmtpServer().start()
    try:
        rt.extras["mailer"] = SmtpMailer(parse_smtp_url(server.url))
        assert send_pending_mail(rt, end + timedelta(minutes=3)) == 1
        assert send_pending_mail(rt, end + timedelta(hours=3)) == 0
        assert len(server.received) == 1
        assert "Terrible, nobody helped me" in server.received[0].text
    finally:
        server.stop()
    row = rows(rt, MailOut)[0]
    assert row.status == "sent" and row.attempts == 3 and row.first_failed_at == end
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    assert "Email delayed since" not in page


def test_backoff_is_capped_at_an_hour(rt):
    rt.extras["mailer"] = SmtpMailer(parse_smtp_url(f"smtp://127.0.0.1:{free_port()}", timeout=2))
    now = unhappy(rt)
    for _ in range(9):
        send_pending_mail(rt, now)
        now = rows(rt, MailOut)[0].next_attempt_at
    row = rows(rt, MailOut)[0]
    assert row.status == "pending" and row.attempts == 9
    assert row.next_attempt_at - now <= timedelta(hours=1)


def test_missing_recipients_wait_until_routing_names_someone(rt, routing_file, smtp):
    routing_file.write_text("sites: {}\n", encoding="utf-8")
    end = unhappy(rt)
    assert send_pending_mail(rt, end) == 0
    row = rows(rt, MailOut)[0]
    assert row.status == "pending" and "no recipients" in (row.last_error or "")
    routing_file.write_text("default: [late@example.org]\n", encoding="utf-8")
    import os

    os.utime(routing_file, (1e9, 2e9))  # make sure the change is seen even within one second
    assert send_pending_mail(rt, end + timedelta(minutes=5)) == 1
    assert smtp.received[0].envelope_to == ["late@example.org"]


def test_a_refused_recipient_fails_visibly_and_can_be_retried(rt, smtp):
    from aiosmtpd.controller import Controller

    class Refuser:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
            return "550 no such user"

    port = free_port()
    controller = Controller(Refuser(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        rt.extras["mailer"] = SmtpMailer(parse_smtp_url(f"smtp://127.0.0.1:{port}"))
        end = unhappy(rt)
        send_pending_mail(rt, end)
    finally:
        controller.stop()
    row = rows(rt, MailOut)[0]
    assert row.status == "failed" and "refused" in (row.last_error or "")
    from cfbot.services.alerts import retry_failed_mail

    rt.extras["mailer"] = SmtpMailer(parse_smtp_url(smtp.url))
    assert retry_failed_mail(rt, end) == 1
    assert send_pending_mail(rt, end) == 1


def test_dashboard_list_flags_delayed_email(rt, client):
    rt.extras["mailer"] = SmtpMailer(parse_smtp_url(f"smtp://127.0.0.1:{free_port()}", timeout=2))
    end = unhappy(rt)
    send_pending_mail(rt, end)
    import_routing(rt)
    page = client.get("/dashboard/login").get_data(as_text=True)
    reply = client.post(
        "/dashboard/login", data={"email": "director@example.org", "csrf_token": csrf_from(page)}
    ).get_data(as_text=True)
    link = re.search(r'href="(?:https?://[^"/]*)?(/dashboard/login/[^"]+)"', reply)
    assert link
    client.get(link.group(1))
    listing = client.get("/dashboard/").get_data(as_text=True)
    assert "delayed since" in listing
