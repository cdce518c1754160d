"""The pure flow engine: ``(flow, state, input, now) -> Sprint(new state, events)``.

Nothing here reads the clock, the database or the network. Time arrives as ``now`` (a
timezone-aware datetime), the state is a plain JSON-serialisable dict, and every call
returns a fresh state, so the same inputs always give the same output.

Rules worth knowing:

* The survey expires ``flow.expire_after`` after :func:`start`. A timer tick or a text
  arriving at or after ``expires_at`` ends it with ``Completed("expired")``; a late text
  gets a short notice, a tick sends nothing.
* At most one reminder per conversation, ``reminder.after`` after the question that is
  waiting was sent.
* An invalid answer is re-prompted ``retries`` times; after that the engine records
  ``AnswerRejected(gave_up=True)`` and moves on. A required question given up that way
  counts as unanswered (conditions on it are false, ``answered(id)`` is false).
* ``skip`` is honoured for optional questions only; on a required question it counts as
  an invalid answer, re-prompted with "This question cannot be skipped".
* Texting another language's keyword of the flow mid-survey switches language.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from cfbot.flows.events import (
    AnswerRecorded,
    AnswerRejected,
    Completed,
    Event,
    MsgOut,
    Sentiment,
    Sprint,
    WaitStarted,
)
from cfbot.flows.model import AlertRule, Flow, Question
from cfbot.flows.questions import get_type, parse_answer
from cfbot.flows.site_question import SITE_QUESTION_ID
from cfbot.i18n import translate

log = logging.getLogger(__name__)

STATE_VERSION = 1
ACTIVE = "active"
COMPLETED = "completed"
EXPIRED = "expired"
STOPPED = "stopped"
# keep stored state small even if a client pastes a novel into a text answer
MAX_STORED_ANSWER = 2000
MAX_PATH = 200
# hard limit on questions sent in one conversation (a flow allows 50 questions and no
# loops; this stops one loaded before the loop check from re-asking forever)
MAX_QUESTIONS_PER_CONVERSATION = 100


class ScoreLike(Protocol):
    """A detailed score (``cfbot.services.sentiment.SentimentResult`` is one)."""

    @property
    def score(self) -> float | None: ...

    @property
    def method(self) -> str: ...

    @property
    def needs_review(self) -> bool: ...


# ``scorer(text, lang, question_text)``: a plain number (flow test cases), or a detailed
# result whose method and review flag are passed on with the answer
Scorer = Callable[[str, str, str], float | None]
DetailedScorer = Callable[[str, str, str], ScoreLike | float | None]


# --- state helpers ------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _check_now(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")


def state_status(state: Mapping[str, Any] | None) -> str:
    """``active``, ``completed``, ``expired`` or ``stopped`` (``completed`` if unknown)."""
    if not state:
        return COMPLETED
    return str(state.get("status", COMPLETED))


def is_active(state: Mapping[str, Any] | None) -> bool:
    """True while the conversation waits for the client."""
    return state_status(state) == ACTIVE


def expires_at(state: Mapping[str, Any]) -> datetime | None:
    """When the conversation expires (for the service's indexed column)."""
    return _dt(state.get("expires_at"))


def reminder_at(state: Mapping[str, Any]) -> datetime | None:
    """When the reminder is due, or None when none is pending."""
    return _dt(state.get("reminder_at"))


def next_timer(state: Mapping[str, Any]) -> datetime | None:
    """The earliest time a timer tick can change this state (None when closed)."""
    if not is_active(state):
        return None
    times = [t for t in (reminder_at(state), expires_at(state)) if t is not None]
    return min(times) if times else None


class _Run:
    """Mutable working copy for one engine call."""

    def __init__(self, flow: Flow, state: dict[str, Any], now: datetime) -> None:
        self.flow = flow
        self.state = state
        self.now = now
        self.events: list[Event] = []
        # a bad flow must never hang a request: bound the questions visited per call
        self.budget = len(flow.questions) + 5

    @property
    def lang(self) -> str:
        return self.state["lang"]

    @property
    def context(self) -> Mapping[str, str]:
        return self.state.get("context") or {}

    def sprint(self) -> Sprint:
        return Sprint(self.state, tuple(self.events))

    def say(self, text: str, kind: str, question_id: str | None = None) -> None:
        self.events.append(MsgOut(text, kind, question_id))

    def question_text(self, question: Question) -> str:
        return self.flow.render_question(question, self.lang, self.context)

    def ask(self, question: Question | None) -> None:
        """Send ``question`` (and any info questions after it), then wait or close."""
        while question is not None:
            if self.budget <= 0:
                log.error("flow %s: step limit reached; closing the survey", self.flow.id)
                question = None
                break
            self.budget -= 1
            asked = int(self.state.get("asked_count", 0))
            if asked >= MAX_QUESTIONS_PER_CONVERSATION:
                log.error(
                    "flow %s: %d questions asked in one conversation; closing the survey",
                    self.flow.id,
                    asked,
                )
                question = None
                break
            self.state["asked_count"] = asked + 1
            self.say(self.question_text(question), "question", question.id)
            path = self.state["path"]
            path.append(question.id)
            del path[:-MAX_PATH]
            if question.waits:
                self.wait(question)
                return
            question = self.after(question)
        self.close()

    def wait(self, question: Question) -> None:
        st = self.state
        st["current"] = question.id
        st["attempts"] = 0
        self.arm(question.id)

    def arm(self, question_id: str) -> None:
        st = self.state
        expiry = _dt(st["expires_at"])
        due = None
        if self.flow.reminder is not None and not st.get("reminded"):
            due = self.now + self.flow.reminder.after
            if expiry is not None and due >= expiry:
                due = None
        st["reminder_at"] = _iso(due)
        self.events.append(WaitStarted(question_id, due, expiry))  # type: ignore[arg-type]  # expires_at is always set while a question waits

    def after(self, question: Question) -> Question | None:
        st = self.state
        return self.flow.next_question(question, st["answers"], st["sentiments"])

    def close(self) -> None:
        if self.state.get("channel") == "webchat":
            # "Reply STOP" means nothing on the web: its own closing, or a default without it
            text = self.flow.text(self.flow.web_closing, self.lang, self.context)
            text = text or translate(self.lang, "Thank you for your feedback!")
        else:
            closing = self.flow.closing
            text = self.flow.text(closing, self.lang, self.context) if closing else ""
        if not text:
            text = translate(self.lang, "Thank you for your feedback! Reply STOP to opt out.")
        self.say(text, "closing")
        self.finish(COMPLETED)

    def finish(self, status: str) -> None:
        st = self.state
        st["status"] = status
        st["current"] = None
        st["reminder_at"] = None
        st["ended_at"] = _iso(self.now)
        self.events.append(Completed(status))

    def expire(self, notify: bool) -> None:
        if notify:
            self.say(
                translate(self.lang, "Sorry, this survey has closed. Thank you for your time."),
                "expired",
            )
        self.finish(EXPIRED)

    def current(self) -> Question | None:
        qid = self.state.get("current")
        return self.flow.question(qid) if qid else None


def _new_state(flow: Flow, now: datetime, lang: str, context: Mapping[str, str]) -> dict:
    return {
        "v": STATE_VERSION,
        "flow_id": flow.id,
        "flow_hash": flow.content_hash,
        "lang": lang,
        "context": {str(k): "" if v is None else str(v) for k, v in context.items()},
        "status": ACTIVE,
        "current": None,
        "attempts": 0,
        "answers": {},
        "sentiments": {},
        "skipped": [],
        "gave_up": [],
        "path": [],
        "started_at": _iso(now),
        "expires_at": _iso(now + flow.expire_after),
        "reminder_at": None,
        "reminded": False,
        "ended_at": None,
    }


def _copy(state: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(state, Mapping) or state.get("v") != STATE_VERSION:
        raise ValueError(f"unsupported flow state (expected version {STATE_VERSION})")
    return copy.deepcopy(dict(state))


# --- public API -----------------------------------------------------------------


def start(
    flow: Flow,
    now: datetime,
    lang: str | None = None,
    context: Mapping[str, str] | None = None,
    channel: str | None = None,
) -> Sprint:
    """Begin a conversation: pick the language, ask the first question, start waiting.

    An unsupported ``lang`` falls back to the flow's first language. The flow's
    ``intro`` comes first; leading ``info`` questions are sent and passed straight away,
    so several messages may come out. ``channel`` picks the closing text (``webchat``
    uses ``closing.web``).
    """
    _check_now(now)
    run = _Run(flow, _new_state(flow, now, flow.resolve_language(lang), context or {}), now)
    if channel:
        run.state["channel"] = channel
    if flow.intro:
        run.say(flow.text(flow.intro, run.lang, run.context), "intro")
    run.ask(flow.first_question)
    return run.sprint()


def resume(
    flow: Flow,
    state: Mapping[str, Any],
    text: str | None,
    now: datetime,
    scorer: DetailedScorer | None = None,
) -> Sprint:
    """Continue a conversation with the client's ``text``, or a timer tick (``None``).

    ``scorer(text, lang, question_text)`` scores text answers for ``sentiment(id)``
    conditions, once per answer: the result also rides on :class:`AnswerRecorded`.
    Without one the sentiment is None. A closed conversation is returned
    unchanged with no events.
    """
    _check_now(now)
    run = _Run(flow, _copy(state), now)
    st = run.state
    if st["status"] != ACTIVE:
        return run.sprint()
    expiry = _dt(st.get("expires_at"))
    if expiry is not None and now >= expiry:
        run.expire(notify=text is not None)
        return run.sprint()

    question = run.current()
    if question is None:
        # the flow was edited under a running conversation and the question is gone
        log.warning("flow %s: current question %r no longer exists", flow.id, st.get("current"))
        run.close()
        return run.sprint()

    if text is None:
        _tick(run, question)
        return run.sprint()

    text = str(text)
    lang = flow.matching_keyword(text)
    if lang is not None and lang != st["lang"]:
        st["lang"] = lang
        run.say(run.question_text(question), "question", question.id)
        run.arm(question.id)
        return run.sprint()

    _answer(run, question, text, scorer)
    return run.sprint()


def _tick(run: _Run, question: Question) -> None:
    st = run.state
    due = _dt(st.get("reminder_at"))
    if due is None or st.get("reminded") or run.now < due:
        return
    st["reminded"] = True
    st["reminder_at"] = None
    custom = run.flow.reminder.text if run.flow.reminder is not None else None
    if custom:
        body = run.flow.text(custom, run.lang, run.context)
    else:
        body = translate(
            run.lang,
            "Just a reminder: we would love to hear from you. {question}",
            question=run.question_text(question),
        )
    run.say(body, "reminder", question.id)
    run.arm(question.id)


def _answer(run: _Run, question: Question, text: str, scorer: DetailedScorer | None) -> None:
    st = run.state
    raw = text[:MAX_STORED_ANSWER]
    try:
        parsed = parse_answer(question, text, run.lang)
        status, value = parsed.status, parsed.value
        reason = getattr(parsed, "reason", None)
    except Exception:  # a parser bug must not break the conversation: treat as invalid
        log.exception("answer parser failed for question %s", question.id)
        status, value, reason = "invalid", None, None
    if status == "skip" and not question.optional:
        status, reason = "invalid", "required"  # a required question is never passed
    if status == "ok" and value is None:
        status = "invalid"
    asked = run.question_text(question)

    if status == "invalid":
        st["attempts"] = int(st.get("attempts", 0)) + 1
        attempt = st["attempts"]
        if attempt > question.retries:
            run.events.append(AnswerRejected(question.id, raw, attempt, True))
            if question.id not in st["gave_up"]:
                st["gave_up"].append(question.id)
            st["answers"].pop(question.id, None)
            st["sentiments"].pop(question.id, None)
            run.ask(run.after(question))
            return
        run.events.append(AnswerRejected(question.id, raw, attempt, False))
        if reason == "required":
            # SKIP on a required question: say so, rather than "didn't understand"
            body = translate(
                run.lang, "This question cannot be skipped. {question}", question=asked
            )
        elif question.reprompt:
            body = run.flow.text(question.reprompt, run.lang, run.context) + "\n" + asked
        else:
            body = translate(run.lang, "Sorry, I didn't understand. {question}", question=asked)
        run.say(body, "reprompt", question.id)
        run.arm(question.id)
        return

    if status == "skip":
        run.events.append(AnswerRecorded(question.id, raw, None, run.lang, asked, skipped=True))
        st["answers"].pop(question.id, None)
        st["sentiments"].pop(question.id, None)
        if question.id not in st["skipped"]:
            st["skipped"].append(question.id)
    else:
        if isinstance(value, str):
            value = value[:MAX_STORED_ANSWER]
        st["answers"][question.id] = value
        if question.id in st["skipped"]:
            st["skipped"].remove(question.id)
        if question.id in st["gave_up"]:
            st["gave_up"].remove(question.id)
        sentiment = None
        if get_type(question.type).scored:
            sentiment = _score(scorer, str(value), run.lang, asked)
            st["sentiments"][question.id] = sentiment.score if sentiment else None
        if question.id == SITE_QUESTION_ID:
            # the client named the clinic: later questions say it ({site})
            chosen = next((c for c in question.choices if c.value == value), None)
            if chosen is not None:
                st["context"] = {**run.context, "site": run.flow.text(chosen, run.lang)}
        run.events.append(
            AnswerRecorded(question.id, raw, value, run.lang, asked, sentiment=sentiment)
        )
    run.ask(run.after(question))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _score(scorer: DetailedScorer | None, text: str, lang: str, asked: str) -> Sentiment | None:
    """The one scoring of a text answer (None without a scorer)."""
    if scorer is None:
        return None
    try:
        result = scorer(text, lang, asked)
    except Exception:  # sentiment is a nice-to-have; the survey goes on without it
        log.exception("sentiment scorer failed")
        return Sentiment(None, "error", needs_review=True)
    if result is None or isinstance(result, int | float):
        return Sentiment(_number(result), "given")
    return Sentiment(_number(result.score), str(result.method), bool(result.needs_review))


def switch_language(flow: Flow, state: Mapping[str, Any], lang: str, now: datetime) -> Sprint:
    """Switch to ``lang`` (or the fallback if the flow lacks it) and repeat the question."""
    _check_now(now)
    run = _Run(flow, _copy(state), now)
    st = run.state
    if st["status"] != ACTIVE:
        return run.sprint()
    expiry = _dt(st.get("expires_at"))
    if expiry is not None and now >= expiry:
        run.expire(notify=True)
        return run.sprint()
    st["lang"] = flow.resolve_language(lang)
    question = run.current()
    if question is None:
        run.close()
        return run.sprint()
    run.say(run.question_text(question), "question", question.id)
    run.arm(question.id)
    return run.sprint()


def stop(flow: Flow, state: Mapping[str, Any], now: datetime) -> Sprint:
    """End the conversation at the client's request: no message, ``Completed("stopped")``."""
    _check_now(now)
    run = _Run(flow, _copy(state), now)
    if run.state["status"] == ACTIVE:
        run.finish(STOPPED)
    return run.sprint()


def evaluate_alerts(flow: Flow, state: Mapping[str, Any]) -> list[AlertRule]:
    """The flow's alert rules that hold for the answers and sentiments in ``state``."""
    answers = state.get("answers") or {}
    sentiments = state.get("sentiments") or {}
    return [rule for rule in flow.alerts if rule.when.evaluate(answers, sentiments)]
