"""The flow model: validated, frozen flow objects and the small pure helpers they use.

Built by :mod:`cfbot.flows.builder` from admin-written YAML; see docs/flows.md and the
builder's docstring for the keys. Nothing here reads files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from typing import TYPE_CHECKING, Any

from cfbot.flows.expr import Expr

# the smallest values live in flows.values; the model is their public face too
from cfbot.flows.values import Choice as Choice
from cfbot.flows.values import FlowError as FlowError
from cfbot.flows.values import Problem as Problem
from cfbot.flows.values import format_duration as format_duration
from cfbot.flows.values import frozen_map as frozen_map
from cfbot.flows.values import parse_duration as parse_duration
from cfbot.i18n import translate
from cfbot.text import fold_phrase

if TYPE_CHECKING:
    from cfbot.flows.questions import QuestionType

DEFAULT_EXPIRE = timedelta(hours=48)
# a client who completed a survey can start it again by keyword after this (0: at once)
DEFAULT_RESTART_AFTER = timedelta(days=7)
MAX_RESTART_AFTER = timedelta(days=365)
DEFAULT_RETRIES = 2

PLACEHOLDERS = ("first_name", "site", "program", "agency", "link")
END = "end"

PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


# --- model ------------------------------------------------------------------


@dataclass(frozen=True)
class Reminder:
    """One nudge ``after`` a question was sent; ``text`` None means a default reminder."""

    after: timedelta
    text: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Branch:
    """Go to ``goto`` (a question id or ``"end"``) when ``when`` holds (None: always)."""

    goto: str
    when: Expr | None = None
    line: int = 0


@dataclass(frozen=True)
class Question:
    """One step of a flow. ``min``/``max`` are set for rating and nps questions only."""

    id: str
    type: str
    text: Mapping[str, str]
    min: int | None = None
    max: int | None = None
    retries: int = DEFAULT_RETRIES
    optional: bool = False
    reprompt: Mapping[str, str] | None = None
    choices: tuple[Choice, ...] = ()
    next: tuple[Branch, ...] = ()
    line: int = 0
    show_choices: bool = True

    @property
    def waits(self) -> bool:
        """True when the question waits for an answer (every type but ``info``)."""
        return _question_type(self.type).waits


@dataclass(frozen=True)
class AlertRule:
    """Raise a staff alert when ``when`` holds; ``source`` is the condition as written."""

    when: Expr
    source: str
    severity: str = "normal"
    reason: str | None = None
    line: int = 0
    index: int = 0


@dataclass(frozen=True)
class Invitation:
    """When invitations for this flow go out (used by the invitation service).

    ``quiet_hours`` is the ``(start, end)`` local-time window in which invitations may be
    sent, as in the format's example ``{start: "08:00", end: "21:00"}``; outside it is
    quiet. A field left out of the flow is None, so service-wide defaults apply.
    """

    delay: timedelta | None = None
    quiet_hours: tuple[time, time] | None = None
    frequency_cap: timedelta | None = None
    if_busy: str | None = None
    # put the visit's own survey link (CFBOT_PUBLIC_URL/s/<code>) in ``{link}``
    web_link: bool = False


@dataclass(frozen=True, eq=False)
class Flow:
    """A validated flow. Immutable; compare versions by ``content_hash``."""

    id: str
    name: str
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: frozen_map({}))
    expire_after: timedelta = DEFAULT_EXPIRE
    reminder: Reminder | None = None
    restart_after: timedelta = DEFAULT_RESTART_AFTER
    closing: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    alerts: tuple[AlertRule, ...] = ()
    source_text: str = ""
    content_hash: str = ""
    path: str = ""
    description: str = ""
    translation_review: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    invitation: Invitation | None = None
    sites: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=lambda: frozen_map({}))
    warnings: tuple[Problem, ...] = ()
    locations: Mapping[str, int] = field(default_factory=lambda: frozen_map({}))
    # reach (see docs/flows.md): name per language, intro, anonymity, site question
    names: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    intro: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    web_closing: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    anonymous: bool = False
    ask_site: bool = False
    program: str | None = None
    site_codes: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))
    whatsapp_templates: Mapping[str, str] = field(default_factory=lambda: frozen_map({}))

    # -- lookup --------------------------------------------------------------

    def display_name(self, lang: str) -> str:
        """The flow's name in ``lang`` (``name`` may be one string or one per language)."""
        return self.localized(self.names, lang) if self.names else self.name

    @property
    def fallback_language(self) -> str:
        """The first listed language, used when a text is missing in another."""
        return self.languages[0]

    @functools.cached_property
    def _positions(self) -> Mapping[str, int]:
        # question id -> index, built once: the engine looks questions up on every step
        positions: dict[str, int] = {}
        for i, q in enumerate(self.questions):
            positions.setdefault(q.id, i)
        return positions

    def question(self, question_id: str) -> Question | None:
        """The question with this id, or None."""
        i = self._positions.get(question_id)
        return None if i is None else self.questions[i]

    @property
    def first_question(self) -> Question:
        """The question the flow starts with."""
        return self.questions[0]

    def following(self, question: Question) -> Question | None:
        """The question after ``question`` in file order (None after the last)."""
        i = self._positions.get(question.id)
        if i is None or i + 1 >= len(self.questions):
            return None
        return self.questions[i + 1]

    def next_question(
        self,
        question: Question,
        answers: Mapping[str, object],
        sentiments: Mapping[str, float | None],
    ) -> Question | None:
        """Where to go after ``question``: the first matching branch, else the next one.

        None means the end of the flow.
        """
        for branch in question.next:
            if branch.when is None or branch.when.evaluate(answers, sentiments):
                return None if branch.goto == END else self.question(branch.goto)
        return self.following(question)

    def resolve_language(self, lang: str | None) -> str:
        """``lang`` if the flow has it (``es-MX`` -> ``es``), else the fallback language."""
        if lang:
            code = lang.strip().replace("_", "-").lower()
            for candidate in (code, code.split("-")[0]):
                if candidate in self.languages:
                    return candidate
        return self.fallback_language

    def is_reviewed(self, lang: str) -> bool:
        """False when the flow marks ``lang`` as not reviewed by a qualified translator."""
        return self.translation_review.get(lang, "reviewed") == "reviewed"

    # -- text ----------------------------------------------------------------

    def localized(self, texts: Mapping[str, str] | None, lang: str) -> str:
        """The text for ``lang``, falling back to the first language, then any."""
        if not texts:
            return ""
        if lang in texts:
            return texts[lang]
        if self.fallback_language in texts:
            return texts[self.fallback_language]
        return next(iter(texts.values()))

    def text(
        self,
        item: Question | Choice | Mapping[str, str] | None,
        lang: str,
        context: Mapping[str, str] | None = None,
    ) -> str:
        """Text of a question (or choice, or any per-language mapping) with placeholders.

        Missing placeholder values never raise: ``{first_name}`` becomes empty (with the
        spacing tidied), and ``{site}``, ``{program}``, ``{agency}`` become a neutral
        phrase such as "our clinic".
        """
        if isinstance(item, Question | Choice):
            texts: Mapping[str, str] | None = item.text
        else:
            texts = item
        return fill_placeholders(self.localized(texts, lang), lang, context)

    def render_question(
        self, question: Question, lang: str, context: Mapping[str, str] | None = None
    ) -> str:
        """The full message for ``question``: its text plus numbered choices if any."""
        body = self.text(question, lang, context)
        return _question_type(question.type).render(
            question, body, lambda choice: self.text(choice, lang, context)
        )

    # -- keywords ------------------------------------------------------------

    def matching_keyword(self, text: str) -> str | None:
        """The language whose keyword is the whole message (ignoring case and accents)."""
        wanted = fold_phrase(text)
        return self._keyword_langs.get(wanted) if wanted else None

    @functools.cached_property
    def _keyword_langs(self) -> Mapping[str, str]:
        # normalised keyword -> language, built once: every inbound message is matched
        # against every flow's keywords
        langs: dict[str, str] = {}
        for lang, words in self.keywords.items():
            for word in words:
                langs.setdefault(fold_phrase(word), lang)
        return langs


