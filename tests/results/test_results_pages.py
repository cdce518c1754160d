"""The /dashboard/results, /dashboard/responses and /dashboard/review pages: sign-in,
site scope, server-side SVG with data tables, search, paging, masked phones, labels that
raise alerts, and ``cfbot feedback export-labels``."""

from __future__ import annotations

import csv
import html as htmlmod
from datetime import timedelta

import pytest
from results_helpers import (
    ALL_SITES,
    NORTH,
    SOUTH,
    T0,
    csrf_from,
    make_alert,
    make_survey,
    sign_in,
)
from sqlmodel import Session, select

from cfbot.cli import cli
from cfbot.models import Alert, AnswerLabel


def page(client, url: str) -> str:
    reply = client.get(url)
    assert reply.status_code == 200, reply.status_code
    return htmlmod.unescape(reply.get_data(as_text=True))


@pytest.mark.parametrize("url", ["/dashboard/results", "/dashboard/responses", "/dashboard/review"])
def test_pages_need_sign_in(client, url):
    reply = client.get(url)
    assert reply.status_code == 302 and "/dashboard/login?next=" in reply.headers["Location"]


def test_results_page_renders_svg_charts_with_tables_and_hides_small_groups(rt, client):
    for value in (5, 5, 4, 3, 1):
        make_survey(rt, answers=[("overall", "rating", value), ("recommend", "nps", 10)])
    make_survey(rt, site="southside", answers=[("overall", "rating", 2)])
    sign_in(rt, client, ALL_SITES)
    html = page(client, "/dashboard/results")
    assert "<svg" in html and 'role="img"' in html and "<table>" in html
    assert "<script" not in html
    # default range: the 30 days up to today in the agency's zone (frozen clock)
    assert 'value="2026-02-02"' in html and 'value="2026-03-03"' in html
    assert "CSAT 50% (answers in the top two points, 6 answers)" in html
    assert "NPS +100" in html
    assert "too few to show" in html  # southside has one answer
    assert 'href="/dashboard/results"' in html  # the navigation link


def test_site_staff_see_only_their_sites(rt, client):
    for _ in range(5):
        make_survey(rt, site="southside", answers=[("overall", "rating", 5)])
    south = make_survey(
        rt, site="southside", answers=[("what_went_wrong", "text", "secret south words")]
    )
    north = make_survey(rt, site="northside", answers=[("what_went_wrong", "text", "north words")])
    sign_in(rt, client, NORTH)
    html = page(client, "/dashboard/results?site=southside")
    assert "Southside Family Health" not in html
    assert "CSAT" not in html.split("Satisfaction", 1)[1].split("Trends", 1)[0]
    listing = page(client, "/dashboard/responses")
    assert "north words" in listing and "secret south words" not in listing
    assert f"Survey #{south}" not in listing and f"Survey #{north}" in listing
    sign_in(rt, client, SOUTH)
    assert "secret south words" in page(client, "/dashboard/responses")


def test_responses_search_paging_masked_phones_and_alert_links(rt, client):
    conv = make_survey(
        rt,
        phone="+16125550142",
        answers=[
            ("overall", "rating", {"value": 1, "question_text": "Hi Ana, how satisfied were you?"}),
            ("what_went_wrong", "text", "The nurse was RUDE to me"),
        ],
    )
    alert_id = make_alert(rt, conversation_id=conv)
    make_survey(rt, answers=[("what_went_wrong", "text", "100% great")])
    for i in range(30):
        make_survey(
            rt,
            answers=[("what_went_wrong", "text", f"fine {i}")],
            started_at=T0 - timedelta(days=2),
        )
    sign_in(rt, client, ALL_SITES)
    html = page(client, "/dashboard/responses?q=rude")
    assert "1 survey(s) found" in html
    assert "Hi Ana, how satisfied were you?" in html  # the wording the client saw
    assert "The nurse was RUDE to me" in html
    assert "+16125550142" not in html and "+1******0142" in html
    assert f'href="/dashboard/alerts/{alert_id}"' in html
    # LIKE wildcards in the search are literal
    assert "1 survey(s) found" in page(client, "/dashboard/responses?q=100%25")
    assert "0 survey(s) found" in page(client, "/dashboard/responses?q=_x")
    first = page(client, "/dashboard/responses")
    assert "32 survey(s) found; page 1 of 2" in first and 'rel="next"' in first
    second = page(client, "/dashboard/responses?page=2")
    assert "page 2 of 2" in second and second.count('class="response"') == 7


