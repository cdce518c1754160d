"""The flows and cases shipped in conversations/ are clean and pass."""

from __future__ import annotations

from flow_helpers import CONVERSATIONS_DIR, tiny_scorer

from cfbot.flow_cases import format_test_report, run_case_files
from cfbot.flow_check import check_paths, format_report
from cfbot.flow_store import load_directory

LANGS = {"en", "es", "so", "hmn", "vi"}


def test_shipped_flows_have_no_problems_even_strict() -> None:
    report = check_paths([str(CONVERSATIONS_DIR)], strict=True)
    assert report.problems == [], format_report(report)
    assert report.exit_code == 0
    assert {"clinic_visit", "immunization_clinic"} <= set(report.flows)
    assert max(r.segments for r in report.segment_report) <= 2


def test_shipped_flows_are_in_every_language_and_marked_unreviewed() -> None:
    for flow in load_directory(CONVERSATIONS_DIR).flows.values():
        assert set(flow.languages) == LANGS
        assert all(not flow.is_reviewed(lang) for lang in LANGS - {"en"})
        assert set(flow.keywords) == LANGS
        for lang in LANGS:
            assert "STOP" in flow.closing[lang]


def test_shipped_cases_pass_without_and_with_a_scorer() -> None:
    flow_set = load_directory(CONVERSATIONS_DIR)
    for scorer in (None, tiny_scorer):
        report = run_case_files([CONVERSATIONS_DIR / "tests"], flow_set, scorer=scorer)
        assert report.exit_code == 0, format_test_report(report)
        assert len(report.results) >= 15
    covered = {r.flow_id for r in report.results}
    assert covered == set(flow_set.flows)
