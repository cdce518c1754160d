"""Results figures against hand-computed fixtures: funnel, CSAT, NPS and its interval,
small groups hidden, filters, weeks, themes and alert times, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from results_helpers import T0, make_alert, make_invitation, make_survey

from cfbot.services import results as R

NORTH_ONLY = frozenset({"northside"})


def _filters(**kwargs: object) -> R.Filters:
    return R.Filters(since=T0 - timedelta(days=30), until=T0 + timedelta(days=1), **kwargs)  # type: ignore[arg-type]


def test_funnel_counts_each_step_and_skips_by_stored_reason(rt):
    done = make_survey(rt, answers=[("overall", "rating", 5)], status="completed")
    half = make_survey(rt, answers=[("overall", "rating", 4)], status="active")
    silent = make_survey(rt, answers=[], status="expired")
    unseen = make_survey(rt, answers=[], status="expired")
    make_invitation(rt, status="sent", conversation_id=done, delivered=True)
    make_invitation(rt, status="sent", conversation_id=half)  # no receipt, but answered
    make_invitation(rt, status="sent", conversation_id=silent, delivered=True)
    make_invitation(rt, status="sent", conversation_id=unseen)
    make_invitation(rt, status="skipped", reason="opted_out")
    make_invitation(rt, status="skipped", reason="opted_out")
    make_invitation(rt, status="skipped", reason="frequency_cap: last survey started x")
    make_invitation(rt, status="skipped", reason="crisis_hold: until 2026-03-09 10:00Z")
    make_invitation(rt, status="skipped", reason="busy: contact in survey 3")
    make_invitation(rt, status="scheduled")
    make_invitation(rt, status="waiting", reason="waiting: contact in survey 3")
    # out of range or out of scope: not counted
    make_invitation(rt, status="skipped", reason="opted_out", visited_at=T0 - timedelta(days=40))
    make_invitation(rt, status="skipped", reason="opted_out", site="southside")

    f = R.funnel(rt, _filters(), NORTH_ONLY)
    assert (f.invited, f.delivered, f.started, f.completed) == (4, 3, 2, 1)
    assert f.pending == 2
    assert f.skipped == {"opted_out": 2, "frequency_cap": 1, "crisis_hold": 1, "busy": 1}
    assert f.invitations == 4 + 5 + 2
    assert (f.surveys, f.surveys_answered, f.surveys_completed) == (4, 2, 1)
    assert R.funnel(rt, _filters(), None).skipped["opted_out"] == 3
    assert R.funnel(rt, _filters(channel="web"), None).invitations == 0


def test_csat_distribution_and_top_two_share(rt):
    for value in (5, 5, 4, 3, 1, 2):
        make_survey(rt, answers=[("overall", "rating", value)])
    (rating,) = R.satisfaction(rt, _filters(), None).ratings
    assert not rating.hidden and rating.n == 6
    assert rating.scale == (1, 5)
    assert rating.counts == {1: 1, 2: 1, 3: 1, 4: 1, 5: 2}
    assert rating.csat == pytest.approx(50.0)
    # read as staff would say it: no template braces, and never a client's name
    assert rating.label.startswith("Hi, how satisfied") and "{" not in rating.label


def test_nps_and_its_95_percent_interval():
    # 4 promoters, 2 passives, 4 detractors: NPS 0, var (0.4 + 0.4 - 0) / 10 = 0.08
    score, low, high = R.nps_interval(4, 2, 4)
    assert score == pytest.approx(0.0)
    assert low == pytest.approx(-1.96 * 0.08**0.5 * 100)
    assert high == pytest.approx(1.96 * 0.08**0.5 * 100)
    # 4/1/1: NPS 50, var (5/6 - 0.25) / 6; the upper bound is capped at +100
    score, low, high = R.nps_interval(4, 1, 1)
    se = ((5 / 6 - 0.25) / 6) ** 0.5
    assert score == pytest.approx(50.0)
    assert low == pytest.approx((0.5 - 1.96 * se) * 100)
    assert high == 100.0


def test_nps_from_answers(rt):
    for value in (10, 10, 10, 9, 8, 2):
        make_survey(rt, answers=[("recommend", "nps", value)])
    (nps,) = R.satisfaction(rt, _filters(), None).nps
    assert (nps.promoters, nps.passives, nps.detractors, nps.n) == (4, 1, 1, 6)
    assert nps.nps == pytest.approx(50.0)
    assert nps.low == pytest.approx(R.nps_interval(4, 1, 1)[1])


def test_small_groups_are_too_few_to_show(rt):
    for value in (5, 4, 4, 2):
        make_survey(rt, answers=[("overall", "rating", value), ("recommend", "nps", 9)])
    sat = R.satisfaction(rt, _filters(), None)
    assert sat.ratings[0].hidden and sat.ratings[0].csat is None and not sat.ratings[0].counts
    assert sat.nps[0].hidden and sat.nps[0].nps is None
    make_survey(rt, answers=[("overall", "rating", 5)])
    for value in (1, 2, 3):
        make_survey(rt, site="southside", answers=[("overall", "rating", value)])
    rows = {r.key: r for r in R.breakdown(rt, _filters(), None, "site")}
    assert not rows["northside"].hidden and rows["northside"].csat == pytest.approx(80.0)
    assert rows["southside"].hidden and rows["southside"].surveys is None


def test_filters_and_breakdowns(rt):
    for value in (5, 5, 4, 4, 1):
        make_survey(
            rt, language="es", channel="sms", program="wic", answers=[("overall", "rating", value)]
        )
    for value in (2, 2, 1, 1, 5):
        make_survey(rt, language="en", channel="web", answers=[("overall", "rating", value)])
    make_survey(rt, answers=[("overall", "rating", 1)], started_at=T0 - timedelta(days=45))
    assert R.satisfaction(rt, _filters(), None).ratings[0].n == 10
    assert R.satisfaction(rt, _filters(language="es"), None).ratings[0].csat == pytest.approx(80.0)
    assert R.satisfaction(rt, _filters(channel="web"), None).ratings[0].csat == pytest.approx(20.0)
    assert R.satisfaction(rt, _filters(program="wic"), None).ratings[0].n == 5
    assert R.satisfaction(rt, _filters(flow="other"), None).ratings == []
    by_lang = {r.key: r.csat for r in R.breakdown(rt, _filters(), None, "language")}
    assert by_lang == {"en": pytest.approx(20.0), "es": pytest.approx(80.0)}
    by_channel = {r.key: r.surveys for r in R.breakdown(rt, _filters(), None, "channel")}
    assert by_channel == {"sms": 5, "web": 5}


def test_site_scope_and_site_filter_never_leak(rt):
    for value in (5, 5, 5, 5, 5):
        make_survey(rt, site="southside", answers=[("overall", "rating", value)])
    for value in (1, 1, 1, 1, 1):
        make_survey(rt, site="northside", answers=[("overall", "rating", value)])
    make_survey(rt, site=None, answers=[("overall", "rating", 3)])
    north = R.satisfaction(rt, _filters(), NORTH_ONLY).ratings[0]
    assert north.n == 5 and north.csat == 0.0
    # asking for another site through the filter gives nothing, not that site
    assert R.satisfaction(rt, _filters(site="southside"), NORTH_ONLY).ratings == []
    assert R.satisfaction(rt, _filters(), None).ratings[0].n == 11
    assert [r.key for r in R.breakdown(rt, _filters(), NORTH_ONLY, "site")] == ["northside"]


def test_trends_by_iso_week(rt):
    # T0 is Tuesday 2026-03-03, ISO week 10; a day before is Monday of week 10
    for value in (5, 4, 4, 4, 1):
        make_survey(rt, answers=[("overall", "rating", value)], started_at=T0 - timedelta(days=1))
    for value in (1, 1, 2, 5, 5):
        make_survey(rt, answers=[("overall", "rating", value)], started_at=T0 - timedelta(days=3))
    make_survey(rt, answers=[("overall", "rating", 5)], started_at=T0 - timedelta(days=10))
    weeks = R.trends(rt, _filters(), None)
    assert [w.key for w in weeks] == ["2026-W08", "2026-W09", "2026-W10"]
    assert weeks[0].hidden
    assert weeks[1].csat == pytest.approx(40.0) and weeks[2].csat == pytest.approx(80.0)


def test_themes_count_complaint_signals_with_deidentified_examples(rt):
    texts = [
        "The staff were rude, call me at 612-555-0142",
        "so rude at the front desk",
        "rude nurse",
        "Very rude and the wait was too long",
        "rude and unhelpful",
        "the wait was too long",
    ]
    for text in texts:
        make_survey(rt, answers=[("what_went_wrong", "text", {"value": text, "sentiment": -0.8})])
    make_survey(rt, answers=[("what_went_wrong", "text", {"value": "great", "sentiment": 0.8})])
    th = R.themes(rt, _filters(), None)
    assert th.complaints == 6 and th.scanned == 6
    rude = next(t for t in th.themes if t.signal == "rude")
    assert rude.count == 5 and not rude.hidden
    assert all("0142" not in ex and "555" not in ex for ex in rude.examples)
    wait = next(t for t in th.themes if t.signal == "the wait was too long")
    assert wait.hidden and wait.examples == ()


def test_alert_counts_and_median_times(rt):
    make_alert(rt, ack_after=timedelta(minutes=10), resolve_after=timedelta(hours=2))
    make_alert(rt, ack_after=timedelta(minutes=30), resolve_after=timedelta(hours=4))
    make_alert(rt, ack_after=timedelta(minutes=50))
    make_alert(rt)
    make_alert(rt, site="southside", ack_after=timedelta(minutes=1))
    make_alert(rt, created_at=T0 - timedelta(days=60), ack_after=timedelta(minutes=1))
    stats = R.alert_stats(rt, _filters(), NORTH_ONLY)
    assert (stats.opened, stats.acknowledged, stats.resolved) == (4, 3, 2)
    assert stats.median_ack == timedelta(minutes=30)
    assert stats.median_resolve == timedelta(hours=3)
    empty = R.alert_stats(rt, _filters(site="southside"), NORTH_ONLY)
    assert empty.opened == 0 and empty.median_ack is None
