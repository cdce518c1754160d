"""WhatsApp through Twilio: the same webhook, a separate channel and contact with its own
opt-out; replies over WhatsApp; outbound sends and templates as Twilio expects them."""

from __future__ import annotations

import re

from sms_helpers import ACCOUNT_SID, AUTH_TOKEN, PHONE, PUBLIC_URL, all_rows, text

from cfbot.channels import build_channels
from cfbot.channels.twilio_whatsapp import TwilioWhatsAppChannel
from cfbot.models import Contact, Conversation

WA = "whatsapp:" + PHONE
CONTENT_SID = "HX" + "0123456789abcdef" * 2


def test_whatsapp_and_sms_from_one_number_stay_apart_and_stop_is_per_channel(client, rt):
    assert "How satisfied" in " ".join(text(client, "FEEDBACK"))
    wa_first = text(client, "FEEDBACK", phone=WA)
    assert "How satisfied" in " ".join(wa_first)  # a survey of its own, not "already open"
    contacts = all_rows(rt.engine, Contact)
    assert len(contacts) == 2
    assert {(c.phone, c.whatsapp) for c in contacts} == {(PHONE, None), (None, PHONE)}
    assert sorted(c.channel for c in all_rows(rt.engine, Conversation)) == ["sms", "whatsapp"]

    stopped = text(client, "STOP", phone=WA)
    assert "unsubscribed" in " ".join(stopped)
    by_channel = {("whatsapp" if c.whatsapp else "sms"): c for c in all_rows(rt.engine, Contact)}
    assert by_channel["whatsapp"].opted_out and not by_channel["sms"].opted_out
    assert text(client, "4", phone=WA) == []  # an opted-out WhatsApp gets nothing
    assert text(client, "4") != []  # the SMS survey goes on
    statuses = {c.channel: c.status for c in all_rows(rt.engine, Conversation)}
    assert statuses == {"sms": "active", "whatsapp": "stopped"}


def test_bad_whatsapp_sender_is_a_clear_400(client):
    from sms_helpers import INBOUND, inbound_form, post_signed

    r = post_signed(client, INBOUND, inbound_form("hi", phone="whatsapp:not-a-number"))
    assert r.status_code == 400 and "From" in r.get_data(as_text=True)


def test_whatsapp_channel_sends_with_prefixes_and_templates(fake_twilio, settings):
    channel = TwilioWhatsAppChannel(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        from_number="+14155238886",
        status_callback_url=PUBLIC_URL + "/webhooks/twilio/status",
        api_base_url=fake_twilio.base_url,
        timeout=1.0,
    )
    assert channel.send(PHONE, "Thanks!").ok
    result = channel.send_template(PHONE, CONTENT_SID, {"1": "Ana"})
    assert result.ok and result.external_id
    free, template = fake_twilio.sent
    assert free.form["To"] == WA and free.form["From"] == "whatsapp:+14155238886"
    assert free.form["StatusCallback"].endswith("/webhooks/twilio/status")
    assert template.form["ContentSid"] == CONTENT_SID and "Body" not in template.form
    built = build_channels(
        settings.replace(sms_channel="twilio", twilio_whatsapp_from="+14155238886")
    )
    assert isinstance(built["whatsapp"], TwilioWhatsAppChannel)
    assert build_channels(settings)["whatsapp"].name == "whatsapp"  # console in the demo


def test_simulator_can_text_as_whatsapp(client, rt):
    page = client.get("/dev/sms").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    data = {"csrf_token": token, "phone": PHONE, "text": "FEEDBACK", "channel": "whatsapp"}
    r = client.post("/dev/sms", data=data)
    assert r.status_code == 302 and "channel=whatsapp" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "WhatsApp messages with" in page and "How satisfied" in page
    (contact,) = all_rows(rt.engine, Contact)
    assert contact.whatsapp == PHONE and contact.phone is None
