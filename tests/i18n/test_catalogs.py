"""Every client-facing system string is translated in every shipped locale."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from cfbot.commands.translations import extract_catalog
from cfbot.i18n import SUPPORTED_LANGUAGES, clear_cache, locales_dir, translate

TRANSLATED = [lang for lang in SUPPORTED_LANGUAGES if lang != "en"]


@pytest.fixture(scope="module")
def source_ids() -> set[str]:
    return {str(m.id) for m in extract_catalog() if m.id}  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_locale_translates_every_string_in_the_source(lang, source_ids):
    po = locales_dir() / lang / "LC_MESSAGES" / "messages.po"
    assert po.exists(), f"missing catalog {po}"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=None)
    translated = {str(m.id) for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(source_ids - translated)
    assert not missing, f"{lang} lacks translations: {missing}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_same_placeholders(lang):
    import re

    po = locales_dir() / lang / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=None)
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"\{(\w+)\}", ids[0]))
        for text in strings:
            assert set(re.findall(r"\{(\w+)\}", text)) == wanted, (lang, message.id, text)


def test_translate_uses_the_catalog_and_falls_back_to_english():
    clear_cache()
    msg = "Sorry, I didn't understand. {question}"
    assert translate("es", msg, question="Q") != msg.format(question="Q")
    assert translate("xx", msg, question="Q") == "Sorry, I didn't understand. Q"
