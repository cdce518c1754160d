"""The inbound webhook refuses anything Twilio did not sign, and bad input never 500s."""

from __future__ import annotations

import pytest
from sms_helpers import (
    AUTH_TOKEN,
    INBOUND,
    PUBLIC_URL,
    STATUS,
    count,
    inbound_form,
    post_signed,
    sign,
    twiml_messages,
)

from cfbot import create_app
from cfbot.models import Contact, Message


def nothing_stored(rt) -> bool:
    return count(rt.engine, Message) == 0 and count(rt.engine, Contact) == 0


def test_signed_request_is_answered_with_twiml(client, rt):
    response = post_signed(client, INBOUND, inbound_form("hello"))
    assert response.status_code == 200
    assert response.content_type.startswith("application/xml")
    assert len(twiml_messages(response.get_data(as_text=True))) == 1
    assert count(rt.engine, Message) == 2  # the inbound and its reply


def test_missing_signature_is_refused_and_nothing_stored(client, rt):
    response = client.post(INBOUND, data=inbound_form("STOP"))
    assert response.status_code == 403
    assert nothing_stored(rt)


def test_wrong_signature_is_refused_and_nothing_stored(client, rt):
    form = inbound_form("5")
    response = client.post(INBOUND, data=form, headers={"X-Twilio-Signature": "bm9wZQ=="})
    assert response.status_code == 403
    assert nothing_stored(rt)


def test_signature_with_another_token_is_refused(client, rt):
    response = post_signed(client, INBOUND, inbound_form("5"), token="someone-elses-token")
    assert response.status_code == 403
    assert nothing_stored(rt)


def test_tampered_body_is_refused(client, rt):
    form = inbound_form("5")
    signature = sign(PUBLIC_URL + INBOUND, form)
    form["Body"] = "1"
    response = client.post(INBOUND, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    assert nothing_stored(rt)


def test_signature_for_another_url_is_refused(client, rt):
    # signed for the internal URL, but Twilio calls (and signs) the public one
    response = post_signed(client, INBOUND, inbound_form("5"), url="http://localhost" + INBOUND)
    assert response.status_code == 403
    assert nothing_stored(rt)


def test_query_string_is_part_of_the_signed_url(client, rt):
    form = inbound_form("hello")
    path = INBOUND + "?site=north"
    good = client.post(
        path, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_URL + path, form)}
    )
    assert good.status_code == 200
    form2 = inbound_form("hello")
    bad = client.post(
        path, data=form2, headers={"X-Twilio-Signature": sign(PUBLIC_URL + INBOUND, form2)}
    )
    assert bad.status_code == 403


def test_without_public_url_the_request_url_is_checked(settings):
    app = create_app(settings.replace(public_url=""))
    client = app.test_client()
    form = inbound_form("hello")
    ok = client.post(
        INBOUND, data=form, headers={"X-Twilio-Signature": sign("http://localhost" + INBOUND, form)}
    )
    assert ok.status_code == 200
    form2 = inbound_form("hello")
    refused = client.post(
        INBOUND, data=form2, headers={"X-Twilio-Signature": sign(PUBLIC_URL + INBOUND, form2)}
    )
    assert refused.status_code == 403


def test_production_behind_tls_proxy_checks_the_forwarded_https_url(settings):
    prod = settings.replace(env="production", public_url="", demo=False, secret_key="x" * 40)
    app = create_app(prod)
    client = app.test_client()
    form = inbound_form("hello")
    public = "https://sms.health.example.gov" + INBOUND
    headers = {
        "X-Twilio-Signature": sign(public, form),
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "sms.health.example.gov",
        "X-Forwarded-For": "54.172.60.1",
    }
    assert client.post(INBOUND, data=form, headers=headers).status_code == 200


