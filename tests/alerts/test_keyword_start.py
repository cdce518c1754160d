"""A keyword starts a survey only when it may: not during a crisis hold, and not again
within the flow's ``restart_after`` of completing it."""

from __future__ import annotations

from datetime import timedelta

from alert_helpers import PHONE, T0, rows, sms

from cfbot.flows import parse_flow
from cfbot.flows.model import DEFAULT_RESTART_AFTER
from cfbot.models import Conversation

SELF_HARM_EN = "I want to end my life"


def test_keyword_after_a_crisis_gets_a_kind_reply_not_a_survey(rt):
    sms(rt, SELF_HARM_EN)
    (reply,) = sms(rt, "FEEDBACK", now=T0 + timedelta(minutes=5))
    assert "not sending surveys" in reply and "911" in reply
    assert rows(rt, Conversation) == []
    (reply_es,) = sms(rt, "COMENTARIOS", now=T0 + timedelta(minutes=6))
    assert "No estamos enviando encuestas" in reply_es
    assert rows(rt, Conversation) == []


def _complete(rt, start=T0):  # type: ignore[no-untyped-def]
    for i, text in enumerate(["FEEDBACK", "5", "1", "10", "Great"]):
        sms(rt, text, now=start + timedelta(minutes=i))


def test_completed_survey_restarts_by_keyword_only_after_restart_after(rt):
    _complete(rt)
    (done,) = rows(rt, Conversation)
    assert done.status == "completed"
    (reply,) = sms(rt, "FEEDBACK", now=T0 + timedelta(hours=1))
    assert "already answered this survey" in reply
    assert len(rows(rt, Conversation)) == 1
    later = T0 + DEFAULT_RESTART_AFTER + timedelta(hours=1)
    replies = sms(rt, "FEEDBACK", now=later)
    assert len(rows(rt, Conversation)) == 2, replies


def test_another_phone_is_not_affected(rt):
    _complete(rt)
    replies = sms(rt, "FEEDBACK", phone="+16125550199", now=T0 + timedelta(hours=1))
    assert "satisfied" in replies[0]
    assert PHONE != "+16125550199"


FLOW = """\
id: quick
name: Quick
languages: [en]
restart_after: {value}
questions:
  - id: overall
    type: rating
    text: {{en: "How was it?"}}
"""


def test_restart_after_is_read_and_checked():
    flow = parse_flow(FLOW.format(value="0s"), "quick.yaml")
    assert flow.restart_after == timedelta(0)
    assert parse_flow(FLOW.format(value="12h"), "q.yaml").restart_after == timedelta(hours=12)
