"""How many SMS segments a message costs.

Carriers bill per segment. A message that fits the GSM-7 alphabet uses 7-bit septets:
160 in a single segment, 153 per segment once it is split (the rest holds the
concatenation header). Characters from the GSM-7 extension table (``^{}\\[~]|€`` and form
feed) take two septets. One character outside GSM-7 (``á``, ``ư``, an emoji) switches
the whole message to UCS-2: 70 UTF-16 code units single, 67 per segment split, and an
emoji outside the Basic Multilingual Plane costs two code units.

An empty message is counted as one segment: that is what a carrier bills if it is sent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_MULTI = 153
UCS2_SINGLE = 70
UCS2_MULTI = 67


@dataclass(frozen=True)
class SmsInfo:
    """Encoding (``"GSM-7"`` or ``"UCS-2"``), billed segments, and length in units.

    ``length`` is septets for GSM-7 and UTF-16 code units for UCS-2.
    """

    encoding: str
    segments: int
    length: int


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` can be sent in GSM-7."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def sms_info(text: str) -> SmsInfo:
    """Encoding, segment count and length of ``text`` as an SMS."""
    if is_gsm7(text):
        length = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, multi, encoding = GSM7_SINGLE, GSM7_MULTI, "GSM-7"
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = UCS2_SINGLE, UCS2_MULTI, "UCS-2"
    segments = 1 if length <= single else math.ceil(length / multi)
    return SmsInfo(encoding, segments, length)
