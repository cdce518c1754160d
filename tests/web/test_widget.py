"""The widget script and the cookie-free chat page it frames."""

from __future__ import annotations

import json
import re

import pytest


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"widget_origins": "https://www.agency.example"}


def test_widget_script_carries_the_allowed_origins_and_words(client):
    r = client.get("/chat/widget.js")
    assert r.status_code == 200 and r.mimetype == "application/javascript"
    match = re.search(r"var config = (\{.*?\});\n", r.get_data(as_text=True))
    assert match
    config = json.loads(match.group(1))
    assert config["origins"] == ["https://www.agency.example"]
    assert config["strings"]["en"]["open"] == "Give feedback"
    assert config["strings"]["es"]["open"] != "Give feedback"
    assert "Set-Cookie" not in r.headers


def test_embed_page_sets_no_cookie_and_may_be_framed_by_the_agency(client):
    r = client.get("/chat/embed?flow=clinic_visit&site=northside&lang=es")
    assert r.status_code == 200
    assert "Set-Cookie" not in r.headers
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://www.agency.example" in csp
    assert "script-src 'self'" in csp and "<script>" not in r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    assert '<html lang="es">' in page and 'data-site="northside"' in page


def test_embed_page_refuses_unknown_flows_and_sites(client):
    assert client.get("/chat/embed?flow=nope").status_code == 404
    assert client.get("/chat/embed?flow=clinic_visit&site=nowhere").status_code == 400
