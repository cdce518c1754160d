"""The filters of the results pages and the SQL pieces every results query shares:
the period and equality conditions on ``Conversation``, the staff scope, and counting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from cfbot.db import unit_of_work
from cfbot.models import Conversation

MIN_GROUP = 5


@dataclass(frozen=True)
class Filters:
    """What a results page shows: ``since <= started < until`` and optional equalities."""

    since: datetime
    until: datetime
    site: str | None = None
    program: str | None = None
    flow: str | None = None
    language: str | None = None
    channel: str | None = None


def sites_of(filters: Filters, scope: frozenset[str] | None) -> frozenset[str] | None:
    """The sites to read: the filter's site within the staff scope (None: all)."""
    if filters.site is not None:
        if scope is not None and filters.site not in scope:
            return frozenset()
        return frozenset({filters.site})
    return scope


def conv_where(filters: Filters, scope: frozenset[str] | None) -> list[Any]:
    conds: list[Any] = [
        col(Conversation.started_at) >= filters.since,
        col(Conversation.started_at) < filters.until,
    ]
    sites = sites_of(filters, scope)
    if sites is not None:
        conds.append(col(Conversation.site).in_(sorted(sites)))
    for column, value in (
        (Conversation.program, filters.program),
        (Conversation.flow_id, filters.flow),
        (Conversation.language, filters.language),
        (Conversation.channel, filters.channel),
    ):
        if value is not None:
            conds.append(col(column) == value)
    return conds


def count_if(cond: Any) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)


@contextmanager
def read(rt: Any) -> Iterator[Any]:
    """A read-only unit of work for the results queries (typed ``Any``: most of these
    selects have more columns than SQLModel's ``select()`` overloads type, so their rows
    are checked by the hand-computed figures tests instead).

    On PostgreSQL, JIT compilation is turned off for its transaction: the planner's row
    estimates for these aggregates are high enough to trigger JIT, whose compilation
    took longer (about 1 s per query on 1M answers) than running the query itself; and
    ``work_mem`` is raised for it so the grouping sets aggregate by hashing instead of
    sorting the period's answers.
    """
    with unit_of_work(rt.engine, immediate=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(sa.text("SET LOCAL jit = off"))
            session.execute(sa.text("SET LOCAL work_mem = '32MB'"))
        yield session
