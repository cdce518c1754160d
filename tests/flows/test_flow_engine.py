"""The pure engine: branching, retries, skip, info, timers, language, stop, state."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from flow_helpers import flow_from, tiny_scorer

from cfbot.flows.engine import (
    evaluate_alerts,
    next_timer,
    resume,
    start,
    state_status,
    stop,
    switch_language,
)
from cfbot.flows.events import AnswerRecorded, AnswerRejected, Completed, MsgOut, WaitStarted

FLOW = flow_from(
    """
id: demo
languages: [en, es]
keywords: {en: [DEMO], es: [DEMOSTRAR]}
expire_after: 24h
reminder: {after: 4h}
questions:
  - id: hello
    type: info
    text: {en: "Hi {first_name}! A few questions about {site}.", es: "¡Hola {first_name}!"}
  - id: overall
    type: rating
    retries: 1
    text: {en: "Rate us 1 to 5", es: "Califique del 1 al 5"}
    next:
      - when: "overall <= 2"
        goto: why
      - goto: kind
  - id: why
    type: text
    text: {en: "What went wrong?", es: "¿Qué salió mal?"}
  - id: kind
    type: choice
    reprompt: {en: "Please reply with a number.", es: "Responda con un número."}
    text: {en: "What was the visit for?", es: "¿Para qué fue la visita?"}
    choices:
      - {value: shots, text: {en: Shots, es: Vacunas}}
      - {value: wic, text: {en: WIC, es: WIC}}
  - id: comments
    type: text
    optional: true
    text: {en: "Anything else? Reply SKIP to skip.", es: "¿Algo más? Responda SALTAR."}
closing: {text: {en: "Thanks {first_name}! Reply STOP to opt out.", es: "¡Gracias! Responda STOP para salir."}}
alerts:
  - when: "overall <= 2"
  - when: "sentiment(why) <= -0.3"
