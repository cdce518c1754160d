"""Logging with personal data masked: phone numbers never reach log lines in full."""

from __future__ import annotations

import logging
import re

# E.164 ("+16125550123", "+1 612 555 0123"), US style ("(612) 555-0123", "612.555.0123")
# and bare 10-11 digit runs; not IP addresses, dates or times.
_PHONE = re.compile(
    r"\+\d[\d\s\-()]{8,18}\d"
    r"|(?<![\d:.\-/])\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}(?![\d:.\-/])"
    r"|(?<![\d:.\-/])1?\d{10}(?![\d:.\-/])"
)
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")


def mask_phone(phone: str | None) -> str:
    """``+16125550123`` -> ``+1******0123``: enough for staff to tell numbers apart."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    keep_head = 2 if digits.startswith("+") else 0
    return digits[:keep_head] + "*" * (len(digits) - keep_head - 4) + digits[-4:]


def mask_text(text: str) -> str:
    """Mask phone numbers and email addresses inside free text."""
    text = _PHONE.sub(lambda m: mask_phone(re.sub(r"[^\d+]", "", m.group(0))), text)
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)


class MaskingFilter(logging.Filter):
    """Rewrites each record's message with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the log line
            message = str(record.msg)
        record.msg = mask_text(message)
        record.args = ()
        return True


_configured = False


def configure_logging(level: int = logging.INFO) -> None:
    """Install the masking filter on the root handlers once per process."""
    global _configured
    if _configured:
        return
    _configured = True
    root = logging.getLogger()
    if not root.handlers:
        stream: logging.Handler = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
        root.setLevel(level)
    for handler in root.handlers:
        handler.addFilter(MaskingFilter())
    # APScheduler logs every run of every job at INFO (the outbox runs every few seconds)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
