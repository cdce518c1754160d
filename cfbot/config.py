"""Settings from the environment (12-factor), typed, with development defaults.

One declaration per setting below: its type, its default and the environment variable it
is read from (pydantic-settings). Production (``CFBOT_ENV=production``) refuses to start
without a real ``SECRET_KEY`` and without Twilio signature checking; secrets are never
included in ``repr`` or logs. Errors name the variable at fault.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.exceptions import SettingsError

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"
DEFAULT_PROGRAM_NAME = "Health department feedback"
DEFAULT_HELP_CONTACT = "your health department"
SECRET_FIELDS = frozenset(
    {"secret_key", "twilio_auth_token", "smtp_url", "database_url", "redis_url"}
)


class ConfigError(RuntimeError):
    """Raised when settings are missing or invalid; the message names the variable."""


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


def _var(name: str, default: Any, var: str | None = None, **kw: Any) -> Any:
    """A setting read from ``var`` (default ``CFBOT_<NAME>``); the field name works too."""
    env = var or f"CFBOT_{name.upper()}"
    return Field(default, validation_alias=AliasChoices(env, name), **kw)


# which mapping from_env() reads (os.environ unless a test passes its own)
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("cfbot_environ", default=None)


class _MappingSource(EnvSettingsSource):
    """Environment variables from a given mapping (``from_env(environ=...)``)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls, case_sensitive=True)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # an empty variable means "not set": the default applies
        return {k: v for k, v in self._environ.items() if v != ""}


