"""The PHAB 9.1.4 A evidence report (``cfbot report phab`` and the dashboard download) and
the answers export button of /dashboard/responses, on a small fixture whose figures are
computed by hand below."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from results_helpers import ALL_SITES, NORTH, T0, make_alert, make_invitation, make_survey, sign_in

from cfbot.cli import cli
from cfbot.services.alerts import actions as alert_actions

DEPARTMENT = "Example County Public Health"


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    from results_helpers import ROUTING_YAML

    routing = tmp_path / "routing.yaml"
    routing.write_text(ROUTING_YAML, encoding="utf-8")
    return {
        "routing_file": str(routing),
        "public_url": "https://feedback.example.org",
        "department_name": DEPARTMENT,
    }


def _fixture(rt) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Hand-computed figures (period 2026-02-02 .. 2026-03-03, Chicago):

    * northside, program wic, 6 SMS surveys: overall 5,5,4,3,1,2 -> top two (4-5) = 3 of 6
      = CSAT 50%; recommend 10,10,9,8,3,10 -> 4 promoters, 1 passive, 1 detractor, NPS +50.
    * southside, program immunizations, 5 web-chat surveys: overall 5,5,5,4,2 -> CSAT 80%.
    * invitations: 4 sent and answered (the first 4 wic surveys, 2 with delivery receipts),
      1 sent and never answered, 2 skipped (opted out), 1 skipped (frequency cap):
      invited 5, started 4, completed 4 -> response rate 80% (4 of 5).
    * alerts: 2 raised; #1 acknowledged after 1 h and resolved after 2 days with a note.
    """
    north = []
    for overall, nps in ((5, 10), (5, 10), (4, 9), (3, 8), (1, 3), (2, 10)):
        north.append(
            make_survey(
                rt,
                program="wic",
                answers=[("overall", "rating", overall), ("recommend", "nps", nps)],
            )
        )
    for overall in (5, 5, 5, 4, 2):
        make_survey(
            rt,
            site="southside",
            program="immunizations",
            channel="webchat",
            answers=[("overall", "rating", overall)],
        )
    for text, score in (
        ("The nurse was kind and quick", 0.8),
        ("Great staff, thank you", 0.9),
        ("Call me at 612-555-0199 about it, the wait was too long", -0.6),
        ("ok", 0.0),
        ("Front desk was rude", -0.7),
    ):
        make_survey(rt, answers=[("comments", "text", {"value": text, "sentiment": score})])
    for i, conv in enumerate(north[:4]):
        make_invitation(rt, status="sent", conversation_id=conv, delivered=i < 2)
    make_invitation(rt, status="sent")
    make_invitation(rt, status="skipped", reason="opted_out")
    make_invitation(rt, status="skipped", reason="opted_out")
    make_invitation(rt, status="skipped", reason="frequency_cap: last survey started")
    created = T0 - timedelta(days=5)
    first = make_alert(rt, conversation_id=north[4], created_at=created)
    alert_actions.acknowledge_alert(
        rt, first, NORTH, created + timedelta(hours=1), note="Calling the client today"
    )
    alert_actions.resolve_alert(
        rt, first, NORTH, "Added a second nurse on Tuesday mornings", created + timedelta(days=2)
    )
    second = make_alert(rt, site="southside", created_at=T0 - timedelta(days=2))
    return {"first": first, "second": second}


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pdftotext(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: apt-get install poppler-utils")
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    )
    return done.stdout


