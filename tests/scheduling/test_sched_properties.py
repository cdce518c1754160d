"""Property tests with frozen clocks: whatever visits, opt-outs and tick times occur,

* no message leaves outside 08:00-21:00 in the recipient's zone,
* none reaches a contact after they opted out,
* no contact gets a second survey within the frequency cap (1 day in the test flows).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sched_helpers import wipe
from sqlmodel import Session, select

from cfbot.db import unit_of_work
from cfbot.models import Contact, Conversation
from cfbot.services.conversation import lock_contact
from cfbot.services.delivery import mark_opted_out
from cfbot.services.invitations import send_due_invitations
from cfbot.services.outbox import dispatch_outbox
from cfbot.services.timers import run_due_timers
from cfbot.services.timing import is_allowed, recipient_zone
from cfbot.services.visits import intake

# (phone, timezone given with the visits)
PEOPLE = [
    ("+16125550101", None),  # Minneapolis, by area code
    ("+12125550102", None),  # New York
    ("+18085550103", None),  # Honolulu
    ("+19075550104", None),  # Anchorage
    ("+16025550105", None),  # Phoenix (no DST)
    ("+16125550106", "America/Los_Angeles"),  # a Minnesota number living in California
    ("+447700900107", None),  # no area code: CFBOT_TIMEZONE
    ("+18005550108", "Asia/Tokyo"),
]
START, END = time(8), time(21)

visit_st = st.tuples(
    st.integers(0, len(PEOPLE) - 1),  # who
    st.integers(0, 4 * 24 * 60),  # minutes after the start
    st.sampled_from(["quick", "other"]),
)
optout_st = st.tuples(st.integers(0, len(PEOPLE) - 1), st.integers(0, 4 * 24 * 60))


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    start=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
    ),
    visits=st.lists(visit_st, min_size=1, max_size=12),
    optouts=st.lists(optout_st, max_size=3),
    steps=st.lists(st.integers(1, 6 * 60), min_size=3, max_size=40),
)
def test_no_send_in_quiet_hours_or_after_opt_out_and_cap_holds(  # type: ignore[no-untyped-def]
    rt, recorder, fake_time, start, visits, optouts, steps
) -> None:
    wipe(rt.engine)
    recorder.sent.clear()
    pending = sorted(visits, key=lambda v: v[1])
    pending_optouts = sorted(optouts, key=lambda o: o[1])
    opted_out_at: dict[str, datetime] = {}
    now = start
    for n, step in enumerate(steps):
        now = now + timedelta(minutes=step)
        while pending and start + timedelta(minutes=pending[0][1]) <= now:
            who, offset, flow = pending.pop(0)
            phone, tz = PEOPLE[who]
            raw = {
                "phone": phone,
                "visited_at": (start + timedelta(minutes=offset)).isoformat(),
                "site": "northside",
                "flow": flow,
                "external_id": f"v{n}-{len(pending)}",
            }
            if tz:
                raw["timezone"] = tz
            intake(rt, [raw], now=now)
        while pending_optouts and start + timedelta(minutes=pending_optouts[0][1]) <= now:
            who, _ = pending_optouts.pop(0)
            phone = PEOPLE[who][0]
            with unit_of_work(rt.engine) as s:
                contact = s.exec(select(Contact).where(Contact.phone == phone)).first()
                if contact is not None:
                    mark_opted_out(s, lock_contact(s, contact.id), now, "STOP")
                    opted_out_at.setdefault(phone, now)
        send_due_invitations(rt, now)
        run_due_timers(rt, now)
        fake_time.now, fake_time.elapsed = now, 0.0
        dispatch_outbox(rt, now, clock=fake_time.clock, sleep=fake_time.sleep)

    zones = {phone: recipient_zone(phone, tz, rt.settings.timezone)[0] for phone, tz in PEOPLE}
    for sent in recorder.sent:
        local = sent.moment.astimezone(zones[sent.address])
        assert is_allowed(sent.moment, zones[sent.address], START, END), (sent, local)
        if sent.address in opted_out_at:
            assert sent.moment < opted_out_at[sent.address], sent
    with Session(rt.engine) as s:
        starts: dict[int, list[datetime]] = defaultdict(list)
        for conv in s.exec(select(Conversation)).all():
            starts[conv.contact_id].append(conv.started_at)
    for times in starts.values():
        times.sort()
        for a, b in zip(times, times[1:], strict=False):
            assert b - a >= timedelta(days=1)