"""
)


def texts(sprint) -> list[str]:
    return [m.text for m in sprint.messages]


def play(now: datetime, *replies: str, lang: str = "en", scorer=None):
    sprint = start(FLOW, now, lang, {"first_name": "Ana", "site": "Northside"})
    all_events = list(sprint.events)
    state = sprint.state
    for i, reply in enumerate(replies, 1):
        sprint = resume(FLOW, state, reply, now + timedelta(minutes=i), scorer)
        all_events.extend(sprint.events)
        state = sprint.state
    return state, all_events, sprint


def test_start_sends_info_then_first_question_and_waits(now: datetime) -> None:
    sprint = start(FLOW, now, "en", {"first_name": "Ana", "site": "Northside"})
    assert texts(sprint) == ["Hi Ana! A few questions about Northside.", "Rate us 1 to 5"]
    assert [m.kind for m in sprint.messages] == ["question", "question"]
    assert sprint.messages[1].question_id == "overall"
    assert sprint.wait == WaitStarted(
        "overall", now + timedelta(hours=4), now + timedelta(hours=24)
    )
    state = sprint.state
    assert (
        state["v"] == 1 and state["flow_id"] == "demo" and state["flow_hash"] == FLOW.content_hash
    )
    assert state["current"] == "overall" and state["path"] == ["hello", "overall"]
    assert state_status(state) == "active"
    assert json.loads(json.dumps(state)) == state  # plain JSON
    assert next_timer(state) == now + timedelta(hours=4)


def test_start_requires_an_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        start(FLOW, datetime(2024, 1, 1))


def test_happy_path_completes_with_closing_and_answers(now: datetime) -> None:
    state, events, last = play(now, "5", "2", "Lovely staff")
    answers = [e for e in events if isinstance(e, AnswerRecorded)]
    assert [(a.question_id, a.value) for a in answers] == [
        ("overall", 5),
        ("kind", "wic"),
        ("comments", "Lovely staff"),
    ]
    assert answers[0].question_text == "Rate us 1 to 5"
    assert answers[1].question_text == "What was the visit for?\n1. Shots\n2. WIC"
    assert answers[0].language == "en"
    assert last.messages[-1] == MsgOut("Thanks Ana! Reply STOP to opt out.", "closing")
    assert last.completion == Completed("completed")
    assert state_status(state) == "completed" and state["current"] is None
    assert evaluate_alerts(FLOW, state) == []
    assert next_timer(state) is None


def test_low_rating_branches_and_fires_alerts_with_sentiment(now: datetime) -> None:
    state, events, _ = play(now, "1", "The receptionist was rude", "1", "SKIP", scorer=tiny_scorer)
    assert state["path"] == ["hello", "overall", "why", "kind", "comments"]
    assert state["sentiments"] == {"why": -0.8}
    assert [r.source for r in evaluate_alerts(FLOW, state)] == [
        "overall <= 2",
        "sentiment(why) <= -0.3",
    ]
    assert state["skipped"] == ["comments"]
    skip = [e for e in events if isinstance(e, AnswerRecorded) and e.skipped]
    assert skip == [
        AnswerRecorded("comments", "SKIP", None, "en", "Anything else? Reply SKIP to skip.", True)
    ]


def test_without_scorer_sentiment_is_none_and_its_alert_does_not_fire(now: datetime) -> None:
    state, _, _ = play(now, "1", "rude")
    assert state["sentiments"] == {"why": None}
    assert [r.source for r in evaluate_alerts(FLOW, state)] == ["overall <= 2"]


def test_a_failing_scorer_does_not_break_the_conversation(now: datetime) -> None:
    def broken(text: str, lang: str, q: str) -> float:
        raise RuntimeError("model missing")

    state, _, _ = play(now, "1", "rude", scorer=broken)
    assert state["sentiments"] == {"why": None} and state["current"] == "kind"


def test_invalid_answer_is_reprompted_then_given_up(now: datetime) -> None:
    sprint = start(FLOW, now)
    first = resume(FLOW, sprint.state, "banana", now)
    assert first.rejected == [AnswerRejected("overall", "banana", 1, False)]
    assert [(m.kind, m.text) for m in first.messages] == [
        ("reprompt", "Sorry, I didn't understand. Rate us 1 to 5")
    ]
    assert first.wait is not None and first.wait.question_id == "overall"
    second = resume(FLOW, first.state, "purple", now)
    assert second.rejected == [AnswerRejected("overall", "purple", 2, True)]
    # given up: unanswered, so the `overall <= 2` branch is false and we move to `kind`
    assert second.messages[0].question_id == "kind"
    assert second.state["gave_up"] == ["overall"]
    assert "overall" not in second.state["answers"]


def test_custom_reprompt_text_is_used(now: datetime) -> None:
    state, _, last = play(now, "5", "no idea")
    assert last.messages[0].kind == "reprompt"
    assert last.messages[0].text.startswith("Please reply with a number.\nWhat was the visit for?")


def test_skip_on_a_required_question_is_an_invalid_answer(now: datetime) -> None:
    state, events, last = play(now, "skip")
    assert last.rejected and last.messages[0].kind == "reprompt"
    assert state["skipped"] == []


def test_reminder_is_sent_once_then_the_survey_expires(now: datetime) -> None:
    state = start(FLOW, now).state
    early = resume(FLOW, state, None, now + timedelta(hours=3, minutes=59))
    assert early.events == () and early.state == state
    due = resume(FLOW, state, None, now + timedelta(hours=4))
    assert [(m.kind, m.question_id) for m in due.messages] == [("reminder", "overall")]
    assert "Rate us 1 to 5" in due.messages[0].text
    assert due.wait == WaitStarted("overall", None, now + timedelta(hours=24))
    again = resume(FLOW, due.state, None, now + timedelta(hours=9))
    assert again.events == ()
    expired = resume(FLOW, again.state, None, now + timedelta(hours=24))
    assert expired.events == (Completed("expired"),)
    assert state_status(expired.state) == "expired"
    assert resume(FLOW, expired.state, "5", now + timedelta(hours=25)).events == ()


def test_reminder_is_reset_by_each_new_question_until_sent(now: datetime) -> None:
    sprint = start(FLOW, now)
    later = resume(FLOW, sprint.state, "5", now + timedelta(hours=2))
    assert later.wait is not None and later.wait.reminder_at == now + timedelta(hours=6)


def test_a_text_after_expiry_expires_with_a_notice_instead_of_answering(now: datetime) -> None:
    state = start(FLOW, now).state
    late = resume(FLOW, state, "5", now + timedelta(hours=30))
    assert [m.kind for m in late.messages] == ["expired"]
    assert late.answers == [] and late.completion == Completed("expired")


def test_switch_language_repeats_the_question(now: datetime) -> None:
    state = start(FLOW, now, "en").state
    switched = switch_language(FLOW, state, "es", now)
    assert texts(switched) == ["Califique del 1 al 5"]
    assert switched.state["lang"] == "es"
    answered = resume(FLOW, switched.state, "4", now)
    assert answered.answers[0].language == "es"
    assert answered.answers[0].question_text == "Califique del 1 al 5"
    assert switch_language(FLOW, state, "xx", now).state["lang"] == "en"


def test_keyword_of_another_language_switches_mid_survey(now: datetime) -> None:
    state = start(FLOW, now, "en").state
    sprint = resume(FLOW, state, "demostrar", now)
    assert texts(sprint) == ["Califique del 1 al 5"] and sprint.state["lang"] == "es"


def test_unsupported_language_falls_back_to_first(now: datetime) -> None:
    sprint = start(FLOW, now, "vi")
    assert sprint.state["lang"] == "en"
    assert start(FLOW, now, "es-MX").state["lang"] == "es"


def test_stop_ends_without_a_message(now: datetime) -> None:
    state = start(FLOW, now).state
    stopped = stop(FLOW, state, now)
    assert stopped.events == (Completed("stopped"),)
    assert state_status(stopped.state) == "stopped"
    assert stop(FLOW, stopped.state, now).events == ()
    assert state_status(state) == "active"  # the input state is never mutated


def test_placeholders_missing_from_context_use_defaults(now: datetime) -> None:
    sprint = start(FLOW, now)
    assert texts(sprint)[0] == "Hi! A few questions about our clinic."


def test_engine_is_deterministic(now: datetime) -> None:
    a = play(now, "1", "bad", "9", "x")
    b = play(now, "1", "bad", "9", "x")
    assert a[0] == b[0] and a[1] == b[1]


def test_state_survives_a_json_round_trip_between_calls(now: datetime) -> None:
    state = start(FLOW, now).state
    for reply in ("5", "1", "great"):
        state = json.loads(json.dumps(resume(FLOW, state, reply, now).state))
    assert state_status(state) == "completed"
    assert state["answers"] == {"overall": 5, "kind": "shots", "comments": "great"}


def test_other_timezones_compare_correctly(now: datetime) -> None:
    state = start(FLOW, now).state
    chicago = timezone(timedelta(hours=-6))
    tick = resume(FLOW, state, None, (now + timedelta(hours=4)).astimezone(chicago))
    assert tick.messages[0].kind == "reminder"


def test_unknown_state_version_is_refused(now: datetime) -> None:
    with pytest.raises(ValueError, match="version"):
        resume(FLOW, {"v": 99}, "hi", now)


def test_flow_edited_under_a_running_conversation_closes_gracefully(now: datetime) -> None:
    state = dict(start(FLOW, now).state, current="gone")
    sprint = resume(FLOW, state, "5", now)
    assert sprint.completion == Completed("completed")


def test_loop_with_exit_can_repeat_and_finish(now: datetime) -> None:
    flow = flow_from(
        """
