"""Build a :class:`~cfbot.flows.model.Flow` from composed YAML, validating as it goes.

Every problem is reported with ``FILE:LINE:COL`` rather than stopping at the first. A
file with errors never produces a :class:`Flow`; the registry in :mod:`cfbot.flow_store`
keeps the last good version in service instead.

See docs/flows.md for the public contract. Keys added here beside it:

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

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import time, timedelta
from typing import Any

import yaml

from cfbot.flows.graph import check_graph
from cfbot.flows.model import (
    DEFAULT_EXPIRE,
    DEFAULT_RESTART_AFTER,
    MAX_RESTART_AFTER,
    AlertRule,
    Flow,
    FlowError,
    Invitation,
    Question,
    Reminder,
    format_duration,
    frozen_map,
)
from cfbot.flows.question_builder import (  # noqa: F401  (limits re-exported)
    ID_RE,
    MAX_QUESTIONS,
    MAX_RETRIES,
    MAX_TEXT_CHARS,
    QUESTION_TYPES,
    QuestionBuilder,
)
from cfbot.flows.questions.choice import MAX_CHOICES  # noqa: F401  (limit re-exported)
from cfbot.flows.questions.rating import MAX_RATING_RANGE  # noqa: F401  (limit re-exported)
from cfbot.flows.reach_builder import ReachBuilder
from cfbot.flows.yaml_marks import (
    Ctx,
    as_bool,
    as_duration,
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

MAX_KEYWORD_CHARS = 30
MIN_EXPIRE = timedelta(minutes=1)
MAX_EXPIRE = timedelta(days=30)

REVIEW_STATES = ("reviewed", "unreviewed", "machine")
ALERT_SEVERITIES = ("normal", "high", "urgent")
IF_BUSY = ("skip", "wait")

# Carrier and opt-out words are handled before any flow sees a message; a flow keyword
# that equals one of them could never start the survey. The caller adds the rest of the
# system keywords (``cfbot.flow_store.reserved_keywords`` reads ``keywords.yaml``).
RESERVED_KEYWORDS = frozenset(
    "stop stopall unsubscribe cancel end quit revoke optout start unstop yes help info".split()
)

SITE_RE = re.compile(r"^[a-z0-9_-]+$")
CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


# --- the builder --------------------------------------------------------------


TOP_KEYS = (
    "id",
    "name",
    "description",
    "languages",
    "translations",
    "keywords",
    "expire_after",
    "restart_after",
    "reminder",
    "questions",
    "closing",
    "alerts",
    "invitation",
    "sites",
    "settings",
    # reach keys, parsed in cfbot.flows.reach_builder
    "intro",
    "anonymous",
    "ask_site",
    "program",
    "site_codes",
    "whatsapp_templates",
)
ALERT_KEYS = ("when", "severity", "reason")
REMINDER_KEYS = ("after", "text")
CLOSING_KEYS = ("text", "web")
INVITATION_KEYS = ("delay", "quiet_hours", "frequency_cap", "if_busy", "web_link")
QUIET_KEYS = ("start", "end")


class Builder(ReachBuilder):
    """Builds one flow from its root node, reporting every problem to ``ctx``.

    ``reserved`` are the folded system keywords (STOP, HELP, language words...) a flow
    keyword may not take, on top of :data:`RESERVED_KEYWORDS`.
    """

    def __init__(self, ctx: Ctx, reserved: Iterable[str] = ()) -> None:
        super().__init__(ctx)
        self.reserved = RESERVED_KEYWORDS | frozenset(reserved)

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
        if "name" in top and isinstance(top["name"][1], yaml.ScalarNode):
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

        restart_after = DEFAULT_RESTART_AFTER
        if "restart_after" in top:
            node = top["restart_after"][1]
            parsed = as_duration(ctx, node, "restart_after")
            if parsed is not None:
                if not timedelta(0) <= parsed <= MAX_RESTART_AFTER:
                    ctx.error(node, "restart_after must be between 0 and 365d")
                else:
                    restart_after = parsed

        reminder = self.parse_reminder(top.get("reminder"), expire_after)
        questions, raw_branches = self.parse_questions(top.get("questions"))
        closing = self.parse_closing(top.get("closing"))
        web_closing = self.parse_web_closing(top.get("closing"))
        reach = self.reach_fields(top)
        if reach["names"]:
            name = reach["names"].get(self.languages[0] if self.languages else "en") or name
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
        reach_args: dict[str, Any] = {
            k: frozen_map(v) if isinstance(v, dict) else v for k, v in reach.items()
        }
        return Flow(
            id=flow_id,
            name=name,
            languages=self.languages,
            questions=tuple(questions),
            keywords=frozen_map(keywords),
            expire_after=expire_after,
            restart_after=restart_after,
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
            web_closing=frozen_map(web_closing),
            **reach_args,
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
            nodes: list[yaml.Node] = [value_node]
            if not isinstance(value_node, yaml.ScalarNode):
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
                elif norm in self.reserved:
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

    def parse_web_closing(self, entry: tuple[yaml.Node, yaml.Node] | None) -> dict[str, str]:
        # closing's keys were checked by parse_closing; only read ``web`` here
        if entry is None or not isinstance(entry[1], yaml.MappingNode):
            return {}
        for key, value in entry[1].value:
            if isinstance(key, yaml.ScalarNode) and key.value == "web":
                return self.text_map(value, "closing web text", "closing.web") or {}
        return {}

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
        web_link = False
        if "web_link" in items:
            web_link = bool(as_bool(self.ctx, items["web_link"][1], "invitation.web_link"))
        return Invitation(
            delay=delay, quiet_hours=quiet, frequency_cap=cap, if_busy=if_busy, web_link=web_link
        )

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
                self.locations[f"site.{site}"] = line_of(node)
        return tuple(sites)

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


def parse_flow(
    text: str | bytes,
    path: str = "<flow>",
    strict: bool = False,
    reserved: Iterable[str] = (),
) -> Flow:
    """Validate and build a flow from YAML text, raising :class:`FlowError` on errors.

    Warnings do not stop loading; they are kept on ``Flow.warnings``. With ``strict``
    warnings count as errors. ``reserved`` lists system keywords (folded with
    :func:`cfbot.text.fold_phrase`) that flow keywords may not use; the pure package
    cannot read them from disk, so :func:`cfbot.flow_store.parse_flow` passes them in.
    """
    ctx = Ctx(path)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    source, node = read_yaml(ctx, data)
    flow = None
    if node is not None:
        digest = hashlib.sha256(data).hexdigest()
        flow = Builder(ctx, reserved).build(node, source or "", digest, path)
    problems = sorted(ctx.problems, key=lambda p: (p.line, p.col))
    if strict:
        problems = [p.as_error() for p in problems]
    if flow is None or any(p.is_error for p in problems):
        raise FlowError(problems)
    return flow
