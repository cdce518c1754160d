"""Choice questions: one of a list of options, by number, label or a close misspelling.

* Choices: exact label (client language, English) or value first, then the option
  number ("2", "#2", "option 2", "the second one"), then labels found as whole words,
  then one unique close misspelling (difflib ratio >= 0.8) for messages of up to 12
  words; all matches must agree. An exact label beats the skip word, so an option the
  admin called "Pass" or "Next" can be chosen.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import yaml

from cfbot.flows.questions.common import (
    ChoiceLike,
    Parsed,
    QuestionLike,
    QuestionType,
    Tok,
    lang_key,
    not_a_value,
    skip_or_blank,
    tokens,
)
from cfbot.flows.questions.numbers import scan_numbers
from cfbot.flows.values import Choice, frozen_map
from cfbot.flows.yaml_marks import as_bool, as_list, as_mapping, as_text

if TYPE_CHECKING:
    from cfbot.flows.question_builder import QuestionSpec

_FUZZY_MIN_RATIO = 0.8
_FUZZY_MARGIN = 0.05
_FUZZY_MAX_WORDS = 12  # longer messages are free text, not a misspelt option
_FUZZY_MIN_LABEL = 4  # "WIC" ~ "wick": too short to guess at


def _canon_words(text: str) -> tuple[str, ...]:
    return tuple(t.plain for t in tokens(text) if t.kind != "sym")


# Labels repeat on every message of a survey; the cache only memoises a pure function.
_canon_label = functools.lru_cache(maxsize=4096)(_canon_words)


def _find(words: Sequence[str], label: Sequence[str]) -> list[tuple[int, int]]:
    n = len(label)
    return [
        (i, i + n) for i in range(len(words) - n + 1) if tuple(words[i : i + n]) == tuple(label)
    ]


def _choice_labels(choices: Sequence[ChoiceLike], lang: str) -> list[tuple[tuple[str, ...], int]]:
    """(canonical words, choice index) for each label a client may type."""
    labels = []
    for idx, choice in enumerate(choices):
        texts = getattr(choice, "text", None) or {}
        value = str(getattr(choice, "value", ""))
        for label in (texts.get(lang), texts.get("en"), value, value.replace("_", " ")):
            canon = _canon_label(label) if isinstance(label, str) else ()
            if canon:
                labels.append((canon, idx))
    return labels


def _parse_choice(text: str, lang: str, choices: Sequence[ChoiceLike]) -> tuple[Parsed, bool]:
    """The parsed answer, and whether the whole message was exactly a label."""
    toks = tokens(text)
    wtoks = [t for t in toks if t.kind != "sym"]
    words = tuple(t.plain for t in wtoks)
    if not toks:
        return Parsed("invalid", reason="empty"), False

    labels = _choice_labels(choices, lang)

    def pick(indices: set[int]) -> Parsed:
        if len(indices) > 1:
            return Parsed("invalid", reason="ambiguous")
        return Parsed("ok", str(choices[indices.pop()].value))

    exact = {idx for canon, idx in labels if canon == words}
    if exact:
        return pick(exact), True
    return _choice_by_content(toks, wtoks, words, lang, choices, labels, pick), False


def _choice_by_content(
    toks: list[Tok],
    wtoks: list[Tok],
    words: tuple[str, ...],
    lang: str,
    choices: Sequence[ChoiceLike],
    labels: list[tuple[tuple[str, ...], int]],
    pick: Callable[[set[int]], Parsed],
) -> Parsed:
    """Choice named by number, by a label inside the message, or by a misspelling."""

    # labels found as whole words; a match inside a longer match ("shots" inside
    # "flu shots") belongs to the longer one
    spans = [(span, idx) for canon, idx in labels for span in _find(words, canon)]
    kept: list[tuple[tuple[int, int], int]] = []
    # reach[i]: furthest end of an already seen (longer) span starting at or before i;
    # linear per distinct label length, so "shots shots shots ..." stays fast
    reach = [0] * (len(words) + 1)
    for length in sorted({b - a for (a, b), _ in spans}, reverse=True):
        group = [(span, idx) for span, idx in spans if span[1] - span[0] == length]
        kept += [(span, idx) for span, idx in group if reach[span[0]] < span[1]]
        for (a, b), _ in group:
            reach[a] = max(reach[a], b)
        for i in range(1, len(reach)):
            reach[i] = max(reach[i], reach[i - 1])
    by_label = {idx for _, idx in kept}
    covered = {wtoks[i].start for (a, b), _ in kept for i in range(a, b)}
    rest = [t for t in toks if t.start not in covered]
    scan = scan_numbers(rest, lang, ordinals=True)
    by_number: set[int] = set()
    out_of_range = False
    if len(scan.values) > 1:
        return Parsed("invalid", reason="ambiguous")
    if scan.values and not scan.unclear:
        if 1 <= scan.values[0] <= len(choices):
            by_number.add(scan.values[0] - 1)
        else:
            out_of_range = True
    found = by_label | by_number
    if found:
        return pick(found)

    if words and len(words) <= _FUZZY_MAX_WORDS:
        best: dict[int, float] = {}
        for canon, idx in labels:
            label = " ".join(canon)
            if len(label) < _FUZZY_MIN_LABEL:
                continue
            n = len(canon)
            grams = {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}
            grams.add(" ".join(words))
            for gram in grams:
                ratio = difflib.SequenceMatcher(None, gram, label, autojunk=False).ratio()
                best[idx] = max(best.get(idx, 0.0), ratio)
        ranked = sorted(best.values(), reverse=True)
        if ranked and ranked[0] >= _FUZZY_MIN_RATIO:
            if len(ranked) > 1 and ranked[0] - ranked[1] < _FUZZY_MARGIN:
                return Parsed("invalid", reason="ambiguous")
            top = max(best, key=lambda k: best[k])
            return Parsed("ok", str(choices[top].value))

    return Parsed("invalid", reason="out_of_range" if out_of_range else "unclear")


def parse_choice(text: str, lang: str, choices: Sequence[ChoiceLike]) -> str | None:
    """The ``value`` of the one choice the message names (by number, label, value or a
    close misspelling), else None."""
    parsed, _exact = _parse_choice(text, lang_key(lang), tuple(choices))
    return parsed.value if parsed.status == "ok" else None  # type: ignore[return-value]  # value is set when status is ok


MAX_CHOICES = 20
CHOICE_KEYS = ("value", "text")


class ChoiceType(QuestionType):
    """``type: choice``: ``choices`` (2 to 20 ``{value, text}``), ``show_choices``."""

    name = "choice"
    keys = ("choices", "show_choices")

    def build(self, spec: QuestionSpec) -> dict[str, Any]:
        """The choices (required) and whether they are listed under the question."""
        ctx, items, label = spec.ctx, spec.items, spec.label
        choices: list[Choice] = []
        if "choices" not in items:
            ctx.error(spec.node, f"{label}: a choice question needs 'choices'")
        else:
            choices = self.parse_choices(spec, items["choices"][1])
        show = True
        if "show_choices" in items:
            show = as_bool(ctx, items["show_choices"][1], f"{label} show_choices") is not False
        return {"choices": tuple(choices), "show_choices": show}

    def parse_choices(self, spec: QuestionSpec, node: yaml.Node) -> list[Choice]:
        """The ``choices`` list: unique values (ignoring case), each with its text."""
        ctx, label = spec.ctx, spec.label
        items = as_list(ctx, node, f"{label} choices")
        if items is None:
            return []
        if len(items) < 2:
            ctx.error(node, f"{label}: a choice question needs at least 2 choices")
        if len(items) > MAX_CHOICES:
            ctx.error(node, f"{label}: too many choices ({len(items)}, max {MAX_CHOICES})")
        choices: list[Choice] = []
        seen: set[str] = set()
        for item in items[:MAX_CHOICES]:
            entries = as_mapping(ctx, item, f"{label} choice", CHOICE_KEYS)
            if entries is None:
                continue
            if "value" not in entries or "text" not in entries:
                ctx.error(item, f"{label}: each choice needs 'value' and 'text'")
                continue
            value = as_text(ctx, entries["value"][1], f"{label} choice value")
            text = spec.builder.text_map(
                entries["text"][1],
                f"{label} choice {value!r} text",
                f"question.{spec.qid}.choice.{value}",
            )
            if value is None or text is None:
                continue
            if value.casefold() in seen:
                ctx.error(entries["value"][1], f"{label}: duplicate choice value {value!r}")
                continue
            seen.add(value.casefold())
            choices.append(Choice(value, frozen_map(text)))
        return choices

    def parse(self, question: QuestionLike, text: str, lang: str) -> Parsed:
        """The choice named; an exact label wins even over a skip word."""
        choices = tuple(getattr(question, "choices", ()) or ())
        chosen, exact = _parse_choice(text, lang, choices)
        if exact:
            return chosen  # an option the admin called "Pass" or "Next" beats the skip word
        return skip_or_blank(question, text, lang) or chosen

    def render(self, question: Any, body: str, label: Callable[[Any], str]) -> str:
        """The question, then "1. ..." per choice unless ``show_choices: false``."""
        if question.show_choices and question.choices:
            lines = [f"{i}. {label(c)}" for i, c in enumerate(question.choices, 1)]
            body = body + "\n" + "\n".join(lines)
        return body

    def literal_warning(self, question: QuestionLike, op: str, literal: object) -> str | None:
        """Only the choices' values can match."""
        return not_a_value(question, literal, [c.value for c in question.choices])


CHOICE = ChoiceType()
