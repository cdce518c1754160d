"""STOP / START / HELP and language words, before any flow sees the message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sms_helpers import PHONE, all_rows, new_sid, post_signed, text

from cfbot.channels.base import InboundMsg
from cfbot.models import Contact, Conversation, Message, utcnow
from cfbot.services import keywords
from cfbot.services.conversation import queue_message
from cfbot.services.inbound import handle_inbound
from cfbot.services.timers import run_due_timers


@pytest.fixture
def tagged(monkeypatch):
    """Make system replies show which language they were written in: ``[es] ...``."""

    def fake_translate(lang, message, **params):
        return f"[{lang}] " + message.format(**params)

    monkeypatch.setattr(keywords, "translate", fake_translate)


def contact(rt) -> Contact:
    (row,) = all_rows(rt.engine, Contact)
    return row


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    "word",
    [
        "STOP",
        "stop",
        "Stop.",
        " STOP!! ",
        "“Stop”",
        "STOPALL",
        "stop all",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "opt-out",
        "Opt out",
        "PARAR",
        "alto",
        "NO MÁS",
        "no mas",
        "¡Basta!",
        "JOOJI",
        "NRES",
        "DỪNG",
        "dừng lại",
        "STOP 🛑",
        "\u200bSTOP",
    ],
)
def test_stop_words_match_in_every_language(word):
    found = keywords.match(word)
    assert found is not None and found.action == "stop"


@pytest.mark.parametrize(
    "message",
    [
        "please don't stop texting me",
        "stop it was great",
        "I will not stop coming",
        "Đúng",  # Vietnamese "right": not DỪNG without its accents
        "dung",
        "",
        "5",
        "s t o p",
    ],
)
def test_only_a_message_that_is_just_the_keyword_counts(message):
    found = keywords.match(message)
    assert found is None or found.action != "stop"


@pytest.mark.parametrize(
    ("word", "action", "lang"),
    [
        ("START", "start", "en"),
        ("unstop", "start", "en"),
        ("HELP", "help", "en"),
        ("info", "help", "en"),
        ("AYUDA", "help", "es"),
        ("ESPAÑOL", "language", "es"),
        ("espanol", "language", "es"),
        ("SOOMAALI", "language", "so"),
        ("HMOOB", "language", "hmn"),
        ("TIẾNG VIỆT", "language", "vi"),
        ("tieng viet", "language", "vi"),
        ("ENGLISH", "language", "en"),
    ],
)
def test_other_keywords(word, action, lang):
    found = keywords.match(word)
    assert found is not None and found.action == action and lang in found.languages


def test_flow_keywords_never_clash_with_system_words(rt):
    from pathlib import Path

    from cfbot.flow_store import load_directory

    shipped = load_directory(Path(__file__).resolve().parents[2] / "conversations").flows
    for flow in [*rt.flows.all(), *shipped.values()]:
        for words in flow.keywords.values():
            assert all(keywords.match(w) is None for w in words), flow.id


# --------------------------------------------------------------------------- STOP


def test_stop_mid_survey_opts_out_closes_the_survey_and_confirms_once(client, rt, tagged):
    text(client, "FEEDBACK")
    replies = text(client, "STOP")
    assert replies == [
        "[en] Metro Health feedback: You are unsubscribed and will get no more messages. "
        "Reply START to subscribe again."
    ]
    person = contact(rt)
    assert person.opted_out and person.opted_out_at is not None
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.status == "stopped" and conv.open_key is None and conv.next_wake_at is None
    # from now on: nothing at all, not even for a second STOP or a survey keyword
    assert text(client, "STOP") == []
    assert text(client, "5") == []
    assert text(client, "FEEDBACK") == []
    assert len(all_rows(rt.engine, Conversation)) == 1


def test_stop_in_english_confirms_in_the_clients_language(client, rt, tagged):
    text(client, "COMENTARIOS")
    assert text(client, "stop")[0].startswith("[es] ")


@pytest.mark.parametrize(
    ("word", "lang"), [("PARAR", "es"), ("JOOJI", "so"), ("NRES", "hmn"), ("DỪNG", "vi")]
)
def test_stop_in_the_clients_language_confirms_in_it(client, rt, tagged, word, lang):
    replies = text(client, word)
    assert len(replies) == 1 and replies[0].startswith(f"[{lang}] ")
    assert contact(rt).opted_out


def test_stop_cancels_queued_invitations_and_reminders(client, rt):
    text(client, "hello")
    from sqlmodel import Session

    with Session(rt.engine) as s:
        person = s.get(Contact, contact(rt).id)
        queue_message(s, person, "sms", "Reminder: please answer", kind="reminder", now=utcnow())
        s.commit()
    text(client, "STOP")
    queued = [m for m in all_rows(rt.engine, Message) if m.kind == "reminder"]
    assert [m.status for m in queued] == ["cancelled"]


def test_no_reminder_is_queued_for_an_opted_out_contact(client, rt):
    text(client, "FEEDBACK")
    text(client, "STOP")
    before = len(all_rows(rt.engine, Message))
    run_due_timers(rt, now=utcnow() + timedelta(hours=5))
    run_due_timers(rt, now=utcnow() + timedelta(days=3))
    assert len(all_rows(rt.engine, Message)) == before


def test_please_dont_stop_is_an_ordinary_message(client, rt):
    text(client, "FEEDBACK")
    replies = text(client, "please don't stop texting me")
    assert not contact(rt).opted_out
    assert len(replies) == 1  # a re-prompt of the rating question


# --------------------------------------------------------------------------- START


def test_start_resubscribes_and_a_survey_can_begin_again(client, rt, tagged):
    text(client, "STOP")
    replies = text(client, "START")
    assert len(replies) == 1 and "subscribed again" in replies[0]
    person = contact(rt)
    assert not person.opted_out and person.opted_in_at is not None
    assert text(client, "FEEDBACK") == ["How satisfied were you with your visit? Reply 1 to 5."]


def test_start_in_spanish_and_unstop(client, rt, tagged):
    text(client, "PARAR")
    assert text(client, "COMENZAR")[0].startswith("[es] ")
    text(client, "STOP")
    assert len(text(client, "UNSTOP")) == 1
    assert not contact(rt).opted_out


def test_start_when_subscribed_is_just_a_message(client, rt):
    replies = text(client, "START")
    assert len(replies) == 1 and "FEEDBACK" in replies[0]


# --------------------------------------------------------------------------- HELP


def test_help_gives_program_opt_out_and_contact(client, rt):
    (reply,) = text(client, "HELP")
    assert "Metro Health feedback" in reply and "STOP" in reply and "651-555-0199" in reply


def test_help_in_the_clients_language_and_even_when_opted_out(client, rt, tagged):
    text(client, "COMENTARIOS")
    assert text(client, "info")[0].startswith("[es] ")
    assert text(client, "AYUDA")[0].startswith("[es] ")
    text(client, "STOP")
    assert len(text(client, "HELP")) == 1


def test_help_mid_survey_keeps_the_survey_open(client, rt):
    text(client, "FEEDBACK")
    text(client, "HELP")
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.status == "active"
    assert text(client, "5") == ["What was your visit for?\n1. Shots\n2. WIC"]


# --------------------------------------------------------------------------- language


def test_language_word_switches_the_survey_and_repeats_the_question(client, rt):
    text(client, "FEEDBACK")
    assert text(client, "ESPAÑOL") == [
        "¿Qué tan satisfecho quedó con su visita? Responda del 1 al 5."
    ]
    assert text(client, "TIẾNG VIỆT") == ["Bạn hài lòng thế nào? Trả lời từ 1 đến 5."]
    assert text(client, "soomaali") == [
        "Intee ayaad ku qanacsantahay booqashadaada? Ku jawaab 1 ilaa 5."
    ]
    assert text(client, "hmoob") == ["Koj txaus siab li cas? Teb 1 txog 5."]
    assert text(client, "English") == ["How satisfied were you with your visit? Reply 1 to 5."]
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.language == "en" and conv.status == "active"


def test_language_word_without_a_survey_sets_the_contacts_language(client, rt, tagged):
    (reply,) = text(client, "ESPAÑOL")
    assert reply.startswith("[es] ") and reply.endswith(" español.")
    assert contact(rt).language == "es"


# --------------------------------------------------------------------------- web chat


def test_stop_in_web_chat_ends_the_survey_without_opting_out(rt):
    def chat(body):
        return handle_inbound(
            rt, InboundMsg("webchat", "chat-session-1", body, new_sid("web"), utcnow())
        )

    chat("FEEDBACK")
    result = chat("STOP")
    assert len(result.replies) == 1
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.status == "stopped"
    (person,) = all_rows(rt.engine, Contact)
    assert not person.opted_out


def test_a_text_from_a_number_marked_unreachable_makes_it_reachable(client, rt):
    text(client, "hello")
    from sqlmodel import Session

    with Session(rt.engine) as s:
        person = s.get(Contact, contact(rt).id)
        person.unreachable, person.delivery_failures = True, 3
        s.add(person)
        s.commit()
    text(client, "hello again")
    person = contact(rt)
    assert not person.unreachable and person.delivery_failures == 0


def test_phone_is_normalised_to_e164(client, rt):
    post_signed(client, "/webhooks/twilio/sms", _form("(612) 555-0123"))
    assert contact(rt).phone == PHONE


def _form(phone):
    from sms_helpers import inbound_form

    return inbound_form("hello", phone=phone)
