"""Phone numbers to E.164, in one place for every way a number reaches cfbot."""

from __future__ import annotations

import phonenumbers

MAX_RAW_LENGTH = 32


def to_e164(raw: str, region: str = "US", *, strict: bool = False) -> str | None:
    """E.164 form of ``raw`` (national numbers read in ``region``), or None.

    ``strict`` asks for a number that is valid in its numbering plan (visits staff
    type in); without it a merely possible number is accepted, as for a ``From`` that
    Twilio already delivered (new ranges can be newer than the phonenumbers data).
    """
    if not raw or len(raw) > MAX_RAW_LENGTH:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    ok = phonenumbers.is_valid_number(number) if strict else phonenumbers.is_possible_number(number)
    if not ok:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
