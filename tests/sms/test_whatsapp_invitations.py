"""WhatsApp invitations: a visit with ``"channel": "whatsapp"`` is invited with the flow's
approved template (through the outbox and the fake Twilio), a language without a
template is skipped with a clear reason, and the client's WhatsApp reply continues the
survey on that contact and channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sms_helpers import ACCOUNT_SID, AUTH_TOKEN, CONVERSATIONS, PHONE, PUBLIC_URL, all_rows, text

from cfbot.cli import cli
from cfbot.clock import FrozenClock
from cfbot.models import Answer, Contact, Conversation, Invitation, Message
from cfbot.services.invitations import send_due_invitations
from cfbot.services.outbox import dispatch_outbox
from cfbot.services.tokens import create_token

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # noon in Minneapolis (area code 612)
EN_SID = "HX" + "0123456789abcdef" * 2
ES_SID = "HX" + "fedcba9876543210" * 2
WA_FROM = "+14155238886"
INVITATION_WITH_LINK = """invitation: {web_link: true}
intro:
  en: "Thanks for visiting us.\\nOr answer online: {link}"
  es: "Gracias por su visita.\\nO responda en línea: {link}"
  so: "Mahadsanid.\\n{link}"
  hmn: "Ua tsaug.\\n{link}"
  vi: "Cảm ơn.\\n{link}"
