"""CSV import: encodings, BOM, duplicates, rejected rows with numbers, batches, CLI."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sched_helpers import T0
from sqlmodel import Session, func, select

from cfbot.models import Invitation, Visit
from cfbot.services import visits as visits_service
from cfbot.services.visits import CsvFileError, import_csv

HEADER = "phone,visited_at,site,first_name,external_id\n"


def when(hours: float = 1) -> str:
    return (T0 - timedelta(hours=hours)).isoformat()


def count(rt, model=Visit) -> int:  # type: ignore[no-untyped-def]
    with Session(rt.engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def run(rt, text: str | bytes, **kw):  # type: ignore[no-untyped-def]
    data = text.encode("utf-8") if isinstance(text, str) else text
    return import_csv(rt, io.BytesIO(data), now=T0, **kw)


def test_bom_and_rejected_rows_with_numbers(rt) -> None:  # type: ignore[no-untyped-def]
    text = (
        "\ufeff"
        + HEADER
        + f"612-555-0101,{when()},northside,Ana,a1\n"
        + f"not a phone,{when()},northside,Bo,a2\n"
        + "\n"
        + "612-555-0103,2025-07-12 09:00,northside,Cy,a3\n"
        + f"612-555-0104,{when()},atlantis,Di,a4\n"
    )
    report = run(rt, text)
    assert report.encoding == "utf-8-sig"
    assert report.created == 1
    assert [(r.row, r.errors[0].field) for r in report.rejected] == [
        (3, "phone"),
        (5, "visited_at"),
        (6, "site"),
    ]
    assert "row 3: phone: is not a valid phone number" == report.rejected[0].format()
    assert count(rt) == 1 and count(rt, Invitation) == 1


def test_windows_1252_file_is_read_with_a_clear_note(rt) -> None:  # type: ignore[no-untyped-def]
    data = (HEADER + f"612-555-0101,{when()},northside,José,a1\n").encode("cp1252")
    report = run(rt, data)
    assert report.encoding == "cp1252" and report.created == 1
    assert "not UTF-8" in report.notes[0]
    with Session(rt.engine) as s:
        assert s.exec(select(Visit)).one().first_name == "José"


def test_utf16_with_bom(rt) -> None:  # type: ignore[no-untyped-def]
    data = (HEADER + f"612-555-0101,{when()},northside,Nguyễn,a1\n").encode("utf-16")
    report = run(rt, data)
    assert report.encoding == "utf-16" and report.created == 1


def test_duplicate_rows_and_rerun_add_nothing_twice(rt) -> None:  # type: ignore[no-untyped-def]
    row = f"612-555-0101,{when()},northside,Ana,\n"
    text = HEADER + row + row + f"612-555-0102,{when()},northside,Bo,x\n"
    report = run(rt, text)
    assert (report.created, report.duplicates) == (2, 1)
    assert "duplicate of row 2" in report.notes[-1]
    again = run(rt, text)
    assert (again.created, again.duplicates) == (0, 3)
    assert count(rt) == 2


def test_missing_columns_and_empty_file_are_refused(rt) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CsvFileError, match="missing column"):
        run(rt, "phone,site\n612-555-0101,northside\n")
    with pytest.raises(CsvFileError, match="empty"):
        run(rt, "")


def test_too_many_rows_is_refused_before_storing(rt) -> None:  # type: ignore[no-untyped-def]
    rt.settings.__dict__["import_max_rows"] = 3
    rows = "".join(f"612-555-01{i:02d},{when()},northside,A,{i}\n" for i in range(5))
    with pytest.raises(CsvFileError, match="limit"):
        run(rt, HEADER + rows)
    assert count(rt) == 0


def test_crash_mid_import_leaves_whole_batches_and_rerun_completes(rt, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"612-555-01{i:02d},{when()},northside,A,\n" for i in range(10))
    calls = {"n": 0}
    real = visits_service._store

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            # fail after part of the batch was flushed: the transaction must roll back
            real(*args, **kwargs)
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(visits_service, "_store", flaky)
    with pytest.raises(RuntimeError):
        run(rt, HEADER + rows, batch_size=4)
    assert count(rt) == 4 and count(rt, Invitation) == 4  # only the first whole batch
    monkeypatch.setattr(visits_service, "_store", real)
    report = run(rt, HEADER + rows, batch_size=4)
    assert (report.created, report.duplicates) == (6, 4)
    assert count(rt) == 10


def test_assume_timezone_for_naive_times(rt) -> None:  # type: ignore[no-untyped-def]
    text = HEADER + "612-555-0101,2025-07-12 09:00,northside,Ana,a\n"
    assert run(rt, text).created == 0
    assert run(rt, text, assume_zone="America/Chicago").created == 1


def test_cli_import_prints_report_and_exits_1_on_rejects(
    rt, settings, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from cfbot.cli import cli

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", settings.conversations_dir)
    now = (T0.now(T0.tzinfo) - timedelta(hours=1)).isoformat()
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + f"612-555-0101,{now},northside,Ana,a\nbad,{now},northside,B,b\n")
    result = CliRunner().invoke(cli, ["visits", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert "row 3: phone" in result.output
    assert "imported 1" in result.output


def test_spreadsheet_headers_and_dates_are_understood(rt) -> None:  # type: ignore[no-untyped-def]
    text = "Phone Number,Visit Date,CLINIC, First Name \n612-555-0109,7/12/2025 9:30 AM,northside,Ana\n"
    report = run(rt, text, assume_zone="America/Chicago")
    assert report.created == 1, [r.format() for r in report.rejected]
    with Session(rt.engine) as s:
        visit = s.exec(select(Visit)).one()
    assert visit.visited_at.hour == 14 and visit.visited_at.minute == 30  # 09:30 CDT


def test_cli_reads_naive_times_in_cfbot_timezone_and_says_so(
    settings, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from cfbot.cli import cli

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", settings.conversations_dir)
    path = tmp_path / "v.csv"
    from datetime import UTC, datetime

    day = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d 12:00")
    path.write_text(f"phone,visited_at,site\n612-555-0101,{day},northside\n")
    result = CliRunner().invoke(cli, ["visits", "import", str(path), "--dry-run"])
    assert "read in America/Chicago (CFBOT_TIMEZONE)" in result.output
    assert "importing" not in result.output
    assert "would import 1" in result.output
