"""Settings from the environment (12-factor), typed, with development defaults.

Production (``CFBOT_ENV=production``) refuses to start without a real ``SECRET_KEY`` and
without Twilio signature checking; secrets are never included in ``repr`` or logs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"
DEFAULT_PROGRAM_NAME = "Health department feedback"
DEFAULT_HELP_CONTACT = "your health department"
SECRET_FIELDS = frozenset({"secret_key", "twilio_auth_token", "smtp_url", "database_url"})


class ConfigError(RuntimeError):
    """Raised when settings are missing or invalid; the message names the variable."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _float(name: str, value: str | None, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {value!r}") from exc


def mask_url(url: str | None) -> str:
    """Hide the password part of a URL such as ``smtp://user:pw@host``."""
    if not url:
        return ""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


# alert timing settings: (field, environment variable, default)
_ALERT_NUMBERS: tuple[tuple[str, str, float], ...] = (
    ("alert_rearm_hours", "CFBOT_ALERT_REARM_HOURS", 24.0),
    ("alert_hold_minutes", "CFBOT_ALERT_HOLD_MINUTES", 30.0),
    ("alert_escalate_urgent_minutes", "CFBOT_ALERT_ESCALATE_URGENT_MINUTES", 15.0),
    ("alert_escalate_business_days", "CFBOT_ALERT_ESCALATE_BUSINESS_DAYS", 1.0),
    ("alert_link_days", "CFBOT_ALERT_LINK_DAYS", 7.0),
    ("alert_sentiment_threshold", "CFBOT_ALERT_SENTIMENT_THRESHOLD", -0.3),
    ("crisis_hold_days", "CFBOT_CRISIS_HOLD_DAYS", 14.0),
    ("crisis_dedupe_minutes", "CFBOT_CRISIS_DEDUPE_MINUTES", 10.0),
)


