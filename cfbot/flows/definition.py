"""Flow definitions: YAML written by admins -> validated, frozen objects.

Flows are untrusted input. Loading is defensive: the file size is capped before parsing,
the bytes must be UTF-8, YAML aliases are refused (no "billion laughs"), the node count
is capped, and every problem is reported with ``FILE:LINE:COL`` rather than stopping at
the first. A file with errors never produces a :class:`Flow`; :class:`FlowRegistry`
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

import difflib
import functools
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from cfbot.flows.expr import Expr, ExprError, parse
from cfbot.i18n import SUPPORTED_LANGUAGES, translate

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 256 * 1024
MAX_YAML_NODES = 20_000
MAX_QUESTIONS = 50
MAX_TEXT_CHARS = 640
MAX_CHOICES = 20
MAX_RETRIES = 5
MAX_RATING_RANGE = 11
MAX_KEYWORD_CHARS = 30
MIN_EXPIRE = timedelta(minutes=1)
MAX_EXPIRE = timedelta(days=30)
DEFAULT_EXPIRE = timedelta(hours=48)
DEFAULT_RETRIES = 2

QUESTION_TYPES = ("rating", "nps", "choice", "yesno", "text", "info")
PLACEHOLDERS = ("first_name", "site", "program", "agency")
REVIEW_STATES = ("reviewed", "unreviewed", "machine")
ALERT_SEVERITIES = ("normal", "high", "urgent")
IF_BUSY = ("skip", "wait")
END = "end"
ROUTING_FILES = ("routing.yaml", "routing.yml")

# Carrier and opt-out words are handled before any flow sees a message; a flow keyword
# that equals one of them could never start the survey.
RESERVED_KEYWORDS = frozenset(
    "stop stopall unsubscribe cancel end quit revoke optout start unstop yes help info".split()
)

ID_RE = re.compile(r"^[a-z0-9_]+$")
SITE_RE = re.compile(r"^[a-z0-9_-]+$")
DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")

_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_BOOL = "tag:yaml.org,2002:bool"
_TAG_FLOAT = "tag:yaml.org,2002:float"


# --- problems ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One finding about a flow file; ``str()`` gives ``FILE:LINE:COL: severity: message``."""

    path: str
    line: int
    col: int
    severity: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        """True for errors (warnings are only errors under ``strict``)."""
        return self.severity == "error"

    def as_error(self) -> Problem:
        """This problem as an error (``strict`` turns every warning into one)."""
        return self if self.is_error else replace(self, severity="error")


class FlowError(Exception):
    """A flow file that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.is_error] or self.problems
        summary = str(errors[0]) if errors else "invalid flow"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(summary + more)


# --- model ------------------------------------------------------------------


def _frozen_map(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class Reminder:
    """One nudge ``after`` a question was sent; ``text`` None means a default reminder."""

    after: timedelta
    text: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Choice:
    """An option of a choice question: the stored ``value`` and its text per language."""

    value: str
    text: Mapping[str, str]


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
        return self.type != "info"


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


@dataclass(frozen=True, eq=False)
class Flow:
    """A validated flow. Immutable; compare versions by ``content_hash``."""

    id: str
    name: str
    languages: tuple[str, ...]
    questions: tuple[Question, ...]
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _frozen_map({}))
    expire_after: timedelta = DEFAULT_EXPIRE
    reminder: Reminder | None = None
    closing: Mapping[str, str] = field(default_factory=lambda: _frozen_map({}))
    alerts: tuple[AlertRule, ...] = ()
    source_text: str = ""
    content_hash: str = ""
    path: str = ""
    description: str = ""
    translation_review: Mapping[str, str] = field(default_factory=lambda: _frozen_map({}))
    invitation: Invitation | None = None
    sites: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=lambda: _frozen_map({}))
    warnings: tuple[Problem, ...] = ()
    locations: Mapping[str, int] = field(default_factory=lambda: _frozen_map({}))

    # -- lookup --------------------------------------------------------------

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
        if question.type == "choice" and question.show_choices and question.choices:
            lines = [
                f"{i}. {self.text(c, lang, context)}" for i, c in enumerate(question.choices, 1)
            ]
            body = body + "\n" + "\n".join(lines)
        return body

    # -- keywords ------------------------------------------------------------

    def matching_keyword(self, text: str) -> str | None:
        """The language whose keyword is the whole message (ignoring case and accents)."""
        wanted = normalize_keyword(text)
        return self._keyword_langs.get(wanted) if wanted else None

    @functools.cached_property
    def _keyword_langs(self) -> Mapping[str, str]:
        # normalised keyword -> language, built once: every inbound message is matched
        # against every flow's keywords
        langs: dict[str, str] = {}
        for lang, words in self.keywords.items():
            for word in words:
                langs.setdefault(normalize_keyword(word), lang)
        return langs


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
                    norm = normalize_keyword(str(word))
                    if norm:
                        words.add(norm)
    return frozenset(words)


def normalize_keyword(text: str) -> str:
    """Casefold, drop accents and surrounding punctuation, collapse spaces."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = stripped.casefold().split()
    return " ".join(words).strip(" .,!?¡¿:;\"'()")


