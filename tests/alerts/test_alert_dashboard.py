"""Dashboard: magic-link sign-in, site scoping, alert links after sign-in, acknowledge/resolve, reveal."""

from __future__ import annotations

import re
from datetime import timedelta

from alert_helpers import PHONE, T0, csrf_from, invite, rows, sms

from cfbot.models import Alert, AlertEvent, MailOut, utcnow
from cfbot.services.accounts import import_routing
from cfbot.services.alerts import alert_link, send_pending_mail

UNHAPPY = ["1", "Terrible, nobody helped me", "2", "3", "skip"]


def unhappy(rt, site="northside", phone=PHONE):
    invite(rt, site=site, phone=phone)
    for i, text in enumerate(UNHAPPY, 1):
        sms(rt, text, phone=phone, now=T0 + timedelta(minutes=i))
    return [a for a in rows(rt, Alert) if a.site == site][-1]


def sign_in(client, email):
    import_routing(client.application.extensions["cfbot"])
    page = client.get("/dashboard/login").get_data(as_text=True)
    reply = client.post("/dashboard/login", data={"email": email, "csrf_token": csrf_from(page)})
    assert reply.status_code == 200
    body = reply.get_data(as_text=True)
    assert "If that address is on the staff list" in body
    link = re.search(r'href="(?:https?://[^"/]*)?(/dashboard/login/[^"]+)"', body)
    if link is None:
        return None
    assert client.get(link.group(1)).status_code == 302
    return link.group(1)


def test_list_needs_sign_in(client):
    reply = client.get("/dashboard/")
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/dashboard/login")


def test_magic_link_sign_in_emails_a_link_and_shows_it_in_demo(rt, client, smtp):
    unhappy(rt)
    assert sign_in(client, "North-Manager@example.org")
    listing = client.get("/dashboard/").get_data(as_text=True)
    assert "Low satisfaction rating" in listing and '<th scope="col">' in listing
    (login_mail,) = [m for m in rows(rt, MailOut) if m.purpose == "login"]
    assert login_mail.recipients == ["north-manager@example.org"]
    send_pending_mail(rt, utcnow())  # the login email was queued at the real time
    assert any("/dashboard/login/" in m.text for m in smtp.received)


def test_unknown_address_gets_the_same_page_and_no_email(rt, client):
    assert sign_in(client, "stranger@example.org") is None
    assert [m for m in rows(rt, MailOut) if m.purpose == "login"] == []
    assert client.get("/dashboard/").status_code == 302


def test_bad_tokens_and_old_alert_tokens_are_refused(rt, client):
    alert = unhappy(rt)
    assert client.get("/dashboard/login/not-a-token").status_code == 400
    # an alert link (even one with an old-style token) opens nothing without sign-in
    assert alert_link(rt, alert.id).endswith(f"/dashboard/alerts/{alert.id}")
    reply = client.get(f"/dashboard/alerts/{alert.id}?token=anything")
    assert reply.status_code == 302
    assert client.get(f"/dashboard/alerts/{alert.id}").status_code == 302


def test_site_staff_only_see_their_sites(rt, client):
    north = unhappy(rt, site="northside", phone="+16125550160")
    south = unhappy(rt, site="southside", phone="+16125550161")
    sign_in(client, "south-manager@example.org")
    listing = client.get("/dashboard/?status=all").get_data(as_text=True)
    assert f"#{south.id}<" in listing and f"#{north.id}<" not in listing
    assert client.get(f"/dashboard/alerts/{north.id}").status_code == 404
    assert client.get(f"/dashboard/alerts/{south.id}").status_code == 200


def test_emailed_link_opens_the_alert_after_sign_in_and_acts_as_that_person(rt, client):
    alert = unhappy(rt)
    reply = client.get(f"/dashboard/alerts/{alert.id}")
    assert reply.status_code == 302 and "next=" in reply.headers["Location"]
    # sign in from the page the alert link led to: the link then opens the alert
    import_routing(rt)
    form = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert f'name="next" value="/dashboard/alerts/{alert.id}"' in form
    body = client.post(
        "/dashboard/login",
        data={
            "email": "north-manager@example.org",
            "csrf_token": csrf_from(form),
            "next": f"/dashboard/alerts/{alert.id}",
        },
    ).get_data(as_text=True)
    link = re.search(r'href="(/dashboard/login/[^"]+)"', body).group(1)
    opened = client.get(link)
    assert opened.headers["Location"].endswith(f"/dashboard/alerts/{alert.id}")
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    assert 'name="name"' not in page  # nobody types a name any more
    token = csrf_from(page)
    assert (
        client.post(f"/dashboard/alerts/{alert.id}/acknowledge", data={"name": "Ana"}).status_code
        == 400
    )
    client.post(
        f"/dashboard/alerts/{alert.id}/acknowledge",
        data={"csrf_token": token, "name": "Somebody Else", "note": "calling"},
    )
    (alert,) = rows(rt, Alert)
    assert alert.status == "acknowledged" and alert.acknowledged_by == "north-manager@example.org"
    # resolving needs a cause and a note (a clear 400, never a 500)
    reply = client.post(
        f"/dashboard/alerts/{alert.id}/resolve", data={"csrf_token": token, "note": " "}
    )
    assert reply.status_code == 400 and "choose a cause" in reply.get_data(as_text=True)
    reply = client.post(
        f"/dashboard/alerts/{alert.id}/resolve",
        data={"csrf_token": token, "note": " ", "cause": "wait_time"},
    )
    assert reply.status_code == 400 and "a resolution note is required" in reply.get_data(
        as_text=True
    )
    reply = client.post(
        f"/dashboard/alerts/{alert.id}/resolve",
        data={"csrf_token": token, "note": "x", "cause": "not-a-cause"},
    )
    assert reply.status_code == 400
    client.post(
        f"/dashboard/alerts/{alert.id}/resolve",
        data={"csrf_token": token, "note": "Called; rebooked the visit.", "cause": "wait_time"},
    )
    (alert,) = rows(rt, Alert)
    assert alert.status == "resolved" and alert.resolution_note == "Called; rebooked the visit."
    assert alert.cause == "wait_time" and alert.resolved_by == "north-manager@example.org"
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    assert "Called; rebooked the visit." in page


def test_revealing_the_phone_is_logged(rt, client):
    alert = unhappy(rt)
    sign_in(client, "director@example.org")
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    assert PHONE not in page and "+1******0142" in page
    reply = client.post(
        f"/dashboard/alerts/{alert.id}/reveal", data={"csrf_token": csrf_from(page)}
    )
    assert PHONE in reply.get_data(as_text=True)
    (event,) = [e for e in rows(rt, AlertEvent) if e.action == "phone_revealed"]
    assert event.actor == "director@example.org"
    # the next plain view is masked again
    assert PHONE not in client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)


def test_sign_out(rt, client):
    sign_in(client, "director@example.org")
    page = client.get("/dashboard/").get_data(as_text=True)
    client.post("/dashboard/logout", data={"csrf_token": csrf_from(page)})
    assert client.get("/dashboard/").status_code == 302


def test_pages_are_accessible_basics(rt, client):
    alert = unhappy(rt)
    sign_in(client, "director@example.org")
    for url in ("/dashboard/", f"/dashboard/alerts/{alert.id}", "/dashboard/login"):
        html = client.get(url).get_data(as_text=True)
        assert html.count("<h1") == 1 and '<html lang="' in html
        for field_id in re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', html):
            assert f'for="{field_id}"' in html, (url, field_id)