def _label(client, answer_id: int, label: str, gloss: str = ""):
    token = csrf_from(page(client, "/dashboard/review"))
    return client.post(
        f"/dashboard/review/{answer_id}",
        data={"csrf_token": token, "label": label, "gloss": gloss},
    )


def _answer_ids(rt, conversation_id: int) -> list[int]:
    from cfbot.models import Answer

    with Session(rt.engine) as s:
        return list(
            s.exec(select(Answer.id).where(Answer.conversation_id == conversation_id)).all()
        )


def test_review_queue_label_raises_alert_and_export(rt, client, runner, tmp_path, monkeypatch):
    hmong = make_survey(
        rt,
        language="hmn",
        answers=[("what_went_wrong", "text", {"value": "kuv tsis nyiam li", "needs_review": True})],
        started_at=T0 - timedelta(days=3),
    )
    close = make_survey(
        rt,
        answers=[("what_went_wrong", "text", {"value": "it was meh", "sentiment": -0.2})],
        started_at=T0 - timedelta(days=2),
    )
    crisis = make_survey(
        rt,
        language="so",
        answers=[
            (
                "what_went_wrong",
                "text",
                {"value": "waxaan rabaa inaan dhinto", "needs_review": True},
            )
        ],
        started_at=T0 - timedelta(days=1),
    )
    clear = make_survey(
        rt, answers=[("what_went_wrong", "text", {"value": "bad", "sentiment": -0.9})]
    )
    southern = make_survey(
        rt,
        site="southside",
        answers=[("what_went_wrong", "text", {"value": "south text", "needs_review": True})],
    )
    sign_in(rt, client, NORTH)
    html = page(client, "/dashboard/review")
    assert "3 comment(s) to review" in html
    order = [
        html.index(t) for t in ("kuv tsis nyiam li", "it was meh", "waxaan rabaa inaan dhinto")
    ]
    assert order == sorted(order)  # oldest first
    assert "south text" not in html and "bad</blockquote>" not in html
    (south_answer,) = _answer_ids(rt, southern)
    assert _label(client, south_answer, "complaint").status_code == 404

    (hmong_answer,) = _answer_ids(rt, hmong)
    reply = _label(client, hmong_answer, "complaint", gloss="I did not like it at all")
    assert reply.status_code == 302
    (close_answer,) = _answer_ids(rt, close)
    assert _label(client, close_answer, "fine").status_code == 302
    (crisis_answer,) = _answer_ids(rt, crisis)
    assert _label(client, crisis_answer, "crisis", gloss="I want to die").status_code == 302
    assert _label(client, _answer_ids(rt, clear)[0], "nonsense").status_code == 400

    with Session(rt.engine) as s:
        alerts = {a.conversation_id: a for a in s.exec(select(Alert)).all()}
        labels = {lab.answer_id: lab for lab in s.exec(select(AnswerLabel)).all()}
    assert alerts[hmong].kind == "dissatisfaction" and alerts[hmong].site == "northside"
    assert alerts[crisis].kind == "crisis" and alerts[crisis].severity == "urgent"
    assert close not in alerts
    assert labels[hmong_answer].labelled_by == NORTH
    assert labels[hmong_answer].labelled_at == T0
    assert labels[hmong_answer].alert_id == alerts[hmong].id
    assert labels[hmong_answer].gloss == "I did not like it at all"
    assert "0 comment(s) to review" in page(client, "/dashboard/review")

    settings = rt.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", settings.conversations_dir)
    monkeypatch.setenv("CFBOT_INSTANCE_PATH", settings.instance_path)
    out = tmp_path / "labels.csv"
    result = runner.invoke(cli, ["feedback", "export-labels", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote 3 labelled answer(s)" in result.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_answer = {int(r["answer_id"]): r for r in rows}
    assert by_answer[hmong_answer]["label"] == "complaint"
    assert by_answer[hmong_answer]["language"] == "hmn"
    assert by_answer[hmong_answer]["gloss"] == "I did not like it at all"
    assert by_answer[hmong_answer]["text"] == "kuv tsis nyiam li"
    assert by_answer[close_answer]["label"] == "fine" and by_answer[close_answer]["alert_id"] == ""
    assert by_answer[crisis_answer]["alert_id"] == str(alerts[crisis].id)