id: loop
languages: [en]
questions:
  - {id: comment, type: text, text: {en: "Tell us one thing."}}
  - id: more
    type: yesno
    text: {en: "More? YES or NO"}
    next:
      - {when: 'more == "yes"', goto: comment}
      - {goto: end}
"""
    )
    state = start(flow, now).state
    for reply in ("one", "yes", "two", "yes", "three"):
        state = resume(flow, state, reply, now).state
    assert state["current"] == "more" and state["answers"]["comment"] == "three"
    done = resume(flow, state, "no", now)
    assert done.completion == Completed("completed")
    assert done.messages[-1].text == "Thank you for your feedback! Reply STOP to opt out."


def test_info_only_flow_completes_at_start(now: datetime) -> None:
    flow = flow_from(
        "id: i\nlanguages: [en]\nquestions: [{id: a, type: info, text: {en: Hello}}]\n"
    )
    sprint = start(flow, now)
    assert [m.kind for m in sprint.messages] == ["question", "closing"]
    assert sprint.completed


def test_step_limit_stops_a_runaway_info_loop(now: datetime) -> None:
    # validation forbids this flow; build it by hand to prove the engine still terminates
    from dataclasses import replace

    from cfbot.flows.model import Branch

    flow = flow_from(
        "id: i\nlanguages: [en]\nquestions: [{id: a, type: info, text: {en: Hello}}]\n"
    )
    looping = replace(flow, questions=(replace(flow.questions[0], next=(Branch("a"),)),))
    sprint = start(looping, now)
    assert sprint.completed
    assert len(sprint.messages) <= len(looping.questions) + 6
