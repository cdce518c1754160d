"""Web chat in a real browser (Debian's chromium via Playwright): it works with the
keyboard, updates without reloading, and axe finds no WCAG 2.1 A/AA violations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import axe_violations, launch

pytestmark = pytest.mark.browser


@pytest.fixture
def page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw)
        context = browser.new_context()
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        yield pg
        context.close()
        browser.close()


def test_survey_by_keyboard_without_reloads(live_server, page, tmp_path: Path):
    page.goto(f"{live_server}/chat?lang=en")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Clinic visit follow-up").click()
    page.wait_for_selector("text=How satisfied")
    assert axe_violations(page) == []
    box = page.get_by_label("Your answer")
    page.evaluate("window.__marker = 'no-reload'")
    box.fill("4")
    box.press("Enter")
    page.wait_for_selector("text=What was your visit for?")
    # the page did not reload: our marker survived, and focus is back in the box
    assert page.evaluate("window.__marker") == "no-reload"
    assert page.evaluate("document.activeElement.id") == "text"
    assert page.locator("#transcript[aria-live=polite]").count() == 1
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)


def test_spanish_page_is_in_spanish_and_accessible(live_server, page):
    page.goto(f"{live_server}/chat?lang=es")
    assert page.locator("html").get_attribute("lang") == "es"
    assert axe_violations(page) == []


def test_sms_simulator_is_accessible(live_server, page):
    page.goto(f"{live_server}/dev/sms")
    page.get_by_label("Message from").fill("FEEDBACK")
    page.get_by_label("Message from").press("Enter")
    page.wait_for_selector("text=How satisfied")
    assert axe_violations(page) == []


def test_dashboard_login_is_accessible(live_server, page):
    page.goto(f"{live_server}/dashboard/login")
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []


def _unhappy_survey(rt) -> None:  # type: ignore[no-untyped-def]
    from cfbot.channels.base import InboundMsg
    from cfbot.models import utcnow
    from cfbot.services.inbound import handle_inbound

    for i, text in enumerate(["FEEDBACK", "1", "Nobody answered my questions", "2", "0", "SKIP"]):
        handle_inbound(
            rt,
            InboundMsg("sms", "+16125550188", text, f"SMBROWSER{i:04d}", utcnow()),
        )


def test_dashboard_pages_are_accessible_when_signed_in(live_server, page, rt):
    from cfbot.services.accounts import import_routing

    import_routing(rt)
    _unhappy_survey(rt)
    page.goto(f"{live_server}/dashboard/login")
    page.get_by_label("Your work email").fill("feedback@example.org")
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_selector("text=Alerts")
    assert axe_violations(page) == []
    page.locator("main table a").first.click()
    page.wait_for_selector("text=Close the loop")
    assert "6125550188" not in page.content()  # masked until a logged reveal
    assert axe_violations(page) == []
    page.goto(f"{live_server}/dashboard/delivery")
    assert axe_violations(page) == []


def test_finished_survey_hides_the_answer_box_and_offers_another(live_server, page):
    page.goto(f"{live_server}/chat?lang=en")
    page.get_by_role("button", name="Clinic visit follow-up").click()
    box = page.get_by_label("Your answer")
    for answer in ["5", "2", "10", "SKIP"]:
        box.fill(answer)
        box.press("Enter")
        page.wait_for_timeout(300)
    page.wait_for_selector("text=Thank you for your feedback")
    link = page.get_by_role("link", name="Thank you. Choose another survey")
    link.wait_for()
    assert page.evaluate("document.activeElement.id") == ""  # focus moved to the link
    assert page.evaluate("document.activeElement.tagName") == "A"
    assert not page.locator("#send-form").is_visible()
    assert axe_violations(page) == []
