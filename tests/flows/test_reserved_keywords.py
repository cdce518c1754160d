"""A flow cannot claim a word the STOP/START/HELP/language handler answers first."""

from __future__ import annotations

import pytest

from cfbot.flow_store import parse_flow, reserved_keywords
from cfbot.flows.model import FlowError

FLOW = """id: kwtest
name: K
languages: [en, es, vi]
keywords: {{en: [FEEDBACK], {lang}: [{word}]}}
questions:
  - id: q
    type: text
    text: {{en: "Hi?", es: "Hola?", vi: "Chao?"}}
"""


@pytest.mark.parametrize(
    ("lang", "word"), [("es", "AYUDA"), ("es", "PARAR"), ("vi", "DỪNG"), ("es", "ESPAÑOL")]
)
def test_system_keywords_in_any_language_are_reserved(lang, word):
    with pytest.raises(FlowError) as info:
        parse_flow(FLOW.format(lang=lang, word=word), "k.yaml")
    assert any("reserved" in p.message and p.line == 4 for p in info.value.problems)


def test_reserved_words_come_from_the_keyword_table():
    words = reserved_keywords()
    assert {"stop", "ayuda", "jooji", "nres", "espanol"} <= words


def test_registry_reloads_only_when_a_file_changes(tmp_path):
    import os

    from cfbot.flow_store import FlowRegistry

    text = FLOW.format(lang="es", word="OPINAR")
    (tmp_path / "k.yaml").write_text(text, encoding="utf-8")
    registry = FlowRegistry(tmp_path)
    assert registry.get("kwtest").name == "K"
    assert registry.reload_if_changed() is False
    (tmp_path / "k.yaml").write_text(text.replace("name: K", "name: Renamed"), encoding="utf-8")
    os.utime(tmp_path / "k.yaml", ns=(1, 10**18))
    assert registry.reload_if_changed() is True
    assert registry.get("kwtest").name == "Renamed"
    # a broken edit keeps the last good version in service
    (tmp_path / "k.yaml").write_text("id: kwtest\nquestions: [", encoding="utf-8")
    os.utime(tmp_path / "k.yaml", ns=(1, 2 * 10**18))
    assert registry.reload_if_changed() is True
    assert registry.get("kwtest").name == "Renamed" and registry.problems