@dataclass(frozen=True)
class Settings:
    """All runtime settings. Build with :meth:`from_env`; override any field in tests."""

    env: str = "development"
    database_url: str = ""
    secret_key: str = DEV_SECRET_KEY
    public_url: str = ""
    conversations_dir: str = "conversations"
    timezone: str = "America/Chicago"
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from_number: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_api_base_url: str = ""
    twilio_validate_signature: bool = True
    twilio_timeout: float = 10.0
    sms_unreachable_after: int = 3
    smtp_url: str = ""
    mail_from: str = "cfbot@localhost"
    smtp_timeout: float = 15.0
    routing_file: str = ""  # default: <conversations_dir>/routing.yaml
    alert_rearm_hours: float = 24.0
    alert_hold_minutes: float = 30.0
    alert_escalate_urgent_minutes: float = 15.0
    alert_escalate_business_days: float = 1.0
    alert_digest_hour: int = 7
    alert_link_days: float = 7.0
    alert_sentiment_threshold: float = -0.3
    crisis_hold_days: float = 14.0
    crisis_dedupe_minutes: float = 10.0
    program_name: str = DEFAULT_PROGRAM_NAME
    help_contact: str = DEFAULT_HELP_CONTACT
    default_region: str = "US"
    sms_channel: str = "console"
    demo: bool = False
    instance_path: str = "instance"
    # visits, invitations and the outbox (see cfbot/services/invitations.py, outbox.py)
    default_flow: str = ""
    sites: tuple[str, ...] = ()
    invitation_delay_hours: float = 2.0
    quiet_hours_start: str = "08:00"
    quiet_hours_end: str = "21:00"
    frequency_cap_days: float = 30.0
    if_busy: str = "skip"
    visit_max_age_days: float = 7.0
    sms_segments_per_second: float = 1.0
    outbox_max_attempts: int = 5
    outbox_stuck_minutes: float = 10.0
    retention_days: int = 0
    import_max_rows: int = 1_000_000

    def __repr__(self) -> str:  # secrets never reach logs via repr()
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS and value:
                value = mask_url(value) if f.name in {"smtp_url", "database_url"} else "***"
            parts.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(parts)})"

    def program_name_for(self, lang: str) -> str:
        """The program name as a client reads it: an admin's name as set, our default
        name translated."""
        if self.program_name == DEFAULT_PROGRAM_NAME:
            from cfbot.i18n import translate

            return translate(lang, "Health department feedback")
        return self.program_name

    def help_contact_for(self, lang: str) -> str:
        """The HELP contact as a client reads it (our default translated)."""
        if self.help_contact == DEFAULT_HELP_CONTACT:
            from cfbot.i18n import translate

            return translate(lang, "your health department")
        return self.help_contact

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``) and apply overrides."""
        e = os.environ if environ is None else environ
        instance = e.get("CFBOT_INSTANCE_PATH", str(Path.cwd() / "instance"))
        values: dict[str, object] = {
            "env": e.get("CFBOT_ENV", "development").strip().lower(),
            "database_url": e.get("DATABASE_URL", ""),
            "secret_key": e.get("SECRET_KEY", DEV_SECRET_KEY),
            "public_url": e.get("CFBOT_PUBLIC_URL", "").rstrip("/"),
            "conversations_dir": e.get("CFBOT_CONVERSATIONS_DIR", "conversations"),
            "timezone": e.get("CFBOT_TIMEZONE", "America/Chicago"),
            "twilio_account_sid": e.get("TWILIO_ACCOUNT_SID", ""),
            "twilio_auth_token": e.get("TWILIO_AUTH_TOKEN", ""),
            "twilio_from_number": e.get("TWILIO_FROM_NUMBER", ""),
            "twilio_messaging_service_sid": e.get("TWILIO_MESSAGING_SERVICE_SID", ""),
            "twilio_api_base_url": e.get("CFBOT_TWILIO_API_BASE_URL", ""),
            "twilio_validate_signature": _bool(e.get("CFBOT_TWILIO_VALIDATE_SIGNATURE"), True),
            "twilio_timeout": _float("CFBOT_TWILIO_TIMEOUT", e.get("CFBOT_TWILIO_TIMEOUT"), 10.0),
            "sms_unreachable_after": int(
                _float("CFBOT_SMS_UNREACHABLE_AFTER", e.get("CFBOT_SMS_UNREACHABLE_AFTER"), 3)
            ),
            "smtp_url": e.get("SMTP_URL", ""),
            "mail_from": e.get("CFBOT_MAIL_FROM", "cfbot@localhost"),
            "smtp_timeout": _float("CFBOT_SMTP_TIMEOUT", e.get("CFBOT_SMTP_TIMEOUT"), 15.0),
            "routing_file": e.get("CFBOT_ROUTING_FILE", ""),
            **{name: _float(var, e.get(var), default) for name, var, default in _ALERT_NUMBERS},
            "program_name": e.get("CFBOT_PROGRAM_NAME", DEFAULT_PROGRAM_NAME),
            "help_contact": e.get("CFBOT_HELP_CONTACT", DEFAULT_HELP_CONTACT),
            "default_region": e.get("CFBOT_DEFAULT_REGION", "US").upper(),
            "sms_channel": e.get("CFBOT_SMS_CHANNEL", ""),
            "demo": _bool(e.get("CFBOT_DEMO"), False),
            "alert_digest_hour": int(
                _float("CFBOT_ALERT_DIGEST_HOUR", e.get("CFBOT_ALERT_DIGEST_HOUR"), 7)
            ),
            "instance_path": instance,
            "default_flow": e.get("CFBOT_DEFAULT_FLOW", "").strip(),
            "sites": tuple(
                x.strip().lower() for x in e.get("CFBOT_SITES", "").split(",") if x.strip()
            ),
            "invitation_delay_hours": _float(
                "CFBOT_INVITATION_DELAY_HOURS", e.get("CFBOT_INVITATION_DELAY_HOURS"), 2.0
            ),
            "quiet_hours_start": e.get("CFBOT_QUIET_HOURS_START", "08:00").strip(),
            "quiet_hours_end": e.get("CFBOT_QUIET_HOURS_END", "21:00").strip(),
            "frequency_cap_days": _float(
                "CFBOT_FREQUENCY_CAP_DAYS", e.get("CFBOT_FREQUENCY_CAP_DAYS"), 30.0
            ),
            "if_busy": e.get("CFBOT_IF_BUSY", "skip").strip().lower(),
            "visit_max_age_days": _float(
                "CFBOT_VISIT_MAX_AGE_DAYS", e.get("CFBOT_VISIT_MAX_AGE_DAYS"), 7.0
            ),
            "sms_segments_per_second": _float(
                "CFBOT_SMS_SEGMENTS_PER_SECOND", e.get("CFBOT_SMS_SEGMENTS_PER_SECOND"), 1.0
            ),
            "outbox_max_attempts": int(
                _float("CFBOT_OUTBOX_MAX_ATTEMPTS", e.get("CFBOT_OUTBOX_MAX_ATTEMPTS"), 5)
            ),
            "outbox_stuck_minutes": _float(
                "CFBOT_OUTBOX_STUCK_MINUTES", e.get("CFBOT_OUTBOX_STUCK_MINUTES"), 10.0
            ),
            "retention_days": int(_float("CFBOT_RETENTION_DAYS", e.get("CFBOT_RETENTION_DAYS"), 0)),
            "import_max_rows": int(
                _float("CFBOT_IMPORT_MAX_ROWS", e.get("CFBOT_IMPORT_MAX_ROWS"), 1_000_000)
            ),
        }
        values.update(overrides)
        if not values["database_url"]:
            path = Path(str(values["instance_path"])) / "cfbot.sqlite3"
            values["database_url"] = f"sqlite:///{path}"
        if not values["sms_channel"]:
            values["sms_channel"] = "twilio" if values["twilio_account_sid"] else "console"
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Fail fast with a message naming the variable at fault."""
        if self.env not in {"development", "production", "test"}:
            raise ConfigError("CFBOT_ENV must be development, production or test")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"CFBOT_TIMEZONE {self.timezone!r} is not a known time zone") from exc
        if self.is_production:
            if (
                not self.secret_key
                or self.secret_key == DEV_SECRET_KEY
                or len(self.secret_key) < 16
            ):
                raise ConfigError(
                    "SECRET_KEY must be set to a long random value in production "
                    '(python -c "import secrets; print(secrets.token_hex(32))")'
                )
            if self.demo:
                raise ConfigError("CFBOT_DEMO cannot be on in production")
            if not self.twilio_validate_signature:
                raise ConfigError("CFBOT_TWILIO_VALIDATE_SIGNATURE cannot be off in production")
            if self.sms_channel == "twilio" and not self.twilio_auth_token:
                raise ConfigError("TWILIO_AUTH_TOKEN is required in production")
        if not 0 < self.twilio_timeout <= 60:
            raise ConfigError("CFBOT_TWILIO_TIMEOUT must be between 0 and 60 seconds")
        if self.sms_unreachable_after < 1:
            raise ConfigError("CFBOT_SMS_UNREACHABLE_AFTER must be at least 1")
        self._validate_scheduling()
        if not 0 <= self.alert_digest_hour <= 23:
            raise ConfigError("CFBOT_ALERT_DIGEST_HOUR must be between 0 and 23")
        if not 0 < self.smtp_timeout <= 120:
            raise ConfigError("CFBOT_SMTP_TIMEOUT must be between 0 and 120 seconds")
        if self.sms_channel not in {"console", "twilio"}:
            raise ConfigError("CFBOT_SMS_CHANNEL must be console or twilio")

    def _validate_scheduling(self) -> None:
        """Invitation timing and outbox pacing settings (see services/timing.py)."""
        import re

        for name, value in (
            ("CFBOT_QUIET_HOURS_START", self.quiet_hours_start),
            ("CFBOT_QUIET_HOURS_END", self.quiet_hours_end),
        ):
            if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value):
                raise ConfigError(f"{name} must be HH:MM (24-hour), got {value!r}")
        if self.if_busy not in {"skip", "wait"}:
            raise ConfigError("CFBOT_IF_BUSY must be skip or wait")
        if self.sms_segments_per_second <= 0:
            raise ConfigError("CFBOT_SMS_SEGMENTS_PER_SECOND must be greater than 0")
        if self.invitation_delay_hours < 0 or self.frequency_cap_days < 0:
            raise ConfigError("invitation delay and frequency cap cannot be negative")
        if self.outbox_max_attempts < 1:
            raise ConfigError("CFBOT_OUTBOX_MAX_ATTEMPTS must be at least 1")
        if self.retention_days < 0:
            raise ConfigError("CFBOT_RETENTION_DAYS must be 0 (keep) or a number of days")
