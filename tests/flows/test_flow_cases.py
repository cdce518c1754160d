"""The admin-written flow test case runner."""

from __future__ import annotations

from pathlib import Path

from flow_helpers import DATA, tiny_scorer

from cfbot.flow_cases import format_test_report, run_case_files, run_cases
from cfbot.flow_store import load_flow


def flows() -> dict:
    return {"minimal": load_flow(DATA / "minimal.yaml")}


def test_passing_and_failing_cases_are_reported_readably() -> None:
    report = run_case_files([DATA / "cases"], flows())
    assert [r.passed for r in report.results] == [True, False]
    assert report.exit_code == 1
    failing = report.failed[0]
    assert failing.name == "deliberately fails" and failing.line == 10
    text = "\n".join(failing.failures)
    assert "step 1: expected 'this text is not there' in 'Califíquenos del 1 al 5'" in text
    assert "answers: expected 'score' = 5, got 4" in text
    assert "alerts: expected some alert, fired: none" in text
    assert "status: expected 'active', got 'completed'" in text
    out = format_test_report(report)
    assert report.format() == out
    assert "PASS" in out and "FAIL" in out and "1 passed, 1 failed" in out


def test_all_passing_gives_exit_code_zero(tmp_path: Path) -> None:
    case = tmp_path / "ok.yaml"
    case.write_text(
        "flow: minimal\ncases:\n  - name: ok\n    steps:\n      - expect_none: false\n"
        "      - tick: 1h\n        expect_none: true\n      - send: '9'\n        expect: ['Sorry']\n"
        "      - switch: es\n        expect: ['Califíquenos']\n      - stop: true\n        expect_none: true\n"
        "    status: stopped\n"
    )
    report = run_cases([str(case)], flows(), scorer=tiny_scorer)
    assert report.exit_code == 0, format_test_report(report)


def test_bad_case_files_are_problems_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("flow: nope\ncases: [{name: x}]\n")
    (tmp_path / "b.yaml").write_text("flow: minimal\ncases: []\n")
    (tmp_path / "c.yaml").write_text(
        "flow: minimal\nextra: 1\ncases:\n  - {name: y, bogus: 1}\n  - {name: z, steps: [{tick: soon}]}\n"
    )
    (tmp_path / "d.yaml").write_text("a: &x [1]\nb: *x\n")
    report = run_case_files([tmp_path], flows())
    messages = [str(p) for p in report.problems]
    assert any("a.yaml:1:1: error: flow 'nope' is not loaded" in m for m in messages)
    assert any("b.yaml:1:1: error: 'cases' must be a non-empty list" in m for m in messages)
    assert any("c.yaml:1:1: error: unknown key(s) extra" in m for m in messages)
    assert any("aliases" in m for m in messages)
    failures = {r.name: r.failures for r in report.results}
    assert failures["y"] == ["unknown key(s) bogus"]
    assert "not a duration" in failures["z"][0]
    assert report.exit_code == 1


def test_alert_lists_by_index_or_condition_and_scores_override(tmp_path: Path) -> None:
    flow = load_flow(DATA / "minimal.yaml")
    from dataclasses import replace

    from cfbot.flows.expr import parse
    from cfbot.flows.model import AlertRule

    with_alert = replace(flow, alerts=(AlertRule(parse("score <= 2"), "score <= 2"),))
    case = tmp_path / "alerts.yaml"
    case.write_text(
        "flow: minimal\ncases:\n"
        "  - {name: by index, steps: [{send: '1'}], alerts: [0]}\n"
        "  - {name: by condition, steps: [{send: '1'}], alerts: ['score <= 2']}\n"
        "  - {name: wrong rule, steps: [{send: '1'}], alerts: [3]}\n"
    )
    report = run_case_files([case], {"minimal": with_alert})
    assert [r.passed for r in report.results] == [True, True, False]
