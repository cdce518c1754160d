"""Building questions: the question-level half of the flow builder.

:class:`BuilderBase` holds what every part of a flow needs (problem collection, text
maps with placeholders, conditions); :class:`QuestionBuilder` adds the questions, their
choices and branches, and the checks on conditions that name questions.
:class:`cfbot.flows.builder.Builder` adds the top-level keys on top.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from cfbot.flows.expr import Expr, ExprError, parse
from cfbot.flows.graph import RawBranch
from cfbot.flows.model import (
    DEFAULT_RETRIES,
    END,
    PLACEHOLDER_RE,
    PLACEHOLDERS,
    Question,
    frozen_map,
)
from cfbot.flows.questions import REGISTRY, QuestionType
from cfbot.flows.yaml_marks import (
    TAG_NULL,
    Ctx,
    as_bool,
    as_int,
    as_list,
    as_mapping,
    as_text,
    line_of,
    suggest,
)
from cfbot.i18n import SUPPORTED_LANGUAGES

MAX_QUESTIONS = 50
MAX_TEXT_CHARS = 640
MAX_RETRIES = 5

QUESTION_TYPES = tuple(REGISTRY)
ID_RE = re.compile(r"^[a-z0-9_]+$")

# keys of every question; each type adds its own (rating: min/max, choice: choices...)
COMMON_KEYS = ("id", "type", "text", "retries", "optional", "reprompt", "next")
# key -> the type that owns it, for "'min' only applies to rating questions"
TYPE_KEYS = {key: t.name for t in REGISTRY.values() for key in t.keys}
QUESTION_KEYS = COMMON_KEYS[:3] + tuple(TYPE_KEYS) + COMMON_KEYS[3:]
BRANCH_KEYS = ("when", "goto")

# a YAML mapping as as_mapping() returns it: key -> (key node, value node)
Entries = dict[str, tuple[yaml.Node, yaml.Node]]


@dataclass
class QuestionSpec:
    """One question's YAML as a question type's ``build`` sees it."""

    builder: BuilderBase
    items: Entries
    node: yaml.Node
    label: str  # "question 'overall'", for messages
    qid: str | None

    @property
    def ctx(self) -> Ctx:
        """Where problems go."""
        return self.builder.ctx


@dataclass
class _TextRef:
    node: yaml.Node
    what: str
    texts: dict[str, str]
    location: str


class BuilderBase:
    """Problem collection, per-language text maps and conditions for one flow."""

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


class QuestionBuilder(BuilderBase):
    """Questions, choices, branches and the checks on conditions that name questions."""

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
        name = as_text(ctx, items["type"][1], f"{label} type") if "type" in items else None
        qtype: QuestionType | None = None
        if name is not None:
            qtype = REGISTRY.get(name)
            if qtype is None:
                ctx.error(
                    items["type"][1],
                    f"{label}: unknown type {name!r}{suggest(name, QUESTION_TYPES)} "
                    f"(one of {', '.join(QUESTION_TYPES)})",
                )
        if qid:
            self.locations[f"question.{qid}"] = line_of(node)
        text = (
            self.text_map(items["text"][1], f"{label} text", f"question.{qid}.text")
            if "text" in items
            else None
        )

        for key, owner in TYPE_KEYS.items():
            if key in items and (qtype is None or key not in qtype.keys):
                ctx.error(items[key][0], f"{label}: '{key}' only applies to {owner} questions")
        spec = QuestionSpec(self, items, node, label, qid)
        fields = qtype.build(spec) if qtype is not None else {}

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
            if optional and qtype is not None and not qtype.waits:
                ctx.error(
                    items["optional"][0], f"{label}: an {qtype.name} question cannot be optional"
                )

        reprompt = None
        if "reprompt" in items:
            if qtype is not None and not qtype.waits:
                ctx.error(
                    items["reprompt"][0], f"{label}: an {qtype.name} question takes no answer"
                )
            reprompt = self.text_map(
                items["reprompt"][1], f"{label} reprompt", f"question.{qid}.reprompt"
            )

        raw_branches = self.parse_next(items["next"][1], label) if "next" in items else []

        if qid is None or qtype is None or text is None:
            return None
        question = Question(
            id=qid,
            type=qtype.name,
            text=frozen_map(text),
            retries=retries,
            optional=optional,
            reprompt=frozen_map(reprompt) if reprompt else None,
            next=(),
            line=line_of(node),
            **fields,
        )
        return question, raw_branches

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
            elif not REGISTRY[by_id[ref].type].waits:
                ctx.warn(
                    node,
                    f"{label}: {ref!r} is an {by_id[ref].type} question and never has an answer",
                )
            elif answerable is not None and ref not in answerable:
                ctx.warn(
                    node,
                    f"{label}: condition uses {ref!r}, which cannot have been answered yet "
                    "at this point",
                )
        for ref in sorted(expr.sentiment_references()):
            if ref in by_id and not REGISTRY[by_id[ref].type].scored:
                ctx.warn(node, f"{label}: sentiment({ref}) is only scored for text questions")
        for ref, op, literal, _col in expr.literal_comparisons():
            q = by_id.get(ref)
            if q is None:
                continue
            warning = REGISTRY[q.type].literal_warning(q, op, literal)
            if warning is not None:
                ctx.warn(node, f"{label}: {warning}")
