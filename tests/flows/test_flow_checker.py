"""`flows check`: problems, SMS segment report, exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

from flow_helpers import DATA

from cfbot.flow_check import check_paths, format_report


def test_clean_file_passes_strict() -> None:
    report = check_paths([str(DATA / "minimal.yaml")], strict=True)
    assert report.exit_code == 0 and report.problems == []
    rows = {(r.item, r.lang): r for r in report.segment_report}
    assert rows[("score", "en")].encoding == "GSM-7"
    assert rows[("score", "es")].encoding == "UCS-2"
    assert "1 flow(s) OK, 0 error(s), 0 warning(s) (strict)" in format_report(report)


def test_errors_fail_and_warnings_fail_only_when_strict() -> None:
    broken = check_paths([str(DATA / "bad_goto.yaml")])
    assert broken.exit_code == 1
    assert "bad_goto.yaml:9:15: error:" in format_report(broken)
    warned = check_paths([str(DATA / "unreachable.yaml")])
    assert warned.exit_code == 0 and len(warned.problems) == 1
    strict = check_paths([str(DATA / "unreachable.yaml")], strict=True)
    assert strict.exit_code == 1 and strict.problems[0].severity == "error"


def test_long_messages_warn_with_segment_count(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(
        "id: long\nlanguages: [en, es]\nquestions:\n  - id: a\n    type: text\n    text:\n"
        f'      en: "{"word " * 70}"\n      es: "{"acción " * 30}"\n'
    )
    report = check_paths([str(path)])
    messages = [str(p) for p in report.problems]
    assert any(":7:1: warning: a (en) is 3 SMS segments (349 GSM-7 units)" in m for m in messages)
    assert any(":8:1: warning: a (es) is 4 SMS segments" in m for m in messages)
    assert report.exit_code == 0
    assert check_paths([str(path)], strict=True).exit_code == 1
    assert "<- too long" in format_report(report)


def test_directories_missing_paths_and_duplicates(tmp_path: Path) -> None:
    shutil.copy(DATA / "minimal.yaml", tmp_path / "a.yaml")
    shutil.copy(DATA / "minimal.yaml", tmp_path / "b.yaml")
    report = check_paths([str(tmp_path), str(tmp_path / "a.yaml"), str(tmp_path / "nope.yaml")])
    messages = [str(p) for p in report.problems]
    assert any("nope.yaml:1:1: error: no such file" in m for m in messages)
    assert any("b.yaml:1:1: error: flow id 'minimal' is already used" in m for m in messages)
    assert list(report.flows) == ["minimal"]
    assert report.exit_code == 1
