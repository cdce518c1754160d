from __future__ import annotations

from cfbot.phones import to_e164


def test_national_and_formatted_numbers_become_e164():
    assert to_e164("(612) 555-0123") == "+16125550123"
    assert to_e164("+1 612.555.0123") == "+16125550123"
    assert to_e164("0612345678", "FR") == "+33612345678"


def test_strict_needs_a_number_valid_in_its_plan():
    # a possible but unassignable number: accepted from Twilio, refused when staff type it
    assert to_e164("+1 000 000 0000") == "+10000000000"
    assert to_e164("+1 000 000 0000", strict=True) is None


def test_garbage_is_none():
    for raw in ("", "12", "not a phone", "+" + "9" * 40):
        assert to_e164(raw) is None
