from __future__ import annotations

import logging

from cfbot.logging_setup import MaskingFilter, mask_phone, mask_text


def test_mask_phone_keeps_country_code_and_last_four():
    assert mask_phone("+16125550123") == "+1******0123"
    assert mask_phone("") == ""


def test_mask_text_hides_phones_and_emails_inside_sentences():
    text = mask_text("call +1 (612) 555-0123 or mail jane.doe@example.org")
    assert "555-0123" not in text and "0123" in text
    assert "jane.doe@" not in text and "j***@example.org" in text


def test_log_records_are_masked():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "from %s", ("+16125550123",), None)
    MaskingFilter().filter(record)
    assert record.getMessage() == "from +1******0123"


def test_ip_addresses_dates_and_times_are_not_masked():
    text = "127.0.0.1 - [28/Nov/2026 20:18:25] at 2026-03-02 15:00:00 from 192.168.100.200"
    assert mask_text(text) == text


def test_us_style_and_bare_numbers_are_masked():
    assert "555-0123" not in mask_text("call (612) 555-0123")
    assert "6125550123" not in mask_text("phone 6125550123 stored")
