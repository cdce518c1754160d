"""Over the signed Twilio webhook: the urgent_review reply, and the one-time offer to
continue in the language the client writes."""

from __future__ import annotations

from sms_helpers import all_rows, text

from cfbot.models import Alert, Conversation


def test_urgent_review_text_gets_the_kind_reply_and_an_urgent_item(client, rt):
    text(client, "FEEDBACK")
    (reply,) = text(client, "i wont be around much longer")
    assert "A staff member will read your message." in reply and "988" in reply
    (alert,) = all_rows(rt.engine, Alert)
    assert alert.severity == "urgent" and alert.details["tier"] == "urgent_review"
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.status == "paused"


def test_answering_in_spanish_offers_spanish_once(client, rt):
    text(client, "FEEDBACK")
    text(client, "2")
    replies = text(client, "la espera fue muy larga y nadie me explicó nada")
    assert replies[-1] == "Responda ESPAÑOL para continuar en español."
    replies = text(client, "la clínica estaba muy limpia y ordenada")
    assert not any("ESPAÑOL" in r for r in replies)
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.language == "en" and conv.context["language_offered"] == "es"
    text(client, "ESPAÑOL")
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.language == "es"


def test_saved_pills_plan_mid_rating_question_is_never_a_reprompt(client, rt):
    # found by texting the demo: the means named after the object and "take them all"
    # fell through to the rating question's "Sorry, I didn't understand"
    text(client, "FEEDBACK")
    (reply,) = text(client, "I have my pills saved up and tonight I am going to take them all")
    assert "988" in reply and "911" in reply and "didn't understand" not in reply
    (alert,) = all_rows(rt.engine, Alert)
    assert alert.severity == "urgent"
    (conv,) = all_rows(rt.engine, Conversation)
    assert conv.status == "paused"


def test_a_model_only_urgent_review_over_sms(client, rt, monkeypatch):
    from cfbot.services import safety_model
    from cfbot.services.ngram_model import Model

    always = Model({"w week": (0.0, 9.0, 0.0, 0.0)}, (0.0, 0.0, 0.0, 0.0), 0.5)
    monkeypatch.setattr(safety_model, "load", lambda: always)
    text(client, "FEEDBACK")
    (reply,) = text(client, "not sure i make it to next week")
    assert "A staff member will read your message." in reply
    (alert,) = all_rows(rt.engine, Alert)
    assert alert.details["tier"] == "urgent_review"
    assert alert.details["triggers"][0].startswith("model, p=")
    # while that crisis is open, a later text only the model flags joins the alert as a
    # follow-up (the reminder reply), not a second urgent reply
    (again,) = text(client, "this week has been long and every week is the same")
    assert "Our staff have your message" in again
    (alert,) = all_rows(rt.engine, Alert)
    assert len(alert.details.get("followup_ids", [])) == 1
