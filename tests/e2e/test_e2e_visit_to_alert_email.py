"""End to end, through the public interfaces a health department uses: a visit reported
over the API becomes a Spanish SMS invitation sent by the real Twilio client (to a fake
Twilio on loopback), the client answers over the signed webhook, Twilio reports delivery,
and one alert email reaches the site's staff over real SMTP with a working dashboard link.
A second client's crisis text gets 911/988 at once and one urgent email to on-call staff.

Runs on SQLite and, with CFBOT_TEST_DATABASE_URL, on PostgreSQL (``db_url`` fixture).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from html import escape as html_escape

import pytest
from e2e_helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_NUMBER,
    PUBLIC_URL,
    STATUS,
    FakeClock,
    FakeTwilio,
    SmtpServer,
    expected_send_at,
    in_window,
    new_sid,
    post_signed,
    rows,
    shipped_routing,
    text_bot,
    wait_for_mail,
)
from staff_login import login

from cfbot import jobs
from cfbot.channels.twilio_sms import TwilioSmsChannel
from cfbot.models import Alert, Answer, Conversation, Invitation, MailOut, Message, utcnow
from cfbot.services.alerts import send_pending_mail
from cfbot.services.outbox import dispatch_outbox
from cfbot.services.tokens import create_token

PHONE_RAW = "(612) 555-0142"
PHONE = "+16125550142"
MASKED = "+1******0142"
CRISIS_PHONE = "+16515550177"
CRISIS_MASKED = "+1******0177"

# who must get the emails, read from the shipped conversations/routing.yaml: a
# dissatisfaction alert goes to the site's staff + the visit's program list; a crisis with
# no known site (keyword-started survey) to the global on_call list
ROUTING = shipped_routing()
NORTHSIDE = ROUTING["sites"]["northside"]
NORTHSIDE_STAFF = sorted({*NORTHSIDE["staff"], *NORTHSIDE["programs"]["immunizations"]})
ON_CALL = sorted(ROUTING["on_call"])
LOCAL_CRISIS_ES = ROUTING["crisis_resources"]["es"]
MAIL_FROM = "cfbot@health.example.org"

# what the client sees, from conversations/clinic_visit.yaml (es)
Q_OVERALL = (
    "Hola Lucía. ¿Qué tan satisfecho quedó con su visita a Northside Clinic? "
    "Responda del 1 (nada) al 5 (muy)."
)
Q_WRONG = "Lo sentimos. ¿Qué salió mal?"
Q_REASON = "¿Para qué fue su visita? Elija un número."
Q_REASON_WITH_CHOICES = (
    Q_REASON + "\n1. Vacunas\n2. WIC\n3. Planificación familiar\n4. Prueba ITS\n5. Otra cosa"
)
Q_RECOMMEND = (
    "¿Nos recomendaría a un amigo o familiar? Responda del 0 (nada probable) al 10 (muy probable)."
)
Q_COMMENTS = "¿Algo más que quiera decirnos? Responda SALTAR para omitir."
CLOSING = (
    "¡Gracias por su opinión! Nos ayuda a servirle mejor. "
    "Responda STOP para no recibir más mensajes."
)
COMPLAINT = "Esperé dos horas y nadie me atendió"
# a keyword-started survey knows no name or site
Q_OVERALL_KEYWORD = (
    "Hola. ¿Qué tan satisfecho quedó con su visita a nuestra clínica? "
    "Responda del 1 (nada) al 5 (muy)."
)


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    yield fake
    fake.close()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides(fake_twilio: FakeTwilio, smtp: SmtpServer) -> dict[str, object]:
    """Production-like: real Twilio adapter (to the fake), signed webhooks for the public
    URL, real SMTP, the shipped flows and routing.yaml, no demo shortcuts."""
    return {
        "demo": False,
        "sms_channel": "twilio",
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": OUR_NUMBER,
        "twilio_api_base_url": fake_twilio.base_url,
        "twilio_timeout": 2.0,
        "public_url": PUBLIC_URL,
        "smtp_url": smtp.url,
        "smtp_timeout": 5.0,
        "mail_from": MAIL_FROM,
        "timezone": "America/Chicago",
    }


def decoded(msg: EmailMessage) -> str:
    """Every header and every decoded text part of an email (what a reader could see)."""
    parts = [f"{k}: {v}" for k, v in msg.items()]
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            parts.append(str(part.get_content()))
    return "\n".join(parts)


def assert_phone_hidden(msg: EmailMessage, e164: str) -> None:
    everything = decoded(msg) + msg.as_string()
    national = e164[2:]  # 6125550142
    for form in (
        e164,
        national,
        f"{national[:3]}-{national[3:6]}-{national[6:]}",
        f"({national[:3]}) {national[3:6]}-{national[6:]}",
    ):
        assert form not in everything, form


def open_signed_link(client, text: str, html: str, alert_id: int) -> str:
    """Follow the email's dashboard link with the test client (it asks for sign-in, then
    opens the alert for an account that covers it); returns the page."""
    link = re.search(re.escape(PUBLIC_URL) + r"(/dashboard/alerts/(\d+))\s", text)
    assert link, text
    assert int(link.group(2)) == alert_id
    assert link.group(1) in html
    opened = client.get(link.group(1))
    if opened.status_code == 302:  # not signed in yet: the link asks for sign-in first
        assert "/dashboard/login" in opened.headers["Location"]
        login(client.application.extensions["cfbot"], client, "director@example.org", "admin")
    page = client.get(link.group(1))
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    return page.get_data(as_text=True)


def test_visit_to_sms_survey_to_alert_email_and_crisis(rt, client, fake_twilio, smtp):
    assert isinstance(rt.channels["sms"], TwilioSmsChannel)

    # ---- 1. the EHR reports a visit over the API ---------------------------------------
    token = create_token(rt, "ehr-e2e").secret
    reported = utcnow()
    visited_at = (reported - timedelta(hours=3)).replace(microsecond=0)
    response = client.post(
        "/api/v1/visits?source=ehr",
        json={
            "phone": PHONE_RAW,
            "visited_at": visited_at.isoformat(),
            "site": "northside",
            "program": "immunizations",
            "language": "es",
            "first_name": "Lucía",
            "external_id": "E2E-1",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    after = utcnow()
    assert response.status_code == 201, response.json
    (item,) = response.json["results"]
    assert item["status"] == "created" and item["invitation"]["status"] == "scheduled", item
    (invitation,) = rows(rt.engine, Invitation)
    # 2 h after the visit at the earliest, never in the past, inside 08:00-21:00 Chicago
    assert invitation.send_at >= visited_at + timedelta(hours=2)
    assert expected_send_at(reported) <= invitation.send_at <= expected_send_at(after)
    assert fake_twilio.requests == []

    # The API and the webhooks read the real clock (they take no "now"); the clock jobs
    # get a frozen "now": the moment the invitation falls due, inside the window.
    now = invitation.send_at
    assert in_window(now)

    # ---- 2. the clock starts the survey; the outbox sends it through Twilio -----------
    early = jobs.run_once(rt, now=now - timedelta(seconds=1), only="send_invitations")
    assert early["send_invitations"].sent == 0  # not due yet
    for job in jobs.JOBS:
        if job.id == "dispatch_outbox":
            continue  # run below with a fake clock/sleep instead of the wall clock
        result = jobs.run_once(rt, now=now, only=job.id)[job.id]
        assert result is not None, f"job {job.id} failed (see log)"
        if job.id == "send_invitations":
            assert result.sent == 1, result
    fake = FakeClock(now)
    report = dispatch_outbox(rt, now, clock=fake.clock, sleep=fake.sleep)
    assert (report.sent, report.failed, report.retried, report.deferred) == (1, 0, 0, 0)
    assert dispatch_outbox(rt, now, clock=fake.clock, sleep=fake.sleep).sent == 0
    assert sum(fake.slept) < 1.0

    assert len(fake_twilio.requests) == 1
    (sent,) = fake_twilio.sent
    assert sent.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert sent.form["To"] == PHONE
    assert sent.form["From"] == OUR_NUMBER
    assert sent.form["Body"] == Q_OVERALL
    assert sent.form["StatusCallback"] == PUBLIC_URL + STATUS
    (invitation,) = rows(rt.engine, Invitation)
    assert invitation.status == "sent" and invitation.conversation_id is not None
    (conversation,) = rows(rt.engine, Conversation)
    assert (conversation.language, conversation.site, conversation.program) == (
        "es",
        "northside",
        "immunizations",
    )
    (outbound,) = rows(rt.engine, Message, Message.direction == "out")
    assert outbound.status == "sent" and outbound.external_id == sent.sid

    # ---- 3. the client answers over the signed webhook --------------------------------
    first_sid, complaint_sid = new_sid(), new_sid()
    xml_first, got = text_bot(client, "1", PHONE, sid=first_sid)
    assert got == [Q_WRONG]
    xml_complaint, got = text_bot(client, COMPLAINT, PHONE, sid=complaint_sid)
    assert got == [Q_REASON_WITH_CHOICES]
    # Twilio retries a webhook: the same TwiML, nothing stored or answered twice
    assert text_bot(client, COMPLAINT, PHONE, sid=complaint_sid)[0] == xml_complaint
    assert len(rows(rt.engine, Answer)) == 2
    assert text_bot(client, "vacunas", PHONE)[1] == [Q_RECOMMEND]
    assert text_bot(client, "2", PHONE)[1] == [Q_COMMENTS]
    assert text_bot(client, "SALTAR", PHONE)[1] == [CLOSING]
    # a very late retry of the first answer still gets its original reply
    assert text_bot(client, "1", PHONE, sid=first_sid)[0] == xml_first

    (conversation,) = rows(rt.engine, Conversation)
    assert conversation.status == "completed"
    answers = rows(rt.engine, Answer)
    assert [a.question_id for a in answers] == [
        "overall",
        "what_went_wrong",
        "reason",
        "recommend",
        "comments",
    ]
    assert [a.raw_text for a in answers[:2]] == ["1", COMPLAINT]
    assert answers[0].value_number == 1 and answers[3].value_number == 2
    assert answers[2].value_text == "shots" and answers[4].skipped
    assert {a.language for a in answers} == {"es"}
    assert answers[1].question_text == Q_WRONG
    assert len(rows(rt.engine, Message, Message.direction == "in")) == 5
    assert len(rows(rt.engine, Message, Message.direction == "out")) == 6  # invitation + 5
    assert len(fake_twilio.requests) == 1  # replies went back as TwiML, not over REST

    # ---- 4. Twilio reports the invitation delivered ------------------------------------
    callback = {
        "MessageSid": sent.sid,
        "SmsSid": sent.sid,
        "AccountSid": ACCOUNT_SID,
        "From": OUR_NUMBER,
        "To": PHONE,
        "MessageStatus": "delivered",
        "SmsStatus": "delivered",
        "ApiVersion": "2010-04-01",
    }
    assert post_signed(client, STATUS, callback).status_code == 204
    (outbound,) = rows(rt.engine, Message, Message.external_id == sent.sid)
    assert outbound.status == "delivered"

    # ---- 5. exactly one alert email to Northside's staff, over SMTP --------------------
    (alert,) = rows(rt.engine, Alert)
    assert (alert.kind, alert.site, alert.program) == (
        "dissatisfaction",
        "northside",
        "immunizations",
    )
    mail_now = max(now, utcnow()) + timedelta(minutes=1)
    assert jobs.run_once(rt, now=mail_now, only="send_alert_mail") == {"send_alert_mail": 1}
    (mail,) = wait_for_mail(smtp, 1)
    assert sorted(mail.envelope_to) == NORTHSIDE_STAFF
    msg = mail.message
    assert msg["From"] == MAIL_FROM
    assert sorted(a.strip() for a in msg["To"].split(",")) == NORTHSIDE_STAFF
    assert f"alert #{alert.id}" in msg["Subject"] and "Northside Clinic" in msg["Subject"]
    assert msg.get_content_type() == "multipart/alternative"
    text = mail.text.replace("\r\n", "\n")
    html = mail.html
    # the answers under the Spanish wording the client saw (English gloss for staff)
    assert re.search(rf"Q: {re.escape(Q_OVERALL)}\n   \(Hi Lucía, .*\)\nA: 1\n", text), text
    assert f"Q: {Q_WRONG}\n   (We're sorry. What went wrong?)\nA: {COMPLAINT}\n" in text
    assert f"Q: {Q_REASON}\n   1. Vacunas\n" in text and "A: vacunas (= shots)" in text
    assert re.search(rf"Q: {re.escape(Q_RECOMMEND)}\n.*\nA: 2\n", text), text
    assert re.search(rf"Q: {re.escape(Q_COMMENTS)}\n.*\nA: \(skipped\)\n", text), text
    for wording in (Q_OVERALL, Q_WRONG, Q_RECOMMEND, Q_COMMENTS, COMPLAINT):
        assert html_escape(wording) in html, wording
    assert_phone_hidden(msg, PHONE)
    assert MASKED in text and MASKED in html
    page = open_signed_link(client, text, html, alert.id)
    assert COMPLAINT in page and html_escape(Q_WRONG) in page
    assert MASKED in page and PHONE not in page

    # the mail job again, now and later: nothing more
    assert send_pending_mail(rt, mail_now + timedelta(minutes=5)) == 0
    later = jobs.run_once(rt, now=mail_now + timedelta(hours=1), only="send_alert_mail")
    assert later == {"send_alert_mail": 0}
    assert len(wait_for_mail(smtp, 2, timeout=0.2)) == 1

    # ---- 6. a second client: keyword survey, then a crisis message ---------------------
    assert text_bot(client, "COMENTARIOS", CRISIS_PHONE)[1] == [Q_OVERALL_KEYWORD]
    _, got = text_bot(client, "ya no quiero vivir", CRISIS_PHONE)
    assert len(got) == 1, got
    (crisis_reply,) = got
    assert crisis_reply.startswith(
        "Si está en peligro o necesita ayuda médica ahora, llame al 911."
    )
    assert "llame al 988" in crisis_reply and "envíe AYUDA al 988" in crisis_reply
    assert LOCAL_CRISIS_ES in crisis_reply
    assert len(fake_twilio.requests) == 1  # the crisis reply went back as TwiML at once

    (crisis,) = rows(rt.engine, Alert, Alert.kind == "crisis")
    assert crisis.severity == "urgent"
    crisis_now = max(now, utcnow()) + timedelta(minutes=2)
    assert jobs.run_once(rt, now=crisis_now, only="send_alert_mail") == {"send_alert_mail": 1}
    received = wait_for_mail(smtp, 2)
    assert len(received) == 2
    urgent = received[1]
    assert sorted(urgent.envelope_to) == ON_CALL
    assert urgent.message["Subject"].startswith(f"URGENT crisis alert #{crisis.id}")
    urgent_text = urgent.text.replace("\r\n", "\n")
    assert "ya no quiero vivir" in urgent_text and "ya no quiero vivir" in urgent.html
    assert_phone_hidden(urgent.message, CRISIS_PHONE)
    assert CRISIS_MASKED in urgent_text and CRISIS_MASKED in urgent.html
    crisis_page = open_signed_link(client, urgent_text, urgent.html, crisis.id)
    assert "ya no quiero vivir" in crisis_page and CRISIS_PHONE not in crisis_page

    assert send_pending_mail(rt, crisis_now + timedelta(minutes=5)) == 0
    assert len(wait_for_mail(smtp, 3, timeout=0.2)) == 2
    assert [m.status for m in rows(rt.engine, MailOut)] == ["sent", "sent"]
