"""SMS settings: the demo needs no credentials; production never runs unsigned."""

from __future__ import annotations

import pytest

from cfbot.channels.console import ConsoleChannel
from cfbot.channels.twilio_sms import TwilioSmsChannel
from cfbot.config import ConfigError, Settings
from cfbot.models import Contact
from cfbot.services.delivery import can_send_sms, retry_delay

PROD = {"CFBOT_ENV": "production", "SECRET_KEY": "p" * 40, "DATABASE_URL": "sqlite://"}


def test_without_twilio_credentials_sms_goes_to_the_console(rt):
    assert isinstance(rt.channels["sms"], ConsoleChannel)
    assert rt.channels["sms"].send("+16125550123", "hello").ok


def test_production_refuses_unsigned_webhooks():
    with pytest.raises(ConfigError, match="CFBOT_TWILIO_VALIDATE_SIGNATURE"):
        Settings.from_env({**PROD, "CFBOT_TWILIO_VALIDATE_SIGNATURE": "0"})


def test_twilio_settings_from_the_environment():
    settings = Settings.from_env(
        {
            **PROD,
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "TWILIO_AUTH_TOKEN": "tok",
            "TWILIO_MESSAGING_SERVICE_SID": "MG" + "2" * 32,
            "CFBOT_PUBLIC_URL": "https://sms.example.gov/",
            "CFBOT_TWILIO_TIMEOUT": "4.5",
            "CFBOT_SMS_UNREACHABLE_AFTER": "2",
        }
    )
    assert settings.sms_channel == "twilio" and settings.twilio_timeout == 4.5
    assert settings.sms_unreachable_after == 2
    channel = TwilioSmsChannel.from_settings(settings)
    assert channel.status_callback_url == "https://sms.example.gov/webhooks/twilio/status"
    assert channel.messaging_service_sid == "MG" + "2" * 32 and channel.timeout == 4.5


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("CFBOT_TWILIO_TIMEOUT", "0"),
        ("CFBOT_TWILIO_TIMEOUT", "abc"),
        ("CFBOT_SMS_UNREACHABLE_AFTER", "0"),
    ],
)
def test_bad_sms_settings_fail_fast(var, value):
    with pytest.raises(ConfigError, match=var):
        Settings.from_env({var: value, "DATABASE_URL": "sqlite://"})


def test_can_send_sms_rechecks_opt_out_and_reachability():
    assert can_send_sms(Contact(phone="+16125550123"))
    assert not can_send_sms(Contact(phone="+16125550123", opted_out=True))
    assert not can_send_sms(Contact(phone="+16125550123", unreachable=True))
    assert not can_send_sms(Contact(webchat_id="abc"))
    assert not can_send_sms(None)


def test_retry_delay_grows_honours_retry_after_and_is_capped():
    assert retry_delay(1, None).total_seconds() == 30
    assert retry_delay(3, None).total_seconds() == 120
    assert retry_delay(1, 300).total_seconds() == 300
    assert retry_delay(20, None).total_seconds() == 3600