class Settings(BaseSettings):
    """All runtime settings. Build with :meth:`from_env`; tests override any field."""

    model_config = SettingsConfigDict(
        frozen=True, populate_by_name=True, extra="forbid", case_sensitive=True
    )

    env: str = _var("env", "development")
    database_url: str = _var("database_url", "", "DATABASE_URL")
    secret_key: str = _var("secret_key", DEV_SECRET_KEY, "SECRET_KEY")
    public_url: str = _var("public_url", "")
    conversations_dir: str = _var("conversations_dir", "conversations")
    timezone: str = _var("timezone", "America/Chicago")
    twilio_account_sid: str = _var("twilio_account_sid", "", "TWILIO_ACCOUNT_SID")
    twilio_auth_token: str = _var("twilio_auth_token", "", "TWILIO_AUTH_TOKEN")
    twilio_from_number: str = _var("twilio_from_number", "", "TWILIO_FROM_NUMBER")
    twilio_whatsapp_from: str = _var("twilio_whatsapp_from", "", "TWILIO_WHATSAPP_FROM")
    twilio_messaging_service_sid: str = _var(
        "twilio_messaging_service_sid", "", "TWILIO_MESSAGING_SERVICE_SID"
    )
    twilio_api_base_url: str = _var("twilio_api_base_url", "")
    twilio_validate_signature: bool = _var("twilio_validate_signature", True)
    twilio_timeout: float = _var("twilio_timeout", 10.0)
    sms_unreachable_after: int = _var("sms_unreachable_after", 3)
    smtp_url: str = _var("smtp_url", "", "SMTP_URL")
    redis_url: str = _var("redis_url", "", "REDIS_URL")  # shared rate-limit counters
    rate_limits: bool = _var("rate_limits", True)
    mail_from: str = _var("mail_from", "cfbot@localhost")
    smtp_timeout: float = _var("smtp_timeout", 15.0)
    routing_file: str = _var("routing_file", "")  # default: <conversations_dir>/routing.yaml
    alert_rearm_hours: float = _var("alert_rearm_hours", 24.0)
    alert_hold_minutes: float = _var("alert_hold_minutes", 30.0)
    alert_escalate_urgent_minutes: float = _var("alert_escalate_urgent_minutes", 15.0)
    alert_escalate_business_days: float = _var("alert_escalate_business_days", 1.0)
    alert_digest_hour: int = _var("alert_digest_hour", 7)
    alert_link_days: float = _var("alert_link_days", 7.0)
    alert_sentiment_threshold: float = _var("alert_sentiment_threshold", -0.3)
    crisis_hold_days: float = _var("crisis_hold_days", 14.0)
    crisis_dedupe_minutes: float = _var("crisis_dedupe_minutes", 10.0)
    # inbound processing: tries before a message is quarantined; the clock's grace period
    inbound_max_attempts: int = _var("inbound_max_attempts", 3)
    inbound_grace_seconds: float = _var("inbound_grace_seconds", 60.0)
    # anonymous web chat (Flask-Limiter syntax): per client address, and all together
    webchat_limit_ip: str = _var("webchat_limit_ip", "30/minute")
    webchat_limit_total: str = _var("webchat_limit_total", "600/minute")
    program_name: str = _var("program_name", DEFAULT_PROGRAM_NAME)
    help_contact: str = _var("help_contact", DEFAULT_HELP_CONTACT)
    # the health department named on the PHAB evidence report (empty: CFBOT_PROGRAM_NAME)
    department_name: str = _var("department_name", "")
    default_region: str = _var("default_region", "US")
    # empty: "twilio" when TWILIO_ACCOUNT_SID is set, else "console"
    sms_channel: str = _var("sms_channel", "")
    demo: bool = _var("demo", False)
    # empty: ./instance under the working directory
    instance_path: str = _var("instance_path", "")
    # visits, invitations and the outbox (see cfbot/services/invitations.py, outbox.py)
    default_flow: str = _var("default_flow", "")
    sites: Annotated[tuple[str, ...], NoDecode] = _var("sites", ())  # comma-separated
    invitation_delay_hours: float = _var("invitation_delay_hours", 2.0)
    quiet_hours_start: str = _var("quiet_hours_start", "08:00")
    quiet_hours_end: str = _var("quiet_hours_end", "21:00")
    frequency_cap_days: float = _var("frequency_cap_days", 30.0)
    if_busy: str = _var("if_busy", "skip")
    visit_max_age_days: float = _var("visit_max_age_days", 7.0)
    sms_segments_per_second: float = _var("sms_segments_per_second", 1.0)
    sms_price_per_segment: float = _var("sms_price_per_segment", 0.0079)  # flows check cost
    outbox_max_attempts: int = _var("outbox_max_attempts", 5)
    outbox_stuck_minutes: float = _var("outbox_stuck_minutes", 10.0)
    retention_days: int = _var("retention_days", 0)
    import_max_rows: int = _var("import_max_rows", 1_000_000)
    db_connect_timeout: float = _var("db_connect_timeout", 5.0)  # seconds
    db_statement_timeout: float = _var("db_statement_timeout", 10.0)  # seconds; 0 = none
    # origins that may frame /chat (CSP frame-ancestors); comma-separated
    widget_origins: Annotated[tuple[str, ...], NoDecode] = _var("widget_origins", ())
    followup_reply_days: float = _var("followup_reply_days", 7.0)  # staff reply window

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # overrides first, then the environment (no .env files: deployments set variables)
        return (init_settings, _MappingSource(settings_cls, _ENVIRON.get() or os.environ))

    @field_validator("env", "if_busy", mode="after")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator("default_region", mode="after")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()

    @field_validator(
        "default_flow", "quiet_hours_start", "quiet_hours_end", "sms_channel", mode="after"
    )
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("public_url", mode="after")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("sites", mode="before")
    @classmethod
    def _site_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(x.strip().lower() for x in value.split(",") if x.strip())
        return value

    @field_validator("widget_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: Any) -> Any:
        items = value.split(",") if isinstance(value, str) else list(value or ())
        origins = tuple(str(x).strip().rstrip("/") for x in items if str(x).strip())
        for origin in origins:
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", origin):
                raise ValueError(f"not an origin such as https://www.example.org: {origin!r}")
        return origins

    def __repr__(self) -> str:  # secrets never reach logs via repr()
        parts = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in SECRET_FIELDS and value:
                value = (
                    mask_url(value) if name in {"smtp_url", "database_url", "redis_url"} else "***"
                )
            parts.append(f"{name}={value!r}")
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

    def __str__(self) -> str:
        return repr(self)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read settings from ``environ`` (default ``os.environ``) and apply overrides."""
        token = _ENVIRON.set(os.environ if environ is None else environ)
        try:
            settings = cls(**overrides)  # type: ignore[arg-type]  # overrides are checked by pydantic
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from exc
        except SettingsError as exc:
            raise ConfigError(str(exc)) from exc
        finally:
            _ENVIRON.reset(token)
        settings = settings._with_derived_defaults()
        settings.check()
        return settings

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied and checked (tests, ``cfbot demo``)."""
        try:
            values = {**self.model_dump(), **changes}
            copy = type(self).model_validate(values)
        except ValidationError as exc:
            raise ConfigError(_explain(exc)) from exc
        return copy

    def _with_derived_defaults(self) -> Settings:
        instance = self.instance_path or str(Path.cwd() / "instance")
        derived: dict[str, Any] = {"instance_path": instance}
        if not self.database_url:
            derived["database_url"] = f"sqlite:///{Path(instance) / 'cfbot.sqlite3'}"
        if not self.sms_channel:
            derived["sms_channel"] = "twilio" if self.twilio_account_sid else "console"
        return self.model_copy(update=derived)

    def check(self) -> None:
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
            if self.sms_channel != "twilio" or not self.twilio_account_sid:
                # the console transport would mark every text "sent" without sending it
                raise ConfigError(
                    "production needs a real SMS transport: set TWILIO_ACCOUNT_SID, "
                    "TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID"
                )
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
        if self.inbound_max_attempts < 1:
            raise ConfigError("CFBOT_INBOUND_MAX_ATTEMPTS must be at least 1")
        if self.outbox_max_attempts < 1:
            raise ConfigError("CFBOT_OUTBOX_MAX_ATTEMPTS must be at least 1")
        if self.retention_days < 0:
            raise ConfigError("CFBOT_RETENTION_DAYS must be 0 (keep) or a number of days")
        if self.db_connect_timeout <= 0 or self.db_statement_timeout < 0:
            raise ConfigError(
                "CFBOT_DB_CONNECT_TIMEOUT must be > 0 and CFBOT_DB_STATEMENT_TIMEOUT >= 0"
            )


def _variable(field: str) -> str:
    info: FieldInfo | None = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field


def _explain(exc: ValidationError) -> str:
    """A pydantic error in the words of an admin: the variable, what it must be, the value."""
    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        parts.append(f"{_variable(field)}: {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)
