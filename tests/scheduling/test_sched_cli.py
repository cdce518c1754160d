"""``cfbot tokens`` and ``cfbot scheduler`` commands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cfbot.cli import cli


@pytest.fixture
def env(settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", settings.conversations_dir)
    monkeypatch.setenv("CFBOT_INSTANCE_PATH", settings.instance_path)


def test_tokens_create_list_revoke_and_use(env, client) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    created = runner.invoke(cli, ["tokens", "create", "ehr", "--expires-in", "30d"])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("cfbot_")
    listed = runner.invoke(cli, ["tokens", "list"])
    assert "ehr" in listed.output and secret not in listed.output
    auth = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/visits", json=[], headers=auth).status_code == 400
    assert runner.invoke(cli, ["tokens", "revoke", "1"]).exit_code == 0
    assert client.post("/api/v1/visits", json=[], headers=auth).status_code == 401
    assert runner.invoke(cli, ["tokens", "revoke", "99"]).exit_code == 1


def test_scheduler_once_and_jobs(env) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    listed = runner.invoke(cli, ["scheduler", "jobs"])
    assert "send_invitations" in listed.output and "data_retention" in listed.output
    once = runner.invoke(cli, ["scheduler", "--once"])
    assert once.exit_code == 0, once.output
    assert "dispatch_outbox:" in once.output and "escalate_alerts:" in once.output
    bad = runner.invoke(cli, ["scheduler", "--once", "--job", "nope"])
    assert bad.exit_code != 0 and "no job" in bad.output


def test_scheduler_once_prints_plain_words_and_json(env) -> None:  # type: ignore[no-untyped-def]
    import json

    once = CliRunner().invoke(cli, ["scheduler", "--once", "--job", "send_invitations"])
    assert once.exit_code == 0, once.output
    assert "TickReport(" not in once.output
    assert "send_invitations: sent 0, skipped 0" in once.output
    as_json = CliRunner().invoke(cli, ["scheduler", "--once", "--json", "--job", "dispatch_outbox"])
    assert json.loads(as_json.output.splitlines()[-1])["dispatch_outbox"]["sent"] == 0


def test_scheduler_once_exits_non_zero_when_another_leads(env, rt) -> None:  # type: ignore[no-untyped-def]
    from cfbot.commands.scheduler import NOT_LEADER_EXIT
    from cfbot.services.leader import Leader

    other = Leader(rt.engine, clock=rt.clock)
    assert other.check()
    try:
        result = CliRunner().invoke(cli, ["scheduler", "--once"])
    finally:
        other.release()
    assert result.exit_code == NOT_LEADER_EXIT
    assert "another scheduler is the leader" in result.output
