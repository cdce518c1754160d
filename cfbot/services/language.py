"""Which of our languages a reply is written in.

lingua-language-detector (offline, its models ship in the wheel) decides between
English, Spanish, Somali and Vietnamese; lingua has no Hmong, so our own list of common
Hmong (RPA) words decides that first. Short texts, numbers and anything the detector is
unsure of keep the conversation's language: "ok", "5" or "si" say nothing reliable.

Pure functions; the detector is built once, lazily, thread-safely (its models load on
first use, a few milliseconds per language).
"""

from __future__ import annotations

import re
import threading
from typing import Any

from cfbot.text import fold_aligned

__all__ = ["HMONG_WORDS", "detect_language"]

# Frequent Hmong (RPA) words, written for cfbot. Tone letters make most of them
# unlike English, Spanish, Somali or unaccented Vietnamese words; ambiguous short ones
# ("mus", "tau", "los", "rau", "ua") are left out.
HMONG_WORDS = frozenset(
    """kuv koj nws peb lawv tsis yog muaj nyob thiab tab sis tiam heev zoo
    siab txhua yam tos ntev mob tshuaj kws kho tsev neeg tus cov me nyuam
    xav tuag ntaus hais lus ntawv hnub teev feeb ntxiv dua thov tsaug
    txawj paub pab qhia hu xov tooj tuaj rov qab lawm tsawg kawg ntau
    nrog txog yuav tau tias txiv niam poj tij laug dab tsi vim li cas
    phooj ywg hmoob ua pa ntshav nqos hlua phom riam choj dhia""".split()
)
_HMONG_ONLY = frozenset(
    w for w in HMONG_WORDS if w not in {"me", "yam", "tau", "tab", "sis", "ua", "pa", "cas"}
)

# Unaccented Vietnamese ("toi muon chet") reads as English to the detector.
_VIET_PLAIN = frozenset(
    """toi khong duoc roi nhung chung minh nguoi nhieu chua nua muon lam
    rat cam bac vien phai thuoc benh gio""".split()
)

_CODES = {"ENGLISH": "en", "SPANISH": "es", "SOMALI": "so", "VIETNAMESE": "vi"}
_MIN_WORDS = 3
_MIN_LETTERS = 12
_MIN_CONFIDENCE = 0.6
_WORD = re.compile(r"[^\W\d_]+")

_lock = threading.Lock()
_detector: Any = None


def _get_detector() -> Any:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                _detector = LanguageDetectorBuilder.from_languages(
                    Language.ENGLISH, Language.SPANISH, Language.SOMALI, Language.VIETNAMESE
                ).build()
    return _detector


def detect_language(text: str, default: str) -> str:
    """The language code ``text`` is written in, or ``default`` (the conversation's
    language) when the text is too short, numeric or the detector is unsure."""
    words = _WORD.findall(fold_aligned(text or ""))
    if len(words) < _MIN_WORDS or sum(len(w) for w in words) < _MIN_LETTERS:
        return default
    hmong = sum(1 for w in words if w in _HMONG_ONLY)
    if hmong >= 2 and hmong / len(words) >= 0.4:
        return "hmn"
    viet = sum(1 for w in words if w in _VIET_PLAIN)
    if viet >= 2 and viet / len(words) >= 0.4:
        return "vi"
    try:
        values = _get_detector().compute_language_confidence_values(text)
    except Exception:  # detection must never break a reply
        return default
    if not values:
        return default
    top = values[0]
    code = _CODES.get(top.language.name)
    if code is None or top.value < _MIN_CONFIDENCE:
        return default
    return code
