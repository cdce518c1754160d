"""Surveys over signed Twilio webhooks: starting by keyword, a full Spanish survey, odd
messages, cost bookkeeping."""

from __future__ import annotations

import pytest
from sms_helpers import PHONE, all_rows, text

from cfbot.models import Answer, Contact, Conversation, Message


def test_full_spanish_survey_over_signed_webhooks(client, rt):
    first = text(client, "Comentarios")
    assert first == ["¿Qué tan satisfecho quedó con su visita? Responda del 1 al 5."]
    assert text(client, "2") == ["Lo sentimos. ¿Qué salió mal?"]
    assert text(client, "La espera fue de dos horas 😞") == [
        "¿Para qué fue su visita?\n1. Vacunas\n2. WIC"
    ]
    assert text(client, "vacunas") == [
        "¿Algo más que quiera decirnos? Responda SALTAR para omitir."
    ]
    last = text(client, "Gracias a la enfermera, muy amable")
    assert last == ["¡Gracias por su opinión! Responda STOP para no recibir más mensajes."]

    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.status == "completed" and conv.language == "es" and conv.open_key is None
    answers = {a.question_id: a for a in all_rows(rt.engine, Answer)}
    assert answers["overall"].value_number == 2
    assert answers["what_went_wrong"].raw_text == "La espera fue de dos horas 😞"
    assert answers["reason"].value_text == "shots"
    assert answers["comments"].raw_text == "Gracias a la enfermera, muy amable"
    assert all(a.language == "es" for a in answers.values())
    (contact,) = all_rows(rt.engine, Contact)
    assert contact.phone == PHONE and contact.language == "es"


@pytest.mark.parametrize(
    ("word", "lang"),
    [
        ("FEEDBACK", "en"),
        ("feedback", "en"),
        ("  Feedback! ", "en"),
        ("COMENTARIOS", "es"),
        ("góp ý", "vi"),
        ("GOP Y", "vi"),
        ("fikrad", "so"),
        ("Tswvyim", "hmn"),
    ],
)
def test_a_flow_keyword_starts_that_flow_in_its_language(client, rt, word, lang):
    replies = text(client, word)
    assert len(replies) == 1
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.flow_id == "sms_survey" and conv.language == lang


def test_other_text_without_a_survey_says_how_to_give_feedback(client, rt):
    replies = text(client, "hola, quién es?")
    assert len(replies) == 1 and "FEEDBACK" in replies[0]
    assert all_rows(rt.engine, Conversation) == []


def test_keyword_inside_a_sentence_does_not_start_a_survey(client, rt):
    text(client, "I want to give feedback")
    assert all_rows(rt.engine, Conversation) == []


def test_picture_without_text_gets_a_polite_please_use_text(client, rt):
    text(client, "FEEDBACK")
    replies = text(client, "", NumMedia="1", MediaUrl0="https://api.twilio.com/media/1")
    assert len(replies) == 1 and "text" in replies[0].lower()
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.status == "active" and conv.state.get("answers", {}) == {}
    # the survey goes on with a text answer
    assert text(client, "5") == ["What was your visit for?\n1. Shots\n2. WIC"]


def test_picture_with_a_caption_is_an_ordinary_message(client, rt):
    text(client, "FEEDBACK")
    text(client, "4", NumMedia="1", MediaUrl0="https://api.twilio.com/media/2")
    (answer,) = all_rows(rt.engine, Answer)
    assert answer.value_number == 4


@pytest.mark.parametrize(
    "body",
    [
        "x" * 1600,
        "Ñandú 🦩👩🏽‍⚕️ ❤️",
        "Waan ku faraxsanahay — آپ کا شکریہ — 谢谢 — ขอบคุณ — Cảm ơn nhiều",
        "line one\nline two\r\n\ttabbed",
    ],
    ids=["1600-chars", "emoji", "scripts", "whitespace"],
)
def test_bodies_are_stored_exactly_as_sent(client, rt, body):
    text(client, "FEEDBACK")
    text(client, "1")
    text(client, body)
    inbound = [m for m in all_rows(rt.engine, Message) if m.direction == "in"]
    assert inbound[-1].body == body
    (answer,) = [a for a in all_rows(rt.engine, Answer) if a.question_id == "what_went_wrong"]
    assert answer.raw_text == body


def test_every_outbound_message_stores_encoding_and_segments(client, rt):
    text(client, "FEEDBACK")
    text(client, "COMENTARIOS")  # mid-survey: switches to Spanish (accented -> UCS-2)
    out = [m for m in all_rows(rt.engine, Message) if m.direction == "out"]
    assert out and all(m.encoding in ("GSM-7", "UCS-2") and m.segments >= 1 for m in out)
    assert out[0].encoding == "GSM-7"
    assert out[-1].encoding == "UCS-2"


def test_several_replies_become_several_message_elements(client, rt):
    from sms_helpers import twiml_messages

    from cfbot.channels.twilio_sms import render_twiml

    xml = render_twiml(["one", "two & <three>"])
    assert twiml_messages(xml) == ["one", "two & <three>"]
    assert twiml_messages(render_twiml([])) == []
