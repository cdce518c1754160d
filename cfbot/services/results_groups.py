"""Figures per ISO week, site, program, language and channel, in two reads.

One grouped read of the period's surveys (surveys, completed) and one of their rating
and NPS answers (counts, top two, promoters, detractors) give every dimension at once,
instead of two reads per dimension (which re-joined the period's answers five times):

* **PostgreSQL**: ``GROUP BY GROUPING SETS ((site), (program), (language), (channel),
  (week))``; ``GROUPING()`` tells which set a row belongs to.
* **Other databases** (SQLite): ``GROUP BY site, program, language, channel, week`` (at
  most one row per combination present), whose integer counts are summed per dimension
  in Python.

Both give the same integers as one grouped query per dimension. A group with fewer than
:data:`MIN_GROUP` rating and fewer than :data:`MIN_GROUP` NPS answers is hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from cfbot.models import Answer, Conversation
from cfbot.services.results_filters import MIN_GROUP, Filters, conv_where, count_if, read

DIMENSIONS = ("site", "program", "language", "channel")
_KEYS = (*DIMENSIONS, "week")
# surveys, completed, ratings, top-two ratings, NPS answers, promoters, detractors
_ZERO = (0, 0, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class GroupRow:
    """One week, site, program, language or channel. ``hidden`` when fewer than
    :data:`MIN_GROUP` rating or NPS answers, and then no numbers are given."""

    key: str
    hidden: bool
    surveys: int | None = None
    completed: int | None = None
    ratings: int | None = None
    csat: float | None = None  # percent of rating answers in their scale's top two points
    nps_n: int | None = None
    nps: float | None = None

    @property
    def completion(self) -> float | None:
        if not self.surveys or self.completed is None:
            return None
        return 100.0 * self.completed / self.surveys


@dataclass(frozen=True)
class Groups:
    """Rows per ISO week (``2026-W10``, oldest first) and per dimension (sorted by key)."""

    weeks: list[GroupRow]
    breakdowns: dict[str, list[GroupRow]]


def _top_two(rt: Any) -> Any:
    """``CASE`` true for a rating answer in its question's top two points (scales from
    the loaded flows; 4 and 5 for questions no loaded flow declares)."""
    whens = []
    for flow in rt.flows.all():
        for question in flow.questions:
            if question.type == "rating":
                hi = question.max if question.max is not None else 5
                whens.append(
                    (
                        sa.and_(
                            col(Answer.flow_id) == flow.id,
                            col(Answer.question_id) == question.id,
                        ),
                        hi - 1,
                    )
                )
    threshold = sa.case(*whens, else_=4) if whens else sa.literal(4)
    return col(Answer.value_number) >= threshold


def _week_start(session: Session) -> Any:
    """The Monday (UTC) of ``Conversation.started_at``'s ISO week, as SQL."""
    started = col(Conversation.started_at)
    if session.get_bind().dialect.name == "sqlite":
        offset = sa.func.cast(sa.func.strftime("%w", started), sa.Integer) + 6
        days = sa.func.printf("-%d days", offset % 7)
        return sa.func.date(started, days)
    return sa.func.date(sa.func.date_trunc("week", sa.func.timezone("UTC", started)))


def _dims(session: Session) -> list[Any]:
    return [
        col(Conversation.site),
        col(Conversation.program),
        col(Conversation.language),
        col(Conversation.channel),
        _week_start(session),
    ]


def _grouped(session: Session, query: Any, sums: list[Any]) -> dict[str, dict[Any, list[int]]]:
    """``sums`` per value of every key of :data:`_KEYS` (one pass over ``query``'s rows)."""
    dims = _dims(session)
    found: dict[str, dict[Any, list[int]]] = {k: {} for k in _KEYS}
    n = len(_KEYS)
    if session.get_bind().dialect.name == "postgresql":
        flags = [sa.func.grouping(d) for d in dims]
        sets = sa.func.grouping_sets(*(sa.tuple_(d) for d in dims))
        for row in session.exec(query.add_columns(*dims, *flags, *sums).group_by(sets)).all():
            which = list(row[n : 2 * n]).index(0)
            found[_KEYS[which]][row[which]] = [int(v or 0) for v in row[2 * n :]]
        return found
    for row in session.exec(query.add_columns(*dims, *sums).group_by(*dims)).all():
        counts = [int(v or 0) for v in row[n:]]
        for i, name in enumerate(_KEYS):
            total = found[name].setdefault(row[i], [0] * len(counts))
            for j, v in enumerate(counts):
                total[j] += v
    return found


