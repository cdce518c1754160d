"""SMS segment counting (GSM-7 and UCS-2)."""

from __future__ import annotations

import pytest

from cfbot.flows.segments import SmsInfo, sms_info


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsInfo("GSM-7", 1, 0)),  # what a carrier bills if an empty message is sent
        ("a" * 160, SmsInfo("GSM-7", 1, 160)),
        ("a" * 161, SmsInfo("GSM-7", 2, 161)),
        ("a" * 306, SmsInfo("GSM-7", 2, 306)),
        ("a" * 307, SmsInfo("GSM-7", 3, 307)),
        ("€" * 80, SmsInfo("GSM-7", 1, 160)),  # extension chars cost two septets
        ("{" * 81, SmsInfo("GSM-7", 2, 162)),
        ("^{}\\[~]|€", SmsInfo("GSM-7", 1, 18)),
        ("Ñandé è ü à ¿¡ @£$¥", SmsInfo("GSM-7", 1, 19)),
        ("¿Qué tal?", SmsInfo("GSM-7", 1, 9)),  # é is in GSM-7, á is not
        ("á" * 70, SmsInfo("UCS-2", 1, 70)),
        ("a" * 69 + "á", SmsInfo("UCS-2", 1, 70)),
        ("a" * 70 + "á", SmsInfo("UCS-2", 2, 71)),
        ("á" * 134, SmsInfo("UCS-2", 2, 134)),
        ("á" * 135, SmsInfo("UCS-2", 3, 135)),
        ("😀" * 35, SmsInfo("UCS-2", 1, 70)),  # emoji are two UTF-16 code units
        ("😀" * 36, SmsInfo("UCS-2", 2, 72)),
        ("Cảm ơn bạn", SmsInfo("UCS-2", 1, 10)),
    ],
)
def test_sms_info(text: str, expected: SmsInfo) -> None:
    assert sms_info(text) == expected


def test_one_accent_switches_a_spanish_message_to_ucs2() -> None:
    assert sms_info("Gracias por su visita").encoding == "GSM-7"
    assert sms_info("¿Cómo está?").encoding == "UCS-2"