def test_cli_report_pdf_holds_the_counts_page_numbers_and_footer(rt, runner, tmp_path, monkeypatch):
    ids = _fixture(rt)
    s = rt.settings
    for name, value in (
        ("DATABASE_URL", s.database_url),
        ("CFBOT_CONVERSATIONS_DIR", s.conversations_dir),
        ("CFBOT_INSTANCE_PATH", s.instance_path),
        ("CFBOT_ROUTING_FILE", s.routing_file),
        ("CFBOT_DEPARTMENT_NAME", DEPARTMENT),
    ):
        monkeypatch.setenv(name, value)
    pdf, html_file = tmp_path / "phab.pdf", tmp_path / "phab.html"
    result = runner.invoke(
        cli,
        ["report", "phab", "--from", "2026-02-02", "--to", "2026-03-03",
         "--out", str(pdf), "--html", str(html_file)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdftotext(pdf)
    pages = text.split("\f")
    flat = _flat(text)
    # cover and contents
    assert "Customer satisfaction with health department services" in flat
    assert f"Department {DEPARTMENT}" in flat and "Period 2026-02-02 to 2026-03-03" in flat
    assert "DRAFT" not in text.upper().replace("DRAFTS", "")
    # page numbers and the standard footer on every page but the cover
    total = len([p for p in pages if p.strip()])
    assert total >= 7
    for number in range(2, total + 1):
        page = _flat(pages[number - 1])
        assert f"Page {number} of {total}" in page, number
        assert f"{DEPARTMENT} · PHAB Measure 9.1.4 A evidence · prepared" in page
    # the hand-computed figures
    assert "Response rate: 80% of invited clients answered at least one question (4 of 5)." in flat
    assert "Opted out 2" in flat and "Surveyed recently (frequency cap) 1" in flat
    assert "wic 6 6 (100%) 6 50% 6 +50" in flat
    assert "immunizations 5 5 (100%) 5 80% 0 too few to show" in flat
    assert "NPS +50" in flat
    assert "Opened 2" in flat and "Resolved 1" in flat
    assert "Median time to acknowledge 1 h 0 min" in flat and "Median time to resolve 2" in flat
    # alerts with actions and dates, and what we changed
    assert f"#{ids['first']}" in flat and f"#{ids['second']}" in flat
    assert "2026-02-26 10:00 acknowledged: Calling" in flat
    assert "What we did: Added a second nurse on Tuesday mornings" in flat
    # de-identified comments, exact questions per language
    assert "612-555-0199" not in flat and "the wait was too long" in flat
    assert "¿Qué tan satisfecho" in flat or "satisfecho" in flat
    html = html_file.read_text(encoding="utf-8")
    for section in (
        "1. The process",
        "1.2 Who is invited and when",
        "2. Volumes and response rates",
        "3. Results by program and over time",
        "4. What clients said",
        "5. Alerts and actions taken",
        "6. What we changed",
        "<svg",
    ):
        assert section in html, section
    assert "2026-02-26 10:00 acknowledged: Calling the client today" in html
    assert "2026-02-28 09:00 resolved: Added a second nurse on Tuesday mornings" in html


def test_dashboard_report_download_html_and_pdf(rt, client):
    _fixture(rt)
    sign_in(rt, client, ALL_SITES)
    page = client.get("/dashboard/results").get_data(as_text=True)
    assert 'action="/dashboard/results/phab-report"' in page and "Download PHAB report" in page
    reply = client.get("/dashboard/results/phab-report?from=2026-02-02&to=2026-03-03&format=html")
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    assert "attachment" in reply.headers["Content-Disposition"]
    html = reply.get_data(as_text=True)
    assert "2026-02-02 to 2026-03-03" in html and "6. What we changed" in html
    north_only = client.get(
        "/dashboard/results/phab-report?from=2026-02-02&to=2026-03-03&site=northside&format=html"
    ).get_data(as_text=True)
    assert "Northside Clinic" in north_only and "immunizations 5" not in _flat(north_only)
    reply = client.get("/dashboard/results/phab-report?from=2026-02-02&to=2026-03-03")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert reply.get_data().startswith(b"%PDF")


def test_report_download_needs_sign_in(client):
    assert client.get("/dashboard/results/phab-report").status_code == 302
    assert client.get("/dashboard/responses/export").status_code == 302


def test_responses_export_button_streams_csv_with_the_filters(rt, client):
    make_survey(rt, program="wic", phone="+17635550142", answers=[("overall", "rating", 4)])
    make_survey(
        rt, program="wic", answers=[("comments", "text", "=HYPERLINK(1) the wait was long")]
    )
    make_survey(rt, program="immunizations", answers=[("overall", "rating", 1)])
    make_survey(rt, site="southside", program="wic", answers=[("overall", "rating", 2)])
    make_survey(rt, program="wic", answers=[("overall", "rating", 3)],
                started_at=T0 - timedelta(days=60))  # fmt: skip
    sign_in(rt, client, NORTH)
    page = client.get("/dashboard/responses?program=wic").get_data(as_text=True)
    assert 'action="/dashboard/responses/export"' in page
    assert 'name="program" value="wic"' in page and "Download answers (CSV)" in page
    reply = client.get("/dashboard/responses/export?program=wic&format=csv")
    assert reply.status_code == 200 and reply.is_streamed
    assert reply.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(reply.get_data().decode("utf-8-sig"))))
    # wic at northside (the manager's site) in the last 30 days: two answers
    assert sorted(r["raw_answer"] for r in rows) == ["'=HYPERLINK(1) the wait was long", "4"]
    assert {r["site"] for r in rows} == {"northside"} and {r["program"] for r in rows} == {"wic"}
    assert "+17635550142" not in reply.get_data(as_text=True)
    searched = client.get("/dashboard/responses/export?program=wic&q=WAIT&format=csv")
    rows = list(csv.DictReader(io.StringIO(searched.get_data().decode("utf-8-sig"))))
    assert [r["question_id"] for r in rows] == ["comments"]
    # a site outside the manager's scope gives nothing from it
    other = client.get("/dashboard/responses/export?site=southside&format=csv")
    assert "southside" not in other.get_data(as_text=True)
    xlsx = client.get("/dashboard/responses/export?program=wic&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.get_data().startswith(b"PK")


def test_staff_pages_in_spanish_by_accept_language_and_lang_link(rt, client):
    _fixture(rt)
    sign_in(rt, client, ALL_SITES)
    spanish = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
    html = client.get("/dashboard/results", headers=spanish).get_data(as_text=True)
    assert (
        "Resultados" in html and "Embudo de respuesta" in html and "Descargar informe PHAB" in html
    )
    assert "Response funnel" not in html
    html = client.get("/dashboard/responses?lang=es").get_data(as_text=True)
    assert "Descargar respuestas (CSV)" in html and "Buscar en las respuestas" in html
    html = client.get("/dashboard/review?lang=es").get_data(as_text=True)
    assert "Revisión" in html and "Cerrar sesión" in html
    html = client.get("/dashboard?lang=es").get_data(as_text=True)
    assert "Todas las alertas" in html
    report = client.get(
        "/dashboard/results/phab-report?from=2026-02-02&to=2026-03-03&format=html&lang=es"
    ).get_data(as_text=True)
    assert "Lo que cambiamos" in report and "Volúmenes y tasas de respuesta" in report
    assert "Página" in report  # the page footer
    english = client.get("/dashboard/results").get_data(as_text=True)
    assert "Response funnel" in english


def test_staff_catalog_check_needs_only_spanish(runner, tmp_path, monkeypatch):
    import shutil as sh

    from cfbot.i18n import clear_cache

    root = Path(__file__).resolve().parents[2] / "cfbot" / "locales"
    copy = tmp_path / "locales"
    sh.copytree(root, copy)
    monkeypatch.setenv("CFBOT_LOCALES_DIR", str(copy))
    assert not (copy / "vi" / "LC_MESSAGES" / "staff.po").exists()
    result = runner.invoke(cli, ["translations", "check"])
    assert result.exit_code == 0, result.output
    es = copy / "es" / "LC_MESSAGES" / "staff.po"
    es.write_text(
        es.read_text(encoding="utf-8").replace('msgstr "Lo que cambiamos"', 'msgstr ""'),
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["translations", "check"])
    assert result.exit_code == 1 and "es staff: 1 missing" in result.output
    assert "What we changed" in result.output
    clear_cache()
