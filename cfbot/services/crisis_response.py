"""The crisis steps of the inbound pipeline: answer with help at once, pause the survey, tell a person.

It runs before every other step (before STOP/HELP, before the flow, regardless of
quiet hours, which only govern messages we start). When
:func:`cfbot.services.crisis.detect_crisis` finds self-harm, violence/abuse or a medical
emergency in an inbound message:

1. the client gets, in the same response and in their language, 911, 988 (with the
   languages 988 texting is offered in, and that calls have interpreters) and the local
   resources from ``routing.yaml`` (``crisis_resources``);
2. the open survey is paused: ``status = "paused"``, ``open_key`` and ``next_wake_at``
   cleared, so no further questions or reminders; the contact gets no invitations or
   reminders for ``CFBOT_CRISIS_HOLD_DAYS`` (see :func:`cfbot.services.alerts.crisis_hold_until`);
3. an urgent alert is queued for the on-call list (sent by the mail job within a minute)
   and escalates after 15 minutes if nobody acknowledges it;
4. everything is logged (phone masked) and kept in the alert's audit trail.

Two tiers (:func:`cfbot.services.crisis.assess`): ``crisis`` as above, and
``urgent_review``, a *possible* crisis (any talk of death, self-harm, weapons, violence,
abuse or a medical emergency that is not a known look-alike). An urgent_review message
gets a short kind reply with 911/988 and an urgent alert of the same kind, severity,
recipients and escalation as a crisis (``details["tier"] == "urgent_review"``, reason
"Urgent review: ..."), so a person reads it within minutes. It also pauses the survey,
exactly like a crisis: the flow must never swallow such a message, and a person who has
read it can resume. Replies are in the language the message is written in
(:func:`cfbot.services.language.detect_language`; the conversation's language for short
texts), and that language is stored on the alert.

An opted-out client still gets the crisis reply: it answers their own message and may
matter for their safety.

Policy note on 988: calls offer Spanish (press 2) and interpreters in many languages;
texting is in English, and in Spanish when the text is AYUDA. The replies say so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from cfbot.i18n import SUPPORTED_LANGUAGES, translate
from cfbot.logging_setup import mask_phone
from cfbot.models import ConversationStatus
from cfbot.runtime import Runtime
from cfbot.services import alerts
from cfbot.services.conversation import InboundContext
from cfbot.services.routing import Routing, get_routing

log = logging.getLogger(__name__)


# Built-in replies. ``{local}`` is replaced by the configured local resources (with a
# trailing space) or nothing. Only English and Spanish have been checked by a fluent
# speaker; admins can replace any language with ``crisis_reply:`` in routing.yaml.
def builtin_crisis_reply(lang: str, local: str) -> str:
    """Our crisis reply in ``lang`` (gettext catalogs; translators adapt the 988 language
    notes, e.g. Spanish gets "text AYUDA to 988"). ``local`` is the resources text."""
    return translate(
        lang,
        "If you are in danger or need medical help now, call 911. "
        "For crisis support, call or text 988 (free, 24/7). {local}"
        "We have told our staff about your message. "
        "This text line is not watched around the clock.",
        local=local,
    )


def builtin_review_reply(lang: str) -> str:
    """Our reply to an urgent_review (possible crisis) message in ``lang``."""
    return translate(
        lang,
        "If you or someone else is in danger, call 911. For crisis support call or text "
        "988. A staff member will read your message.",
    )


def builtin_followup_reply(lang: str) -> str:
    """Reply to later texts from a contact whose survey is paused after a crisis."""
    return translate(
        lang,
        "Thank you. Our staff have your message. If you are in danger, call 911, "
        "or call or text 988.",
    )


def _pick(texts: Mapping[str, str], lang: str) -> str | None:
    base = lang.split("-")[0]
    for key in (lang, base):
        value = texts.get(key)
        if value:
            return str(value)
    return None


def crisis_reply(routing: Routing, lang: str) -> str:
    """The crisis reply in ``lang``, local resources filled in. An admin's ``crisis_reply``
    in routing.yaml wins; otherwise our translated text (English for unknown languages)."""
    local = _pick(routing.crisis_resources, lang) or routing.crisis_resources.get("en", "")
    local_text = (local.strip() + " ") if local else ""
    custom = _pick(routing.crisis_reply, lang)
    if custom is None and lang.split("-")[0] not in SUPPORTED_LANGUAGES:
        # a language we have no text for: the admin's English text, else ours
        custom = routing.crisis_reply.get("en") or None
    if custom:
        filled = custom.replace("{local}", local_text)
        if local and "{local}" not in custom:
            filled = f"{filled} {local.strip()}"
    else:
        filled = builtin_crisis_reply(lang, local_text)
    # the emergency numbers must survive any admin edit of the text
    if "911" not in filled or "988" not in filled:
        filled = f"{filled} 911 / 988"
    return " ".join(filled.split())


def handle_crisis(ctx: InboundContext) -> bool:
    """Pipeline step: True (message fully handled) when the message signals a crisis."""
    text = ctx.text
    if not text or not text.strip():
        return False
    try:
        from cfbot.services.crisis import CRISIS, assess
        from cfbot.services.language import detect_language

        lang = detect_language(text, ctx.language)
        found = assess(text, lang)
    except Exception:
        # detection must never stop the conversation; the message still reaches the flow
        log.exception("crisis detection failed")
        return False
    if not found:
        return False
    rt, session, now = ctx.rt, ctx.session, ctx.now
    if found.by_model and ctx.conversation is None:
        # Only the learned net (no list phrase) and a crisis already open: the follow-up
        # step adds the text to that alert and reminds the client of 911/988.
        since = now - timedelta(days=rt.settings.crisis_hold_days)
        if alerts.crisis_alert_for(session, ctx.contact.id, since) is not None:
            return False
    category = found.category or "self_harm"
    tier = found.tier or CRISIS
    routing = get_routing(rt)
    if tier == CRISIS:
        ctx.reply(crisis_reply(routing, lang), kind="crisis")
    else:
        ctx.reply(builtin_review_reply(lang), kind="crisis")
    conversation = ctx.conversation
    paused = False
    if conversation is not None and conversation.status == ConversationStatus.ACTIVE:
        conversation.status = ConversationStatus.PAUSED
        conversation.open_key = None
        conversation.next_wake_at = None
        conversation.updated_at = now
        session.add(conversation)
        session.flush()
        paused = True
    alert = alerts.raise_crisis(
        rt,
        session,
        contact=ctx.contact,
        conversation=conversation,
        message=ctx.message,
        category=category,
        now=now,
        tier=tier,
        language=lang,
        trigger=(found.phrase or "").strip("()") or None,
    )
    note = f"{tier} reply sent ({lang})" + ("; survey paused" if paused else "")
    alerts.log_event(session, alert.id, "client_replied", now, note=note)  # type: ignore[arg-type]  # id is None only before the row is flushed
    log.warning(
        "%s message (%s) from %s in conversation %s: alert %s, %s",
        tier,
        category,
        mask_phone(ctx.contact.phone) or f"webchat contact {ctx.contact.id}",
        conversation.id if conversation is not None else None,
        alert.id,
        note,
    )
    return True


def _written_language(text: str, fallback: str) -> str:
    try:
        from cfbot.services.language import detect_language

        return detect_language(text, fallback)
    except Exception:
        log.exception("language detection failed")
        return fallback


def emergency_reply(rt: Runtime, text: str, fallback_lang: str) -> str | None:
    """The crisis (or urgent_review) reply ``text`` would get, in the language it is
    written in, or None when it is not a crisis. Stores nothing: it is for a request a
    rate limit turned away, which must still get 911/988."""
    if not text or not text.strip():
        return None
    try:
        from cfbot.services.crisis import CRISIS, assess

        lang = _written_language(text, fallback_lang)
        found = assess(text, lang)
    except Exception:
        log.exception("crisis detection failed")
        return None
    if not found:
        return None
    if (found.tier or CRISIS) == CRISIS:
        return crisis_reply(get_routing(rt), lang)
    return builtin_review_reply(lang)


def handle_crisis_followup(ctx: InboundContext) -> bool:
    """After a crisis message, later texts (not keywords, no open survey) go to the alert.

    Staff see them in the dashboard, and the client is reminded of 911/988 instead of
    being told how to start a survey.
    """
    if ctx.conversation is not None or not ctx.text.strip():
        return False
    rt, session, now = ctx.rt, ctx.session, ctx.now
    if rt.flows.by_keyword(ctx.text) is not None:
        return False
    since = now - timedelta(days=rt.settings.crisis_hold_days)
    alert = alerts.crisis_alert_for(session, ctx.contact.id, since)
    if alert is None:
        return False
    details = dict(alert.details or {})
    details["followup_ids"] = [*details.get("followup_ids", []), ctx.message.id][-50:]
    alert.details = details
    alert.updated_at = now
    session.add(alert)
    alerts.log_event(session, alert.id, "client_message", now, note=ctx.text[:2000])  # type: ignore[arg-type]  # id is None only before the row is flushed
    # answer in the language the client wrote in (short texts: the conversation's)
    lang = _written_language(ctx.text, ctx.language)
    ctx.reply(builtin_followup_reply(lang), kind="crisis")
    return True
