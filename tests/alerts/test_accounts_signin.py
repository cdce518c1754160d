"""Sign-in: single-use links bound to the asking browser, server-side sessions that
logout and disabling end, the same path for known and unknown addresses, audit."""

from __future__ import annotations

import base64
import re

import pytest
from alert_helpers import csrf_from, rows

from cfbot.models import AuditEntry, LoginRequest, MailOut
from cfbot.services.accounts import save_user, set_disabled
from cfbot.services.staff_auth import process_sign_in_requests

KNOWN = "north-manager@example.org"


@pytest.fixture
def settings_overrides(smtp, routing_file):
    # not the demo: no link on the page, the mail job decides
    return {
        "smtp_url": smtp.url,
        "routing_file": str(routing_file),
        "public_url": "https://feedback.example.org",
        "demo": False,
    }


def ask(client, email: str, **extra: str):
    page = client.get("/dashboard/login").get_data(as_text=True)
    return client.post(
        "/dashboard/login", data={"email": email, "csrf_token": csrf_from(page), **extra}
    )


def link_for(rt, email: str) -> str:
    process_sign_in_requests(rt)
    (mail,) = [m for m in rows(rt, MailOut) if m.purpose == "login" and email in m.recipients][-1:]
    return re.search(r"(/dashboard/login/\S+)", mail.text_body).group(1)


def test_known_and_unknown_addresses_take_the_same_path(rt, client):
    save_user(rt, KNOWN, "manager", ["northside"])
    known = ask(client, KNOWN)
    unknown = ask(client, "stranger@example.org")
    assert known.status_code == unknown.status_code == 200
    # the same page, byte for byte, but for the CSRF token
    strip = lambda r: re.sub(r'value="[^"]+"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(known) == strip(unknown)
    assert "/dashboard/login/" not in known.get_data(as_text=True)
    # the request path stored one row each, the same way, and queued no mail
    assert [r.status for r in rows(rt, LoginRequest)] == ["requested", "requested"]
    assert [m for m in rows(rt, MailOut) if m.purpose == "login"] == []
    # the mail job: a link for the known address only
    process_sign_in_requests(rt)
    assert [m.recipients for m in rows(rt, MailOut) if m.purpose == "login"] == [[KNOWN]]
    assert sorted(r.status for r in rows(rt, LoginRequest)) == ["dropped", "sent"]


def test_link_is_single_use_and_cookie_is_opaque(rt, client):
    save_user(rt, KNOWN, "manager", ["northside"])
    ask(client, KNOWN)
    link = link_for(rt, KNOWN)
    opened = client.get(link)
    assert opened.status_code == 302
    cookie = client.get_cookie("cfbot_staff")
    assert cookie is not None
    decoded = base64.urlsafe_b64decode(cookie.value + "==").decode("latin-1")
    assert "@" not in cookie.value and "north" not in decoded
    assert client.get("/dashboard/").status_code == 200
    # the same link again (even in the same browser) is refused
    again = client.get(link)
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    assert any(e.action == "signin" and e.actor == KNOWN for e in rows(rt, AuditEntry))
    assert any(e.action == "signin_refused" for e in rows(rt, AuditEntry))


def test_link_opened_in_another_browser_is_refused(rt, app, client):
    save_user(rt, KNOWN, "manager", ["northside"])
    ask(client, KNOWN)
    link = link_for(rt, KNOWN)
    other = app.test_client()
    refused = other.get(link)
    assert refused.status_code == 400
    assert "same browser" in refused.get_data(as_text=True)
    assert other.get("/dashboard/").status_code == 302
    # a refusal in another browser does not burn the link for the right one
    assert client.get(link).status_code == 302


def test_expired_link_is_refused(rt, client, clock):
    from datetime import timedelta

    from cfbot.clock import FrozenClock

    frozen = FrozenClock(rt.now())
    rt.clock = frozen
    save_user(rt, KNOWN, "manager", ["northside"])
    ask(client, KNOWN)
    link = link_for(rt, KNOWN)
    frozen.advance(timedelta(minutes=16))
    reply = client.get(link)
    assert reply.status_code == 400 and "expired" in reply.get_data(as_text=True)


def test_cookie_replayed_after_logout_is_refused(rt, app, client):
    save_user(rt, KNOWN, "manager", ["northside"])
    ask(client, KNOWN)
    client.get(link_for(rt, KNOWN))
    saved = client.get_cookie("cfbot_staff").value
    page = client.get("/dashboard/").get_data(as_text=True)
    client.post("/dashboard/logout", data={"csrf_token": csrf_from(page)})
    thief = app.test_client()
    thief.set_cookie("cfbot_staff", saved)
    assert thief.get("/dashboard/").status_code == 302
    assert any(e.action == "signout" for e in rows(rt, AuditEntry))


def test_disabling_a_user_ends_their_sessions(rt, client):
    save_user(rt, KNOWN, "manager", ["northside"])
    ask(client, KNOWN)
    client.get(link_for(rt, KNOWN))
    assert client.get("/dashboard/").status_code == 200
    set_disabled(rt, KNOWN, True)
    assert client.get("/dashboard/").status_code == 302
    # re-enabling does not revive the old session
    set_disabled(rt, KNOWN, False)
    assert client.get("/dashboard/").status_code == 302


def test_sign_in_requests_are_rate_limited_per_address(rt, client):
    replies = [ask(client, "someone@example.org").status_code for _ in range(6)]
    assert replies[:5] == [200] * 5 and replies[5] == 429


def test_next_page_must_stay_on_the_dashboard(rt, client):
    save_user(rt, KNOWN, "manager", ["northside"])
    ask(client, KNOWN, next="//evil.example.org/x")
    opened = client.get(link_for(rt, KNOWN))
    assert opened.headers["Location"].endswith("/dashboard/")
