"""Reach: every survey carries its site (poster keyword codes, chat links, the site
question), anonymous flows hide the phone, consent intro, names and web closing."""

from __future__ import annotations

from datetime import timedelta

from alert_helpers import PHONE, T0, csrf_from, rows, sms

from cfbot.flow_check import check_paths
from cfbot.models import Alert, Conversation
from cfbot.services.alerts import send_pending_mail
from cfbot.services.exports import ExportQuery, iter_records

UNHAPPY_CLINIC = ["1", "They were rude to me and I waited hours", "2", "3", "SKIP"]


def _texts(rt, answers, start=T0, phone=PHONE):
    now = start
    replies = []
    for text in answers:
        now += timedelta(minutes=1)
        replies.append(sms(rt, text, phone=phone, now=now))
    return replies, now


def test_poster_keyword_with_site_code_routes_the_alert_to_that_sites_staff(rt, smtp):
    replies, end = _texts(rt, ["FEEDBACK N", *UNHAPPY_CLINIC])
    assert "how satisfied" in replies[0][0].lower()
    # the question names the clinic as people know it, not its key
    assert "Northside Clinic" in replies[0][0] and "northside today" not in replies[0][0]
    (conversation,) = rows(rt, Conversation)
    assert conversation.site == "northside" and conversation.status == "completed"
    (alert,) = rows(rt, Alert)
    assert alert.site == "northside"
    assert send_pending_mail(rt, end) == 1
    assert smtp.received[0].envelope_to == ["north-manager@example.org"]
    assert "Northside Clinic" in smtp.received[0].message["Subject"]


def test_site_code_is_case_and_space_insensitive_and_unknown_codes_start_nothing(rt, smtp):
    (reply,), _ = _texts(rt, ["feedback   x"])
    assert "To give feedback" in reply[0]
    assert rows(rt, Conversation) == []
    _texts(rt, ["comentarios s"], start=T0 + timedelta(minutes=5))
    (conversation,) = rows(rt, Conversation)
    assert conversation.site == "southside" and conversation.language == "es"


def test_anonymous_flow_sends_intro_asks_the_site_and_hides_the_phone(rt, smtp):
    replies, end = _texts(
        rt, ["VACCINE", "2", "no", "They ran out of vaccine, awful", "1", "2", "SKIP"]
    )
    first = replies[0]
    assert "Reply STOP to stop" in first[0] and "never your number" in first[0]
    assert "Which clinic did you visit?" in first[1] and "2. Southside Family Health" in first[1]
    # the answer names the site for the rest of the survey ({site})
    assert "vaccinated at Southside Family Health" in replies[1][0]
    assert "Did you get all the vaccines" in replies[1][1]
    (conversation,) = rows(rt, Conversation)
    assert conversation.site == "southside" and conversation.program == "immunizations"
    assert conversation.anonymous is True
    (alert,) = rows(rt, Alert)
    assert alert.site == "southside"
    assert send_pending_mail(rt, end) == 1
    mail = smtp.received[0]
    assert mail.envelope_to == ["south-manager@example.org"]
    assert "no way to reach this client" in mail.text
    assert "0142" not in mail.text and "0142" not in mail.html
    # exports drop the phone of an anonymous survey, even when phones are asked for
    query = ExportQuery(T0.date(), (T0 + timedelta(days=1)).date(), with_phones=True)
    records = list(iter_records(rt.engine, query))
    assert records and all(r[-1] == "" for r in records)


def test_chat_link_carries_site_and_program(rt, client, smtp):
    page = client.get("/chat?site=northside&program=wic&lang=en").get_data(as_text=True)
    client.post(
        "/chat/start", data={"csrf_token": csrf_from(page), "flow": "clinic_visit", "lang": "en"}
    )
    (conversation,) = rows(rt, Conversation)
    assert (conversation.site, conversation.program, conversation.channel) == (
        "northside",
        "wic",
        "webchat",
    )


def test_chat_link_with_unknown_site_or_program_is_a_clear_400(client):
    r = client.get("/chat?site=nowhere")
    assert r.status_code == 400 and "site" in r.get_data(as_text=True)
    assert client.get("/chat?site=northside&program=nothing").status_code == 400


def test_web_chat_without_site_asks_for_it_when_the_flow_says_so(rt, client, smtp):
    page = client.get("/chat?lang=en").get_data(as_text=True)
    token = csrf_from(page)
    client.post("/chat/start", data={"csrf_token": token, "flow": "immunization_clinic"})
    page = client.get("/chat").get_data(as_text=True)
    assert "Which clinic did you visit?" in page
    client.post("/chat/send", data={"csrf_token": token, "text": "Northside", "client_id": "1"})
    (conversation,) = rows(rt, Conversation)
    assert conversation.site == "northside"


def test_chat_page_is_translated_and_web_closing_has_no_stop(rt, client, smtp):
    page = client.get("/chat?lang=es").get_data(as_text=True)
    assert "Encuesta sobre su visita a la clínica" in page
    assert "Seguimiento de la clínica de vacunas" in page
    assert "Clinic visit follow-up" not in page
    token = csrf_from(page)
    client.post("/chat/start", data={"csrf_token": token, "flow": "clinic_visit", "lang": "en"})
    for i, text in enumerate(["5", "2", "10", "SKIP"]):
        client.post("/chat/send", data={"csrf_token": token, "text": text, "client_id": str(i)})
    page = client.get("/chat").get_data(as_text=True)
    assert "It helps us serve you better." in page
    assert "STOP to opt out" not in page


def test_flows_check_warns_about_shared_and_unknown_sites(tmp_path):
    base = "languages: [en]\nquestions: [{id: q, type: text, text: {en: Hi}}]\n"
    (tmp_path / "a.yaml").write_text(f"id: a\nsites: [northside]\n{base}", encoding="utf-8")
    (tmp_path / "b.yaml").write_text(
        f"id: b\nsites: [northside, mars]\nsite_codes: {{M: moon}}\n{base}", encoding="utf-8"
    )
    report = check_paths([str(tmp_path)], known_sites={"northside"})
    messages = [p.message for p in report.problems]
    assert any("'northside' is also claimed by flow 'a'" in m for m in messages)
    assert any("'mars' is not in routing.yaml" in m for m in messages)
    assert any("'moon'" in m for m in messages)
    assert all(p.severity == "warning" for p in report.problems)
