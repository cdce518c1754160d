from __future__ import annotations

import pytest

from cfbot.config import DEV_SECRET_KEY, ConfigError, Settings


def test_development_defaults_need_no_environment(tmp_path):
    s = Settings.from_env({"CFBOT_INSTANCE_PATH": str(tmp_path)})
    assert s.env == "development"
    assert s.database_url == f"sqlite:///{tmp_path}/cfbot.sqlite3"
    assert s.timezone == "America/Chicago"
    assert s.conversations_dir == "conversations"
    assert s.sms_channel == "console"


def test_production_refuses_the_development_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"CFBOT_ENV": "production"})
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"CFBOT_ENV": "production", "SECRET_KEY": DEV_SECRET_KEY})


def test_production_refuses_signature_checks_off():
    env = {
        "CFBOT_ENV": "production",
        "SECRET_KEY": "x" * 40,
        "CFBOT_TWILIO_VALIDATE_SIGNATURE": "0",
    }
    with pytest.raises(ConfigError, match="SIGNATURE"):
        Settings.from_env(env)


def test_production_refuses_demo_mode():
    env = {"CFBOT_ENV": "production", "SECRET_KEY": "x" * 40, "CFBOT_DEMO": "1"}
    with pytest.raises(ConfigError, match="DEMO"):
        Settings.from_env(env)


def test_unknown_time_zone_is_a_clear_error():
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        Settings.from_env({"CFBOT_TIMEZONE": "Mars/Olympus"})


def test_secrets_never_appear_in_repr():
    s = Settings.from_env(
        {
            "SECRET_KEY": "supersecretvalue123456",
            "TWILIO_AUTH_TOKEN": "tok_abcdef123456",
            "SMTP_URL": "smtp://alerts:hunter2@mail.example.org:587",
            "DATABASE_URL": "postgresql://app:dbpass99@db/cfbot",
        }
    )
    text = repr(s)
    for secret in ("supersecretvalue123456", "tok_abcdef123456", "hunter2", "dbpass99"):
        assert secret not in text
    assert "mail.example.org" in text


def test_twilio_credentials_select_the_twilio_channel():
    s = Settings.from_env({"TWILIO_ACCOUNT_SID": "AC123", "TWILIO_AUTH_TOKEN": "t"})
    assert s.sms_channel == "twilio"


def test_default_program_name_and_contact_are_translated_but_admin_values_are_kept():
    default = Settings.from_env({})
    assert default.program_name_for("es") == "Comentarios del departamento de salud"
    assert default.help_contact_for("en") == "your health department"
    custom = Settings.from_env(
        {"CFBOT_PROGRAM_NAME": "Clínica Norte", "CFBOT_HELP_CONTACT": "612-555-0100"}
    )
    assert custom.program_name_for("vi") == "Clínica Norte"
    assert custom.help_contact_for("so") == "612-555-0100"
