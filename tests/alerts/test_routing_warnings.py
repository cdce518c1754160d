"""``cfbot alerts check-routing`` warnings: crisis text in an unsupported language, a
program given as one text instead of a list, example.org placeholder addresses."""

from __future__ import annotations

from click.testing import CliRunner

from cfbot.cli import cli
from cfbot.services.routing import parse_routing

ROUTING = """\
on_call: [oncall@health.gov]
sites:
  north:
    staff: [nurse@health.gov]
    programs:
      wic: wic-lead@health.gov
      shots: [shots@health.gov]
crisis_resources:
  en: "Crisis line: 612-555-0199."
  fr: "Ligne de crise : 612-555-0199."
"""


def test_parse_warns_but_keeps_the_routing() -> None:
    routing = parse_routing(ROUTING, "routing.yaml")
    assert routing.site("north").programs["wic"] == ("wic-lead@health.gov",)
    messages = [str(w) for w in routing.warnings]
    assert any(
        m.startswith("routing.yaml:6:12: warning: site 'north' program 'wic' is one text")
        for m in messages
    )
    assert any(
        m.startswith("routing.yaml:10:3: warning: crisis_resources: 'fr' is not a supported")
        for m in messages
    )
    assert len(messages) == 2  # the list program, en and the real addresses are fine


def test_placeholder_addresses_warn() -> None:
    text = "default: [admin@example.org, real@health.gov]\non_call: [x@clinic.example.com]\n"
    routing = parse_routing(text, "routing.yaml")
    messages = [str(w) for w in routing.warnings]
    assert messages == [
        "routing.yaml:1:11: warning: default: 'admin@example.org' is a placeholder address "
        "(no mail)",
        "routing.yaml:2:11: warning: on_call: 'x@clinic.example.com' is a placeholder address "
        "(no mail)",
    ]


def test_check_routing_prints_warnings_and_exits_0(tmp_path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(ROUTING + "default: [someone@example.org]\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["alerts", "check-routing", str(path)])
    assert result.exit_code == 0, result.output
    assert "ok (1 site(s)" in result.output
    assert f"{path}:6:12: warning: site 'north' program 'wic'" in result.output
    assert "'fr' is not a supported language" in result.output
    assert "'someone@example.org' is a placeholder address" in result.output