def fill_placeholders(text: str, lang: str, context: Mapping[str, str] | None) -> str:
    """Replace ``{first_name}``, ``{site}``, ``{program}``, ``{agency}`` in ``text``.

    Deliberately not ``str.format``: that would let flow text reach object attributes.
    ``{{`` and ``}}`` give literal braces; unknown placeholders are left as written
    (validation reports them).
    """
    context = context or {}

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


# --- durations --------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """Parse ``48h``, ``30m``, ``2d``, ``90s``, ``1h30m`` into a timedelta (ValueError)."""
    raw = (text or "").strip().lower().replace(" ", "")
    match = DURATION_RE.match(raw)
    if not raw or not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write e.g. 48h, 30m, 2d, 90s or 1h30m")
    d, h, m, s = (int(g) if g else 0 for g in match.groups())
    if max(d, h, m, s) > 100_000:
        raise ValueError(f"{text!r} is too long a duration")
    return timedelta(days=d, hours=h, minutes=m, seconds=s)


def format_duration(value: timedelta) -> str:
    """Inverse of :func:`parse_duration` (``timedelta(hours=1, minutes=30)`` -> ``1h30m``)."""
    total = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return "".join(parts) or "0s"


# --- YAML with marks ---------------------------------------------------------


class _YamlRefused(yaml.YAMLError):
    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader that composes nodes only, refusing aliases and huge documents."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.node_count = 0

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _YamlRefused(
                f"YAML aliases (*{event.anchor}) are not allowed in flows; "
                "write the text out again instead",
                event.start_mark,
            )
        self.node_count += 1
        if self.node_count > MAX_YAML_NODES:
            raise _YamlRefused(
                f"flow has too many YAML nodes (more than {MAX_YAML_NODES})",
                self.peek_event().start_mark,
            )
        return super().compose_node(parent, index)


def _mark_pos(mark: yaml.Mark | None) -> tuple[int, int]:
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


