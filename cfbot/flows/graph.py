"""Graph checks on a flow's questions: branch targets, reachability and dead-end loops."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import yaml

from cfbot.flows.expr import Expr
from cfbot.flows.model import END, Branch, Question
from cfbot.flows.yaml_marks import Ctx, line_of, suggest


@dataclass
class RawBranch:
    """A branch as written: nodes for error marks, the parsed condition and target."""

    when_node: yaml.Node | None
    goto_node: yaml.Node | None
    when: Expr | None
    goto: str | None


# check_refs(condition, node, questions by id, label, answerable ids) reports condition
# problems; the builder passes its own so the per-type checks stay in one place
RefChecker = Callable[[Expr, yaml.Node, Mapping[str, Question], str, set[str]], None]


def check_graph(
    ctx: Ctx,
    questions: list[Question],
    raw: dict[str, list[RawBranch]],
    check_refs: RefChecker,
) -> list[Question]:
    """Resolve every question's branches and check the question graph.

    Reports unknown ``goto`` targets, branches after an unconditional one, questions
    that can never be reached and loops with no way to the end; hands each condition to
    ``check_refs`` with the questions that may have been answered by then. Returns the
    questions with their resolved ``next`` branches.
    """
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
                    f"{suggest(rb.goto, ids + [END])}",
                )
                continue
            targets.add(rb.goto)
            branches.append(Branch(rb.goto, rb.when, line_of(rb.goto_node) if rb.goto_node else 0))
            if rb.when is None:
                unconditional = True
        if not unconditional:
            targets.add(default)
        edges[q.id] = targets
        resolved.append(replace(q, next=tuple(branches)))

    reachable = reach(ids[0], edges)
    for q in resolved:
        if q.id not in reachable:
            ctx.warn((q.line, 1), f"question {q.id!r} can never be reached")
    reverse: dict[str, set[str]] = {}
    for src, targets in edges.items():
        for dst in targets:
            reverse.setdefault(dst, set()).add(src)
    can_end = reach(END, reverse)
    for q in resolved:
        if q.id in reachable and q.id not in can_end:
            ctx.error(
                (q.line, 1),
                f"question {q.id!r} can never reach the end: it leads into a loop with no way out",
            )

    # which answers can exist when a question's branches are evaluated
    for q in resolved:
        before = (reach(q.id, reverse) - {END}) | {q.id}
        for rb in raw.get(q.id, []):
            if rb.when is None or rb.when_node is None:
                continue
            check_refs(rb.when, rb.when_node, by_id, f"question {q.id!r}", before)
    return resolved


def reach(start: str, edges: Mapping[str, set[str]]) -> set[str]:
    """Every node reachable from ``start`` along ``edges`` (``start`` included)."""
    seen = {start}
    stack = [start]
    while stack:
        for nxt in edges.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen
