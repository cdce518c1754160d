"""The embeddable widget on an agency page served from another site (localhost vs
127.0.0.1, other port) with third-party cookies blocked: the survey completes by
keyboard with no cookie at all, focus moves into the dialog and back, axe is clean."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from browser_helpers import axe_violations, launch

# Chromium's "block third-party cookies"
NO_THIRD_PARTY_COOKIES = ["--test-third-party-cookie-phaseout"]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def host_port() -> int:
    return _free_port()


@pytest.fixture
def settings_overrides(host_port: int) -> dict[str, object]:
    return {"widget_origins": f"http://localhost:{host_port}"}


@pytest.fixture
def chat_server(live_server: str) -> str:
    # cfbot, on 127.0.0.1; the agency page is served from "localhost", another site
    return live_server


def _agency_server(port: int, chat: str) -> ThreadingHTTPServer:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>Northside Clinic</title></head><body><main><h1>Northside Clinic</h1>"
        "<p>Open Monday to Friday.</p></main>"
        f'<script src="{chat}/chat/widget.js" data-flow="clinic_visit" '
        'data-site="northside" async></script></body></html>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def agency(host_port: int, chat_server: str) -> Iterator[str]:
    server = _agency_server(host_port, chat_server)
    try:
        yield f"http://localhost:{host_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser_context() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch(pw, NO_THIRD_PARTY_COOKIES)
        context = browser.new_context()
        context.set_default_timeout(10_000)
        yield context
        context.close()
        browser.close()


def test_widget_survey_by_keyboard_without_cookies(agency, chat_server, browser_context, tmp_path):
    set_cookies: list[str] = []
    browser_context.on(
        "response",
        lambda r: set_cookies.append(r.url) if r.headers.get("set-cookie") else None,
    )
    pg = browser_context.new_page()
    pg.goto(agency)
    button = pg.get_by_role("button", name="Give feedback")
    assert button.get_attribute("aria-expanded") == "false"
    assert axe_violations(pg, serious_only=True) == []
    button.focus()
    pg.keyboard.press("Enter")
    dialog = pg.get_by_role("dialog", name="Share your feedback")
    assert dialog.is_visible()
    frame = pg.frame_locator("iframe[title='Share your feedback']")
    frame.get_by_text("How satisfied").wait_for()
    # focus went into the dialog: the chat frame, and in it the answer box
    pg.wait_for_function("document.activeElement && document.activeElement.tagName === 'IFRAME'")
    inner = pg.frames[1]
    inner.wait_for_function("document.activeElement && document.activeElement.id === 'text'")
    assert "token=" in inner.url, "the session token lives in the frame's URL"
    assert axe_violations(pg, serious_only=True) == []
    pg.screenshot(path=str(tmp_path / "widget-open.png"))
    for answer, expect in (
        ("4", "What was your visit for"),
        ("1", "recommend"),
        ("9", "Anything else"),
        ("SKIP", "Thank you"),
    ):
        pg.keyboard.type(answer)
        pg.keyboard.press("Enter")
        frame.get_by_text(expect).first.wait_for()
    pg.screenshot(path=str(tmp_path / "widget-done.png"))
    frame.locator("#chat-done").wait_for()
    # Escape inside the frame closes the dialog and gives focus back to the button
    inner.locator("body").press("Escape")
    pg.wait_for_function("document.activeElement && document.activeElement.tagName === 'BUTTON'")
    assert not dialog.is_visible()
    assert pg.evaluate("document.activeElement.textContent") == "Give feedback"
    assert button.get_attribute("aria-expanded") == "false"
    # no cookie was set or needed, on either site
    assert browser_context.cookies() == []
    assert set_cookies == []
    _assert_completed(chat_server)


def _assert_completed(chat_server: str) -> None:
    from flask import current_app
    from sqlmodel import Session, select

    from cfbot.models import Conversation

    rt = current_app.extensions["cfbot"]
    with Session(rt.engine) as session:
        rows = list(session.exec(select(Conversation)).all())
    assert [(c.channel, c.site, str(c.status)) for c in rows] == [
        ("webchat", "northside", "completed")
    ]


def test_close_button_and_escape_on_the_host_page(agency, browser_context):
    pg = browser_context.new_page()
    pg.goto(agency)
    button = pg.get_by_role("button", name="Give feedback")
    button.focus()
    pg.keyboard.press("Enter")
    # the chat takes the focus into its answer box once it has started: wait for that,
    # as a visitor sees the question before moving on
    frame = pg.frame_locator("iframe[title='Share your feedback']")
    frame.get_by_text("How satisfied").wait_for()
    frame.locator("#text").wait_for()
    close = pg.get_by_role("button", name="Close the feedback chat")
    close.focus()
    pg.keyboard.press("Escape")
    assert not pg.get_by_role("dialog").is_visible()
    assert pg.evaluate("document.activeElement.textContent") == "Give feedback"
    pg.keyboard.press("Enter")
    assert pg.get_by_role("dialog").is_visible()
    close.focus()
    pg.keyboard.press("Enter")
    assert pg.evaluate("document.activeElement.getAttribute('aria-expanded')") == "false"


def test_widget_refuses_to_start_on_an_origin_not_listed(chat_server, browser_context):
    port = _free_port()
    server = _agency_server(port, chat_server)
    try:
        pg = browser_context.new_page()
        pg.goto(f"http://127.0.0.1:{port}")  # the listed origin is localhost:<other port>
        pg.wait_for_load_state("networkidle")
        assert pg.get_by_role("button", name="Give feedback").count() == 0
    finally:
        server.shutdown()
        server.server_close()


def test_embedded_chat_page_is_accessible(chat_server, browser_context):
    pg = browser_context.new_page()
    pg.goto(f"{chat_server}/chat/embed?flow=clinic_visit&site=northside&lang=es")
    pg.get_by_text("satisfecho").wait_for()
    assert axe_violations(pg, serious_only=True) == []