class _Ctx:
    """Collects problems for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, where: Any, severity: str, message: str, col_offset: int = 0) -> None:
        if isinstance(where, yaml.Node):
            line, col = _mark_pos(where.start_mark)
        elif isinstance(where, tuple):
            line, col = where
        elif isinstance(where, yaml.Mark):
            line, col = _mark_pos(where)
        else:
            line, col = 1, 1
        self.problems.append(Problem(self.path, line, col + col_offset, severity, message))

    def error(self, where: Any, message: str, col_offset: int = 0) -> None:
        self.add(where, "error", message, col_offset)

    def warn(self, where: Any, message: str, col_offset: int = 0) -> None:
        self.add(where, "warning", message, col_offset)

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _TAG_NULL:
        return "empty"
    return repr(node.value)


def _mapping(
    ctx: _Ctx, node: yaml.Node, what: str, allowed: Iterable[str] | None = None
) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
    """Keys -> (key node, value node); reports non-mappings, duplicates, unknown keys."""
    if not isinstance(node, yaml.MappingNode):
        ctx.error(node, f"{what} must be a mapping, not {_kind(node)}")
        return None
    allowed_list = list(allowed) if allowed is not None else None
    result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            ctx.error(key_node, f"{what}: keys must be plain words")
            continue
        key = key_node.value
        if key in result:
            ctx.error(key_node, f"{what}: duplicate key {key!r}")
            continue
        if allowed_list is not None and key not in allowed_list:
            ctx.error(key_node, f"{what}: unknown key {key!r}{_suggest(key, allowed_list)}")
            continue
        result[key] = (key_node, value_node)
    return result


def _str(ctx: _Ctx, node: yaml.Node, what: str, allow_empty: bool = False) -> str | None:
    # the raw scalar text is used on purpose: YAML 1.1 would turn `no` into False and
    # `8:00` into 480, neither of which an admin means in a text field
    if not isinstance(node, yaml.ScalarNode) or node.tag == _TAG_NULL:
        ctx.error(node, f"{what} must be text, not {_kind(node)}")
        return None
    value = node.value
    if not allow_empty and not value.strip():
        ctx.error(node, f"{what} must not be empty")
        return None
    return value


def _int(ctx: _Ctx, node: yaml.Node, what: str) -> int | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag != _TAG_INT:
        ctx.error(node, f"{what} must be a whole number, not {_kind(node)}")
        return None
    try:
        return int(SafeConstructor().construct_object(node))
    except (ValueError, yaml.YAMLError):
        ctx.error(node, f"{what} must be a whole number, not {_kind(node)}")
        return None


def _bool(ctx: _Ctx, node: yaml.Node, what: str) -> bool | None:
    if not isinstance(node, yaml.ScalarNode) or node.tag != _TAG_BOOL:
        ctx.error(node, f"{what} must be true or false, not {_kind(node)}")
        return None
    return bool(SafeConstructor().construct_object(node))


def _seq(ctx: _Ctx, node: yaml.Node, what: str) -> list[yaml.Node] | None:
    if not isinstance(node, yaml.SequenceNode):
        ctx.error(node, f"{what} must be a list, not {_kind(node)}")
        return None
    return list(node.value)


def _duration(ctx: _Ctx, node: yaml.Node, what: str) -> timedelta | None:
    raw = _str(ctx, node, what)
    if raw is None:
        return None
    try:
        return parse_duration(raw)
    except ValueError as exc:
        ctx.error(node, f"{what}: {exc}")
        return None


def _plain(node: yaml.Node) -> Any:
    # aliases were refused while composing, so a deep construct cannot explode
    return SafeConstructor().construct_object(node, deep=True)


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
class _RawBranch:
    when_node: yaml.Node | None
    goto_node: yaml.Node | None
    when: Expr | None
    goto: str | None


@dataclass
class _TextRef:
    node: yaml.Node
    what: str
    texts: dict[str, str]
    location: str


class _Builder:
    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx
        self.languages: tuple[str, ...] = ()
        self.text_refs: list[_TextRef] = []
        self.locations: dict[str, int] = {}

    # -- helpers -------------------------------------------------------------

    def text_map(self, node: yaml.Node, what: str, location: str) -> dict[str, str] | None:
        if isinstance(node, yaml.ScalarNode) and node.tag != _TAG_NULL:
            self.ctx.error(
                node,
                f'{what} must be a mapping of language to text, e.g. {{en: "...", es: "..."}}',
            )
            return None
        entries = _mapping(self.ctx, node, what)
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
            value = _str(self.ctx, value_node, f"{what} ({lang})")
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
            self.locations[f"{location}.{lang}"] = _line(value_node)
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
                    f"{_suggest(name.strip(), PLACEHOLDERS)} "
                    f"(available: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}; "
                    "write {{ and }} for literal braces)",
                )

    def expr(self, node: yaml.Node, what: str) -> Expr | None:
        raw = _str(self.ctx, node, what)
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
        top = _mapping(ctx, root, "flow", TOP_KEYS)
        if top is None:
            return None
        for required in ("id", "languages", "questions"):
            if required not in top:
                ctx.error(root, f"flow: missing required key {required!r}")

        flow_id = None
        if "id" in top:
            flow_id = _str(ctx, top["id"][1], "id")
            if flow_id is not None and not ID_RE.match(flow_id):
                ctx.error(
                    top["id"][1],
                    f"id {flow_id!r} may only use lowercase letters, digits and '_'",
                )
            self.locations["id"] = _line(top["id"][1])
        name = flow_id or ""
        if "name" in top:
            name = _str(ctx, top["name"][1], "name") or name
        description = ""
        if "description" in top:
            description = _str(ctx, top["description"][1], "description", allow_empty=True) or ""

        self.languages = self.parse_languages(top.get("languages"))
        review = self.parse_translations(top.get("translations"))
        keywords = self.parse_keywords(top.get("keywords"))

        expire_after = DEFAULT_EXPIRE
        if "expire_after" in top:
            node = top["expire_after"][1]
            parsed = _duration(ctx, node, "expire_after")
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
            if _mapping(ctx, node, "settings") is not None:
                settings = _plain(node)

        if questions:
            questions = self.check_graph(questions, raw_branches)
            self.check_alert_refs(alert_nodes, questions)
        self.check_translations()

        if ctx.has_errors or flow_id is None or not questions:
            return None
        return Flow(
            id=flow_id,
            name=name,
            languages=self.languages,
            questions=tuple(questions),
            keywords=_frozen_map(keywords),
            expire_after=expire_after,
            reminder=reminder,
            closing=_frozen_map(closing),
            alerts=tuple(rule for rule, _ in alert_nodes),
            source_text=source,
            content_hash=digest,
            path=path,
            description=description,
            translation_review=_frozen_map(review),
            invitation=invitation,
            sites=sites,
            settings=_frozen_map(settings),
            warnings=tuple(p for p in ctx.problems if not p.is_error),
            locations=_frozen_map(self.locations),
        )

    def parse_languages(self, entry: tuple[yaml.Node, yaml.Node] | None) -> tuple[str, ...]:
        if entry is None:
            return ()
        items = _seq(self.ctx, entry[1], "languages")
        if items is None:
            return ()
        if not items:
            self.ctx.error(entry[1], "languages must list at least one language")
        langs: list[str] = []
        for node in items:
            lang = _str(self.ctx, node, "language")
            if lang is None:
                continue
            if lang not in SUPPORTED_LANGUAGES:
                self.ctx.error(
                    node,
                    f"unsupported language {lang!r}{_suggest(lang, SUPPORTED_LANGUAGES)} "
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
        items = _mapping(self.ctx, entry[1], "translations")
        review: dict[str, str] = {}
        for lang, (key_node, value_node) in (items or {}).items():
            if lang not in self.languages:
                self.ctx.error(key_node, f"translations: {lang!r} is not in this flow's languages")
                continue
            state = _str(self.ctx, value_node, f"translations ({lang})")
            if state is None:
                continue
            if state not in REVIEW_STATES:
                self.ctx.error(
                    value_node,
                    f"translations ({lang}) must be one of {', '.join(REVIEW_STATES)}"
                    f"{_suggest(state, REVIEW_STATES)}",
                )
                continue
            review[lang] = state
        return review

    def parse_keywords(
        self, entry: tuple[yaml.Node, yaml.Node] | None
    ) -> dict[str, tuple[str, ...]]:
        if entry is None:
            return {}
        items = _mapping(self.ctx, entry[1], "keywords")
        result: dict[str, tuple[str, ...]] = {}
        seen: dict[str, str] = {}
        for lang, (key_node, value_node) in (items or {}).items():
            if lang not in self.languages:
                self.ctx.error(key_node, f"keywords: {lang!r} is not in this flow's languages")
                continue
            nodes = [value_node] if isinstance(value_node, yaml.ScalarNode) else None
            if nodes is None:
                nodes = _seq(self.ctx, value_node, f"keywords ({lang})") or []
            words: list[str] = []
            for node in nodes:
                word = _str(self.ctx, node, f"keyword ({lang})")
                if word is None:
                    continue
                norm = normalize_keyword(word)
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
                    self.locations[f"keyword.{norm}"] = _line(node)
            result[lang] = tuple(words)
        return result

    def parse_reminder(
        self, entry: tuple[yaml.Node, yaml.Node] | None, expire_after: timedelta
    ) -> Reminder | None:
        if entry is None:
            return None
        items = _mapping(self.ctx, entry[1], "reminder", REMINDER_KEYS)
        if items is None:
            return None
        if "after" not in items:
            self.ctx.error(entry[1], "reminder: missing required key 'after'")
            return None
        after = _duration(self.ctx, items["after"][1], "reminder.after")
        text = None
        if "text" in items:
            self.locations["reminder"] = _line(items["text"][1])
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
        return Reminder(after, _frozen_map(text) if text else None)

    def parse_closing(self, entry: tuple[yaml.Node, yaml.Node] | None) -> dict[str, str]:
        if entry is None:
            return {}
        items = _mapping(self.ctx, entry[1], "closing", CLOSING_KEYS)
        if not items or "text" not in items:
            if items is not None:
                self.ctx.error(entry[1], "closing: missing required key 'text'")
            return {}
        self.locations["closing"] = _line(items["text"][1])
        return self.text_map(items["text"][1], "closing text", "closing") or {}

    def parse_invitation(self, entry: tuple[yaml.Node, yaml.Node] | None) -> Invitation | None:
        if entry is None:
            return None
        items = _mapping(self.ctx, entry[1], "invitation", INVITATION_KEYS)
        if items is None:
            return None
        delay = cap = None
        if "delay" in items:
            delay = _duration(self.ctx, items["delay"][1], "invitation.delay")
        if "frequency_cap" in items:
            cap = _duration(self.ctx, items["frequency_cap"][1], "invitation.frequency_cap")
        if_busy = None
        if "if_busy" in items:
            value = _str(self.ctx, items["if_busy"][1], "invitation.if_busy")
            if value is not None and value not in IF_BUSY:
                self.ctx.error(items["if_busy"][1], "invitation.if_busy must be skip or wait")
            elif value is not None:
                if_busy = value
        quiet = None
        if "quiet_hours" in items:
            node = items["quiet_hours"][1]
            q = _mapping(self.ctx, node, "invitation.quiet_hours", QUIET_KEYS)
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
        raw = _str(self.ctx, node, what)
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
        for node in _seq(self.ctx, entry[1], "sites") or []:
            site = _str(self.ctx, node, "site")
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
    ) -> tuple[list[Question], dict[str, list[_RawBranch]]]:
        if entry is None:
            return [], {}
        nodes = _seq(self.ctx, entry[1], "questions")
        if nodes is None:
            return [], {}
        if not nodes:
            self.ctx.error(entry[1], "questions must list at least one question")
        if len(nodes) > MAX_QUESTIONS:
            self.ctx.error(
                nodes[MAX_QUESTIONS], f"too many questions ({len(nodes)}, max {MAX_QUESTIONS})"
            )
        questions: list[Question] = []
        branches: dict[str, list[_RawBranch]] = {}
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

    def parse_question(self, node: yaml.Node) -> tuple[Question, list[_RawBranch]] | None:
        ctx = self.ctx
        items = _mapping(ctx, node, "question", QUESTION_KEYS)
        if items is None:
            return None
        for required in ("id", "type", "text"):
            if required not in items:
                ctx.error(node, f"question: missing required key {required!r}")
        qid = _str(ctx, items["id"][1], "question id") if "id" in items else None
        if qid is not None and not ID_RE.match(qid):
            ctx.error(items["id"][1], f"question id {qid!r} may only use a-z, 0-9 and '_'")
        if qid == END:
            ctx.error(items["id"][1], "'end' is reserved for `goto: end`")
        label = f"question {qid!r}" if qid else "question"
        qtype = _str(ctx, items["type"][1], f"{label} type") if "type" in items else None
        if qtype is not None and qtype not in QUESTION_TYPES:
            ctx.error(
                items["type"][1],
                f"{label}: unknown type {qtype!r}{_suggest(qtype, QUESTION_TYPES)} "
                f"(one of {', '.join(QUESTION_TYPES)})",
            )
            qtype = None
        if qid:
            self.locations[f"question.{qid}"] = _line(node)
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
            qmin = _int(ctx, items["min"][1], f"{label} min") if "min" in items else 1
            qmax = _int(ctx, items["max"][1], f"{label} max") if "max" in items else 5
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
            value = _int(ctx, items["retries"][1], f"{label} retries")
            if value is not None and not 0 <= value <= MAX_RETRIES:
                ctx.error(items["retries"][1], f"{label}: retries must be 0 to {MAX_RETRIES}")
            elif value is not None:
                retries = value

        optional = False
        if "optional" in items:
            optional = bool(_bool(ctx, items["optional"][1], f"{label} optional"))
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
                _bool(ctx, items["show_choices"][1], f"{label} show_choices") is not False
            )

        raw_branches = self.parse_next(items["next"][1], label) if "next" in items else []

        if qid is None or qtype is None or text is None:
            return None
        question = Question(
            id=qid,
            type=qtype,
            text=_frozen_map(text),
            min=qmin,
            max=qmax,
            retries=retries,
            optional=optional,
            reprompt=_frozen_map(reprompt) if reprompt else None,
            choices=tuple(choices),
            next=(),
            line=_line(node),
            show_choices=show_choices,
        )
        return question, raw_branches

    def parse_choices(self, node: yaml.Node, label: str, qid: str) -> list[Choice]:
        items = _seq(self.ctx, node, f"{label} choices")
        if items is None:
            return []
        if len(items) < 2:
            self.ctx.error(node, f"{label}: a choice question needs at least 2 choices")
        if len(items) > MAX_CHOICES:
            self.ctx.error(node, f"{label}: too many choices ({len(items)}, max {MAX_CHOICES})")
        choices: list[Choice] = []
        seen: set[str] = set()
        for item in items[:MAX_CHOICES]:
            entries = _mapping(self.ctx, item, f"{label} choice", CHOICE_KEYS)
            if entries is None:
                continue
            if "value" not in entries or "text" not in entries:
                self.ctx.error(item, f"{label}: each choice needs 'value' and 'text'")
                continue
            value = _str(self.ctx, entries["value"][1], f"{label} choice value")
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
            choices.append(Choice(value, _frozen_map(text)))
        return choices

    def parse_next(self, node: yaml.Node, label: str) -> list[_RawBranch]:
        if isinstance(node, yaml.ScalarNode) and node.tag != _TAG_NULL:
            return [_RawBranch(None, node, None, node.value.strip())]
        items = _seq(self.ctx, node, f"{label} next")
        branches: list[_RawBranch] = []
        for item in items or []:
            entries = _mapping(self.ctx, item, f"{label} next", BRANCH_KEYS)
            if entries is None:
                continue
            if "goto" not in entries:
                self.ctx.error(item, f"{label}: each branch needs 'goto'")
                continue
            when_node = entries["when"][1] if "when" in entries else None
            when = self.expr(when_node, f"{label} when") if when_node is not None else None
            goto = _str(self.ctx, entries["goto"][1], f"{label} goto")
            if when_node is not None and when is None:
                continue  # the bad condition is already reported; keep checking the rest
            branches.append(_RawBranch(when_node, entries["goto"][1], when, goto))
        return branches

    # -- graph & references ----------------------------------------------------

    def check_graph(
        self, questions: list[Question], raw: dict[str, list[_RawBranch]]
    ) -> list[Question]:
        ctx = self.ctx
        ids = [q.id for q in questions]
        by_id = {q.id: q for q in questions}
        edges: dict[str, set[str]] = {}
        resolved: list[Question] = []
        for i, q in enumerate(questions):
            default = ids[i + 1] if i + 1 < len(ids) else END
            targets: set[str] = set()
            branches: list[Branch] = []
            unconditional = False
            for rb in raw.get(q.id, []):
                if unconditional:
                    ctx.warn(
                        rb.goto_node,
                        f"question {q.id!r}: this branch is never used, "
                        "an earlier branch has no 'when'",
                    )
                    continue
                if rb.goto is None:
                    continue
                if rb.goto != END and rb.goto not in by_id:
                    ctx.error(
                        rb.goto_node,
                        f"question {q.id!r}: goto {rb.goto!r} is not a question id"
                        f"{_suggest(rb.goto, ids + [END])}",
                    )
                    continue
                targets.add(rb.goto)
                branches.append(Branch(rb.goto, rb.when, _line(rb.goto_node)))
                if rb.when is None:
                    unconditional = True
            if not unconditional:
                targets.add(default)
            edges[q.id] = targets
            resolved.append(replace(q, next=tuple(branches)))

        reachable = _reach(ids[0], edges)
        for q in resolved:
            if q.id not in reachable:
                ctx.warn((q.line, 1), f"question {q.id!r} can never be reached")
        reverse: dict[str, set[str]] = {}
        for src, targets in edges.items():
            for dst in targets:
                reverse.setdefault(dst, set()).add(src)
        can_end = _reach(END, reverse)
        for q in resolved:
            if q.id in reachable and q.id not in can_end:
                ctx.error(
                    (q.line, 1),
                    f"question {q.id!r} can never reach the end: it leads into a loop "
                    "with no way out",
                )

        # which answers can exist when a question's branches are evaluated
        for q in resolved:
            before = (_reach(q.id, reverse) - {END}) | {q.id}
            for rb in raw.get(q.id, []):
                if rb.when is None or rb.when_node is None:
                    continue
                self.check_refs(rb.when, rb.when_node, by_id, f"question {q.id!r}", before)
        return resolved

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
                    node, f"{label}: condition uses unknown question {ref!r}{_suggest(ref, by_id)}"
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
        for index, item in enumerate(_seq(self.ctx, entry[1], "alerts") or []):
            entries = _mapping(self.ctx, item, "alert", ALERT_KEYS)
            if entries is None:
                continue
            if "when" not in entries:
                self.ctx.error(item, "alert: missing required key 'when'")
                continue
            when = self.expr(entries["when"][1], "alert when")
            severity = "normal"
            if "severity" in entries:
                value = _str(self.ctx, entries["severity"][1], "alert severity")
                if value is not None and value not in ALERT_SEVERITIES:
                    self.ctx.error(
                        entries["severity"][1],
                        f"alert severity must be one of {', '.join(ALERT_SEVERITIES)}"
                        f"{_suggest(value, ALERT_SEVERITIES)}",
                    )
                elif value is not None:
                    severity = value
            reason = None
            if "reason" in entries:
                reason = _str(self.ctx, entries["reason"][1], "alert reason")
            if when is not None:
                rule = AlertRule(when, when.source, severity, reason, _line(item), index)
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


def _reach(start: str, edges: Mapping[str, set[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


# --- loading ----------------------------------------------------------------


def _too_large(size: int) -> str:
    return (
        f"file is too large ({size // 1024} KB; a flow may be at most {MAX_FILE_BYTES // 1024} KB)"
    )


def _decode(ctx: _Ctx, data: bytes) -> str | None:
    if len(data) > MAX_FILE_BYTES:
        ctx.error((1, 1), _too_large(len(data)))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        ctx.error((line, col), "file is not UTF-8 text; save it as UTF-8")
        return None
    return text.removeprefix("\ufeff")


def _check_tabs(ctx: _Ctx, text: str) -> bool:
    found = False
    for number, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent]:
            ctx.error(
                (number, line.index("\t") + 1),
                "tab character in indentation; YAML needs spaces (set your editor to "
                "insert spaces)",
            )
            found = True
    return found


def _compose(ctx: _Ctx, text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except _YamlRefused as exc:
        ctx.error(exc.mark, exc.message)
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        ctx.error(mark, f"YAML syntax error: {message or exc}")
        return None
    except yaml.YAMLError as exc:
        ctx.error((1, 1), f"YAML error: {exc}")
        return None
    finally:
        loader.dispose()
    if node is None:
        ctx.error((1, 1), "file is empty")
    return node


def _read(ctx: _Ctx, data: bytes) -> tuple[str | None, yaml.Node | None]:
    """The decoded text and its root node (None where a defence refused the file)."""
    source = _decode(ctx, data)
    node = None
    if source is not None and not _check_tabs(ctx, source):
        node = _compose(ctx, source)
    return source, node


def compose_yaml(data: bytes, path: str) -> tuple[yaml.Node | None, list[Problem]]:
    """Compose admin-written YAML with the flow defences (size, UTF-8, tabs, no aliases).

    Returns the root node (with line marks) or None, and the problems found.
    """
    ctx = _Ctx(path)
    _source, node = _read(ctx, data)
    return node, ctx.problems


def plain_value(node: yaml.Node) -> Any:
    """The Python value of a node composed by :func:`compose_yaml`."""
    return _plain(node)


def parse_flow(text: str | bytes, path: str = "<flow>", strict: bool = False) -> Flow:
    """Validate and build a flow from YAML text, raising :class:`FlowError` on errors.

    Warnings do not stop loading; they are kept on ``Flow.warnings``. With ``strict``
    warnings count as errors.
    """
    ctx = _Ctx(path)
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    source, node = _read(ctx, data)
    flow = None
    if node is not None:
        digest = hashlib.sha256(data).hexdigest()
        flow = _Builder(ctx).build(node, source or "", digest, path)
    problems = sorted(ctx.problems, key=lambda p: (p.line, p.col))
    if strict:
        problems = [p.as_error() for p in problems]
    if flow is None or any(p.is_error for p in problems):
        raise FlowError(problems)
    return flow


def load_flow(path: str | Path, strict: bool = False) -> Flow:
    """Read and validate one flow file (see :func:`parse_flow`)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            # refuse before reading a huge file into memory
            raise FlowError([Problem(str(p), 1, 1, "error", _too_large(size))])
        data = p.read_bytes()
    except OSError as exc:
        raise FlowError([Problem(str(p), 1, 1, "error", f"cannot read file: {exc}")]) from exc
    return parse_flow(data, str(p), strict=strict)


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
        return _by_keyword(self.flows.values(), text)


