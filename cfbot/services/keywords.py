"""STOP / START / HELP, language words and picture-only messages, before any flow.

The second step of the inbound pipeline (:data:`cfbot.services.inbound.PIPELINE`), right
after crisis detection.

The words live in ``cfbot/keywords.yaml``, per language. A message counts only when it
is nothing but the keyword (case, accents, surrounding punctuation and spacing ignored),
so "please don't stop texting me" is an ordinary message.

Rules, in the order a carrier reviewer would check them:

* STOP words mark an SMS contact opted out at once, close the open survey, cancel every
  queued outbound message, and send exactly one confirmation (in the client's language)
  even though the contact is now opted out. A second STOP gets no reply. For web chat
  STOP just ends the survey.
* While opted out nothing is sent to the number except answers to HELP and the START
  confirmation (the conversation service drops other texts without a reply).
* START words re-subscribe an opted-out contact (``opted_in_at``) and confirm.
* HELP words reply with the program name, how to opt out and the configured contact.
* Language words switch the survey (repeating the current question) or, with no survey
  open, the contact's language.
* A picture with no text gets a polite "please answer with text".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from cfbot.flows import engine
from cfbot.i18n import SUPPORTED_LANGUAGES, language_in_sentence, translate
from cfbot.logging_setup import mask_phone
from cfbot.services.conversation import PHONE_CHANNELS, InboundContext
from cfbot.services.delivery import mark_opted_out
from cfbot.text import fold_phrase

log = logging.getLogger(__name__)

KEYWORDS_FILE = Path(__file__).resolve().parent.parent / "keywords.yaml"
ACTIONS = ("stop", "start", "help", "language")


@dataclass(frozen=True)
class KeywordMatch:
    """What a whole message means: an action and the languages whose word it is."""

    action: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class KeywordTable:
    """Accent-sensitive words (matched with accents) and the rest (matched without)."""

    exact: dict[str, KeywordMatch]
    loose: dict[str, KeywordMatch]

    def get(self, text: str) -> KeywordMatch | None:
        """The match for a whole message, accent-sensitive words first."""
        return self.exact.get(fold_phrase(text, keep_accents=True)) or self.loose.get(
            fold_phrase(text)
        )


@lru_cache(maxsize=4)
def load_table(path: str = str(KEYWORDS_FILE)) -> KeywordTable:
    """The keyword table, read once from ``keywords.yaml``."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    sensitive = {fold_phrase(str(w), keep_accents=True) for w in data.get("accent_sensitive") or ()}
    found: dict[tuple[bool, str], tuple[str, list[str]]] = {}
    for action in ACTIONS:
        for lang, words in (data.get(action) or {}).items():
            if lang not in SUPPORTED_LANGUAGES:
                raise ValueError(f"{path}: unsupported language {lang!r} under {action}")
            for word in words or ():
                exact = fold_phrase(str(word), keep_accents=True) in sensitive
                norm = (
                    fold_phrase(str(word), keep_accents=True) if exact else fold_phrase(str(word))
                )
                if not norm:
                    continue
                previous = found.get((exact, norm))
                if previous is not None and previous[0] != action:
                    raise ValueError(
                        f"{path}: {word!r} is both a {previous[0]} and a {action} word"
                    )
                entry = found.setdefault((exact, norm), (action, []))
                if lang not in entry[1]:
                    entry[1].append(lang)
    tables: dict[bool, dict[str, KeywordMatch]] = {True: {}, False: {}}
    for (exact, norm), (action, langs) in found.items():
        ordered = tuple(sorted(langs, key=SUPPORTED_LANGUAGES.index))
        tables[exact][norm] = KeywordMatch(action, ordered)
    return KeywordTable(exact=tables[True], loose=tables[False])


def match(text: str) -> KeywordMatch | None:
    """The system keyword ``text`` is, if the whole message is one."""
    if not text or len(text) > 64:
        return None
    return load_table().get(text)


