"""Results and evidence (PHAB 9.1.4 A): response funnel, satisfaction, NPS, trends,
breakdowns, complaint themes and alert handling, for a date range and filters.

Every count is an SQL aggregate (``GROUP BY`` / ``COUNT`` / ``CASE``); Python only does
arithmetic on the aggregated rows. Each function runs its own read-only unit of work and
returns frozen dataclasses, so no session or ORM row reaches the web layer.

* **Scope.** ``scope`` is the staff member's sites (``None``: every site); rows of other
  sites, and rows without a site for site staff, are never read.
* **Small groups.** A figure resting on fewer than :data:`MIN_GROUP` responses is returned
  with ``hidden=True`` and no numbers ("too few to show"), so no client can be singled out.
* **Themes.** The sentiment rules do not store their signals, so themes are recomputed at
  read time from the stored text, only for the matched subset (free-text answers in the
  filters scoring at or below the alert threshold, at most :data:`THEME_SAMPLE` of them).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from cfbot.logging_setup import mask_phone, mask_text
from cfbot.models import Alert, Answer, Contact, Conversation, Invitation, Message, Visit
from cfbot.services.results_filters import MIN_GROUP, Filters, conv_where, count_if, read, sites_of
from cfbot.services.results_groups import (
    DIMENSIONS,
    GroupRow,
    Groups,
    breakdown,
    groups,
    trends,
)

# the groups and filters live in their own modules; callers keep reading them from here
__all__ = [
    "DIMENSIONS",
    "MIN_GROUP",
    "Filters",
    "GroupRow",
    "Groups",
    "breakdown",
    "groups",
    "trends",
]

THEME_SAMPLE = 2000
THEME_EXAMPLES = 3
PAGE_SIZE = 25
# the reasons services.invitations stores (text before the first ":")
SKIP_REASONS = (
    "opted_out",
    "frequency_cap",
    "crisis_hold",
    "busy",
    "unreachable",
    "no_phone",
    "flow_not_loaded",
)


# --------------------------------------------------------------------------- filters

_sites = sites_of
_conv_where = conv_where
_count = count_if
_read = read


# --------------------------------------------------------------------------- funnel


@dataclass(frozen=True)
class Funnel:
    """Invitations for visits in the range, and every survey started in it."""

    invitations: int
    invited: int
    delivered: int
    started: int
    completed: int
    pending: int
    skipped: dict[str, int]
    surveys: int
    surveys_answered: int
    surveys_completed: int

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def _reason_key() -> Any:
    reason = col(Invitation.reason)
    whens = [(reason.like(f"{key}%"), key) for key in SKIP_REASONS]
    return sa.case(*whens, else_="other")


def funnel(rt: Any, filters: Filters, scope: frozenset[str] | None) -> Funnel:
    """invited -> delivered -> started -> completed, skipped invitations by reason.

    Invitations are counted by the visit's date. *Delivered*: the carrier confirmed
    delivery of a survey message, or the client answered (which proves it). *Started*: at
    least one answer. Invitations are SMS only, so a web-chat channel filter leaves none.
    """
    inv_conds: list[Any] = [
        col(Visit.visited_at) >= filters.since,
        col(Visit.visited_at) < filters.until,
    ]
    sites = _sites(filters, scope)
    if sites is not None:
        inv_conds.append(col(Visit.site).in_(sorted(sites)))
    if filters.program is not None:
        inv_conds.append(col(Visit.program) == filters.program)
    if filters.flow is not None:
        inv_conds.append(col(Invitation.flow_id) == filters.flow)
    if filters.language is not None:
        inv_conds.append(
            sa.func.coalesce(Conversation.language, Visit.language, "en") == filters.language
        )
    if filters.channel not in (None, "sms"):
        inv_conds.append(sa.false())
    answered = sa.exists().where(col(Answer.conversation_id) == col(Conversation.id))
    confirmed = sa.exists().where(
        col(Message.conversation_id) == col(Conversation.id),
        col(Message.direction) == "out",
        col(Message.status).in_(("delivered", "read")),
    )
    sent = col(Invitation.status) == "sent"
    with _read(rt) as session:
        row = session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types select() up to 4 columns
                sa.func.count(),
                _count(sent),
                _count(sa.and_(sent, sa.or_(confirmed, answered))),
                _count(sa.and_(sent, answered)),
                _count(sa.and_(sent, col(Conversation.status) == "completed")),
                _count(col(Invitation.status).in_(("scheduled", "waiting"))),
            )
            .select_from(Invitation)
            .join(Visit, col(Visit.id) == col(Invitation.visit_id))
            .outerjoin(Conversation, col(Conversation.id) == col(Invitation.conversation_id))
            .where(*inv_conds)
        ).one()
        key = _reason_key()
        skipped = session.exec(
            select(key, sa.func.count())
            .select_from(Invitation)
            .join(Visit, col(Visit.id) == col(Invitation.visit_id))
            .outerjoin(Conversation, col(Conversation.id) == col(Invitation.conversation_id))
            .where(*inv_conds, col(Invitation.status) == "skipped")
            .group_by(key)
        ).all()
        conv = session.exec(
            select(
                sa.func.count(),
                _count(answered),
                _count(col(Conversation.status) == "completed"),
            ).where(*_conv_where(filters, scope))
        ).one()
    reasons = {str(k): int(n) for k, n in skipped}
    ordered = {k: reasons[k] for k in (*SKIP_REASONS, "other") if k in reasons}
    return Funnel(
        invitations=int(row[0]),
        invited=int(row[1]),
        delivered=int(row[2]),
        started=int(row[3]),
        completed=int(row[4]),
        pending=int(row[5]),
        skipped=ordered,
        surveys=int(conv[0]),
        surveys_answered=int(conv[1]),
        surveys_completed=int(conv[2]),
    )


# --------------------------------------------------------------------------- satisfaction


@dataclass(frozen=True)
class RatingResult:
    """One rating question: counts per point, and CSAT (share in the top two points)."""

    flow_id: str
    question_id: str
    label: str
    scale: tuple[int, int]
    n: int
    hidden: bool
    counts: dict[int, int] = field(default_factory=dict)
    csat: float | None = None  # percent


@dataclass(frozen=True)
class NpsResult:
    """Net Promoter Score with its 95% interval (normal approximation)."""

    flow_id: str
    question_id: str
    label: str
    n: int
    hidden: bool
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps: float | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Satisfaction:
    ratings: list[RatingResult]
    nps: list[NpsResult]


def nps_interval(promoters: int, passives: int, detractors: int) -> tuple[float, float, float]:
    """NPS and its 95% interval, in points (-100..100).

    With shares p (promoters) and d (detractors) of n, NPS = p - d and its variance is
    ``(p + d - (p - d)**2) / n`` (each answer scores +1, 0 or -1).
    """
    n = promoters + passives + detractors
    if n == 0:
        raise ValueError("no answers")
    p, d = promoters / n, detractors / n
    score = p - d
    se = math.sqrt(max(p + d - score * score, 0.0) / n)
    low, high = max(score - 1.96 * se, -1.0), min(score + 1.96 * se, 1.0)
    return score * 100, low * 100, high * 100


def _question_meta(rt: Any, flow_id: str, question_id: str) -> tuple[str, int, int]:
    """A label (the English wording, placeholders read as a neutral phrase such as "our
    clinic", never a client's name) and the scale."""
    flow = rt.flows.get(flow_id)
    question = flow.question(question_id) if flow is not None else None
    if question is None:
        return question_id, 1, 5
    text = flow.text(question, "en", {}) or question_id
    lo = question.min if question.min is not None else (0 if question.type == "nps" else 1)
    hi = question.max if question.max is not None else (10 if question.type == "nps" else 5)
    return text, lo, hi


def _answer_base(filters: Filters, scope: frozenset[str] | None, qtype: str) -> list[Any]:
    return [
        *_conv_where(filters, scope),
        col(Answer.question_type) == qtype,
        col(Answer.skipped).is_(False),
        col(Answer.value_number).is_not(None),
    ]


def satisfaction(rt: Any, filters: Filters, scope: frozenset[str] | None) -> Satisfaction:
    """Distribution and CSAT per rating question; NPS per NPS question."""
    with _read(rt) as session:
        rating_rows = session.exec(
            select(Answer.flow_id, Answer.question_id, Answer.value_number, sa.func.count())
            .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
            .where(*_answer_base(filters, scope, "rating"))
            .group_by(Answer.flow_id, Answer.question_id, col(Answer.value_number))
        ).all()
        promoter = col(Answer.value_number) >= 9
        detractor = col(Answer.value_number) <= 6
        nps_rows = session.exec(
            select(  # type: ignore[call-overload]  # sqlmodel types select() up to 4 columns
                Answer.flow_id,
                Answer.question_id,
                sa.func.count(),
                _count(promoter),
                _count(detractor),
            )
            .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
            .where(*_answer_base(filters, scope, "nps"))
            .group_by(Answer.flow_id, Answer.question_id)
        ).all()
    grouped: dict[tuple[str, str], dict[int, int]] = {}
    for flow_id, question_id, value, n in rating_rows:
        grouped.setdefault((flow_id, question_id), {})[int(value)] = int(n)
    ratings = []
    for (flow_id, question_id), counts in sorted(grouped.items()):
        label, lo, hi = _question_meta(rt, flow_id, question_id)
        total = sum(counts.values())
        if total < MIN_GROUP:
            ratings.append(RatingResult(flow_id, question_id, label, (lo, hi), total, True))
            continue
        full = {point: counts.get(point, 0) for point in range(lo, hi + 1)}
        for point, n in counts.items():  # values outside the declared scale, if any
            full.setdefault(point, n)
        top = sum(n for point, n in full.items() if point >= hi - 1)
        ratings.append(
            RatingResult(
                flow_id,
                question_id,
                label,
                (lo, hi),
                total,
                False,
                dict(sorted(full.items())),
                100.0 * top / total,
            )
        )
    nps_results = []
    for flow_id, question_id, n, promoters, detractors in sorted(nps_rows):
        label, _, _ = _question_meta(rt, flow_id, question_id)
        n, promoters, detractors = int(n), int(promoters), int(detractors)
        if n < MIN_GROUP:
            nps_results.append(NpsResult(flow_id, question_id, label, n, True))
            continue
        passives = n - promoters - detractors
        score, low, high = nps_interval(promoters, passives, detractors)
        nps_results.append(
            NpsResult(
                flow_id, question_id, label, n, False, promoters, passives, detractors,
                score, low, high,
            )
        )  # fmt: skip
    return Satisfaction(ratings, nps_results)


# --------------------------------------------------------------------------- themes


@dataclass(frozen=True)
class Theme:
    signal: str
    count: int
    hidden: bool
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Themes:
    complaints: int  # free-text answers at or below the threshold
    scanned: int
    themes: list[Theme]
    needs_review: int


_NOT_THEMES = ("vader:", "fallback:", "question:", "answer:", "emoji:")
_DIGITS = re.compile(r"\d[\d\s().-]{5,}\d")


def _theme_of(signal: str) -> str | None:
    if signal.startswith(_NOT_THEMES) or ":" not in signal:
        return None
    body = signal.split(":", 1)[1].replace(" (negated)", "").strip()
    if body.startswith("topic:"):
        body = body[len("topic:") :]
    if body.startswith("waited "):
        return "long wait"
    return body or None


def deidentify(text: str, limit: int = 160) -> str:
    """Mask phone numbers, email addresses and long digit runs; shorten."""
    out = _DIGITS.sub("###", mask_text(text))
    out = " ".join(out.split())
    return out if len(out) <= limit else out[: limit - 1] + "…"


def themes(rt: Any, filters: Filters, scope: frozenset[str] | None) -> Themes:
    """Complaint signals of the sentiment rules in free-text answers scoring at or below
    the alert threshold, with a few de-identified examples per theme."""
    from cfbot.services.sentiment import score

    threshold = rt.settings.alert_sentiment_threshold
    text = sa.and_(col(Answer.question_type) == "text", col(Answer.skipped).is_(False))
    with _read(rt) as session:
        where = [*_conv_where(filters, scope), text]
        complaints, review = session.exec(
            select(
                _count(col(Answer.sentiment) <= threshold),
                _count(col(Answer.needs_review).is_(True)),
            )
            .select_from(Answer)
            .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
            .where(*where)
        ).one()
        rows = session.exec(
            select(Answer.raw_text, Answer.language, Answer.question_text)
            .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
            .where(*where, col(Answer.sentiment) <= threshold)
            .order_by(col(Answer.created_at).desc(), col(Answer.id).desc())
            .limit(THEME_SAMPLE)
        ).all()
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for raw, lang, question in rows:
        themes = (_theme_of(s) for s in score(raw, lang, question).signals)
        found = {t for t in themes if t is not None}
        for theme in sorted(found):
            counts[theme] += 1
            bucket = examples.setdefault(theme, [])
            if len(bucket) < THEME_EXAMPLES:
                bucket.append(deidentify(raw))
    out = [
        Theme(k, n, False, tuple(examples[k])) if n >= MIN_GROUP else Theme(k, n, True)
        for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return Themes(int(complaints), len(rows), out, int(review))


# --------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class AlertStats:
    opened: int
    acknowledged: int
    resolved: int
    crisis: int
    median_ack: timedelta | None
    median_resolve: timedelta | None


def _seconds(session: Session, later: Any, earlier: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0
    return sa.func.extract("epoch", later - earlier)


def _median(session: Session, expr: Any, where: list[Any], n: int) -> timedelta | None:
    """The median of ``expr`` over ``n`` rows, by ``ORDER BY ... LIMIT/OFFSET`` in SQL."""
    if n == 0:
        return None
    take = 1 if n % 2 else 2
    values = session.exec(
        select(expr.label("s"))
        .select_from(Alert)
        .outerjoin(Conversation, col(Conversation.id) == col(Alert.conversation_id))
        .where(*where)
        .order_by(sa.text("s"))
        .limit(take)
        .offset((n - 1) // 2)
    ).all()
    seconds = [float(v) for v in values]
    return timedelta(seconds=round(sum(seconds) / len(seconds)))


def alert_stats(rt: Any, filters: Filters, scope: frozenset[str] | None) -> AlertStats:
    """Alerts raised in the range: opened, acknowledged, resolved, median times."""
    where: list[Any] = [
        col(Alert.created_at) >= filters.since,
        col(Alert.created_at) < filters.until,
    ]
    sites = _sites(filters, scope)
    if sites is not None:
        where.append(col(Alert.site).in_(sorted(sites)))
    if filters.program is not None:
        where.append(col(Alert.program) == filters.program)
    if filters.flow is not None:
        where.append(col(Alert.flow_id) == filters.flow)
    if filters.language is not None:
        where.append(col(Conversation.language) == filters.language)
    if filters.channel is not None:
        where.append(col(Conversation.channel) == filters.channel)
    acked = col(Alert.acknowledged_at).is_not(None)
    resolved = col(Alert.resolved_at).is_not(None)
    with _read(rt) as session:
        opened, n_ack, n_res, n_crisis = session.exec(
            select(sa.func.count(), _count(acked), _count(resolved), _count(Alert.kind == "crisis"))
            .select_from(Alert)
            .outerjoin(Conversation, col(Conversation.id) == col(Alert.conversation_id))
            .where(*where)
        ).one()
        ack_s = _seconds(session, col(Alert.acknowledged_at), col(Alert.created_at))
        res_s = _seconds(session, col(Alert.resolved_at), col(Alert.created_at))
        median_ack = _median(session, ack_s, [*where, acked], int(n_ack))
        median_res = _median(session, res_s, [*where, resolved], int(n_res))
    return AlertStats(int(opened), int(n_ack), int(n_res), int(n_crisis), median_ack, median_res)


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    """Values offered in the filter form (only from rows the staff member may see)."""

    programs: list[str]
    flows: list[str]
    languages: list[str]
    channels: list[str]


def options(rt: Any, scope: frozenset[str] | None) -> Options:
    """The distinct values of the four columns, from one grouped read (the combinations
    present are few) instead of four ``DISTINCT`` scans of every survey."""
    where = [] if scope is None else [col(Conversation.site).in_(sorted(scope))]
    columns = (
        col(Conversation.program),
        col(Conversation.flow_id),
        col(Conversation.language),
        col(Conversation.channel),
    )
    with _read(rt) as session:
        combos = session.exec(select(*columns).where(*where).group_by(*columns)).all()
    found = [sorted({str(row[i]) for row in combos if row[i] is not None}) for i in range(4)]
    return Options(*found)


# --------------------------------------------------------------------------- responses


@dataclass(frozen=True)
class ResponseAnswer:
    question_id: str
    question_text: str
    answer: str
    skipped: bool
    needs_review: bool
    sentiment: float | None


@dataclass(frozen=True)
class ResponseRow:
    conversation_id: int
    started_at: datetime
    site: str | None
    program: str | None
    flow_id: str
    language: str
    channel: str
    status: str
    contact: str  # masked phone, or "web chat"
    answers: list[ResponseAnswer]
    alert_ids: list[int]


@dataclass(frozen=True)
class ResponsePage:
    rows: list[ResponseRow]
    total: int
    page: int
    pages: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def responses(
    rt: Any,
    filters: Filters,
    scope: frozenset[str] | None,
    query: str = "",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ResponsePage:
    """Conversations (newest first) with their answers under the wording the client saw;
    ``query`` keeps those with an answer containing it (case-insensitive)."""
    where = _conv_where(filters, scope)
    query = query.strip()
    if query:
        where.append(
            sa.exists().where(
                col(Answer.conversation_id) == col(Conversation.id),
                col(Answer.raw_text).ilike(_like(query), escape="\\"),
            )
        )
    with _read(rt) as session:
        total = int(session.exec(select(sa.func.count()).where(*where)).one())
        pages = max(1, math.ceil(total / page_size))
        page = min(max(page, 1), pages)
        convs = session.exec(
            select(Conversation, Contact.phone)
            .join(Contact, col(Contact.id) == col(Conversation.contact_id))
            .where(*where)
            .order_by(col(Conversation.started_at).desc(), col(Conversation.id).desc())
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).all()
        ids = [c.id for c, _ in convs]
        answers = session.exec(
            select(Answer).where(col(Answer.conversation_id).in_(ids)).order_by(col(Answer.id))
        ).all()
        alerts = session.exec(
            select(Alert.conversation_id, Alert.id)
            .where(col(Alert.conversation_id).in_(ids))
            .order_by(col(Alert.id))
        ).all()
    by_conv: dict[int, list[ResponseAnswer]] = {}
    for a in answers:
        shown = a.raw_text if a.value_text is None or a.question_type == "text" else a.value_text
        by_conv.setdefault(a.conversation_id, []).append(
            ResponseAnswer(
                a.question_id,
                a.question_text,
                shown or a.raw_text,
                a.skipped,
                a.needs_review,
                a.sentiment,
            )
        )
    alert_ids: dict[int, list[int]] = {}
    for conv_id, alert_id in alerts:
        alert_ids.setdefault(conv_id, []).append(alert_id)
    rows = [
        ResponseRow(
            conversation_id=c.id,
            started_at=c.started_at,
            site=c.site,
            program=c.program,
            flow_id=c.flow_id,
            language=c.language,
            channel=c.channel,
            status=c.status,
            contact=_who(c, phone),
            answers=by_conv.get(c.id, []),
            alert_ids=alert_ids.get(c.id, []),
        )
        for c, phone in convs
    ]
    return ResponsePage(rows, total, page, pages)


def _who(conversation: Conversation, phone: str | None) -> str:
    """How staff see the client of a response: masked phone, web chat, or anonymous."""
    if conversation.anonymous:
        return "anonymous"
    return mask_phone(phone) if phone else conversation.channel.replace("webchat", "web chat")