def flow_files(directory: str | Path) -> list[Path]:
    """Flow files at the top of ``directory`` (``routing.yaml`` and subfolders excluded)."""
    root = Path(directory)
    files = [
        p
        for p in root.iterdir()
        if p.is_file() and p.suffix in (".yaml", ".yml") and p.name not in ROUTING_FILES
    ]
    return sorted(files)


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
                norm = normalize_keyword(word)
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
                words[normalize_keyword(word)] = flow
    return accepted, problems


def load_directory(directory: str | Path, strict: bool = False) -> FlowSet:
    """Load every flow file at the top of ``directory`` (not ``routing.yaml``, not ``tests/``).

    Files with errors, and flows whose id or keyword clashes with an earlier file, are
    left out; all problems (warnings included) are returned.
    """
    root = Path(directory)
    if not root.is_dir():
        return FlowSet({}, [Problem(str(root), 1, 1, "error", "not a directory")])
    accepted, problems = load_files(flow_files(root), strict=strict)
    return FlowSet({f.id: f for f in accepted}, problems)


def load_files(paths: Iterable[Path], strict: bool = False) -> tuple[list[Flow], list[Problem]]:
    """Load flow files in order: the good flows whose id and keywords do not clash with
    an earlier file's, and every problem found (warnings included)."""
    problems: list[Problem] = []
    loaded: list[Flow] = []
    for path in paths:
        try:
            flow = load_flow(path, strict=strict)
        except FlowError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(flow.warnings)
        loaded.append(flow)
    accepted, clashes = cross_check(loaded)
    return accepted, problems + clashes