@lru_cache(maxsize=1)
def _language_words() -> dict[str, str]:
    with open(KEYWORDS_FILE, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return {lang: str(words[0]) for lang, words in (data.get("language") or {}).items() if words}


def language_word(lang: str) -> str | None:
    """The word a client texts to pick ``lang`` (the first under ``language:``)."""
    return _language_words().get(lang)


def reply_language(found: KeywordMatch, current: str) -> str:
    """Answer in the client's language when the word is theirs or English (the carrier
    words work everywhere); otherwise in the language of the word they used."""
    if current in found.languages or "en" in found.languages:
        return current
    return found.languages[0]


# --------------------------------------------------------------------------- handler


def handle_keywords(ctx: InboundContext) -> bool:
    """Pipeline step: True when the message was a keyword (or a bare picture)."""
    message = ctx.message
    found = match(ctx.text)
    if found is None:
        if message.kind == "media" and not ctx.text.strip():
            return _media_only(ctx)
        return False
    if found.action == "stop":
        return _stop(ctx, reply_language(found, ctx.language))
    if found.action == "start":
        return _start(ctx, reply_language(found, ctx.language))
    if found.action == "help":
        return _help(ctx, reply_language(found, ctx.language))
    return _language(ctx, found.languages[0])


def _close_survey(ctx: InboundContext) -> None:
    conversation = ctx.conversation
    if conversation is None:
        return
    flow = ctx.flow()
    if flow is None:  # pragma: no cover - an open conversation always has a flow
        return
    sprint = engine.stop(flow, conversation.state, ctx.now)
    ctx.apply(conversation, flow, sprint)


def _stop(ctx: InboundContext, lang: str) -> bool:
    had_survey = ctx.conversation is not None
    _close_survey(ctx)
    contact = ctx.contact
    if ctx.message.channel not in PHONE_CHANNELS:
        if had_survey:
            ctx.reply(translate(lang, "The survey has ended. Thank you for your time."), "notice")
        return True
    already = contact.opted_out
    cancelled = mark_opted_out(ctx.session, contact, ctx.now, "STOP keyword")
    log.info(
        "opt-out from %s (%s); %d queued message(s) cancelled",
        mask_phone(contact.phone),
        "repeat" if already else "new",
        cancelled,
    )
    if not already:
        # carriers expect exactly one confirmation, sent even though we now stop sending
        ctx.reply(
            translate(
                lang,
                "{program}: You are unsubscribed and will get no more messages. "
                "Reply START to subscribe again.",
                program=ctx.rt.settings.program_name_for(lang),
            ),
            "optout",
        )
    return True


def _start(ctx: InboundContext, lang: str) -> bool:
    contact = ctx.contact
    if ctx.message.channel not in PHONE_CHANNELS or not contact.opted_out:
        # nothing to undo: let the flow (or the "how to give feedback" reply) answer
        return False
    contact.opted_out = False
    contact.opted_in_at = ctx.now
    contact.updated_at = ctx.now
    ctx.session.add(contact)
    log.info("opt-in from %s", mask_phone(contact.phone))
    ctx.reply(
        translate(
            lang,
            "{program}: You are subscribed again. Reply HELP for help or STOP to opt out.",
            program=ctx.rt.settings.program_name_for(lang),
        ),
        "optin",
    )
    return True


def _help(ctx: InboundContext, lang: str) -> bool:
    settings = ctx.rt.settings
    ctx.reply(
        translate(
            lang,
            "{program}: short surveys about your visit. Reply STOP to opt out. "
            "Questions? Contact {contact}.",
            program=settings.program_name_for(lang),
            contact=settings.help_contact_for(lang),
        ),
        "help",
    )
    return True


def _language(ctx: InboundContext, lang: str) -> bool:
    contact = ctx.contact
    if contact.language != lang:
        contact.language = lang
        contact.updated_at = ctx.now
        ctx.session.add(contact)
    if ctx.message.channel in PHONE_CHANNELS and contact.opted_out:
        return True  # remembered for later, but an opted-out number gets no reply
    conversation = ctx.conversation
    flow = ctx.flow()
    if conversation is not None and flow is not None:
        sprint = engine.switch_language(flow, conversation.state, lang, ctx.now)
        ctx.replies.extend(ctx.apply(conversation, flow, sprint))
        return True
    ctx.reply(
        translate(
            lang, "OK. We will write to you in {language}.", language=language_in_sentence(lang)
        ),
        "notice",
    )
    return True


def _media_only(ctx: InboundContext) -> bool:
    if ctx.message.channel in PHONE_CHANNELS and ctx.contact.opted_out:
        return True
    ctx.reply(
        translate(ctx.language, "Sorry, we can only read text. Please answer with a text message."),
        "notice",
    )
    return True
