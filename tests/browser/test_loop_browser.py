"""Closing the loop in a real browser: a manager signs in and assigns an alert; the staff
member signs in (another browser), adds a note, sends a Spanish reply and resolves
with a cause. Screenshots at 375 px and desktop width go to CFBOT_SCREENSHOTS or tmp."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from browser_helpers import axe_violations, launch

pytestmark = pytest.mark.browser

UNHAPPY = ["1", "The wait was two hours and nobody told me why", "2", "3", "skip"]
PHONE = "+16125550199"


def _alert(rt) -> int:  # type: ignore[no-untyped-def]
    from cfbot.channels.base import InboundMsg
    from cfbot.db import unit_of_work
    from cfbot.models import Alert, utcnow
    from cfbot.services.conversation import get_or_create_contact, start_conversation
    from cfbot.services.inbound import handle_inbound

    now = utcnow()
    with unit_of_work(rt.engine) as session:
        contact = get_or_create_contact(session, "sms", PHONE, now)
        start_conversation(
            session,
            contact,
            rt.flows.get("clinic_visit"),
            channel="sms",
            lang="en",
            now=now,
            site="northside",
            program="immunizations",
        )
    for i, text in enumerate(UNHAPPY):
        handle_inbound(
            rt, InboundMsg("sms", PHONE, text, f"SMLOOP{i:04d}", now + timedelta(seconds=i))
        )
    from sqlmodel import select

    with unit_of_work(rt.engine, immediate=False) as session:
        return session.exec(select(Alert.id)).first()  # type: ignore[return-value]


def _sign_in(pg, server: str, email: str, next_path: str = "") -> None:  # type: ignore[no-untyped-def]
    pg.goto(f"{server}{next_path or '/dashboard/login'}")
    pg.get_by_label("Your work email").fill(email)
    pg.get_by_role("button", name="Email me a link").click()
    pg.get_by_role("link", name="Sign in").click()


def test_manager_assigns_staff_replies_in_spanish_and_resolves(live_server, rt, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    from cfbot.models import Alert, Message
    from cfbot.services.accounts import demo_accounts

    shots = Path(os.environ.get("CFBOT_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    demo_accounts(rt)
    alert_id = _alert(rt)
    with sync_playwright() as pw:
        browser = launch(pw)
        manager = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
        manager.set_default_timeout(10_000)
        # the emailed alert link asks for sign-in, then opens the alert
        manager.goto(f"{live_server}/dashboard/alerts/{alert_id}")
        manager.get_by_label("Your work email").fill("northside-manager@example.org")
        manager.get_by_role("button", name="Email me a link").click()
        manager.get_by_role("link", name="Sign in").click()
        manager.wait_for_selector("text=Close the loop")
        manager.get_by_label("Assign to").select_option("northside-wic@example.org")
        manager.get_by_role("button", name="Assign", exact=True).click()
        manager.wait_for_selector("text=northside-wic@example.org")
        manager.screenshot(path=str(shots / "loop-1-manager-assigned.png"), full_page=True)
        manager.goto(f"{live_server}/dashboard/?status=all")
        assert "northside-wic@example.org" in manager.content()
        manager.screenshot(path=str(shots / "loop-2-list-due-assigned.png"), full_page=True)

        # the staff member, in their own browser at phone width
        staff = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
        staff.set_default_timeout(10_000)
        _sign_in(staff, live_server, "northside-wic@example.org")
        staff.get_by_role("link", name="My alerts").click()
        staff.get_by_role("link", name=f"#{alert_id}").click()
        staff.wait_for_selector("text=Close the loop")
        assert "6125550199" not in staff.content()
        staff.get_by_label("Add a note").fill("Called the client; left a voicemail.")
        staff.get_by_role("button", name="Add note").click()
        staff.wait_for_selector("text=left a voicemail")
        staff.get_by_label("Language of the reply").select_option("es")
        staff.get_by_label("Your reply").fill(
            "Nos dijo que la espera fue muy larga; ahora hay una segunda enfermera los martes."
        )
        staff.get_by_role("button", name="Preview").click()
        staff.wait_for_selector("text=SMS segment(s)")
        staff.screenshot(path=str(shots / "loop-3-staff-preview-375.png"), full_page=True)
        assert axe_violations(staff) == []
        staff.get_by_role("button", name="Send reply").click()
        staff.wait_for_selector("text=Reply queued")
        staff.get_by_label("Cause").select_option("wait_time")
        staff.get_by_label("Action taken (required)").fill("Added a second nurse on Tuesdays.")
        staff.get_by_role("button", name="Resolve").click()
        staff.wait_for_selector("text=Resolution:")
        staff.screenshot(path=str(shots / "loop-4-staff-resolved-375.png"), full_page=True)
        assert axe_violations(staff) == []
        browser.close()

    from sqlmodel import Session, select

    with Session(rt.engine) as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.status == "resolved" and alert.cause == "wait_time"
        assert alert.resolved_by == "northside-wic@example.org"
        (reply,) = session.exec(select(Message).where(Message.kind == "followup")).all()
        assert reply.body.startswith("Nos dijo")
