"""The demo's SMS simulator (/dev/sms): text the bot as a phone would, no credentials."""

from __future__ import annotations

import re

from sms_helpers import all_rows

from cfbot import create_app
from cfbot.models import Contact, Message


def _csrf(client) -> str:
    page = client.get("/dev/sms").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def send(client, text, phone="+16125550100", **extra):
    data = {"csrf_token": _csrf(client), "phone": phone, "text": text, **extra}
    return client.post("/dev/sms", data=data)


def test_simulator_runs_a_survey_and_shows_the_thread(client, rt):
    assert send(client, "FEEDBACK").status_code == 302
    send(client, "5")
    page = client.get("/dev/sms?phone=%2B16125550100").get_data(as_text=True)
    assert "How satisfied were you" in page and "What was your visit for?" in page
    assert "GSM-7" in page


def test_simulator_stop_and_picture(client, rt):
    send(client, "FEEDBACK")
    send(client, "", picture="1")
    send(client, "STOP")
    page = client.get("/dev/sms?phone=%2B16125550100").get_data(as_text=True)
    assert "(opted out)" in page and "[picture]" in page
    (person,) = all_rows(rt.engine, Contact)
    assert person.opted_out


def test_simulator_refuses_bad_numbers_and_long_texts(client, rt):
    assert "error=phone" in send(client, "hi", phone="nope").headers["Location"]
    assert "error=long" in send(client, "x" * 5000).headers["Location"]
    assert all_rows(rt.engine, Message) == []


def test_simulator_needs_csrf(client, rt):
    response = client.post("/dev/sms", data={"phone": "+16125550100", "text": "STOP"})
    assert response.status_code == 400
    assert all_rows(rt.engine, Message) == []


def test_simulator_exists_only_in_the_demo(settings):
    app = create_app(settings.replace(demo=False))
    assert app.test_client().get("/dev/sms").status_code == 404
