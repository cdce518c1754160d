"""Answer exports for analysts: one row per stored answer, as CSV or XLSX.

Both formats stream. Rows come from the database in batches (``yield_per``: a server-side
cursor on PostgreSQL, a lazily read cursor on SQLite), so memory stays flat however many
answers the period holds. :func:`write_export` writes to any writable binary stream (a
file, or a web response later); :func:`iter_csv_chunks` yields encoded CSV chunks for a
Flask streaming response.

Dates given by staff are calendar days in the service's time zone (``CFBOT_TIMEZONE``):
``--from 2026-03-01 --to 2026-03-31`` covers local midnight on March 1 up to (not
including) local midnight on April 1. Timestamps in the file are UTC, ISO 8601.

Spreadsheet formula injection: a text cell beginning with ``=``, ``+``, ``-``, ``@``, tab
or carriage return is prefixed with a single quote in both formats, so a client's answer
such as ``=HYPERLINK(...)`` is shown as text and never evaluated. Numbers stay numbers.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import col

from cfbot.logging_setup import mask_phone
from cfbot.models import Answer, Contact, Conversation, FlowVersion

FORMATS = ("csv", "xlsx")
DEFAULT_BATCH_SIZE = 1000
# characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot hold these control characters; an XLSX cell with one is corrupt
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XLSX_MAX_CELL = 32_767

COLUMNS: tuple[str, ...] = (
    "answer_id",
    "conversation_id",
    "flow_id",
    "flow_version",
    "flow_version_hash",
    "channel",
    "site",
    "program",
    "language",
    "question_id",
    "question_type",
    "question_text",
    "raw_answer",
    "value",
    "value_number",
    "skipped",
    "sentiment",
    "sentiment_method",
    "needs_review",
    "answered_at",
    "conversation_status",
    "phone",
)


class ExportError(ValueError):
    """The export cannot be made as asked (bad period, unknown format)."""


@dataclass(frozen=True)
class ExportQuery:
    """Which answers to export. ``start``/``end`` are inclusive local calendar days."""

    start: date
    end: date
    timezone: str = "UTC"
    site: str | None = None
    with_phones: bool = False
    batch_size: int = DEFAULT_BATCH_SIZE
    # the dashboard's responses filters (all optional): the period then applies to the
    # survey's start, as on the page, instead of the answer's time
    by_survey_start: bool = False
    program: str | None = None
    flow: str | None = None
    language: str | None = None
    channel: str | None = None
    sites: frozenset[str] | None = None  # the staff member's sites (None: every site)
    search: str = ""  # keep surveys with an answer containing this (case-insensitive)

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ExportError(f"start date {self.start} is after end date {self.end}")
        if self.batch_size < 1:
            raise ExportError("batch size must be at least 1")

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """``[first local midnight, local midnight after the last day)`` in UTC."""
        zone = ZoneInfo(self.timezone)
        lower = datetime.combine(self.start, time(0), tzinfo=zone)
        upper = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone)
        return lower.astimezone(UTC), upper.astimezone(UTC)


def parse_day(text: str) -> date:
    """``YYYY-MM-DD`` to a date; :class:`ExportError` with a readable message otherwise."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            raise ValueError
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ExportError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def neutralise(value: str) -> str:
    """Prefix a single quote to text a spreadsheet would read as a formula."""
    if value and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# --------------------------------------------------------------------------- rows


def _statement(query: ExportQuery) -> sa.Select[*tuple[Any, ...]]:
    lower, upper = query.utc_bounds()
    stmt = (
        sa.select(
            col(Answer.id),
            col(Answer.conversation_id),
            col(Answer.flow_id),
            col(Answer.flow_version_id),
            col(FlowVersion.content_hash),
            col(Conversation.channel),
            col(Conversation.site),
            col(Conversation.program),
            col(Answer.language),
            col(Answer.question_id),
            col(Answer.question_type),
            col(Answer.question_text),
            col(Answer.raw_text),
            col(Answer.value_text),
            col(Answer.value_number),
            col(Answer.skipped),
            col(Answer.sentiment),
            col(Answer.sentiment_method),
            col(Answer.needs_review),
            col(Answer.created_at),
            col(Conversation.status),
            # an anonymous survey's phone never leaves the database
            sa.case((col(Conversation.anonymous), None), else_=col(Contact.phone)),
        )
        .select_from(Answer)
        .join(Conversation, col(Conversation.id) == col(Answer.conversation_id))
        .join(Contact, col(Contact.id) == col(Answer.contact_id))
        .join(FlowVersion, col(FlowVersion.id) == col(Answer.flow_version_id))
        .order_by(col(Answer.created_at), col(Answer.id))
    )
    period = col(Conversation.started_at) if query.by_survey_start else col(Answer.created_at)
    stmt = stmt.where(period >= lower, period < upper)
    if query.site:
        stmt = stmt.where(col(Conversation.site) == query.site)
    return _dashboard_filters(stmt, query)


