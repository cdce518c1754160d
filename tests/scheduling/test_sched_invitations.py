"""Invitation timing: delay, quiet hours in the client's zone, caps, opt-out, busy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sched_helpers import T0
from sqlmodel import Session, select

from cfbot.db import unit_of_work
from cfbot.models import Contact, Conversation, Invitation, Message
from cfbot.services.conversation import get_or_create_contact
from cfbot.services.invitations import find_due, send_due_invitations
from cfbot.services.outbox import dispatch_outbox
from cfbot.services.timers import run_due_timers
from cfbot.services.visits import intake

CHI = ZoneInfo("America/Chicago")


def visit(rt, now, phone="+16125550123", ext="v1", **over):  # type: ignore[no-untyped-def]
    raw = {"phone": phone, "visited_at": now.isoformat(), "site": "northside", "external_id": ext}
    raw.update(over)
    (result,) = intake(rt, [raw], now=now)
    assert result.status == "created", result.errors
    return result


def invitations(rt) -> list[Invitation]:  # type: ignore[no-untyped-def]
    with Session(rt.engine) as s:
        return list(s.exec(select(Invitation).order_by(Invitation.id)).all())


def test_invitation_goes_two_hours_after_the_visit(rt) -> None:  # type: ignore[no-untyped-def]
    r = visit(rt, T0)  # 10:00 in Minneapolis
    assert r.send_at == T0 + timedelta(hours=2)


def test_evening_visit_is_invited_next_morning_local_time(rt) -> None:  # type: ignore[no-untyped-def]
    evening = datetime(2025, 7, 12, 20, 0, tzinfo=CHI)
    r = visit(rt, evening.astimezone(UTC))
    assert r.send_at == datetime(2025, 7, 13, 8, 0, tzinfo=CHI)


def test_zone_from_area_code_and_from_visit(rt) -> None:  # type: ignore[no-untyped-def]
    # 19:30 Chicago = 17:30 Los Angeles: +2 h is 19:30 in LA, allowed
    moment = datetime(2025, 7, 12, 19, 30, tzinfo=CHI).astimezone(UTC)
    la = visit(rt, moment, phone="+14155550123", ext="la")
    assert la.send_at == moment + timedelta(hours=2)
    # the same number with an explicit New York zone: 21:30 there, next morning 08:00
    ny = visit(rt, moment, phone="+14155550124", ext="ny", timezone="America/New_York")
    assert ny.send_at == datetime(2025, 7, 13, 8, 0, tzinfo=ZoneInfo("America/New_York"))


def test_opted_out_contact_gets_no_invitation(rt, recorder) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(rt.engine) as s:
        c = get_or_create_contact(s, "sms", "+16125550123", T0)
        c.opted_out = True
    r = visit(rt, T0)
    assert (r.invitation_status, r.reason) == ("skipped", "opted_out")


def test_opt_out_after_the_visit_skips_at_send_time(rt, recorder) -> None:  # type: ignore[no-untyped-def]
    visit(rt, T0)
    with unit_of_work(rt.engine) as s:
        c = s.exec(select(Contact)).one()
        c.opted_out = True
    report = send_due_invitations(rt, T0 + timedelta(hours=3))
    assert report.skipped == 1
    (inv,) = invitations(rt)
    assert (inv.status, inv.reason) == ("skipped", "opted_out")
    assert recorder.sent == []


def test_unreachable_contact_is_skipped_with_reason(rt) -> None:  # type: ignore[no-untyped-def]
    visit(rt, T0)
    with unit_of_work(rt.engine) as s:
        c = s.exec(select(Contact)).one()
        c.unreachable, c.unreachable_reason = True, "landline"
    send_due_invitations(rt, T0 + timedelta(hours=3))
    (inv,) = invitations(rt)
    assert inv.status == "skipped" and inv.reason.startswith("unreachable")


def test_due_invitation_starts_survey_and_outbox_sends_it(rt, recorder, fake_time) -> None:  # type: ignore[no-untyped-def]
    visit(rt, T0, first_name="Ana")
    assert send_due_invitations(rt, T0 + timedelta(hours=1)).sent == 0
    later = T0 + timedelta(hours=2)
    assert send_due_invitations(rt, later).sent == 1
    assert send_due_invitations(rt, later).handled == 0  # idempotent
    fake_time.now = later
    report = dispatch_outbox(rt, later, clock=fake_time.clock, sleep=fake_time.sleep)
    assert report.sent == 1
    assert recorder.sent[0].address == "+16125550123"
    assert "northside" in recorder.sent[0].text
    (inv,) = invitations(rt)
    assert inv.status == "sent" and inv.conversation_id is not None


def test_frequency_cap_skips_second_visit(rt, recorder) -> None:  # type: ignore[no-untyped-def]
    visit(rt, T0, ext="a")
    send_due_invitations(rt, T0 + timedelta(hours=2))
    # answer and finish the first survey so the contact is not busy
    with unit_of_work(rt.engine) as s:
        conv = s.exec(select(Conversation)).one()
        conv.status, conv.open_key = "completed", None
    second = T0 + timedelta(hours=5)
    visit(rt, second, ext="b")
    send_due_invitations(rt, second + timedelta(hours=2))
    first, other = invitations(rt)
    assert first.status == "sent"
    assert other.status == "skipped" and other.reason.startswith("frequency_cap")
    # a day later the cap (1d in the test flow) has passed
    third = T0 + timedelta(days=1, hours=1)
    visit(rt, third, ext="c")
    send_due_invitations(rt, third + timedelta(hours=2))
    assert invitations(rt)[-1].status == "sent"


def test_busy_contact_waits_or_is_skipped(rt, settings) -> None:  # type: ignore[no-untyped-def]
    # quick flow: if_busy wait (cap 1d); other flow: skip (default)
    with unit_of_work(rt.engine) as s:
        c = get_or_create_contact(s, "sms", "+16125550123", T0)
        from cfbot.services.conversation import start_conversation

        start_conversation(
            s,
            c,
            rt.flows.get("other"),
            channel="sms",
            lang="en",
            now=T0 - timedelta(days=3),
            deliver="outbox",
        )
    visit(rt, T0, ext="w")
    visit(rt, T0, ext="s", flow="other", phone="+16125550123")
    send_due_invitations(rt, T0 + timedelta(hours=3))
    waiting, skipped = invitations(rt)
    assert waiting.status == "waiting" and waiting.reason.startswith("waiting: contact in survey")
    assert skipped.status == "skipped" and skipped.reason.startswith("busy")


def test_tick_that_runs_late_never_sends_at_night(rt) -> None:  # type: ignore[no-untyped-def]
    visit(rt, T0)
    night = datetime(2025, 7, 12, 23, 30, tzinfo=CHI).astimezone(UTC)
    report = send_due_invitations(rt, night)
    assert report.rescheduled == 1
    (inv,) = invitations(rt)
    assert inv.status == "scheduled"
    assert inv.send_at == datetime(2025, 7, 13, 8, 0, tzinfo=CHI)


def test_reminder_waits_for_quiet_hours(rt, recorder, fake_time) -> None:  # type: ignore[no-untyped-def]
    evening = datetime(2025, 7, 12, 18, 0, tzinfo=CHI).astimezone(UTC)
    visit(rt, evening - timedelta(hours=2))
    send_due_invitations(rt, evening)
    dispatch_outbox(rt, evening, clock=fake_time.clock, sleep=fake_time.sleep)
    assert len(recorder.sent) == 1
    reminder_time = evening + timedelta(hours=4)  # 22:00 local: too late
    assert run_due_timers(rt, reminder_time) == 1
    fake_time.now = reminder_time
    report = dispatch_outbox(rt, reminder_time, clock=fake_time.clock, sleep=fake_time.sleep)
    assert report.sent == 0 and report.deferred == 1
    with Session(rt.engine) as s:
        queued = s.exec(select(Message).where(Message.status == "queued")).one()
    assert queued.next_attempt_at == datetime(2025, 7, 13, 8, 0, tzinfo=CHI)
    morning = datetime(2025, 7, 13, 8, 0, tzinfo=CHI).astimezone(UTC)
    fake_time.now = morning
    assert dispatch_outbox(rt, morning, clock=fake_time.clock, sleep=fake_time.sleep).sent == 1


def test_find_due_uses_status_and_send_at(rt) -> None:  # type: ignore[no-untyped-def]
    visit(rt, T0)
    with Session(rt.engine) as s:
        assert find_due(s, T0, 10) == []
        assert len(find_due(s, T0 + timedelta(hours=2), 10)) == 1


def test_site_override_changes_the_delay(rt) -> None:  # type: ignore[no-untyped-def]
    r = visit(rt, T0, site="southside")
    assert r.send_at == T0 + timedelta(hours=4)
