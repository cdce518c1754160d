"""Dashboard polish: plain words in the history, held mail in the list, a styled 404,
a readable Reason column on a phone, the crisis alert's language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alert_helpers import T0, invite, rows, sms
from test_alert_dashboard import sign_in, unhappy

from cfbot.clock import FrozenClock
from cfbot.db import unit_of_work
from cfbot.models import Alert, Contact
from cfbot.services.alerts.common import log_event

NOW = T0 + timedelta(minutes=3)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def test_history_shows_plain_words_not_codes(rt, client):
    alert = unhappy(rt)
    with unit_of_work(rt.engine) as session:
        for action in ("reason_added", "phone_revealed", "survey_resumed", "followup_queued"):
            log_event(session, alert.id, action, NOW)
    sign_in(client, "director@example.org")
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    history = page.split('id="log-h"', 1)[1]
    for code in ("reason_added", "phone_revealed", "survey_resumed", "followup_queued"):
        assert f"<td>{code}</td>" not in history
    for words in ("Another reason added", "Full phone number shown", "Survey resumed"):
        assert words in history
    assert "Alert raised" in history and "Reply to the client queued" in history


def test_history_and_category_in_spanish(rt, client):
    invite(rt)
    sms(rt, "I want to end my life", now=T0 + timedelta(minutes=1))
    (alert,) = rows(rt, Alert)
    with unit_of_work(rt.engine) as session:
        log_event(session, alert.id, "phone_revealed", NOW)
    sign_in(client, "director@example.org")
    with client.session_transaction() as s:
        s["lang"] = "es"
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    assert "self_harm" not in page and "posible autolesión" in page
    assert "Número de teléfono completo mostrado" in page and "Alerta creada" in page


def test_list_says_held_mail_waits_for_the_survey(rt, client):
    invite(rt)
    sms(rt, "1", now=T0 + timedelta(minutes=1))
    sms(rt, "Terrible, nobody helped me", now=T0 + timedelta(minutes=2))
    (alert,) = rows(rt, Alert)
    sign_in(client, "director@example.org")
    listing = client.get("/dashboard/").get_data(as_text=True)
    row = listing.split(f"#{alert.id}<", 1)[1].split("</tr>", 1)[0]
    assert "held until the survey ends" in row and ">ok<" not in row
    # the detail page agrees
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    assert "held" in page


def test_alert_out_of_scope_is_a_styled_404(rt, client):
    north = unhappy(rt, site="northside", phone="+16125550160")
    sign_in(client, "south-manager@example.org")
    for url in (f"/dashboard/alerts/{north.id}", "/dashboard/alerts/999999"):
        reply = client.get(url)
        assert reply.status_code == 404
        html = reply.get_data(as_text=True)
        assert 'class="dashboard"' in html and "<h1>Not found</h1>" in html
        assert "cfbot.css" in html and "Back to the alerts" in html


def test_reason_column_stays_readable_on_a_phone(rt, client):
    unhappy(rt)
    sign_in(client, "director@example.org")
    listing = client.get("/dashboard/").get_data(as_text=True)
    assert '<td class="reason">' in listing
    assert '<div class="table-wrap" tabindex="0" role="region"' in listing
    css = (Path(__file__).parents[2] / "cfbot/static/cfbot.css").read_text(encoding="utf-8")
    assert ".table-wrap td.reason { min-width: 14rem;" in css


def test_crisis_alert_shows_the_language_the_client_wrote_in(rt, client, smtp):
    invite(rt, lang="en")
    sms(rt, "quiero quitarme la vida", now=T0 + timedelta(minutes=1))
    (alert,) = rows(rt, Alert)
    assert alert.details.get("language") == "es"
    with unit_of_work(rt.engine) as session:  # the contact's language says otherwise
        contact = session.get(Contact, alert.contact_id)
        contact.language = "vi"
        session.add(contact)
    sign_in(client, "director@example.org")
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    assert "language: es" in page and "language: vi" not in page


def test_crisis_alert_shows_what_flagged_each_message(rt, client, smtp, monkeypatch):
    from cfbot.services import safety_model
    from cfbot.services.ngram_model import Model

    invite(rt, lang="en")
    # first a message only the learned net flags (a toy model that always fires) ...
    always = Model({"w the": (0.0, 9.0, 0.0, 0.0)}, (0.0, 0.0, 0.0, 0.0), 0.5)
    monkeypatch.setattr(safety_model, "load", lambda: always)
    sms(rt, "the day went the way it went", now=T0 + timedelta(minutes=1))
    # ... then one a list phrase flags: same alert, both triggers
    sms(rt, "quiero quitarme la vida", now=T0 + timedelta(minutes=2))
    (alert,) = rows(rt, Alert)
    assert alert.details["triggers"][0].startswith("model, p=")
    assert alert.details["triggers"][1] == "quiero quitarme la vida"
    sign_in(client, "director@example.org")
    page = client.get(f"/dashboard/alerts/{alert.id}").get_data(as_text=True)
    assert "Flagged by" in page and "quiero quitarme la vida" in page
    assert "the learned check (p=" in page
