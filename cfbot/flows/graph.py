"""Graph checks on a flow's questions: branch targets, reachability and dead-end loops."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import yaml

from cfbot.flows.expr import AnswerRef, Call, Expr, _walk
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
    that can never be reached, loops with no way to the end and any other loop (one
    that can repeat without bound); hands each condition to
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

    # a loop that can end may still repeat without bound: it needs an exit the client
    # controls, i.e. a branch inside the loop that compares an answer given in the loop
    # ("more == 'yes'"); answered(...) alone or answers from before the loop never change
    reported: set[str] = set()
    for q in resolved:
        if q.id not in reachable or q.id not in can_end or q.id in reported:
            continue
        loop = {n for n in reach(q.id, edges) & reach(q.id, reverse) if n != END}
        if q.id not in edges.get(q.id, set()) and loop == {q.id}:
            continue  # not in a loop
        reported |= loop
        if _client_can_leave(loop, resolved):
            continue
        members = " -> ".join(i for i in ids if i in loop)
        ctx.error(
            (q.line, 1),
            f"question {q.id!r} is in a loop ({members} -> {q.id}) that can repeat without "
            "end: make the goto back depend on an answer given in the loop "
            "(e.g. when: 'more == \"yes\"'), or go forward only",
        )

    # which answers can exist when a question's branches are evaluated
    for q in resolved:
        before = (reach(q.id, reverse) - {END}) | {q.id}
        for rb in raw.get(q.id, []):
            if rb.when is None or rb.when_node is None:
                continue
            check_refs(rb.when, rb.when_node, by_id, f"question {q.id!r}", before)
    return resolved


def _client_can_leave(loop: set[str], questions: list[Question]) -> bool:
    """Whether a branch that stays in ``loop`` depends on the value of an answer given
    in the loop (so the client's answer decides whether to go round again)."""
    for q in questions:
        if q.id not in loop:
            continue
        for branch in q.next:
            if branch.goto not in loop or branch.when is None:
                continue
            valued = {
                node.name
                for node in _walk(branch.when.root)
                if isinstance(node, AnswerRef)
                or (isinstance(node, Call) and node.func != "answered")
            }
            if valued & loop:
                return True
    return False


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
