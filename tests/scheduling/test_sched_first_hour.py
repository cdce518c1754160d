"""The first hour of a new admin: the demo's visit example is invited at once, at any
hour, and ``cfbot invitations list`` says when each invitation goes out and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from cfbot.cli import _port_in_use, cli
from cfbot.clock import FrozenClock
from cfbot.phones import to_e164
from cfbot.services.invitation_list import demo_visit_example
from cfbot.services.invitations import send_due_invitations
from cfbot.services.timing import in_window, parse_clock
from cfbot.services.tokens import create_token

T0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def env(settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", settings.conversations_dir)
    monkeypatch.setenv("CFBOT_INSTANCE_PATH", settings.instance_path)


@pytest.mark.parametrize("hour", range(24))
def test_demo_example_phone_is_inside_the_window_at_every_hour(rt, hour: int) -> None:  # type: ignore[no-untyped-def]
    now = T0 + timedelta(hours=hour, minutes=40)
    example = demo_visit_example(rt, now)
    local = now.astimezone(ZoneInfo(example.zone)).time()
    assert in_window(local, parse_clock("08:00"), parse_clock("21:00"))
    assert example.visited_at < now - timedelta(hours=2)
    # the visits API accepts the number (a printed example that is rejected helps nobody)
    assert to_e164(example.phone, "US", strict=True) is not None, example.phone


def test_demo_example_visit_is_invited_at_the_next_tick(rt, client, clock, recorder) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 11, 30, 6, 30, tzinfo=UTC))  # 00:30 in Chicago
    example = demo_visit_example(rt, clock.now())
    body = {
        "phone": example.phone,
        "visited_at": example.visited_at.isoformat(),
        "timezone": example.zone,
        "site": example.site,
    }
    token = create_token(rt, "demo").secret
    r = client.post("/api/v1/visits", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (200, 201), r.json
    assert r.json["results"][0]["status"] == "created", r.json
    clock.advance(timedelta(seconds=30))
    assert send_due_invitations(rt).sent == 1


def test_invitations_list_shows_send_time_and_reason(env, rt, client, clock) -> None:  # type: ignore[no-untyped-def]
    clock.set(datetime(2026, 11, 30, 4, 0, tzinfo=UTC))  # 22:00 in Chicago
    token = create_token(rt, "ehr").secret
    visits = [
        {"phone": "(612) 555-0142", "visited_at": "2026-11-30T03:30:00Z", "site": "northside"},
        {"phone": "(612) 555-0143", "visited_at": "2026-11-30T03:30:00Z", "site": "northside"},
    ]
    r = client.post("/api/v1/visits", json=visits, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (200, 201), r.json
    result = CliRunner().invoke(cli, ["invitations", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("id\tstatus")
    # 2 h after 21:30 local is past 21:00: it waits for 08:00 the next morning
    assert "08:00 America/Chicago" in lines[1]
    assert "outside 08:00-21:00" in lines[1] and "555" not in lines[1]
    as_json = CliRunner().invoke(cli, ["invitations", "list", "--json", "--status", "sent"])
    assert as_json.exit_code == 0 and as_json.output == ""
    rows = [
        json.loads(x)
        for x in CliRunner().invoke(cli, ["invitations", "list", "--json"]).output.splitlines()
    ]
    assert {row["status"] for row in rows} == {"scheduled"}


def test_port_in_use_is_detected() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert _port_in_use("127.0.0.1", port)
        result = CliRunner().invoke(cli, ["demo", "--port", str(port), "--no-clock"])
    assert result.exit_code != 0
    assert f"port {port}" in result.output and "--port" in result.output


@pytest.fixture
def demo_client(settings):  # type: ignore[no-untyped-def]
    from cfbot import create_app

    app = create_app(settings.replace(demo=True))
    return app.test_client()


def test_demo_has_a_front_door(demo_client) -> None:  # type: ignore[no-untyped-def]
    page = demo_client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for link in ('href="/chat/"', 'href="/dev/sms"', 'href="/dashboard/"'):
        assert link in html
    assert "api/v1/visits" in html
    icon = demo_client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    icon.close()


def test_demo_has_a_sample_page_with_the_chat_widget(demo_client) -> None:  # type: ignore[no-untyped-def]
    assert 'href="/dev/widget"' in demo_client.get("/").get_data(as_text=True)
    page = demo_client.get("/dev/widget")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<script src="/chat/widget.js" data-flow="clinic_visit" data-site="northside"' in html
