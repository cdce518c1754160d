"""The clock: one leader among several schedulers; jobs declared with stable ids."""

from __future__ import annotations

import threading
from datetime import timedelta

from sched_helpers import T0
from sqlmodel import Session, select

from cfbot import jobs
from cfbot.models import Invitation, Message
from cfbot.services.leader import Leader
from cfbot.services.visits import intake


def test_two_schedulers_one_leader(rt) -> None:  # type: ignore[no-untyped-def]
    a, b = Leader(rt.engine), Leader(rt.engine)
    try:
        assert a.check(T0) is True
        assert b.check(T0) is False
        assert a.check(T0 + timedelta(seconds=30)) is True  # renews
        assert b.check(T0 + timedelta(seconds=30)) is False
        a.release()
        assert b.check(T0 + timedelta(seconds=31)) is True
        assert a.check(T0 + timedelta(seconds=31)) is False
    finally:
        a.release()
        b.release()


def test_standby_takes_over_when_the_lease_expires(rt) -> None:  # type: ignore[no-untyped-def]
    if rt.engine.dialect.name != "sqlite":
        return  # PostgreSQL: the advisory lock ends with the leader's connection
    a, b = Leader(rt.engine), Leader(rt.engine)
    assert a.check(T0)
    assert not b.check(T0 + timedelta(seconds=59))
    assert b.check(T0 + timedelta(seconds=61))
    assert not a.check(T0 + timedelta(seconds=62))


def test_advisory_lock_dies_with_the_connection(rt) -> None:  # type: ignore[no-untyped-def]
    if rt.engine.dialect.name != "postgresql":
        return
    a, b = Leader(rt.engine), Leader(rt.engine)
    try:
        assert a.check() and not b.check()
        a._drop_connection()  # what a crash does
        assert b.check()
    finally:
        a.release()
        b.release()


def test_jobs_have_stable_unique_ids_including_alert_slots() -> None:
    ids = [j.id for j in jobs.JOBS]
    assert len(ids) == len(set(ids))
    for expected in (
        "dispatch_outbox",
        "send_invitations",
        "conversation_timers",
        "escalate_alerts",
        "daily_digest",
        "data_retention",
    ):
        assert expected in ids


def test_run_once_runs_each_job_in_the_leader_only(rt, recorder) -> None:  # type: ignore[no-untyped-def]
    raw = {"phone": "+16125550123", "visited_at": T0.isoformat(), "site": "northside"}
    intake(rt, [raw], now=T0)
    leader, other = Leader(rt.engine), Leader(rt.engine)
    try:
        now = T0 + timedelta(hours=2)
        assert leader.check(now)
        assert all(v is None for v in jobs.run_once(rt, other, now).values())
        results = jobs.run_once(rt, leader, now)
        assert results["send_invitations"].sent == 1
        assert results["dispatch_outbox"].sent == 1
        with Session(rt.engine) as s:
            assert s.exec(select(Invitation)).one().status == "sent"
            assert s.exec(select(Message)).one().status == "sent"
    finally:
        leader.release()
        other.release()


def test_two_running_schedulers_never_double_a_send(rt, recorder) -> None:  # type: ignore[no-untyped-def]
    """Two clocks in threads, each repeatedly running every job; one acts."""
    raws = [
        {"phone": f"+1612555{i:04d}", "visited_at": T0.isoformat(), "site": "northside"}
        for i in range(30)
    ]
    intake(rt, raws, now=T0)
    now = T0 + timedelta(hours=2)
    leaders = [Leader(rt.engine), Leader(rt.engine)]
    errors: list[BaseException] = []

    def clock(leader: Leader) -> None:
        try:
            for _ in range(5):
                jobs.run_once(rt, leader, now)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=clock, args=(lead,)) for lead in leaders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for lead in leaders:
        lead.release()
    assert not errors
    assert sum(lead.is_leader for lead in leaders) <= 1
    addresses = [s.address for s in recorder.sent]
    assert len(addresses) == 30 and len(set(addresses)) == 30


def test_scheduler_starts_and_stops(rt) -> None:  # type: ignore[no-untyped-def]
    stop = threading.Event()
    thread = threading.Thread(target=jobs.run_scheduler, args=(rt, stop))
    thread.start()
    stop.wait(0.5)
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
