"""Results, responses and review in a real browser (Debian's chromium via Playwright): a
site manager signs in, opens results, filters to one site, opens a response, labels a
review item; the pages work at 375 px and at 200% zoom without horizontal scrolling of
the page body, and axe finds no serious or critical violation on any of them."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "results"))
from browser_helpers import axe_violations, launch  # noqa: E402
from results_helpers import ALL_SITES, ROUTING_YAML, T0, make_alert, make_survey  # noqa: E402

from cfbot.clock import FrozenClock  # noqa: E402
from cfbot.services.accounts import demo_accounts  # noqa: E402

# screenshots are kept here for people to look at (CFBOT_SCREENSHOTS overrides)
SHOTS = Path(os.environ.get("CFBOT_SCREENSHOTS", "/tmp/cfbot-results-screenshots"))

pytestmark = pytest.mark.browser


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    routing = tmp_path / "routing.yaml"
    routing.write_text(ROUTING_YAML, encoding="utf-8")
    return {"routing_file": str(routing), "rate_limits": False}


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = launch(pw)
        yield launched
        launched.close()


def _no_horizontal_scroll(pg) -> bool:  # type: ignore[no-untyped-def]
    return bool(
        pg.evaluate(
            "() => document.documentElement.scrollWidth <= window.innerWidth"
            " && document.body.scrollWidth <= window.innerWidth"
        )
    )


def _seed(rt) -> None:  # type: ignore[no-untyped-def]
    for i, value in enumerate((5, 4, 4, 2, 1, 5, 3)):
        make_survey(
            rt,
            program="wic" if i % 2 else "immunizations",
            answers=[
                ("overall", "rating", value),
                ("recommend", "nps", 10 - i),
                ("comments", "text", {"value": f"Comment number {i}", "sentiment": 0.5}),
            ],
            started_at=T0 - timedelta(days=i + 1),
        )
    conv = make_survey(
        rt,
        language="hmn",
        answers=[
            ("overall", "rating", 1),
            ("what_went_wrong", "text", {"value": "kuv tos ntev heev", "needs_review": True}),
        ],
    )
    make_alert(rt, conversation_id=conv)
    for value in (5, 5, 4, 4, 2):
        make_survey(rt, site="southside", answers=[("overall", "rating", value)])


def test_manager_results_filter_response_review_small_screens_and_axe(
    rt, live_server, browser, tmp_path
):  # type: ignore[no-untyped-def]
    _seed(rt)
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    demo_accounts(rt)
    pg.goto(f"{live_server}/dashboard/login")
    pg.get_by_label("Your work email").fill(ALL_SITES)
    pg.get_by_role("button", name="Email me a link").click()
    pg.get_by_role("link", name="Sign in").click()
    pg.get_by_role("link", name="Results", exact=True).click()
    pg.wait_for_url("**/dashboard/results")
    assert pg.get_by_role("heading", name="Results", exact=True).is_visible()
    assert axe_violations(pg, serious_only=True) == []

    pg.get_by_label("Site").select_option("northside")
    pg.get_by_role("button", name="Show").click()
    pg.wait_for_url("**site=northside**")
    assert "Southside Family Health" not in pg.locator("#h-breakdowns ~ *").first.inner_text()
    pg.screenshot(path=str(SHOTS / "results-northside-1280.png"), full_page=True)

    pg.get_by_role("link", name="Responses", exact=True).click()
    pg.wait_for_url("**/dashboard/responses")
    pg.get_by_label("Site").select_option("northside")
    pg.get_by_label("Search in answers").fill("kuv tos")
    pg.get_by_role("button", name="Show").click()
    pg.wait_for_url("**q=kuv**")
    assert pg.get_by_text("1 survey(s) found").is_visible()
    assert axe_violations(pg, serious_only=True) == []
    pg.screenshot(path=str(SHOTS / "responses-1280.png"), full_page=True)
    pg.get_by_role("link", name="Alert #").first.click()  # open the response's alert page
    pg.wait_for_url("**/dashboard/alerts/*")
    assert pg.get_by_text("kuv tos ntev heev").first.is_visible()

    pg.get_by_role("link", name="Review", exact=True).click()
    pg.wait_for_url("**/dashboard/review")
    assert axe_violations(pg, serious_only=True) == []
    pg.screenshot(path=str(SHOTS / "review-1280.png"), full_page=True)
    item = pg.locator("article.response").filter(has_text="kuv tos ntev heev")
    item.get_by_label("A complaint").check()
    item.get_by_label("English gloss (optional)").fill("I waited a very long time")
    item.get_by_role("button", name="Save label").click()
    pg.wait_for_url("**done=**")
    assert pg.get_by_text("Label saved; alert #").is_visible()
    cookies = context.cookies()
    context.close()

    pages = {
        "results": "/dashboard/results?site=northside",
        "responses": "/dashboard/responses",
        "review": "/dashboard/review",
    }
    for name, options in (
        ("375px", {"viewport": {"width": 375, "height": 812}}),
        # 200% zoom of a 1280 x 800 window: a 640 x 400 CSS viewport at scale 2
        ("zoom200", {"viewport": {"width": 640, "height": 400}, "device_scale_factor": 2}),
    ):
        small = browser.new_context(**options)
        small.add_cookies(cookies)
        spg = small.new_page()
        spg.set_default_timeout(15_000)
        for page_name, url in pages.items():
            spg.goto(live_server + url)
            assert spg.get_by_role("heading", level=1).is_visible()
            assert _no_horizontal_scroll(spg), f"{page_name} scrolls sideways at {name}"
            assert axe_violations(spg, serious_only=True) == [], (page_name, name)
            spg.screenshot(path=str(SHOTS / f"{page_name}-{name}.png"), full_page=True)
        small.close()
