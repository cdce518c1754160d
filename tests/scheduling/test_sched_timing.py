"""Quiet hours and time zones (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from cfbot.services.timing import (
    AREA_CODE_ZONES,
    in_window,
    is_allowed,
    next_allowed,
    recipient_zone,
    zone_for_phone,
)

ZONES = [
    "America/Chicago",
    "America/New_York",
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/St_Johns",
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
]
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


def test_every_minnesota_area_code_is_central() -> None:
    for code in ("218", "320", "507", "612", "651", "763", "952"):
        assert AREA_CODE_ZONES[code] == "America/Chicago"


def test_every_table_zone_exists() -> None:
    for zone in set(AREA_CODE_ZONES.values()):
        ZoneInfo(zone)


def test_zone_comes_from_visit_then_area_code_then_default() -> None:
    assert recipient_zone("+12125550123", "America/Denver", "America/Chicago")[1] == "visit"
    zone, source = recipient_zone("+12125550123", None, "America/Chicago")
    assert (str(zone), source) == ("America/New_York", "area_code")
    zone, source = recipient_zone("+18005550123", "Not/AZone", "America/Chicago")
    assert (str(zone), source) == ("America/Chicago", "default")
    assert zone_for_phone("+442071234567") is None


def test_window_is_half_open_and_may_wrap_midnight() -> None:
    assert in_window(time(8, 0), time(8), time(21))
    assert not in_window(time(21, 0), time(8), time(21))
    assert in_window(time(23, 0), time(22), time(6))
    assert not in_window(time(12, 0), time(22), time(6))


def test_evening_visit_waits_for_next_morning_in_client_zone() -> None:
    chicago = ZoneInfo("America/Chicago")
    late = datetime(2025, 7, 12, 21, 30, tzinfo=chicago)
    assert next_allowed(late, chicago, time(8), time(21)) == datetime(
        2025, 7, 13, 8, 0, tzinfo=chicago
    )


@given(moments, st.sampled_from(ZONES), clock_times, clock_times)
def test_next_allowed_is_inside_the_window_and_the_earliest(
    moment: datetime, zone_name: str, start: time, end: time
) -> None:
    if start == end:
        return
    zone = ZoneInfo(zone_name)
    result = next_allowed(moment, zone, start, end)
    assert result >= moment
    assert is_allowed(result, zone, start, end)
    # nothing allowed strictly between moment and result (checked every 5 minutes)
    probe = moment
    while probe < result - timedelta(minutes=5):
        probe += timedelta(minutes=5)
        if probe < result:
            assert not is_allowed(probe, zone, start, end) or probe >= result
    assert result - moment < timedelta(days=2)