def _dashboard_filters(
    stmt: sa.Select[*tuple[Any, ...]], query: ExportQuery
) -> sa.Select[*tuple[Any, ...]]:
    if query.sites is not None:
        stmt = stmt.where(col(Conversation.site).in_(sorted(query.sites)))
    for column, value in (
        (Conversation.program, query.program),
        (Conversation.flow_id, query.flow),
        (Conversation.language, query.language),
        (Conversation.channel, query.channel),
    ):
        if value is not None:
            stmt = stmt.where(col(column) == value)
    if query.search.strip():
        escaped = query.search.strip().replace("\\", "\\\\")
        escaped = escaped.replace("%", "\\%").replace("_", "\\_")
        other = aliased(Answer)
        stmt = stmt.where(
            sa.exists().where(
                col(other.conversation_id) == col(Conversation.id),
                col(other.raw_text).ilike(f"%{escaped}%", escape="\\"),
            )
        )
    return stmt


def _iso_utc(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite through a bare select: stored as UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(float(value), 4)


def _record(raw: Any, with_phones: bool) -> list[Any]:
    """One result row as typed cell values (str, int, float, bool or None), unescaped."""
    (
        answer_id,
        conversation_id,
        flow_id,
        flow_version_id,
        content_hash,
        channel,
        site,
        program,
        language,
        question_id,
        question_type,
        question_text,
        raw_text,
        value_text,
        value_number,
        skipped,
        sentiment,
        sentiment_method,
        needs_review,
        created_at,
        status,
        phone,
    ) = raw
    return [
        answer_id,
        conversation_id,
        flow_id,
        flow_version_id,
        (content_hash or "")[:12],
        channel,
        site or "",
        program or "",
        language,
        question_id,
        question_type or "",
        question_text or "",
        raw_text or "",
        value_text or "",
        _number(value_number),
        bool(skipped),
        _number(sentiment),
        sentiment_method or "",
        bool(needs_review),
        _iso_utc(created_at),
        status,
        (phone or "") if with_phones else mask_phone(phone),
    ]


def iter_records(engine: Engine, query: ExportQuery) -> Iterator[list[Any]]:
    """Export rows in answer order, fetched ``query.batch_size`` at a time."""
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=query.batch_size).execute(_statement(query))
        try:
            for partition in result.partitions():
                for raw in partition:
                    yield _record(raw, query.with_phones)
        finally:
            result.close()


# --------------------------------------------------------------------------- CSV


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return neutralise(str(value))


def iter_csv_chunks(
    engine: Engine, query: ExportQuery, rows_per_chunk: int = 500, bom: bool = True
) -> Iterator[bytes]:
    """The CSV export as UTF-8 chunks (header first), for a streaming response.

    ``bom`` starts the file with a UTF-8 byte-order mark so Excel shows accented and
    Vietnamese text correctly; CSV readers that know UTF-8 (``utf-8-sig``) skip it.
    """
    return _csv_chunks(iter_records(engine, query), rows_per_chunk, bom)


def _csv_chunks(records: Iterable[list[Any]], rows_per_chunk: int, bom: bool) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    prefix = codecs.BOM_UTF8 if bom else b""
    pending = 1
    for record in records:
        writer.writerow([_csv_cell(v) for v in record])
        pending += 1
        if pending >= rows_per_chunk:
            yield prefix + buffer.getvalue().encode("utf-8")
            prefix = b""
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending or prefix:
        yield prefix + buffer.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- XLSX


def _xlsx_cell(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    text = _XML_ILLEGAL.sub("\ufffd", neutralise(str(value)))
    if len(text) > XLSX_MAX_CELL:
        text = text[: XLSX_MAX_CELL - 2] + " …"
    return text


def write_xlsx(engine: Engine, query: ExportQuery, stream: IO[bytes]) -> int:
    """Write the export as an XLSX workbook (openpyxl write-only mode) to ``stream``.

    Rows go to a temporary file as they come; the workbook is zipped into ``stream`` at
    the end. Returns the number of answers written.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("answers")
    sheet.freeze_panes = "A2"
    sheet.append(list(COLUMNS))
    count = 0
    for record in iter_records(engine, query):
        sheet.append([_xlsx_cell(v) for v in record])
        count += 1
    workbook.save(stream)
    return count


def write_csv(engine: Engine, query: ExportQuery, stream: IO[bytes]) -> int:
    """Write the CSV export to ``stream``; returns the number of answers written."""
    count = 0

    def counted() -> Iterator[list[Any]]:
        nonlocal count
        for record in iter_records(engine, query):
            count += 1
            yield record

    for chunk in _csv_chunks(counted(), 500, True):
        stream.write(chunk)
    return count


def write_export(engine: Engine, query: ExportQuery, stream: IO[bytes], fmt: str = "csv") -> int:
    """Write the answers export in ``fmt`` (csv or xlsx) to ``stream``; returns the count."""
    if fmt == "xlsx":
        return write_xlsx(engine, query, stream)
    if fmt == "csv":
        return write_csv(engine, query, stream)
    raise ExportError(f"unknown export format {fmt!r} (use one of: {', '.join(FORMATS)})")