def _counts(
    rt: Any, session: Session, filters: Filters, scope: frozenset[str] | None
) -> dict[str, dict[Any, tuple[int, ...]]]:
    """Surveys and completed surveys (one grouped read of the period's surveys), then
    rating and NPS counts (one grouped read of their answers), per key."""
    where = conv_where(filters, scope)
    surveys = _grouped(
        session,
        sa.select().select_from(Conversation).where(*where),
        [sa.func.count(), count_if(col(Conversation.status) == "completed")],
    )
    rating = col(Answer.question_type) == "rating"
    nps = col(Answer.question_type) == "nps"
    answers = _grouped(
        session,
        sa.select()
        .select_from(Answer)
        .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
        .where(
            *where,
            col(Answer.question_type).in_(("rating", "nps")),
            col(Answer.skipped).is_(False),
            col(Answer.value_number).is_not(None),
        ),
        [
            count_if(rating),
            count_if(sa.and_(rating, _top_two(rt))),
            count_if(nps),
            count_if(sa.and_(nps, col(Answer.value_number) >= 9)),
            count_if(sa.and_(nps, col(Answer.value_number) <= 6)),
        ],
    )
    return {
        name: {
            key: (*pair, *answers[name].get(key, _ZERO[2:])) for key, pair in surveys[name].items()
        }
        for name in _KEYS
    }


def _row(key: Any, counts: tuple[int, ...]) -> GroupRow:
    n_surveys, n_completed, n_rating, n_top, n_nps, n_prom, n_det = counts
    label = str(key) if key is not None else ""
    if n_rating < MIN_GROUP and n_nps < MIN_GROUP:
        return GroupRow(label, True)
    return GroupRow(
        label,
        False,
        n_surveys,
        n_completed,
        n_rating,
        100.0 * n_top / n_rating if n_rating >= MIN_GROUP else None,
        n_nps,
        100.0 * (n_prom - n_det) / n_nps if n_nps >= MIN_GROUP else None,
    )


def _week_label(monday: Any) -> str:
    year, week, _ = date.fromisoformat(str(monday)[:10]).isocalendar()
    return f"{year}-W{week:02d}"


def groups(rt: Any, filters: Filters, scope: frozenset[str] | None) -> Groups:
    """Every dimension and the weeks, from one read of the period's answers."""
    with read(rt) as session:
        found = _counts(rt, session, filters, scope)
    breakdowns = {
        name: sorted((_row(k, v) for k, v in found[name].items()), key=lambda r: r.key)
        for name in DIMENSIONS
    }
    weeks = [
        GroupRow(_week_label(r.key), r.hidden, r.surveys, r.completed, r.ratings, r.csat,
                 r.nps_n, r.nps)
        for r in sorted((_row(k, v) for k, v in found["week"].items()), key=lambda r: r.key)
    ]  # fmt: skip
    return Groups(weeks, breakdowns)


def breakdown(
    rt: Any, filters: Filters, scope: frozenset[str] | None, dimension: str
) -> list[GroupRow]:
    """Figures per site, program, language or channel (rows sorted by key)."""
    if dimension not in DIMENSIONS:
        raise KeyError(dimension)
    return groups(rt, filters, scope).breakdowns[dimension]


def trends(rt: Any, filters: Filters, scope: frozenset[str] | None) -> list[GroupRow]:
    """Figures per ISO week (``key`` like ``2026-W10``), oldest first."""
    return groups(rt, filters, scope).weeks
