"""``cfbot alerts`` commands."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cfbot.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def test_check_routing_ok_and_broken(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(
        cli, ["alerts", "check-routing", str(ROOT / "conversations" / "routing.yaml")]
    )
    assert ok.exit_code == 0, ok.output
    assert "ok (2 site(s)" in ok.output
    bad = tmp_path / "routing.yaml"
    bad.write_text("sites:\n  north:\n    staff: [nope]\n")
    result = runner.invoke(cli, ["alerts", "check-routing", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:3:13: error:" in result.output


def test_list_send_and_test_email(settings, smtp, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SMTP_URL", smtp.url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", str(ROOT / "conversations"))
    runner = CliRunner()
    result = runner.invoke(cli, ["alerts", "list"])
    assert result.exit_code == 0 and "no alerts" in result.output
    result = runner.invoke(cli, ["alerts", "test-email", "someone@example.org"])
    assert result.exit_code == 0, result.output
    assert smtp.received[0].envelope_to == ["someone@example.org"]
    result = runner.invoke(cli, ["alerts", "send"])
    assert result.exit_code == 0 and "sent 0 email(s)" in result.output
    result = runner.invoke(cli, ["alerts", "login-link", "oncall@example.org"])
    assert result.exit_code != 0 and "no enabled account" in result.output
    result = runner.invoke(cli, ["users", "import-routing"])
    assert result.exit_code == 0 and "oncall@example.org\tmanager\t*" in result.output
    result = runner.invoke(cli, ["alerts", "login-link", "oncall@example.org"])
    assert result.exit_code == 0 and "/dashboard/login/" in result.output


def test_users_disable_and_enable(settings, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", str(ROOT / "conversations"))
    runner = CliRunner()
    created = runner.invoke(cli, ["users", "create", "Lee@Example.org", "--role", "viewer"])
    assert created.exit_code == 0, created.output
    off = runner.invoke(cli, ["users", "disable", "Lee@Example.org"])
    assert off.exit_code == 0 and "lee@example.org: disabled, sessions ended" in off.output
    assert "lee@example.org\tviewer\t*\t-\tdisabled" in runner.invoke(cli, ["users", "list"]).output
    on = runner.invoke(cli, ["users", "enable", "lee@example.org"])
    assert on.exit_code == 0 and "lee@example.org: enabled" in on.output
    missing = runner.invoke(cli, ["users", "disable", "nobody@example.org"])
    assert missing.exit_code != 0 and "no account for nobody@example.org" in missing.output
