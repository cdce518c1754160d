"""Escalation and daily digests, run from the clock with a frozen ``now``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alert_helpers import T0, invite, rows, sms

from cfbot.models import Alert, AlertEvent, MailOut
from cfbot.services.alerts import (
    acknowledge_alert,
    escalate_due,
    send_digests,
    send_pending_mail,
)

UNHAPPY = ["1", "Terrible, nobody helped me", "2", "3", "skip"]


def unhappy(rt, start=T0, phone="+16125550142", site="northside"):
    invite(rt, now=start, phone=phone, site=site)
    now = start
    for text in UNHAPPY:
        now += timedelta(minutes=1)
        sms(rt, text, now=now, phone=phone)
    return now


def test_urgent_alert_escalates_after_15_minutes_once(rt, smtp):
    invite(rt)
    sms(rt, "I want to kill myself", now=T0)
    send_pending_mail(rt, T0)
    assert escalate_due(rt, T0 + timedelta(minutes=14)) == 0
    assert escalate_due(rt, T0 + timedelta(minutes=15)) == 1
    assert escalate_due(rt, T0 + timedelta(minutes=20)) == 0  # once
    assert send_pending_mail(rt, T0 + timedelta(minutes=15)) == 1
    escalation = smtp.received[-1]
    assert escalation.envelope_to == ["director@example.org"]
    assert escalation.message["Subject"].strip().startswith("ESCALATION: alert #")
    assert "not acknowledged after 15 minutes" in escalation.message["Subject"]
    assert "I want to kill myself" in escalation.text
    (alert,) = rows(rt, Alert)
    assert alert.escalated_at == T0 + timedelta(minutes=15)


def test_acknowledged_alert_does_not_escalate(rt, smtp):
    invite(rt)
    sms(rt, "I want to kill myself", now=T0)
    (alert,) = rows(rt, Alert)
    acknowledge_alert(rt, alert.id, "oncall@example.org", now=T0 + timedelta(minutes=5))
    assert escalate_due(rt, T0 + timedelta(hours=1)) == 0
    assert [e.action for e in rows(rt, AlertEvent)].count("acknowledged") == 1


def test_normal_alert_escalates_after_one_business_day(rt, smtp):
    friday = datetime(2026, 3, 6, 21, 0, tzinfo=UTC)  # Friday 15:00 in Chicago
    unhappy(rt, start=friday)
    (alert,) = rows(rt, Alert)
    monday_15 = datetime(2026, 3, 9, 20, 0, tzinfo=UTC)  # Monday 15:00 CDT (after the DST change)
    assert alert.escalate_at is not None and abs(alert.escalate_at - monday_15) <= timedelta(
        minutes=1
    )
    assert escalate_due(rt, datetime(2026, 3, 8, 18, 0, tzinfo=UTC)) == 0  # the weekend
    assert escalate_due(rt, monday_15 + timedelta(minutes=5)) == 1


def test_escalation_setting_is_configurable(rt):

    rt.settings = rt.settings.replace(alert_escalate_business_days=0.5)
    unhappy(rt)
    (alert,) = rows(rt, Alert)
    # 09:01 Tuesday + 4.5 business hours
    assert alert.escalate_at == T0 + timedelta(minutes=1) + timedelta(hours=4, minutes=30)


def test_daily_digest_once_per_site_per_day(rt, smtp):
    unhappy(rt, start=T0)
    unhappy(rt, start=T0 + timedelta(hours=1), phone="+16125550143", site="southside")
    send_pending_mail(rt, T0 + timedelta(hours=2))
    before = len(smtp.received)
    next_day_early = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # 06:00 in Chicago
    assert send_digests(rt, next_day_early) == 0
    at_seven = datetime(2026, 3, 4, 13, 30, tzinfo=UTC)  # 07:30 in Chicago
    assert send_digests(rt, at_seven) == 2
    assert send_digests(rt, at_seven + timedelta(hours=3)) == 0  # remembered
    assert send_pending_mail(rt, at_seven) == 2
    digests = smtp.received[before:]
    by_to = {tuple(sorted(d.envelope_to)): d for d in digests}
    north = by_to[("north-manager@example.org", "north-wic@example.org")]
    assert (
        "Daily feedback digest for Northside Clinic, 2026-03-03: 1 new alert"
        in north.message["Subject"]
    )
    assert "Low satisfaction rating" in north.text and "<table" in north.html
    south = by_to[("south-manager@example.org",)]
    assert "Southside Family Health" in south.message["Subject"]
    keys = sorted(r.dedupe_key for r in rows(rt, MailOut) if r.purpose == "digest")
    assert keys == ["digest:northside:2026-03-03", "digest:southside:2026-03-03"]


def test_digest_lists_older_open_cases_even_on_a_quiet_day(rt, smtp):
    unhappy(rt, start=T0)
    two_days_later = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    assert send_digests(rt, two_days_later) == 1
    (row,) = [r for r in rows(rt, MailOut) if r.purpose == "digest"]
    assert "Older cases still open" in row.text_body and "New: 0" in row.text_body


def test_no_digest_when_nothing_to_report(rt):
    assert send_digests(rt, datetime(2026, 3, 4, 14, 0, tzinfo=UTC)) == 0


def test_clock_jobs_call_the_alert_service(rt, smtp):
    from cfbot import jobs

    invite(rt)
    sms(rt, "I want to kill myself", now=T0)
    assert jobs.escalate_alerts(rt, T0 + timedelta(minutes=16)) == 1
    assert jobs.daily_digest(rt, datetime(2026, 3, 4, 14, 0, tzinfo=UTC)) == 1


def test_retention_blanks_client_words_kept_by_alerts(rt, smtp):
    from cfbot.services.alerts import anonymise_before

    end = unhappy(rt)
    send_pending_mail(rt, end)
    assert anonymise_before(rt, T0) == 0  # nothing older than the cutoff yet
    assert anonymise_before(rt, end + timedelta(days=400)) == 1
    (row,) = rows(rt, MailOut)
    assert row.text_body == "[removed]" and row.html_body == ""
    assert rows(rt, Alert)[0].reason  # the case record stays