def _question_type(name: str) -> QuestionType:
    # imported here: the type modules build Choice objects from this module
    from cfbot.flows.questions import get_type

    return get_type(name)


def fill_placeholders(text: str, lang: str, context: Mapping[str, str] | None) -> str:
    """Replace ``{first_name}``, ``{site}``, ``{program}``, ``{agency}`` in ``text``.

    Deliberately not ``str.format``: that would let flow text reach object attributes.
    ``{{`` and ``}}`` give literal braces; unknown placeholders are left as written
    (validation reports them).
    """
    context = context or {}
    if not str(context.get("link") or "").strip():
        # no link (no CFBOT_PUBLIC_URL, not a visit, the flow did not opt in): a line
        # offering it ("Or answer online: {link}") goes, rather than dangling
        text = "\n".join(line for line in text.split("\n") if "{link}" not in line)

    def default(name: str) -> str:
        if name == "site":
            return translate(lang, "our clinic")
        if name == "program":
            return translate(lang, "our program")
        if name == "agency":
            return translate(lang, "the health department")
        return ""

    def repl(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = (match.group(1) or "").strip()
        if name not in PLACEHOLDERS:
            return token
        value = context.get(name)
        value = str(value).strip() if value is not None else ""
        return value or default(name)

    filled = PLACEHOLDER_RE.sub(repl, text)
    # an empty first name leaves "Hi , thanks" or "Hi  there": tidy the gap it leaves
    filled = re.sub(r"[ \t]+([,.!?;:])", r"\1", filled)
    filled = re.sub(r"[ \t]{2,}", " ", filled)
    return filled.strip()


@dataclass
class FlowSet:
    """Flows loaded from a directory (good ones only) and every problem found."""

    flows: dict[str, Flow]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        """Only the errors."""
        return [p for p in self.problems if p.is_error]

    def by_keyword(self, text: str) -> tuple[Flow, str] | None:
        """The flow and language whose keyword is ``text``."""
        return by_keyword(self.flows.values(), text)


def cross_check(flows: list[Flow]) -> tuple[list[Flow], list[Problem]]:
    """Keep flows whose id and keywords are unique; the first (by path) wins."""
    accepted: list[Flow] = []
    problems: list[Problem] = []
    ids: dict[str, Flow] = {}
    words: dict[str, Flow] = {}
    for flow in flows:
        clash: list[Problem] = []
        if flow.id in ids:
            clash.append(
                Problem(
                    flow.path,
                    flow.locations.get("id", 1),
                    1,
                    "error",
                    f"flow id {flow.id!r} is already used by {ids[flow.id].path}",
                )
            )
        for lang_words in flow.keywords.values():
            for word in lang_words:
                norm = fold_phrase(word)
                other = words.get(norm)
                if other is not None and other.id != flow.id:
                    clash.append(
                        Problem(
                            flow.path,
                            flow.locations.get(f"keyword.{norm}", 1),
                            1,
                            "error",
                            f"keyword {word!r} is already used by flow {other.id!r} ({other.path})",
                        )
                    )
        if clash:
            problems.extend(clash)
            continue
        accepted.append(flow)
        ids[flow.id] = flow
        for lang_words in flow.keywords.values():
            for word in lang_words:
                words[fold_phrase(word)] = flow
    return accepted, problems


def by_keyword(flows: Iterable[Flow], text: str) -> tuple[Flow, str] | None:
    """The first flow (and its language) whose keyword is the whole of ``text``."""
    for flow in flows:
        lang = flow.matching_keyword(text)
        if lang is not None:
            return flow, lang
    return None