def test_signature_check_off_is_allowed_only_in_the_demo(settings):
    demo = create_app(settings.replace(twilio_validate_signature=False, demo=True))
    assert demo.test_client().post(INBOUND, data=inbound_form("hi")).status_code == 200
    not_demo = create_app(settings.replace(twilio_validate_signature=False, demo=False))
    assert not_demo.test_client().post(INBOUND, data=inbound_form("hi")).status_code == 403


def test_missing_auth_token_refuses_everything(settings):
    app = create_app(settings.replace(twilio_auth_token=""))
    form = inbound_form("hi")
    response = app.test_client().post(
        INBOUND, data=form, headers={"X-Twilio-Signature": sign(PUBLIC_URL + INBOUND, form, "")}
    )
    assert response.status_code == 403


def test_status_callback_needs_a_signature(client, rt):
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    assert client.post(STATUS, data=form).status_code == 403


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "change",
    [
        {"From": ""},
        {"From": "not-a-phone"},
        {"From": "+1"},
        {"From": "12345678901234567890123456789012345"},
        {"MessageSid": ""},
        {"MessageSid": "SM<script>"},
        {"MessageSid": "SM" + "a" * 80},
    ],
)
def test_bad_fields_get_4xx_and_change_nothing(client, rt, change):
    form = inbound_form("5")
    form.update(change)
    if not form["MessageSid"]:
        form.pop("MessageSid")
        form.pop("SmsMessageSid")
    response = post_signed(client, INBOUND, form)
    assert 400 <= response.status_code < 500
    assert nothing_stored(rt)


def test_missing_fields_entirely(client, rt):
    response = post_signed(client, INBOUND, {"AccountSid": "AC1"})
    assert response.status_code == 400
    assert nothing_stored(rt)


def test_100_kb_body_is_refused_without_state_change(client, rt):
    response = post_signed(client, INBOUND, inbound_form("a" * 100_000))
    assert response.status_code == 413
    assert nothing_stored(rt)


def test_request_over_the_size_limit_is_refused(client, rt):
    form = inbound_form("a" * 300_000)
    response = client.post(INBOUND, data=form, headers={"X-Twilio-Signature": "x"})
    assert response.status_code in (403, 413)
    assert nothing_stored(rt)


def test_invalid_utf8_never_500s(client, rt):
    raw = b"MessageSid=SM" + b"b" * 32 + b"&From=%2B16125550123&Body=caf%C3%28%FF"
    for headers in ({}, {"X-Twilio-Signature": "abc"}):
        response = client.post(
            INBOUND,
            data=raw,
            headers=headers,
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 403
    assert nothing_stored(rt)


def test_invalid_utf8_correctly_signed_is_handled_and_stored(client, rt):
    # whatever text the form parser makes of bad bytes is what gets signed and stored
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    sid = "SM" + "c" * 32
    raw = b"MessageSid=" + sid.encode() + b"&From=%2B16125550123&Body=caf%C3%28%FF"
    environ = EnvironBuilder(
        method="POST", data=raw, content_type="application/x-www-form-urlencoded"
    ).get_environ()
    params = dict(Request(environ).form)
    response = client.post(
        INBOUND,
        data=raw,
        headers={"X-Twilio-Signature": sign(PUBLIC_URL + INBOUND, params, AUTH_TOKEN)},
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    inbound = [m for m in _messages(rt) if m.direction == "in"]
    assert inbound[0].body == params["Body"]


def test_raw_non_utf8_bytes_in_a_signed_body_get_4xx(client, rt):
    raw = b"MessageSid=SM" + b"d" * 32 + b"&From=%2B16125550123&Body=caf\xff\xfe"
    response = client.post(
        INBOUND,
        data=raw,
        headers={"X-Twilio-Signature": sign(PUBLIC_URL + INBOUND, {}, AUTH_TOKEN)},
        content_type="application/x-www-form-urlencoded",
    )
    assert 400 <= response.status_code < 500
    assert nothing_stored(rt)


def test_get_is_not_allowed(client):
    assert client.get(INBOUND).status_code == 405


def _messages(rt):
    from sms_helpers import all_rows

    return all_rows(rt.engine, Message)
