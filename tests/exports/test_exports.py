"""``cfbot export answers`` and the export service: columns, periods, sites, masking,
formula neutralising (CSV and XLSX) and batched streaming."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from openpyxl import load_workbook

from cfbot.cli import cli
from cfbot.clock import FrozenClock
from cfbot.db import unit_of_work
from cfbot.models import Answer, Contact, Conversation
from cfbot.services.conversation import ensure_flow_version
from cfbot.services.exports import (
    COLUMNS,
    ExportError,
    ExportQuery,
    iter_csv_chunks,
    neutralise,
    write_export,
)

# Monday 16 March 2026, 10:00 in Chicago (CDT, UTC-5)
T0 = datetime(2026, 3, 16, 15, 0, tzinfo=UTC)
TZ = "America/Chicago"
PHONE = "+16125550123"
EVIL = '=HYPERLINK("http://x","y")'


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def env(settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", settings.conversations_dir)
    monkeypatch.setenv("CFBOT_INSTANCE_PATH", settings.instance_path)
    monkeypatch.setenv("CFBOT_TIMEZONE", TZ)


def make_conversation(rt: Any, *, phone: str = PHONE, site: str = "northside", lang: str = "en"):  # type: ignore[no-untyped-def]
    flow = rt.flows.get("clinic_visit")
    with unit_of_work(rt.engine) as session:
        version = ensure_flow_version(session, flow, rt.now())
        contact = Contact(phone=phone, language=lang)
        session.add(contact)
        session.flush()
        conv = Conversation(
            contact_id=contact.id,
            flow_id=flow.id,
            flow_version_id=version.id,
            channel="sms",
            language=lang,
            status="completed",
            site=site,
            program="wic",
            started_at=rt.now(),
        )
        session.add(conv)
        session.flush()
        return conv.id, contact.id, version.id


def add_answer(rt: Any, conv: tuple[int, int, int], at: datetime, **fields: Any) -> int:
    conv_id, contact_id, version_id = conv
    values: dict[str, Any] = {
        "question_id": "overall",
        "question_type": "rating",
        "question_text": "How satisfied were you? Reply 1 (not at all) to 5 (very).",
        "raw_text": "4",
        "value_text": "4",
        "value_number": 4.0,
        "language": "en",
    }
    values.update(fields)
    with unit_of_work(rt.engine) as session:
        row = Answer(
            conversation_id=conv_id,
            contact_id=contact_id,
            flow_id="clinic_visit",
            flow_version_id=version_id,
            created_at=at,
            **values,
        )
        session.add(row)
        session.flush()
        return row.id  # type: ignore[return-value]


def query(**kw: Any) -> ExportQuery:
    values: dict[str, Any] = {"start": date(2026, 3, 1), "end": date(2026, 3, 31), "timezone": TZ}
    values.update(kw)
    return ExportQuery(**values)


def csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def export_csv(rt: Any, q: ExportQuery) -> list[dict[str, str]]:
    buf = io.BytesIO()
    write_export(rt.engine, q, buf, "csv")
    return csv_rows(buf.getvalue())


def xlsx_rows(data: bytes) -> tuple[list[str], list[tuple[Any, ...]], Any]:
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["answers"]
    rows = list(sheet.iter_rows(values_only=True))
    return list(rows[0]), rows[1:], sheet


# --------------------------------------------------------------------------- unit


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("fine = good", "fine = good"),
        ("", ""),
    ],
)
def test_neutralise(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_query_rejects_reversed_period() -> None:
    with pytest.raises(ExportError, match="after"):
        ExportQuery(start=date(2026, 3, 2), end=date(2026, 3, 1))


def test_period_is_local_days_in_utc() -> None:
    lower, upper = query(start=date(2026, 3, 10), end=date(2026, 3, 10)).utc_bounds()
    assert lower == datetime(2026, 3, 10, 5, 0, tzinfo=UTC)  # CDT
    assert upper == datetime(2026, 3, 11, 5, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- content


def test_formula_answer_is_neutralised_in_csv_and_xlsx(rt) -> None:  # type: ignore[no-untyped-def]
    conv = make_conversation(rt)
    add_answer(
        rt,
        conv,
        T0 - timedelta(days=1),
        question_id="comments",
        question_type="text",
        question_text="Anything else?",
        raw_text=EVIL,
        value_text=EVIL,
        value_number=None,
        sentiment=-0.25,
    )
    rows = export_csv(rt, query())
    assert rows[0]["raw_answer"] == "'" + EVIL
    assert rows[0]["value"] == "'" + EVIL
    assert rows[0]["sentiment"] == "-0.25"  # numbers are not text: left alone

    buf = io.BytesIO()
    assert write_export(rt.engine, query(), buf, "xlsx") == 1
    header, data, sheet = xlsx_rows(buf.getvalue())
    col = header.index("raw_answer") + 1
    cell = sheet.cell(row=2, column=col)
    assert cell.value == "'" + EVIL
    assert cell.data_type == "s"  # text, not a formula
    assert data[0][header.index("sentiment")] == -0.25


def test_every_column_present_with_values(rt) -> None:  # type: ignore[no-untyped-def]
    conv = make_conversation(rt)
    at = datetime(2026, 3, 12, 17, 30, 5, tzinfo=UTC)
    add_answer(rt, conv, at)
    add_answer(
        rt,
        conv,
        at + timedelta(minutes=1),
        question_id="comments",
        question_type="text",
        question_text="Anything else you want to tell us? Reply SKIP to skip.",
        raw_text="Tsis muaj neeg txhais lus",
        value_text="Tsis muaj neeg txhais lus",
        value_number=None,
        language="hmn",
        needs_review=True,
        sentiment_method="none",
    )
    buf = io.BytesIO()
    write_export(rt.engine, query(), buf, "csv")
    data = buf.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    assert tuple(next(reader)) == COLUMNS
    for name in (
        "conversation_id",
        "flow_id",
        "flow_version",
        "channel",
        "site",
        "program",
        "language",
        "question_id",
        "question_text",
        "raw_answer",
        "value",
        "sentiment",
        "needs_review",
        "answered_at",
        "phone",
    ):
        assert name in COLUMNS
    rows = csv_rows(data)
    first, second = rows
    assert first["conversation_id"] == str(conv[0])
    assert first["flow_id"] == "clinic_visit"
    assert first["flow_version"] == str(conv[2])
    assert len(first["flow_version_hash"]) == 12
    assert (first["channel"], first["site"], first["program"]) == ("sms", "northside", "wic")
    assert first["question_text"].startswith("How satisfied")
    assert (first["raw_answer"], first["value"], first["value_number"]) == ("4", "4", "4")
    assert first["answered_at"] == "2026-03-12T17:30:05Z"
    assert first["needs_review"] == "false"
    assert first["conversation_status"] == "completed"
    assert second["language"] == "hmn"
    assert second["needs_review"] == "true"
    assert second["sentiment"] == ""

    buf = io.BytesIO()
    write_export(rt.engine, query(), buf, "xlsx")
    header, xrows, _ = xlsx_rows(buf.getvalue())
    assert tuple(header) == COLUMNS
    assert len(xrows) == 2
    assert xrows[1][header.index("raw_answer")] == "Tsis muaj neeg txhais lus"
    assert xrows[0][header.index("value_number")] == 4
    assert xrows[1][header.index("needs_review")] is True


def test_date_and_site_filters(rt) -> None:  # type: ignore[no-untyped-def]
    north = make_conversation(rt)
    south = make_conversation(rt, phone="+16125550124", site="southside")
    # 23:30 on March 9 and 00:30 on March 10, Chicago time
    before = add_answer(rt, north, datetime(2026, 3, 10, 4, 30, tzinfo=UTC))
    first = add_answer(rt, north, datetime(2026, 3, 10, 5, 30, tzinfo=UTC))
    # 23:59 on March 11 local, then 00:01 on March 12 local
    last = add_answer(rt, south, datetime(2026, 3, 12, 4, 59, tzinfo=UTC))
    after = add_answer(rt, south, datetime(2026, 3, 12, 5, 1, tzinfo=UTC))

    ids = [
        int(r["answer_id"])
        for r in export_csv(rt, query(start=date(2026, 3, 10), end=date(2026, 3, 11)))
    ]
    assert ids == [first, last]
    assert before not in ids and after not in ids
    south_only = export_csv(rt, query(site="southside"))
    assert {r["site"] for r in south_only} == {"southside"}
    assert [int(r["answer_id"]) for r in south_only] == [last, after]
    assert export_csv(rt, query(site="nowhere")) == []


def test_phones_masked_unless_asked(rt) -> None:  # type: ignore[no-untyped-def]
    add_answer(rt, make_conversation(rt), T0 - timedelta(hours=1))
    masked = export_csv(rt, query())[0]["phone"]
    # a leading "+" is neutralised like any other cell (Excel would read +1612... as a sum)
    assert masked == "'+1******0123"
    assert PHONE[2:-4] not in masked
    assert export_csv(rt, query(with_phones=True))[0]["phone"] == "'" + PHONE


# --------------------------------------------------------------------------- streaming


def test_large_export_streams_in_small_batches(rt) -> None:  # type: ignore[no-untyped-def]
    conv_id, contact_id, version_id = make_conversation(rt)
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    rows = [
        {
            "conversation_id": conv_id,
            "contact_id": contact_id,
            "flow_id": "clinic_visit",
            "flow_version_id": version_id,
            "question_id": "comments",
            "question_type": "text",
            "question_text": "Anything else?",
            "raw_text": f"comment {i}" if i % 500 else "+1 would come again",
            "value_text": f"comment {i}",
            "language": "en",
            "skipped": False,
            "needs_review": False,
            "created_at": start + timedelta(seconds=i),
        }
        for i in range(3000)
    ]
    with unit_of_work(rt.engine) as session:
        session.execute(sa.insert(Answer), rows)

    q = query(batch_size=37)
    chunks = list(iter_csv_chunks(rt.engine, q, rows_per_chunk=100))
    assert len(chunks) > 25  # really streamed in pieces, not one blob
    parsed = csv_rows(b"".join(chunks))
    assert len(parsed) == 3000
    assert [r["raw_answer"] for r in parsed[:2]] == ["'+1 would come again", "comment 1"]
    assert parsed[-1]["answered_at"] == (start + timedelta(seconds=2999)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )

    buf = io.BytesIO()
    assert write_export(rt.engine, q, buf, "xlsx") == 3000
    _, xrows, _ = xlsx_rows(buf.getvalue())
    assert len(xrows) == 3000
    buf = io.BytesIO()
    assert write_export(rt.engine, q, buf, "csv") == 3000


# --------------------------------------------------------------------------- command


def test_cli_export_csv_and_xlsx(env, rt, tmp_path) -> None:  # type: ignore[no-untyped-def]
    add_answer(rt, make_conversation(rt), datetime(2026, 3, 5, 16, 0, tzinfo=UTC), raw_text=EVIL)
    runner = CliRunner()
    out = tmp_path / "answers.csv"
    args = ["export", "answers", "--from", "2026-03-01", "--to", "2026-03-31"]
    result = runner.invoke(cli, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 1 answers" in result.output and TZ in result.output
    (row,) = csv_rows(out.read_bytes())
    assert row["phone"] == "'+1******0123"
    assert row["raw_answer"] == "'" + EVIL

    result = runner.invoke(cli, [*args, "--with-phones", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert csv_rows(out.read_bytes())[0]["phone"] == "'" + PHONE

    book = tmp_path / "answers.xlsx"
    result = runner.invoke(cli, [*args, "--site", "northside", "--out", str(book)])
    assert result.exit_code == 0, result.output
    header, rows, _ = xlsx_rows(book.read_bytes())
    assert rows[0][header.index("raw_answer")] == "'" + EVIL

    result = runner.invoke(
        cli, [*args, "--site", "southside", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0 and csv_rows(out.read_bytes()) == []
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-02-30", "2026-03-01", "not a date"),
        ("03/01/2026", "2026-03-01", "YYYY-MM-DD"),
        ("2026-03-05", "2026-03-01", "is after"),
    ],
)
def test_cli_rejects_bad_dates(env, tmp_path, start: str, end: str, message: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x.csv"
    result = CliRunner().invoke(
        cli, ["export", "answers", "--from", start, "--to", end, "--out", str(out)]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_cli_help_names_the_time_zone(env) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, ["export", "answers", "--help"])
    assert result.exit_code == 0
    assert "CFBOT_TIMEZONE" in result.output
