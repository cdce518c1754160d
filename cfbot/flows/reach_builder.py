"""Flow keys for reaching clients where they are (see ``docs/flows.md``).

``name`` per language, ``intro`` (sent before the first question), ``anonymous``,
``ask_site`` (a first "Which clinic did you visit?" question when nothing says the site),
``program`` (the program of every survey of this flow), ``site_codes`` (keyword suffixes
such as ``FEEDBACK N`` for a poster at Northside), ``whatsapp_templates`` (a Twilio Content
SID per language for WhatsApp invitations) and ``closing.web`` (the closing text on the
web chat, where "Reply STOP" means nothing).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from cfbot.flows.question_builder import QuestionBuilder
from cfbot.flows.yaml_marks import as_bool, as_mapping, as_text, line_of
from cfbot.text import fold_phrase

SITE_CODE_RE = re.compile(r"^[A-Za-z0-9]{1,8}$")
CONTENT_SID_RE = re.compile(r"^HX[0-9a-fA-F]{32}$")
PROGRAM_RE = re.compile(r"^[a-z0-9_-]+$")

Entry = tuple[yaml.Node, yaml.Node] | None


class ReachBuilder(QuestionBuilder):
    """Parsing of the reach keys; mixed into :class:`cfbot.flows.builder.Builder`."""

    def parse_names(self, entry: Entry) -> dict[str, str]:
        """``name: {en: ..., es: ...}``; a plain string stays valid (no per-language names)."""
        if entry is None or isinstance(entry[1], yaml.ScalarNode):
            return {}
        return self.text_map(entry[1], "name", "name") or {}

    def parse_intro(self, entry: Entry) -> dict[str, str]:
        if entry is None:
            return {}
        self.locations["intro"] = line_of(entry[1])
        return self.text_map(entry[1], "intro", "intro") or {}

    def parse_flag(self, entry: Entry, what: str) -> bool:
        if entry is None:
            return False
        return bool(as_bool(self.ctx, entry[1], what))

    def parse_program(self, entry: Entry) -> str | None:
        if entry is None:
            return None
        value = as_text(self.ctx, entry[1], "program")
        if value is not None and not PROGRAM_RE.match(value):
            self.ctx.error(entry[1], f"program {value!r} may only use a-z, 0-9, '_' and '-'")
            return None
        return value

    def parse_site_codes(self, entry: Entry) -> dict[str, str]:
        """``site_codes: {N: northside}``: ``FEEDBACK N`` starts the survey for Northside."""
        if entry is None:
            return {}
        items = as_mapping(self.ctx, entry[1], "site_codes")
        codes: dict[str, str] = {}
        for code, (key_node, value_node) in (items or {}).items():
            site = as_text(self.ctx, value_node, f"site_codes ({code})")
            if not SITE_CODE_RE.match(str(code)):
                self.ctx.error(key_node, f"site code {code!r}: use 1 to 8 letters or digits")
            elif site is not None:
                codes[fold_phrase(str(code))] = site
        return codes

    def parse_whatsapp_templates(self, entry: Entry) -> dict[str, str]:
        """``whatsapp_templates: {en: HX..., es: HX...}``: approved Twilio Content SIDs."""
        if entry is None:
            return {}
        items = as_mapping(self.ctx, entry[1], "whatsapp_templates")
        sids: dict[str, str] = {}
        for lang, (key_node, value_node) in (items or {}).items():
            sid = as_text(self.ctx, value_node, f"whatsapp_templates ({lang})")
            if self.languages and lang not in self.languages:
                self.ctx.error(key_node, f"whatsapp_templates: {lang!r} is not a flow language")
            elif sid is not None and not CONTENT_SID_RE.match(sid):
                self.ctx.error(
                    value_node, f"whatsapp_templates ({lang}): {sid!r} is not a Content SID (HX…)"
                )
            elif sid is not None:
                sids[lang] = sid
        return sids

    def reach_fields(self, top: dict[str, Any]) -> dict[str, Any]:
        """Every reach key of the flow, as keyword arguments of :class:`Flow`."""
        return {
            "names": self.parse_names(top.get("name")),
            "intro": self.parse_intro(top.get("intro")),
            "anonymous": self.parse_flag(top.get("anonymous"), "anonymous"),
            "ask_site": self.parse_flag(top.get("ask_site"), "ask_site"),
            "program": self.parse_program(top.get("program")),
            "site_codes": self.parse_site_codes(top.get("site_codes")),
            "whatsapp_templates": self.parse_whatsapp_templates(top.get("whatsapp_templates")),
        }
