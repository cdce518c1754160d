"""Build a :class:`~cfbot.flows.model.Flow` from composed YAML, validating as it goes.

Every problem is reported with ``FILE:LINE:COL`` rather than stopping at the first. A
file with errors never produces a :class:`Flow`; the registry in :mod:`cfbot.flow_store`
keeps the last good version in service instead.

See ``DESIGN.md`` ("Flow format") for the public contract. Keys added here beside it:

* ``description`` - free text for admins.
* ``translations: {es: unreviewed, so: machine, vi: reviewed}`` - whether a qualified
  translator reviewed each language's text (``reviewed`` | ``unreviewed`` | ``machine``).
* per question: ``optional``, ``reprompt``, ``show_choices`` (choice questions list their
  choices as "1. ..." under the text unless ``show_choices: false``), ``next: other_id``
  shorthand for a single unconditional branch.
* ``alerts`` entries: ``severity`` (normal | high | urgent) and ``reason``.
* ``invitation: {delay, quiet_hours: {start, end}, frequency_cap, if_busy: skip|wait}``,
  ``sites: [site ids]`` and a free-form ``settings:`` mapping for other components.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

import yaml

from cfbot.flows.expr import Expr, ExprError, parse
from cfbot.flows.graph import RawBranch, check_graph
from cfbot.flows.model import (
    DEFAULT_EXPIRE,
    DEFAULT_RETRIES,
    END,
    PLACEHOLDER_RE,
    PLACEHOLDERS,
    AlertRule,
    Choice,
    Flow,
    FlowError,
    Invitation,
    Question,
    Reminder,
    format_duration,
    frozen_map,
)
from cfbot.flows.yaml_marks import (
    TAG_NULL,
    Ctx,
    as_bool,
    as_duration,
    as_int,
    as_list,
    as_mapping,
    as_text,
    line_of,
    plain_value,
    read_yaml,
    suggest,
)
from cfbot.i18n import SUPPORTED_LANGUAGES
from cfbot.text import fold_phrase

MAX_QUESTIONS = 50
MAX_TEXT_CHARS = 640
MAX_CHOICES = 20
MAX_RETRIES = 5
MAX_RATING_RANGE = 11
MAX_KEYWORD_CHARS = 30
MIN_EXPIRE = timedelta(minutes=1)
MAX_EXPIRE = timedelta(days=30)

QUESTION_TYPES = ("rating", "nps", "choice", "yesno", "text", "info")
REVIEW_STATES = ("reviewed", "unreviewed", "machine")
ALERT_SEVERITIES = ("normal", "high", "urgent")
IF_BUSY = ("skip", "wait")

# Carrier and opt-out words are handled before any flow sees a message; a flow keyword
# that equals one of them could never start the survey.
RESERVED_KEYWORDS = frozenset(
    "stop stopall unsubscribe cancel end quit revoke optout start unstop yes help info".split()
)

ID_RE = re.compile(r"^[a-z0-9_]+$")
SITE_RE = re.compile(r"^[a-z0-9_-]+$")
CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@functools.cache
def reserved_keywords() -> frozenset[str]:
    """Every system keyword (STOP, START, HELP, language words, in all languages).

    Read once from the package's ``keywords.yaml`` (static data, like the answer tables),
    so a flow can never take a word the keyword handler would answer first.
    """
    words = set(RESERVED_KEYWORDS)
    path = Path(__file__).resolve().parent.parent / "keywords.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return frozenset(words)
    for action in ("stop", "start", "help", "language"):
        table = data.get(action) or {}
        if isinstance(table, dict):
            for entries in table.values():
                for word in entries or ():
                    norm = fold_phrase(str(word))
                    if norm:
                        words.add(norm)
    return frozenset(words)


# --- the builder --------------------------------------------------------------


TOP_KEYS = (
    "id",
    "name",
    "description",
    "languages",
    "translations",
    "keywords",
    "expire_after",
    "reminder",
    "questions",
    "closing",
    "alerts",
    "invitation",
    "sites",
    "settings",
)
QUESTION_KEYS = (
    "id",
    "type",
    "text",
    "min",
    "max",
    "retries",
    "optional",
    "reprompt",
    "choices",
    "show_choices",
    "next",
)
CHOICE_KEYS = ("value", "text")
BRANCH_KEYS = ("when", "goto")
ALERT_KEYS = ("when", "severity", "reason")
REMINDER_KEYS = ("after", "text")
CLOSING_KEYS = ("text",)
INVITATION_KEYS = ("delay", "quiet_hours", "frequency_cap", "if_busy")
QUIET_KEYS = ("start", "end")


@dataclass
class _TextRef:
    node: yaml.Node
    what: str
    texts: dict[str, str]
    location: str


class Builder:
    """Builds one flow from its root node, reporting every problem to ``ctx``."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.languages: tuple[str, ...] = ()
        self.text_refs: list[_TextRef] = []
        self.locations: dict[str, int] = {}

    # -- helpers -------------------------------------------------------------

    def text_map(self, node: yaml.Node, what: str, location: str) -> dict[str, str] | None:
        if isinstance(node, yaml.ScalarNode) and node.tag != TAG_NULL:
            self.ctx.error(
                node,
                f'{what} must be a mapping of language to text, e.g. {{en: "...", es: "..."}}',
            )
            return None
        entries = as_mapping(self.ctx, node, what)
        if entries is None:
            return None
        texts: dict[str, str] = {}
        for lang, (key_node, value_node) in entries.items():
            if lang not in SUPPORTED_LANGUAGES:
                self.ctx.error(
                    key_node,
                    f"{what}: unsupported language {lang!r} "
                    f"(supported: {', '.join(SUPPORTED_LANGUAGES)})",
                )
                continue
            if self.languages and lang not in self.languages:
                self.ctx.warn(key_node, f"{what}: {lang!r} is not in this flow's languages")
            value = as_text(self.ctx, value_node, f"{what} ({lang})")
            if value is None:
                continue
            value = value.strip()
            if len(value) > MAX_TEXT_CHARS:
                self.ctx.error(
                    value_node,
                    f"{what} ({lang}) is {len(value)} characters long (max {MAX_TEXT_CHARS})",
                )
            self.check_placeholders(value_node, value, f"{what} ({lang})")
            texts[lang] = value
            self.locations[f"{location}.{lang}"] = line_of(value_node)
        if not texts and not self.ctx.has_errors:
            self.ctx.error(node, f"{what} has no text")
        self.text_refs.append(_TextRef(node, what, texts, location))
        return texts

    def check_placeholders(self, node: yaml.Node, value: str, what: str) -> None:
        for match in PLACEHOLDER_RE.finditer(value):
            name = match.group(1)
            if name is None:
                continue
            if name.strip() not in PLACEHOLDERS:
                self.ctx.error(
                    node,
                    f"{what}: unknown placeholder {{{name}}}"
                    f"{suggest(name.strip(), PLACEHOLDERS)} "
                    f"(available: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}; "
                    "write {{ and }} for literal braces)",
                )

    def expr(self, node: yaml.Node, what: str) -> Expr | None:
        raw = as_text(self.ctx, node, what)
        if raw is None:
            return None
        try:
            return parse(raw)
        except ExprError as exc:
            offset = exc.col - 1
            # map the column inside the expression onto the file when it sits on one line
            if isinstance(node, yaml.ScalarNode) and node.style in ('"', "'"):
                offset += 1
            elif isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
                offset = 0
            self.ctx.error(node, f"{what}: {exc.message}", col_offset=offset)
            return None

    # -- top level -------------------------------------------------------------

    def build(self, root: yaml.Node, source: str, digest: str, path: str) -> Flow | None:
        ctx = self.ctx
        top = as_mapping(ctx, root, "flow", TOP_KEYS)
        if top is None:
            return None
        for required in ("id", "languages", "questions"):
            if required not in top:
                ctx.error(root, f"flow: missing required key {required!r}")

        flow_id = None
        if "id" in top:
            flow_id = as_text(ctx, top["id"][1], "id")
            if flow_id is not None and not ID_RE.match(flow_id):
                ctx.error(
                    top["id"][1],
                    f"id {flow_id!r} may only use lowercase letters, digits and '_'",
                )
            self.locations["id"] = line_of(top["id"][1])
        name = flow_id or ""
        if "name" in top:
            name = as_text(ctx, top["name"][1], "name") or name
        description = ""
        if "description" in top:
            description = as_text(ctx, top["description"][1], "description", allow_empty=True) or ""

        self.languages = self.parse_languages(top.get("languages"))
        review = self.parse_translations(top.get("translations"))
        keywords = self.parse_keywords(top.get("keywords"))

        expire_after = DEFAULT_EXPIRE
        if "expire_after" in top:
            node = top["expire_after"][1]
            parsed = as_duration(ctx, node, "expire_after")
            if parsed is not None:
                if not MIN_EXPIRE <= parsed <= MAX_EXPIRE:
                    ctx.error(node, "expire_after must be between 1m and 30d")
                else:
                    expire_after = parsed

        reminder = self.parse_reminder(top.get("reminder"), expire_after)
        questions, raw_branches = self.parse_questions(top.get("questions"))
        closing = self.parse_closing(top.get("closing"))
        alert_nodes = self.parse_alerts(top.get("alerts"))
        invitation = self.parse_invitation(top.get("invitation"))
        sites = self.parse_sites(top.get("sites"))
        settings: Mapping[str, Any] = {}
        if "settings" in top:
            node = top["settings"][1]
            if as_mapping(ctx, node, "settings") is not None:
                settings = plain_value(node)

        if questions:
            questions = check_graph(self.ctx, questions, raw_branches, self.check_refs)
            self.check_alert_refs(alert_nodes, questions)
        self.check_translations()

        if ctx.has_errors or flow_id is None or not questions:
            return None
        return Flow(
            id=flow_id,
            name=name,
            languages=self.languages,
            questions=tuple(questions),
            keywords=frozen_map(keywords),
            expire_after=expire_after,
            reminder=reminder,
            closing=frozen_map(closing),
            alerts=tuple(rule for rule, _ in alert_nodes),
            source_text=source,
            content_hash=digest,
            path=path,
            description=description,
            translation_review=frozen_map(review),
            invitation=invitation,
            sites=sites,
            settings=frozen_map(settings),
            warnings=tuple(p for p in ctx.problems if not p.is_error),
            locations=frozen_map(self.locations),
        )

    def parse_languages(self, entry: tuple[yaml.Node, yaml.Node] | None) -> tuple[str, ...]:
        if entry is None:
            return ()
        items = as_list(self.ctx, entry[1], "languages")
        if items is None:
            return ()
        if not items:
            self.ctx.error(entry[1], "languages must list at least one language")
        langs: list[str] = []
        for node in items:
            lang = as_text(self.ctx, node, "language")
            if lang is None:
                continue
            if lang not in SUPPORTED_LANGUAGES:
                self.ctx.error(
                    node,
                    f"unsupported language {lang!r}{suggest(lang, SUPPORTED_LANGUAGES)} "
                    f"(supported: {', '.join(SUPPORTED_LANGUAGES)})",
                )
            elif lang in langs:
                self.ctx.error(node, f"language {lang!r} is listed twice")
            else:
                langs.append(lang)
        return tuple(langs)

    def parse_translations(self, entry: tuple[yaml.Node, yaml.Node] | None) -> dict[str, str]:
        if entry is None:
            return {}
        items = as_mapping(self.ctx, entry[1], "translations")
        review: dict[str, str] = {}
        for lang, (key_node, value_node) in (items or {}).items():
            if lang not in self.languages:
                self.ctx.error(key_node, f"translations: {lang!r} is not in this flow's languages")
                continue
            state = as_text(self.ctx, value_node, f"translations ({lang})")
            if state is None:
                continue
            if state not in REVIEW_STATES:
                self.ctx.error(
                    value_node,
                    f"translations ({lang}) must be one of {', '.join(REVIEW_STATES)}"
                    f"{suggest(state, REVIEW_STATES)}",
                )
                continue
            review[lang] = state
        return review

    def parse_keywords(
        self, entry: tuple[yaml.Node, yaml.Node] | None
    ) -> dict[str, tuple[str, ...]]:
        if entry is None:
            return {}
        items = as_mapping(self.ctx, entry[1], "keywords")
        result: dict[str, tuple[str, ...]] = {}
        seen: dict[str, str] = {}
        for lang, (key_node, value_node) in (items or {}).items():
            if lang not in self.languages:
                self.ctx.error(key_node, f"keywords: {lang!r} is not in this flow's languages")
                continue
            nodes = [value_node] if isinstance(value_node, yaml.ScalarNode) else None
            if nodes is None:
                nodes = as_list(self.ctx, value_node, f"keywords ({lang})") or []
            words: list[str] = []
            for node in nodes:
                word = as_text(self.ctx, node, f"keyword ({lang})")
                if word is None:
                    continue
                norm = fold_phrase(word)
                if not norm:
                    self.ctx.error(node, f"keyword {word!r} has no letters")
                elif len(norm) > MAX_KEYWORD_CHARS:
                    self.ctx.error(node, f"keyword {word!r} is too long (max {MAX_KEYWORD_CHARS})")
                elif norm in reserved_keywords():
                    self.ctx.error(node, f"keyword {word!r} is reserved for opt-out/help handling")
                elif norm in seen:
                    self.ctx.error(
                        node,
                        f"keyword {word!r} is already used for {seen[norm]!r}; "
                        "a keyword must pick one language",
                    )
                else:
                    seen[norm] = lang
                    words.append(word.strip())
                    self.locations[f"keyword.{norm}"] = line_of(node)
            result[lang] = tuple(words)
        return result

    def parse_reminder(
        self, entry: tuple[yaml.Node, yaml.Node] | None, expire_after: timedelta
    ) -> Reminder | None:
        if entry is None:
            return None
        items = as_mapping(self.ctx, entry[1], "reminder", REMINDER_KEYS)
        if items is None:
            return None
        if "after" not in items:
            self.ctx.error(entry[1], "reminder: missing required key 'after'")
            return None
        after = as_duration(self.ctx, items["after"][1], "reminder.after")
        text = None
        if "text" in items:
            self.locations["reminder"] = line_of(items["text"][1])
            text = self.text_map(items["text"][1], "reminder text", "reminder")
        if after is None:
            return None
        if after <= timedelta(0):
            self.ctx.error(items["after"][1], "reminder.after must be longer than 0")
            return None
        if after >= expire_after:
            self.ctx.warn(
                items["after"][1],
                f"reminder after {format_duration(after)} is never sent: the survey "
                f"expires after {format_duration(expire_after)}",
            )
        return Reminder(after, frozen_map(text) if text else None)

    def parse_closing(self, entry: tuple[yaml.Node, yaml.Node] | None) -> dict[str, str]:
        if entry is None:
            return {}
        items = as_mapping(self.ctx, entry[1], "closing", CLOSING_KEYS)
        if not items or "text" not in items:
            if items is not None:
                self.ctx.error(entry[1], "closing: missing required key 'text'")
            return {}
        self.locations["closing"] = line_of(items["text"][1])
        return self.text_map(items["text"][1], "closing text", "closing") or {}

    def parse_invitation(self, entry: tuple[yaml.Node, yaml.Node] | None) -> Invitation | None:
        if entry is None:
            return None
        items = as_mapping(self.ctx, entry[1], "invitation", INVITATION_KEYS)
        if items is None:
            return None
        delay = cap = None
        if "delay" in items:
            delay = as_duration(self.ctx, items["delay"][1], "invitation.delay")
        if "frequency_cap" in items:
            cap = as_duration(self.ctx, items["frequency_cap"][1], "invitation.frequency_cap")
        if_busy = None
        if "if_busy" in items:
            value = as_text(self.ctx, items["if_busy"][1], "invitation.if_busy")
            if value is not None and value not in IF_BUSY:
                self.ctx.error(items["if_busy"][1], "invitation.if_busy must be skip or wait")
            elif value is not None:
                if_busy = value
        quiet = None
        if "quiet_hours" in items:
            node = items["quiet_hours"][1]
            q = as_mapping(self.ctx, node, "invitation.quiet_hours", QUIET_KEYS)
            if q is not None:
                if set(q) != set(QUIET_KEYS):
                    self.ctx.error(node, "invitation.quiet_hours needs both start and end")
                else:
                    times = [self.clock(q[k][1], f"quiet_hours.{k}") for k in QUIET_KEYS]
                    if times[0] is not None and times[1] is not None:
                        if times[0] == times[1]:
                            self.ctx.error(node, "quiet_hours start and end must differ")
                        quiet = (times[0], times[1])
        return Invitation(delay=delay, quiet_hours=quiet, frequency_cap=cap, if_busy=if_busy)

    def clock(self, node: yaml.Node, what: str) -> time | None:
        raw = as_text(self.ctx, node, what)
        if raw is None:
            return None
        match = CLOCK_RE.match(raw.strip())
        if not match:
            self.ctx.error(node, f'{what} must be a time like "08:00", not {raw!r}')
            return None
        return time(int(match.group(1)), int(match.group(2)))

    def parse_sites(self, entry: tuple[yaml.Node, yaml.Node] | None) -> tuple[str, ...]:
        if entry is None:
            return ()
        sites: list[str] = []
        for node in as_list(self.ctx, entry[1], "sites") or []:
            site = as_text(self.ctx, node, "site")
            if site is None:
                continue
            if not SITE_RE.match(site):
                self.ctx.error(node, f"site {site!r} may only use a-z, 0-9, '_' and '-'")
            elif site in sites:
                self.ctx.error(node, f"site {site!r} is listed twice")
            else:
                sites.append(site)
        return tuple(sites)

    # -- questions -------------------------------------------------------------

    def parse_questions(
        self, entry: tuple[yaml.Node, yaml.Node] | None
    ) -> tuple[list[Question], dict[str, list[RawBranch]]]:
        if entry is None:
            return [], {}
        nodes = as_list(self.ctx, entry[1], "questions")
        if nodes is None:
            return [], {}
        if not nodes:
            self.ctx.error(entry[1], "questions must list at least one question")
        if len(nodes) > MAX_QUESTIONS:
            self.ctx.error(
                nodes[MAX_QUESTIONS], f"too many questions ({len(nodes)}, max {MAX_QUESTIONS})"
            )
        questions: list[Question] = []
        branches: dict[str, list[RawBranch]] = {}
        seen: set[str] = set()
        for node in nodes[:MAX_QUESTIONS]:
            parsed = self.parse_question(node)
            if parsed is None:
                continue
            question, raw = parsed
            if question.id in seen:
                self.ctx.error(node, f"duplicate question id {question.id!r}")
                continue
            seen.add(question.id)
            questions.append(question)
            branches[question.id] = raw
        return questions, branches

    def parse_question(self, node: yaml.Node) -> tuple[Question, list[RawBranch]] | None:
        ctx = self.ctx
        items = as_mapping(ctx, node, "question", QUESTION_KEYS)
        if items is None:
            return None
        for required in ("id", "type", "text"):
            if required not in items:
                ctx.error(node, f"question: missing required key {required!r}")
        qid = as_text(ctx, items["id"][1], "question id") if "id" in items else None
        if qid is not None and not ID_RE.match(qid):
            ctx.error(items["id"][1], f"question id {qid!r} may only use a-z, 0-9 and '_'")
        if qid == END:
            ctx.error(items["id"][1], "'end' is reserved for `goto: end`")
        label = f"question {qid!r}" if qid else "question"
        qtype = as_text(ctx, items["type"][1], f"{label} type") if "type" in items else None
        if qtype is not None and qtype not in QUESTION_TYPES:
            ctx.error(
                items["type"][1],
                f"{label}: unknown type {qtype!r}{suggest(qtype, QUESTION_TYPES)} "
                f"(one of {', '.join(QUESTION_TYPES)})",
            )
            qtype = None
        if qid:
            self.locations[f"question.{qid}"] = line_of(node)
        text = (
            self.text_map(items["text"][1], f"{label} text", f"question.{qid}.text")
            if "text" in items
            else None
        )

        qmin = qmax = None
        for key in ("min", "max"):
            if key in items and qtype != "rating":
                ctx.error(items[key][0], f"{label}: '{key}' only applies to rating questions")
        if qtype == "rating":
            qmin = as_int(ctx, items["min"][1], f"{label} min") if "min" in items else 1
            qmax = as_int(ctx, items["max"][1], f"{label} max") if "max" in items else 5
            if qmin is not None and qmax is not None:
                if qmin >= qmax:
                    ctx.error(node, f"{label}: min ({qmin}) must be less than max ({qmax})")
                elif qmax - qmin + 1 > MAX_RATING_RANGE:
                    ctx.error(
                        node,
                        f"{label}: a rating scale may have at most {MAX_RATING_RANGE} points "
                        f"({qmin} to {qmax} has {qmax - qmin + 1})",
                    )
        elif qtype == "nps":
            qmin, qmax = 0, 10

        retries = DEFAULT_RETRIES
        if "retries" in items:
            value = as_int(ctx, items["retries"][1], f"{label} retries")
            if value is not None and not 0 <= value <= MAX_RETRIES:
                ctx.error(items["retries"][1], f"{label}: retries must be 0 to {MAX_RETRIES}")
            elif value is not None:
                retries = value

        optional = False
        if "optional" in items:
            optional = bool(as_bool(ctx, items["optional"][1], f"{label} optional"))
            if optional and qtype == "info":
                ctx.error(items["optional"][0], f"{label}: an info question cannot be optional")

        reprompt = None
        if "reprompt" in items:
            if qtype == "info":
                ctx.error(items["reprompt"][0], f"{label}: an info question takes no answer")
            reprompt = self.text_map(
                items["reprompt"][1], f"{label} reprompt", f"question.{qid}.reprompt"
            )

        choices: list[Choice] = []
        if "choices" in items and qtype != "choice":
            ctx.error(items["choices"][0], f"{label}: 'choices' only applies to choice questions")
        elif qtype == "choice":
            if "choices" not in items:
                ctx.error(node, f"{label}: a choice question needs 'choices'")
            else:
                choices = self.parse_choices(items["choices"][1], label, qid or "")
        show_choices = True
        if "show_choices" in items:
            if qtype != "choice":
                ctx.error(
                    items["show_choices"][0],
                    f"{label}: 'show_choices' only applies to choice questions",
                )
            show_choices = (
                as_bool(ctx, items["show_choices"][1], f"{label} show_choices") is not False
            )

        raw_branches = self.parse_next(items["next"][1], label) if "next" in items else []

        if qid is None or qtype is None or text is None:
            return None
        question = Question(
            id=qid,
            type=qtype,
            text=frozen_map(text),
            min=qmin,
            max=qmax,
            retries=retries,
            optional=optional,
            reprompt=frozen_map(reprompt) if reprompt else None,
            choices=tuple(choices),
            next=(),
            line=line_of(node),
            show_choices=show_choices,
        )
        return question, raw_branches

    def parse_choices(self, node: yaml.Node, label: str, qid: str) -> list[Choice]:
        items = as_list(self.ctx, node, f"{label} choices")
        if items is None:
            return []
        if len(items) < 2:
            self.ctx.error(node, f"{label}: a choice question needs at least 2 choices")
        if len(items) > MAX_CHOICES:
            self.ctx.error(node, f"{label}: too many choices ({len(items)}, max {MAX_CHOICES})")
        choices: list[Choice] = []
        seen: set[str] = set()
        for item in items[:MAX_CHOICES]:
            entries = as_mapping(self.ctx, item, f"{label} choice", CHOICE_KEYS)
            if entries is None:
                continue
            if "value" not in entries or "text" not in entries:
                self.ctx.error(item, f"{label}: each choice needs 'value' and 'text'")
                continue
            value = as_text(self.ctx, entries["value"][1], f"{label} choice value")
            text = self.text_map(
                entries["text"][1],
                f"{label} choice {value!r} text",
                f"question.{qid}.choice.{value}",
            )
            if value is None or text is None:
                continue
            if value.casefold() in seen:
                self.ctx.error(entries["value"][1], f"{label}: duplicate choice value {value!r}")
                continue
            seen.add(value.casefold())
            choices.append(Choice(value, frozen_map(text)))
        return choices

    def parse_next(self, node: yaml.Node, label: str) -> list[RawBranch]:
        if isinstance(node, yaml.ScalarNode) and node.tag != TAG_NULL:
            return [RawBranch(None, node, None, node.value.strip())]
        items = as_list(self.ctx, node, f"{label} next")
        branches: list[RawBranch] = []
        for item in items or []:
            entries = as_mapping(self.ctx, item, f"{label} next", BRANCH_KEYS)
            if entries is None:
                continue
            if "goto" not in entries:
                self.ctx.error(item, f"{label}: each branch needs 'goto'")
                continue
            when_node = entries["when"][1] if "when" in entries else None
            when = self.expr(when_node, f"{label} when") if when_node is not None else None
            goto = as_text(self.ctx, entries["goto"][1], f"{label} goto")
            if when_node is not None and when is None:
                continue  # the bad condition is already reported; keep checking the rest
            branches.append(RawBranch(when_node, entries["goto"][1], when, goto))
        return branches

    # -- graph & references ----------------------------------------------------
    def check_refs(
        self,
        expr: Expr,
        node: yaml.Node,
        by_id: Mapping[str, Question],
        label: str,
        answerable: set[str] | None,
    ) -> None:
        ctx = self.ctx
        for ref in sorted(expr.references()):
            if ref not in by_id:
                ctx.error(
                    node, f"{label}: condition uses unknown question {ref!r}{suggest(ref, by_id)}"
                )
            elif by_id[ref].type == "info":
                ctx.warn(node, f"{label}: {ref!r} is an info question and never has an answer")
            elif answerable is not None and ref not in answerable:
                ctx.warn(
                    node,
                    f"{label}: condition uses {ref!r}, which cannot have been answered yet "
                    "at this point",
                )
        for ref in sorted(expr.sentiment_references()):
            if ref in by_id and by_id[ref].type != "text":
                ctx.warn(node, f"{label}: sentiment({ref}) is only scored for text questions")
        for ref, op, literal, _col in expr.literal_comparisons():
            q = by_id.get(ref)
            if q is None:
                continue
            number = isinstance(literal, int | float)
            if q.type in ("rating", "nps"):
                if not number:
                    ctx.warn(
                        node,
                        f"{label}: {ref!r} is a number; comparing it to {literal!r} is always false",
                    )
                elif op in ("==", "!=") and q.min is not None and q.max is not None:
                    if not q.min <= literal <= q.max:
                        ctx.warn(
                            node, f"{label}: {literal} is outside {ref!r}'s scale {q.min}-{q.max}"
                        )
            elif q.type in ("choice", "yesno"):
                values = [c.value for c in q.choices] if q.type == "choice" else ["yes", "no"]
                if number or str(literal).casefold() not in {v.casefold() for v in values}:
                    ctx.warn(
                        node,
                        f"{label}: {literal!r} is not one of {ref!r}'s values "
                        f"({', '.join(values)})",
                    )
            elif q.type == "text" and number:
                ctx.warn(
                    node, f"{label}: {ref!r} is text; comparing it to a number is always false"
                )

    def parse_alerts(
        self, entry: tuple[yaml.Node, yaml.Node] | None
    ) -> list[tuple[AlertRule, yaml.Node]]:
        if entry is None:
            return []
        rules: list[tuple[AlertRule, yaml.Node]] = []
        for index, item in enumerate(as_list(self.ctx, entry[1], "alerts") or []):
            entries = as_mapping(self.ctx, item, "alert", ALERT_KEYS)
            if entries is None:
                continue
            if "when" not in entries:
                self.ctx.error(item, "alert: missing required key 'when'")
                continue
            when = self.expr(entries["when"][1], "alert when")
            severity = "normal"
            if "severity" in entries:
                value = as_text(self.ctx, entries["severity"][1], "alert severity")
                if value is not None and value not in ALERT_SEVERITIES:
                    self.ctx.error(
                        entries["severity"][1],
                        f"alert severity must be one of {', '.join(ALERT_SEVERITIES)}"
                        f"{suggest(value, ALERT_SEVERITIES)}",
                    )
                elif value is not None:
                    severity = value
            reason = None
            if "reason" in entries:
                reason = as_text(self.ctx, entries["reason"][1], "alert reason")
            if when is not None:
                rule = AlertRule(when, when.source, severity, reason, line_of(item), index)
                rules.append((rule, entries["when"][1]))
        return rules

    def check_alert_refs(
        self, rules: list[tuple[AlertRule, yaml.Node]], questions: list[Question]
    ) -> None:
        by_id = {q.id: q for q in questions}
        for rule, node in rules:
            # alerts are evaluated whenever answers change, so any question may count
            self.check_refs(rule.when, node, by_id, "alert", None)

    def check_translations(self) -> None:
        if not self.languages:
            return
        for ref in self.text_refs:
            if not ref.texts:
                continue
            missing = [lang for lang in self.languages if lang not in ref.texts]
            if missing:
                self.ctx.warn(ref.node, f"{ref.what}: missing translation for {', '.join(missing)}")


def parse_flow(text: str | bytes, path: str = "<flow>", strict: bool = False) -> Flow:
    """Validate and build a flow from YAML text, raising :class:`FlowError` on errors.

    Warnings do not stop loading; they are kept on ``Flow.warnings``. With ``strict``
    warnings count as errors.
    """
    ctx = Ctx(path)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    source, node = read_yaml(ctx, data)
    flow = None
    if node is not None:
        digest = hashlib.sha256(data).hexdigest()
        flow = Builder(ctx).build(node, source or "", digest, path)
    problems = sorted(ctx.problems, key=lambda p: (p.line, p.col))
    if strict:
        problems = [p.as_error() for p in problems]
    if flow is None or any(p.is_error for p in problems):
        raise FlowError(problems)
    return flow