"""


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def settings_overrides(tmp_path: Path, fake_twilio) -> dict[str, object]:  # type: ignore[no-untyped-def]
    flows = tmp_path / "conversations"
    flows.mkdir()
    source = (CONVERSATIONS / "sms_survey.yaml").read_text(encoding="utf-8")
    source = source.replace(
        "expire_after: 48h\n",
        f"expire_after: 48h\nwhatsapp_templates: {{en: {EN_SID}, es: {ES_SID}}}\n"
        + INVITATION_WITH_LINK,
    )
    (flows / "sms_survey.yaml").write_text(source, encoding="utf-8")
    return {
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_from_number": "+16125550000",
        "twilio_whatsapp_from": WA_FROM,
        "twilio_api_base_url": fake_twilio.base_url,
        "sms_channel": "twilio",
        "public_url": PUBLIC_URL,
        "conversations_dir": str(flows),
        "demo": False,
    }


def _post_visits(client, rt, visits: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    token = create_token(rt, "ehr").secret
    r = client.post("/api/v1/visits", json=visits, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (201, 422), r.get_data(as_text=True)
    return r.json["results"]


def _visit(lang: str, channel: str = "whatsapp", phone: str = PHONE) -> dict[str, str]:
    return {
        "phone": phone,
        "visited_at": "2026-12-01T15:00:00Z",
        "site": "northside",
        "language": lang,
        "first_name": "Ana",
        "channel": channel,
    }


def test_whatsapp_visit_is_invited_by_template_and_the_reply_continues_there(
    client, rt, fake_twilio
):
    body = _post_visits(client, rt, [_visit("es")])
    (item,) = body
    assert item["status"] == "created"

    report = send_due_invitations(rt, NOW)
    assert report.sent == 1
    (contact,) = all_rows(rt.engine, Contact)
    assert contact.whatsapp == PHONE and contact.phone is None  # the WhatsApp contact
    (conversation,) = all_rows(rt.engine, Conversation)
    assert conversation.channel == "whatsapp" and conversation.language == "es"
    (queued,) = all_rows(rt.engine, Message)
    assert queued.template == {
        "content_sid": ES_SID,
        "variables": {"1": "Ana", "2": "northside", "3": item["link"]},
    }
    assert item["link"].startswith(PUBLIC_URL + "/s/")
    assert "satisfecho" in queued.body  # the flow's wording of what the template says

    sent = dispatch_outbox(rt, NOW, budget_seconds=5.0)
    assert sent.sent == 1
    (request,) = fake_twilio.sent
    assert request.form["To"] == "whatsapp:" + PHONE
    assert request.form["From"] == "whatsapp:" + WA_FROM
    assert request.form["ContentSid"] == ES_SID and "Body" not in request.form
    assert json.loads(request.form["ContentVariables"])["3"] == item["link"]

    # the client answers on WhatsApp: the invited survey goes on, no new contact
    replies = text(client, "4", phone="whatsapp:" + PHONE)
    assert any("1." in r or "?" in r for r in replies)  # the next question, not a restart
    assert len(all_rows(rt.engine, Contact)) == 1
    (conversation,) = all_rows(rt.engine, Conversation)
    (answer,) = all_rows(rt.engine, Answer)
    assert answer.conversation_id == conversation.id and answer.value_number == 4
    inbound = all_rows(rt.engine, Message, Message.direction == "in")
    assert [m.channel for m in inbound] == ["whatsapp"]


def test_no_template_for_the_language_skips_with_a_reason(client, rt, fake_twilio, monkeypatch):
    body = _post_visits(client, rt, [_visit("vi")])
    (item,) = body
    assert item["invitation"]["status"] == "skipped"
    assert "no WhatsApp template for vi" in item["invitation"]["reason"]
    assert send_due_invitations(rt, NOW).sent == 0
    assert all_rows(rt.engine, Conversation) == [] and fake_twilio.sent == []
    (inv,) = all_rows(rt.engine, Invitation)
    assert inv.status == "skipped"
    monkeypatch.setenv("DATABASE_URL", rt.settings.database_url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", rt.settings.conversations_dir)
    monkeypatch.setenv("CFBOT_INSTANCE_PATH", rt.settings.instance_path)
    listed = CliRunner().invoke(cli, ["invitations", "list"])
    assert listed.exit_code == 0, listed.output
    assert "no WhatsApp template for vi" in listed.output


def test_sms_visit_of_the_same_number_stays_sms(client, rt, fake_twilio):
    _post_visits(client, rt, [_visit("en", channel="sms")])
    assert send_due_invitations(rt, NOW).sent == 1
    dispatch_outbox(rt, NOW, budget_seconds=5.0)
    assert len(fake_twilio.sent) == 2  # intro and first question, as SMS
    for request in fake_twilio.sent:
        assert request.form["To"] == PHONE and "ContentSid" not in request.form
    (contact,) = all_rows(rt.engine, Contact)
    assert contact.phone == PHONE and contact.whatsapp is None


def test_unknown_channel_is_rejected(client, rt):
    body = _post_visits(client, rt, [_visit("en", channel="fax")])
    (item,) = body
    assert item["status"] == "rejected"
    assert [e["field"] for e in item["errors"]] == ["channel"]


def test_reminder_outside_whatsapps_24_hours_is_cancelled_not_sent(client, rt, fake_twilio):
    from datetime import timedelta

    from cfbot.services.timers import run_due_timers

    _post_visits(client, rt, [_visit("en")])
    send_due_invitations(rt, NOW)
    dispatch_outbox(rt, NOW, budget_seconds=5.0)
    assert len(fake_twilio.sent) == 1  # the template
    later = NOW + timedelta(hours=5)  # the 4 h reminder; the client never wrote to us
    run_due_timers(rt, later)
    dispatch_outbox(rt, later, budget_seconds=5.0)
    assert len(fake_twilio.sent) == 1
    reminder = all_rows(rt.engine, Message, Message.kind == "reminder")
    assert [(m.status, m.error_code) for m in reminder] == [("cancelled", "whatsapp_window")]


def test_sms_invitation_carries_the_visits_link_when_the_flow_opts_in(client, rt, fake_twilio):
    (item,) = _post_visits(client, rt, [_visit("en", channel="sms")])
    send_due_invitations(rt, NOW)
    (first, *_rest) = all_rows(rt.engine, Message)
    assert first.body == "Thanks for visiting us.\nOr answer online: " + item["link"]
    dispatch_outbox(rt, NOW, budget_seconds=5.0)
    assert item["link"] in " ".join(r.form.get("Body", "") for r in fake_twilio.sent)


def test_without_a_link_the_line_offering_it_is_left_out():
    from cfbot.flows.model import fill_placeholders

    text = "Thanks for visiting us.\nOr answer online: {link}"
    assert fill_placeholders(text, "en", {}) == "Thanks for visiting us."
    assert fill_placeholders(text, "en", {"link": "https://x.org/s/abc"}).endswith(
        "online: https://x.org/s/abc"
    )
