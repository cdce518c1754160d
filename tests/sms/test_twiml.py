"""TwiML is written out directly; it must be byte for byte what twilio's builder makes."""

from __future__ import annotations

import pytest
from twilio.twiml.messaging_response import MessagingResponse

from cfbot.channels.twilio_sms import render_twiml

CASES = [
    [],
    ["Thanks!"],
    ["a & b <c> \"quoted\" 'single' > done", "second\nline\r\n"],
    ["", "Cảm ơn bạn 🙏", "911 / 988 — ¿Está a salvo?"],
    ["&amp; already escaped", "]]> cdata end"],
]


@pytest.mark.parametrize("replies", CASES)
def test_render_twiml_matches_twilios_builder(replies: list[str]) -> None:
    expected = MessagingResponse()
    for text in replies:
        expected.message(text)
    assert render_twiml(replies) == str(expected)
