"""Finding 11: CSP, X-Content-Type-Options, Referrer-Policy, frame-ancestors, no-store."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "cfbot" / "templates"


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers.get("Content-Security-Policy", "")
    parts = [p.strip() for p in header.split(";") if p.strip()]
    return {p.split(" ", 1)[0]: (p.split(" ", 1) + [""])[1] for p in parts}


@pytest.mark.parametrize("path", ["/chat", "/healthz", "/dashboard/login", "/dev/sms", "/nope"])
def test_every_response_has_the_basic_headers(client, path: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    csp = _csp(r)
    assert csp["default-src"] == "'self'"
    assert "'unsafe-inline'" not in r.headers["Content-Security-Policy"]
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["base-uri"] == "'none'"


def test_chat_may_be_framed_by_self_only_by_default(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/chat")
    assert _csp(r)["frame-ancestors"] == "'self'"
    assert "no-store" in r.headers["Cache-Control"]


@pytest.mark.parametrize("path", ["/dashboard/login", "/dev/sms"])
def test_staff_pages_are_never_framed_or_cached(client, path: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert _csp(r)["frame-ancestors"] == "'none'"
    assert r.headers["X-Frame-Options"] == "DENY"
    if path.startswith("/dashboard"):
        assert "no-store" in r.headers["Cache-Control"]


class TestWidgetOrigins:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"widget_origins": "https://www.example.org, https://clinic.example.com"}

    def test_chat_frame_ancestors_include_widget_origins(self, client) -> None:  # type: ignore[no-untyped-def]
        r = client.get("/chat")
        assert _csp(r)["frame-ancestors"] == (
            "'self' https://www.example.org https://clinic.example.com"
        )
        assert "X-Frame-Options" not in r.headers
        assert _csp(client.get("/dashboard/login"))["frame-ancestors"] == "'none'"


def test_widget_origins_setting_refuses_junk() -> None:
    from cfbot.config import ConfigError, Settings

    with pytest.raises((ConfigError, ValueError)):
        Settings.from_env(environ={"CFBOT_WIDGET_ORIGINS": "https://ok.org; script-src *"})


def test_templates_have_no_inline_script_or_style() -> None:
    for path in TEMPLATES.rglob("*.html"):
        if "mail" in path.parts:
            continue  # e-mail bodies, never served as pages
        if "reports" in path.parts:
            continue  # printable documents (PDF source, HTML download as an attachment)
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert "<style" not in text and " style=" not in text, path
        assert not re.search(r"\son[a-z]+=", text), path
