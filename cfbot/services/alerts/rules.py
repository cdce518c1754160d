"""Which of a flow's alert rules hold for a conversation's answers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cfbot.services.alerts.common import SEVERITY_RANK
from cfbot.services.alerts.common import staff_text as _t


@dataclass(frozen=True)
class Fired:
    """One rule that holds for a conversation's answers."""

    key: str
    reason: str
    severity: str
    source: str


def fired_rules(flow: Any, state: dict[str, Any], threshold: float = -0.3) -> list[Fired]:
    """The flow's alert rules that hold; the default rules when the flow has none."""
    if flow.alerts:
        from cfbot.flows.engine import evaluate_alerts as evaluate_flow_rules

        return [
            Fired(
                key=f"rule:{rule.index}",
                reason=rule.reason or _t("Alert rule: {rule}", rule=rule.source),
                severity=rule.severity,
                source=rule.source,
            )
            for rule in evaluate_flow_rules(flow, state)
        ]
    return default_rules(flow, state, threshold)


def default_rules(flow: Any, state: dict[str, Any], threshold: float = -0.3) -> list[Fired]:
    """Rating in the lowest two points, NPS 0-6, or free text below ``threshold``."""
    from cfbot.flows.questions import is_dissatisfied

    answers = state.get("answers") or {}
    sentiments = state.get("sentiments") or {}
    fired: list[Fired] = []
    for qid, value in answers.items():
        question = flow.question(qid)
        if question is None:
            continue
        if not is_dissatisfied(
            question.type,
            value,
            min=question.min,
            max=question.max,
            sentiment=sentiments.get(qid),
            threshold=threshold,
        ):
            continue
        if question.type == "nps":
            reason = _t("Would not recommend (NPS {value})", value=value)
        elif question.type == "text":
            reason = _t("Negative comment")
        else:
            reason = _t("Low rating ({value} of {max})", value=value, max=question.max)
        fired.append(Fired(f"default:{qid}", reason, "normal", f"default rule on {qid}"))
    return fired


def max_severity(values: Iterable[str]) -> str:
    """The most severe of ``values`` ("normal" when there are none)."""
    return max(values, key=lambda s: SEVERITY_RANK.get(s, 0), default="normal")
