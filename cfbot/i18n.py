"""System-string translation shared by the engine, services and web pages.

Catalogs live in ``cfbot/locales/<lang>/LC_MESSAGES/messages.po`` (package data, so
they ship in the wheel). A compiled ``.mo`` is used
when it is at least as new as its ``.po``; otherwise the ``.po`` is compiled in memory, so
a fresh checkout works before ``cfbot translations compile`` has run. Flask-free on purpose:
the pure flow engine uses it too.
"""

from __future__ import annotations

import copy
import gettext
import io
import os
import threading
from functools import lru_cache
from pathlib import Path

SUPPORTED_LANGUAGES: tuple[str, ...] = ("en", "es", "so", "hmn", "vi")
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "so": "Soomaali",
    "hmn": "Hmoob",
    "vi": "Tiếng Việt",
}
# Inside a sentence ("continuar en español"): Spanish writes language names in lower
# case; the others read the same as the labels above.
_IN_SENTENCE: dict[str, str] = {"es": "español"}
DEFAULT_LANGUAGE = "en"


def language_in_sentence(code: str) -> str:
    """The language's own name as written inside one of its sentences."""
    return _IN_SENTENCE.get(code, LANGUAGE_NAMES[code])


_lock = threading.Lock()


def locales_dir() -> Path:
    """Where the gettext catalogs live (``CFBOT_LOCALES_DIR`` overrides)."""
    env = os.environ.get("CFBOT_LOCALES_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "locales"


def normalize_language(lang: str | None) -> str:
    """Map tags such as ``es-MX`` or ``HMN`` to a supported code, else the default."""
    if not lang:
        return DEFAULT_LANGUAGE
    code = lang.strip().replace("_", "-").lower()
    if code in SUPPORTED_LANGUAGES:
        return code
    base = code.split("-")[0]
    return base if base in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


# gettext domains: "messages" (clients: every language must be complete) and "staff"
# (dashboard, staff services, the PHAB report: Spanish must be complete)
DOMAINS: tuple[str, ...] = ("messages", "staff")
STAFF_DOMAIN = "staff"


@lru_cache(maxsize=64)
def _translations(lang: str, base: str, domain: str = "messages") -> gettext.NullTranslations:
    po = Path(base) / lang / "LC_MESSAGES" / f"{domain}.po"
    mo = po.with_suffix(".mo")
    try:
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as fh:
                return gettext.GNUTranslations(fh)
        if po.exists():
            from babel.messages.mofile import write_mo
            from babel.messages.pofile import read_po

            with po.open("rb") as fh:
                catalog = read_po(fh, locale=None, domain=domain)
            buf = io.BytesIO()
            write_mo(buf, catalog, use_fuzzy=False)
            buf.seek(0)
            return gettext.GNUTranslations(buf)
    except Exception:  # a broken catalog must never take the bot down; English is used
        import logging

        logging.getLogger(__name__).exception("could not load %s catalog for %s", domain, lang)
    return gettext.NullTranslations()


def get_translations(lang: str | None) -> gettext.NullTranslations:
    """The gettext translations for ``lang`` (English passthrough when missing)."""
    code = normalize_language(lang)
    with _lock:
        return _translations(code, str(locales_dir()))


def translate(lang: str | None, message: str, **params: object) -> str:
    """Translate ``message`` into ``lang`` and fill ``{name}`` placeholders from ``params``."""
    text = get_translations(lang).gettext(message)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            # a bad translation must not break a reply: fall back to the English text
            return message.format(**params)
    return text


def ngettext(lang: str | None, singular: str, plural: str, n: int, **params: object) -> str:
    """Plural-aware variant of :func:`translate`; ``n`` is also available as ``{n}``."""
    text = get_translations(lang).ngettext(singular, plural, n)
    try:
        return text.format(n=n, **params)
    except (KeyError, IndexError, ValueError):
        return (singular if n == 1 else plural).format(n=n, **params)


@lru_cache(maxsize=32)
def _staff_translations(lang: str, base: str) -> gettext.NullTranslations:
    # a fresh object per language (never the shared one): staff text falls back to the
    # client catalog, then English
    staff = _translations(lang, base, STAFF_DOMAIN)
    combined = copy.copy(staff)
    combined._fallback = None  # type: ignore[attr-defined]  # _fallback is private to gettext and not in typeshed
    combined.add_fallback(_translations(lang, base))
    return combined


def staff_translate(lang: str | None, message: str, **params: object) -> str:
    """Translate staff-facing text (the ``staff`` domain, then the client catalog) into
    ``lang`` and fill ``{name}`` placeholders; English when no catalog has it."""
    code = normalize_language(lang)
    with _lock:
        translations = _staff_translations(code, str(locales_dir()))
    text = translations.gettext(message)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return message.format(**params)
    return text


def clear_cache() -> None:
    """Forget loaded catalogs (after ``cfbot translations compile`` or in tests)."""
    _translations.cache_clear()
    _staff_translations.cache_clear()


# marker so extraction finds strings that are translated later, at use time
def N_(message: str) -> str:  # noqa: N802
    return message
