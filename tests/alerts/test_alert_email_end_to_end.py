"""An unhappy SMS survey produces exactly one alert email to the site's staff (real SMTP)."""

from __future__ import annotations

import re
from datetime import timedelta

from alert_helpers import PHONE, T0, invite, rows, sms
from staff_login import login

from cfbot.models import Alert, AlertEvent, Conversation, MailOut
from cfbot.services.alerts import send_pending_mail

UNHAPPY = ["1", "The nurse was rude and I waited two hours <b>for nothing</b>", "2", "3", "skip"]
HAPPY = ["5", "2", "10", "Great staff, thank you"]


def run_survey(rt, answers, start=T0, phone=PHONE, **kw):
    conversation_id = invite(rt, now=start, phone=phone, **kw)
    now = start
    for text in answers:
        now += timedelta(minutes=1)
        sms(rt, text, phone=phone, now=now)
    return conversation_id, now


def test_unhappy_sms_survey_sends_exactly_one_email_to_the_sites_staff(rt, smtp, client):
    conversation_id, end = run_survey(rt, UNHAPPY)
    (conversation,) = [c for c in rows(rt, Conversation) if c.id == conversation_id]
    assert conversation.status == "completed"

    (alert,) = rows(rt, Alert)
    assert alert.kind == "dissatisfaction" and alert.status == "open"
    assert alert.site == "northside" and alert.program == "wic"
    assert "Low satisfaction rating" in alert.reason
    assert "Would not recommend" in alert.reason  # later rules join the same alert

    assert send_pending_mail(rt, end) == 1
    assert send_pending_mail(rt, end + timedelta(hours=2)) == 0  # never twice
    assert len(smtp.received) == 1
    mail = smtp.received[0]
    assert sorted(mail.envelope_to) == ["north-manager@example.org", "north-wic@example.org"]
    msg = mail.message
    assert msg["From"] == "cfbot@health.example.org"
    assert "Feedback alert #" in msg["Subject"] and "Northside Clinic" in msg["Subject"]
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.is_multipart() and msg.get_content_type() == "multipart/alternative"

    text, html = mail.text, mail.html
    # the client's answers under the wording they saw
    assert re.search(r"Q: Hi, how satisfied were you with your visit.*\nA: 1", text)
    assert "Q: We're sorry. What went wrong?" in text
    assert "The nurse was rude and I waited two hours <b>for nothing</b>" in text
    assert "WIC" in text and "(skipped)" in text
    # HTML is escaped: client text never becomes markup
    assert "&lt;b&gt;for nothing&lt;/b&gt;" in html and "<b>for nothing</b>" not in html
    # the phone is masked everywhere in the email
    raw = msg.as_string()
    assert PHONE not in raw and PHONE[2:] not in raw
    assert "+1******0142" in text and "+1******0142" in html

    # the link carries no credential: it opens the alert after sign-in
    link = re.search(r"https://feedback\.example\.org(/dashboard/alerts/\d+)\s", text)
    assert link, text
    assert link.group(1) in html
    first = client.get(link.group(1))
    assert first.status_code == 302 and "/dashboard/login" in first.headers["Location"]
    login(rt, client, "north-wic@example.org")
    page = client.get(link.group(1))
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "The nurse was rude" in body and "+1******0142" in body and PHONE not in body
    assert page.headers["Cache-Control"] == "no-store"

    sent = [e for e in rows(rt, AlertEvent) if e.action == "email_sent"]
    assert len(sent) == 1 and "north-wic@example.org" in sent[0].note


def test_happy_survey_raises_no_alert(rt, smtp):
    _, end = run_survey(rt, HAPPY)
    assert rows(rt, Alert) == []
    assert send_pending_mail(rt, end) == 0
    assert smtp.received == []


def test_alert_email_waits_for_the_clients_words_but_not_forever(rt, smtp):
    invite(rt)
    sms(rt, "1", now=T0 + timedelta(minutes=1))  # rule fires; the survey is still going
    assert send_pending_mail(rt, T0 + timedelta(minutes=2)) == 0
    assert smtp.received == []
    # the client stops answering: the hold (30 minutes) ends and the email goes anyway
    assert send_pending_mail(rt, T0 + timedelta(minutes=32)) == 1
    (mail,) = smtp.received
    assert "Q: Hi, how satisfied" in mail.text


def test_one_client_does_not_cause_many_emails_within_the_rearm_window(rt, smtp):
    _, end = run_survey(rt, UNHAPPY)
    send_pending_mail(rt, end)
    # the same client does the survey again two hours later, unhappy again
    _, end2 = run_survey(rt, UNHAPPY, start=T0 + timedelta(hours=2))
    send_pending_mail(rt, end2)
    alerts = rows(rt, Alert)
    assert len(alerts) == 1 and len(alerts[0].details["conversations"]) == 2
    assert len(smtp.received) == 1
    assert any(e.action == "repeat" for e in rows(rt, AlertEvent))
    # after the window a new alert (and email) is raised
    _, end3 = run_survey(rt, UNHAPPY, start=T0 + timedelta(hours=30))
    send_pending_mail(rt, end3)
    assert len(rows(rt, Alert)) == 2
    assert len(smtp.received) == 2


def test_different_clients_each_get_their_own_alert(rt, smtp):
    _, end = run_survey(rt, UNHAPPY, phone="+16125550150")
    _, end = run_survey(rt, UNHAPPY, phone="+16125550151", start=end)
    assert send_pending_mail(rt, end) == 2
    assert len(smtp.received) == 2


def test_alert_without_a_known_site_goes_to_the_default_list(rt, smtp):
    _, end = run_survey(rt, UNHAPPY, site=None, program=None)
    send_pending_mail(rt, end)
    (mail,) = smtp.received
    assert mail.envelope_to == ["feedback@example.org"]


def test_keyword_started_sms_survey_alerts_too(rt, smtp):
    sms(rt, "FEEDBACK")
    for i, text in enumerate(UNHAPPY, 1):
        sms(rt, text, now=T0 + timedelta(minutes=i))
    assert send_pending_mail(rt, T0 + timedelta(minutes=10)) == 1
    assert smtp.received[0].envelope_to == ["feedback@example.org"]


def test_spanish_answers_show_the_spanish_wording_and_the_english_gloss(rt, smtp):
    _, end = run_survey(rt, ["1", "Me trataron muy mal", "2", "0", "saltar"], lang="es")
    send_pending_mail(rt, end)
    (mail,) = smtp.received
    assert "Q: Hola. ¿Qué tan satisfecho quedó" in mail.text
    assert "(Hi, how satisfied were you" in mail.text
    assert "Me trataron muy mal" in mail.text


def test_mail_rows_record_what_was_sent(rt, smtp):
    _, end = run_survey(rt, UNHAPPY)
    send_pending_mail(rt, end)
    (row,) = rows(rt, MailOut)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at == end
    assert row.recipients == ["north-wic@example.org", "north-manager@example.org"]
