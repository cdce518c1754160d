"""Loops: `flows check` refuses any loop (it can repeat without bound), and the engine
stops a conversation after a hard number of questions whatever the flow says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from flow_helpers import DATA

from cfbot.flow_check import check_paths, format_report
from cfbot.flows import engine, parse_flow
from cfbot.flows.model import Branch

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


def test_goto_back_that_answered_alone_decides_is_an_error() -> None:
    # answered(overall) stays true: the question would be asked forever
    report = check_paths([str(DATA / "self_loop.yaml")], strict=True)
    assert report.exit_code == 1
    text = format_report(report)
    assert "self_loop.yaml:5:1: error: question 'overall' is in a loop" in text


def _loop_flow(tmp_path, condition: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "loop2.yaml"
    path.write_text(
        "id: loop2\nlanguages: [en]\nquestions:\n"
        '  - id: first\n    type: rating\n    text: {en: "First?"}\n'
        '  - id: a\n    type: rating\n    text: {en: "A?"}\n'
        '  - id: b\n    type: yesno\n    text: {en: "B?"}\n'
        f"    next: [{{when: '{condition}', goto: a}}]\n"
        '  - id: c\n    type: text\n    text: {en: "C?"}\n'
    )
    return check_paths([str(path)])


def test_loop_on_an_answer_from_before_the_loop_is_an_error_reported_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = _loop_flow(tmp_path, "first <= 2")
    errors = [p for p in report.problems if p.severity == "error"]
    assert len(errors) == 1 and "(a -> b -> a)" in errors[0].message


def test_loop_the_client_leaves_by_answering_is_allowed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _loop_flow(tmp_path, 'b == "yes"').exit_code == 0
    assert _loop_flow(tmp_path, "a <= 2 and answered(first)").exit_code == 0


def test_engine_stops_a_loop_loaded_without_the_check() -> None:
    flow = parse_flow(
        'id: ok\nlanguages: [en]\nquestions:\n  - id: q\n    type: rating\n    text: {en: "Q?"}\n'
    )
    (q,) = flow.questions
    looping = replace(flow, questions=(replace(q, next=(Branch("q"),)),))
    sprint = engine.start(looping, NOW, lang="en")
    state = sprint.state
    for _ in range(engine.MAX_QUESTIONS_PER_CONVERSATION + 5):
        if state["status"] != "active":
            break
        state = engine.resume(looping, state, "3", NOW).state
    assert state["status"] == "completed"
    assert state["asked_count"] == engine.MAX_QUESTIONS_PER_CONVERSATION