def _by_keyword(flows: Iterable[Flow], text: str) -> tuple[Flow, str] | None:
    for flow in flows:
        lang = flow.matching_keyword(text)
        if lang is not None:
            return flow, lang
    return None


class FlowRegistry:
    """The flows in service. A file that breaks keeps its last good version running."""

    def __init__(self, directory: str | Path, load: bool = True) -> None:
        self.directory = Path(directory)
        self.problems: list[Problem] = []
        self._by_path: dict[str, Flow] = {}
        self._flows: dict[str, Flow] = {}
        self._fingerprint: tuple[tuple[str, int, int], ...] | None = None
        if load:
            self.reload()

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        """(path, size, mtime) of every flow file: changes when an admin edits one."""
        if not self.directory.is_dir():
            return ()
        found = []
        for path in flow_files(self.directory):
            try:
                st = path.stat()
            except OSError:
                continue
            found.append((str(path), st.st_size, st.st_mtime_ns))
        return tuple(found)

    def reload_if_changed(self) -> bool:
        """Reload when a flow file was added, removed or edited. Returns True if it did."""
        current = self.fingerprint()
        if current == self._fingerprint:
            return False
        self.reload()
        return True

    def reload(self) -> list[Problem]:
        """Re-read the directory; returns (and keeps in ``problems``) what was found."""
        self._fingerprint = self.fingerprint()
        problems: list[Problem] = []
        candidates: dict[str, Flow] = {}
        paths = flow_files(self.directory) if self.directory.is_dir() else []
        if not self.directory.is_dir():
            problems.append(Problem(str(self.directory), 1, 1, "error", "not a directory"))
        for path in paths:
            key = str(path)
            try:
                flow = load_flow(path)
                problems.extend(flow.warnings)
            except FlowError as exc:
                problems.extend(exc.problems)
                previous = self._by_path.get(key)
                if previous is not None:
                    log.error(
                        "flow file %s has errors; keeping the previous version of %r",
                        key,
                        previous.id,
                    )
                    flow = previous
                else:
                    log.error("flow file %s has errors and is not loaded", key)
                    continue
            candidates[key] = flow
        ordered = [candidates[k] for k in sorted(candidates)]
        accepted, clashes = cross_check(ordered)
        problems.extend(clashes)
        # a new version that clashes falls back to the old one, if that one still fits
        rejected = [f for f in ordered if f not in accepted]
        for flow in rejected:
            previous = self._by_path.get(flow.path)
            if previous is not None and previous is not flow:
                retry, _ = cross_check(accepted + [previous])
                if previous in retry:
                    accepted = retry
        for p in problems:
            if p.is_error:
                log.warning("%s", p)
        self._by_path = {f.path: f for f in accepted}
        self._flows = {f.id: f for f in accepted}
        self.problems = problems
        return problems

    def get(self, flow_id: str) -> Flow | None:
        """The flow in service with this id."""
        return self._flows.get(flow_id)

    def all(self) -> list[Flow]:
        """Every flow in service, by id."""
        return [self._flows[k] for k in sorted(self._flows)]

    def by_keyword(self, text: str) -> tuple[Flow, str] | None:
        """The flow and language a keyword message starts, if any."""
        return _by_keyword(self.all(), text)
