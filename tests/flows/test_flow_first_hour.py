"""Messages a new admin reads: the check summary, expression hints, `cfbot chat` errors
and the alert rules `cfbot chat` shows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from flow_helpers import DATA

from cfbot.cli import cli
from cfbot.flow_check import check_paths, format_report
from cfbot.flows.expr import ExprError, parse

ROOT = Path(__file__).resolve().parents[2]


def test_summary_does_not_call_a_flow_with_errors_ok() -> None:
    report = check_paths([str(DATA / "unreachable.yaml")], strict=True)
    summary = format_report(report).splitlines()[-1]
    assert summary.startswith("0 flow(s) OK, 1 file(s) with errors, 1 error(s)")


@pytest.mark.parametrize(("text", "hint"), [("wait =< 2", "'<='"), ("wait => 2", "'>='")])
def test_reversed_comparison_gets_the_right_hint(text: str, hint: str) -> None:
    with pytest.raises(ExprError, match=f"write {hint}"):
        parse(text)


def test_chat_names_the_file_that_failed_to_load(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "clinic_visit.yaml"
    shutil.copy(ROOT / "conversations" / "clinic_visit.yaml", broken)
    broken.write_text(broken.read_text().replace("type: rating", "type: ratng", 1))
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["chat", "clinic_visit"], input="")
    assert result.exit_code != 0
    assert "failed to load" in result.output and "unknown type 'ratng'" in result.output


def test_chat_refuses_an_unknown_language_and_shows_fired_alerts(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CFBOT_CONVERSATIONS_DIR", str(ROOT / "conversations"))
    bad = CliRunner().invoke(cli, ["chat", "clinic_visit", "--lang", "xx"], input="")
    assert bad.exit_code == 2 and "not one of this flow's languages" in bad.output
    result = CliRunner().invoke(
        cli, ["chat", "clinic_visit", "--lang", "en"], input="1\nslow\n1\n3\nSKIP\n"
    )
    assert result.exit_code == 0
    assert "alert: Low satisfaction rating" in result.output
