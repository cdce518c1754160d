"""`flows check` measures what is sent: re-prompt + newline + question, the built-in
re-prompt, reminder and closing texts; and estimates the cost of a completed survey."""

from __future__ import annotations

from pathlib import Path

from cfbot.flow_check import check_paths, format_report, survey_costs
from cfbot.flows.segments import sms_info
from cfbot.i18n import translate

# 130 UCS-2 units: 2 segments alone, 3 once a re-prompt or reminder is put in front
LONG_ES = "¿Qué tal " + "á" * 110 + " su visita?"


def write(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "cost.yaml"
    path.write_text(
        "id: cost\nlanguages: [en, es]\nreminder: {after: 4h}\n"
        "intro: {en: Hello, es: Hola}\n"
        "questions:\n"
        "  - id: a\n    type: rating\n    optional: true\n"
        f'    text: {{en: "Rate us 1 to 5", es: "{LONG_ES}"}}\n'
        "  - id: b\n    type: text\n    optional: true\n"
        '    text: {en: "Why?", es: "¿Por qué?"}\n' + extra,
        encoding="utf-8",
    )
    return path


def test_builtin_reprompt_and_reminder_are_measured_with_the_question(tmp_path: Path) -> None:
    assert sms_info(LONG_ES).segments == 2
    report = check_paths([str(write(tmp_path))])
    rows = {(r.item, r.lang): r for r in report.segment_report}
    reprompt = translate("es", "Sorry, I didn't understand. {question}", question=LONG_ES)
    assert rows[("a.reprompt", "es")].length == sms_info(reprompt).length
    assert rows[("a.reprompt", "es")].segments == 3
    assert rows[("reminder (a)", "es")].segments == 3
    assert rows[("closing", "en")].kind == "closing"  # the built-in closing counts too
    warnings = [str(p) for p in report.problems]
    assert any("a.reprompt (es) is 3 SMS segments" in w for w in warnings)
    assert any("reminder (a) (es) is 3 SMS segments" in w for w in warnings)
    strict = check_paths([str(write(tmp_path))], strict=True)
    assert strict.exit_code == 1


def test_custom_reprompt_is_measured_with_newline_and_question(tmp_path: Path) -> None:
    extra = '    reprompt: {en: "Please answer.", es: "Responda, por favor."}\n'
    report = check_paths([str(write(tmp_path, extra))])
    rows = {(r.item, r.lang): r for r in report.segment_report}
    assert rows[("b.reprompt", "es")].length == len("Responda, por favor.\n¿Por qué?")
    # a required question's reprompt is the longer of re-prompt and skip refusal
    assert rows[("b.reprompt", "en")].kind == "reprompt"


def test_cost_per_completed_survey_per_language(tmp_path: Path) -> None:
    report = check_paths([str(write(tmp_path))])
    costs = {c.lang: c for c in survey_costs(report, 0.01)}
    rows = report.segment_report
    for lang in ("en", "es"):
        expected = sum(
            r.segments
            for r in rows
            if r.lang == lang and r.kind in ("intro", "question", "closing")
        )
        assert costs[lang].segments == expected
        assert costs[lang].cost == round(expected * 0.01, 4)
    assert costs["es"].segments > costs["en"].segments
    text = format_report(report, price_per_segment=0.0079)
    assert "estimated cost of one completed survey" in text and "$0.0079 per segment" in text


def test_cli_price_option_and_setting(tmp_path: Path, monkeypatch) -> None:
    from click.testing import CliRunner

    from cfbot.cli import cli

    path = str(write(tmp_path))
    monkeypatch.setenv("CFBOT_SMS_PRICE_PER_SEGMENT", "0.02")
    out = CliRunner().invoke(cli, ["flows", "check", path]).output
    assert "at $0.02 per segment" in out
    out = CliRunner().invoke(cli, ["flows", "check", path, "--price-per-segment", "0.5"]).output
    assert "at $0.5 per segment" in out


def test_shipped_flows_fit_in_two_segments_as_sent() -> None:
    root = Path(__file__).resolve().parents[2] / "conversations"
    report = check_paths([str(root)], strict=True)
    assert report.exit_code == 0, format_report(report, segments=False)
