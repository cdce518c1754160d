"""Which of our languages a reply is written in.

lingua-language-detector (offline, its models ship in the wheel) decides between
English, Spanish, Somali and Vietnamese; lingua has no Hmong, so our own list of common
Hmong (RPA) words decides that first. Short texts, numbers and anything the detector is
unsure of keep the conversation's language: "ok", "5" or "si" say nothing reliable.

The detector costs more than the rest of a reply's scoring, so a reply made of known
words of the conversation's language keeps that language without asking it: every word
known and one of them known to no other of our languages, or all words but one known
and two of them its own.
The known words are the language's lexicon (``cfbot/lexicons/<lang>.yaml``: every word
of its lists and patterns, and of what a pattern matches when that is a short list,
read at load time), VADER's lexicon for English, the Hmong
and plain Vietnamese lists below, and a short list of common words per language.

Pure functions; the detector is built once, lazily, thread-safely (its models load on
first use, a few milliseconds per language).
"""

from __future__ import annotations

import re
import threading
from functools import cache
from importlib import resources
from typing import Any

import yaml

from cfbot.services.lexmatch import expand
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

# Common words that no lexicon lists, written for cfbot: the known words of a language
# (see the module docstring) are its lexicon, these and the lists above.
_COMMON = {
    "en": """a about after again all also am an and any anyone are as at back be
    because been before being both by came can come could day days did do does doing
    done down each even every for from get gets getting go goes going got had has have
    having he her here him his home hour how i if in into is it its just know last
    left let like made make many may me more most much must my myself need needed new
    next now of off on once one only or other our out over own people put right said
    same saw say see she should since some still such take than that the their them
    then there these they thing things think this those time times to today told too
    took two until up us very was way we week weeks well went were what when where
    which while who why will with would yet you your baby son daughter kids kid mom
    dad husband wife family child children doctor doctors nurse nurses staff clinic
    office appointment visit lady guy front desk room called call phone""",
    "es": """a al algo algun alguna como con cuando de del el ella ellos en entre era
    es esa ese eso esta este esto estoy estaba estan fue ha hay hace la las le les lo
    los me mi mis muy nos o otra otro para por porque que se ser si su sus te tengo
    tiene todo todos tu un una uno y ya yo hijo hija hijos bebe doctor doctora
    enfermera enfermeras clinica cita personal servicio atencion dia dias hora quiero
    creo dieron fueron ninos nino esposo esposa mama papa manana tarde hoy ayer
    numero tarjeta recepcionista vez veces""",
    "so": """waa iyo ku ka la aan ayaa waxa wax ma uu ay aad oo in u si ah hadda
    badan wanaagsan dhakhtar dhakhtarka dhakhtarku kalkaaliye kalkaalisada shaqaalaha
    sugitaan sugitaanka saacad saacado saacadood daqiiqo maanta shalay ilmaha ilmo
    hooyo aabe caafimaad isbitaal xafiis ballan qof dad way wey ayuu ayay baan""",
    "vi": """toi ban anh chi em ong ba co khong duoc la va cua voi nhung rat qua
    lam di den ve o tai khi nay do thi ma se da dang con bac si y ta nhan vien
    phong kham doi lau nhanh tot xau noi hoi dau om ho sot be gia dinh vo chong
    hom nay ngay gio phut""",
}

_CODES = {"ENGLISH": "en", "SPANISH": "es", "SOMALI": "so", "VIETNAMESE": "vi"}
_LEXICON_LANGS = frozenset({"en", "es", "so", "hmn", "vi"})
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


# One inbound text is detected up to three times on the request path (crisis check,
# scoring the answer, the language offer): the detector's answer for the last text is
# kept. One entry, replaced whole, so threads read either the old or the new one.
_last: tuple[str, Any, Any] = ("", None, None)


def _confidences(text: str) -> Any:
    """The detector's confidence values for ``text`` (the last text's are reused)."""
    global _last
    detector = _get_detector()
    last = _last
    if last[0] == text and last[1] is detector:
        return last[2]
    values = detector.compute_language_confidence_values(text)
    _last = (text, detector, values)
    return values


def _strings(node: Any) -> list[str]:
    """Every string of a loaded YAML document, keys included."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


@cache
def known_words(lang: str) -> frozenset[str]:
    """Folded words known to be ``lang`` (see the module docstring); empty for a
    language without a lexicon."""
    source = resources.files("cfbot.lexicons").joinpath(f"{lang}.yaml")
    if not source.is_file():
        return frozenset()
    words: set[str] = set()
    for s in _strings(yaml.safe_load(source.read_text(encoding="utf-8"))):
        words.update(_WORD.findall(fold_aligned(s)))
        for phrase in expand(s) or ():  # "buen[oa]?s?": buen, buena, buenas, ...
            words.update(_WORD.findall(fold_aligned(phrase)))
    words.update(_WORD.findall(fold_aligned(_COMMON.get(lang, ""))))
    if lang == "en":
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        words.update(w for w in SentimentIntensityAnalyzer().lexicon if _WORD.fullmatch(w))
    elif lang == "hmn":
        words |= HMONG_WORDS
    elif lang == "vi":
        words |= _VIET_PLAIN
    return frozenset(words)


@cache
def _own_words(lang: str) -> frozenset[str]:
    """Known words of ``lang`` that no other language knows ("improve" is in the
    Vietnamese lexicon too, for replies in English)."""
    others = [known_words(o) for o in sorted(_LEXICON_LANGS) if o != lang]
    return known_words(lang).difference(*others)


def detect_language(text: str, default: str) -> str:
    """The language code ``text`` is written in, or ``default`` (the conversation's
    language) when the text is too short, numeric, made of known words of ``default``
    (see the module docstring), or the detector is unsure."""
    words = _WORD.findall(fold_aligned(text or ""))
    if len(words) < _MIN_WORDS or sum(len(w) for w in words) < _MIN_LETTERS:
        return default
    hmong = sum(1 for w in words if w in _HMONG_ONLY)
    if hmong >= 2 and hmong / len(words) >= 0.4:
        return "hmn"
    viet = sum(1 for w in words if w in _VIET_PLAIN)
    if viet >= 2 and viet / len(words) >= 0.4:
        return "vi"
    if default in _LEXICON_LANGS:
        known, own = known_words(default), _own_words(default)
        unknown = sum(1 for w in words if w not in known)
        owned = sum(1 for w in words if w in own)
        if (unknown == 0 and owned >= 1) or (unknown <= 1 and owned >= 2):
            return default
    try:
        values = _confidences(text)
    except Exception:  # detection must never break a reply
        return default
    if not values:
        return default
    top = values[0]
    code = _CODES.get(top.language.name)
    if code is None or top.value < _MIN_CONFIDENCE:
        return default
    return code
