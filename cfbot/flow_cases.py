"""Flow test cases that admins write next to their flows (``conversations/tests/*.yaml``).

A case plays a conversation against the pure engine and checks what the bot said, the
answers stored, whether alerts fire and how the conversation ended::

    flow: clinic_visit
    cases:
      - name: unhappy client is asked what went wrong and alert fires
        lang: es
        context: {first_name: Ana, site: Northside}
        scores: {"Esperé dos horas": -0.7}   # fixed sentiment for these answers
        steps:
          - expect: ["satisfecho"]          # what the bot said at the start
          - send: "uno"
            expect: ["Lo sentimos"]          # what it said in reply to this message
          - tick: 5h                         # advance the clock, send a timer tick
            expect: ["reminder"]
          - send: "Esperé dos horas"
        answers: {overall: 1, what_went_wrong: "Esperé dos horas"}
        alerts: true                         # or false, or a list of rule indexes / conditions
        status: completed

Step keys: ``send`` (client text), ``tick`` (duration), ``switch`` (language),
``stop: true``, ``expect`` (text fragments, case-insensitive, each must appear in the
messages of *this* step; a step with no action checks the previous action's messages),
``expect_none: true`` (this step sent nothing). Case keys besides the above:
``skipped`` and ``gave_up`` (question id lists), ``start_at`` (ISO datetime).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from cfbot.flows import engine
from cfbot.flows.engine import Scorer
from cfbot.flows.model import Flow, Problem, parse_duration
from cfbot.flows.yaml_marks import compose_yaml, plain_value

DEFAULT_START = datetime.fromisoformat("2024-01-15T15:00:00+00:00")
# each client message arrives a minute after the last, so timers behave realistically
STEP_GAP = timedelta(minutes=1)

FILE_KEYS = ("flow", "cases", "start_at")
CASE_KEYS = (
    "name",
    "lang",
    "context",
    "scores",
    "steps",
    "answers",
    "alerts",
    "status",
    "skipped",
    "gave_up",
    "start_at",
)
STEP_KEYS = ("send", "tick", "switch", "stop", "expect", "expect_none")


@dataclass
class CaseResult:
    """Outcome of one case."""

    path: str
    line: int
    flow_id: str
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every check of the case held."""
        return not self.failures


@dataclass
class TestReport:
    """Outcome of every case file run."""

    __test__ = False  # not a pytest test class despite the name

    results: list[CaseResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> list[CaseResult]:
        """Cases that passed."""
        return [r for r in self.results if r.passed]

    @property
    def failed(self) -> list[CaseResult]:
        """Cases that failed."""
        return [r for r in self.results if not r.passed]

    @property
    def exit_code(self) -> int:
        """1 when a case failed or a case file could not be read, else 0."""
        return 1 if self.failed or any(p.is_error for p in self.problems) else 0

    def format(self) -> str:
        """Readable summary (see :func:`format_test_report`)."""
        return format_test_report(self)


def _flows_of(flow_set: Any) -> Mapping[str, Flow]:
    if isinstance(flow_set, Mapping):
        return flow_set
    if hasattr(flow_set, "flows"):
        return flow_set.flows
    if hasattr(flow_set, "all"):
        return {f.id: f for f in flow_set.all()}
    raise TypeError("flow_set must be a FlowSet, a FlowRegistry or a mapping of id to Flow")


def case_files(paths: Sequence[str | Path]) -> list[Path]:
    """Expand directories to the ``*.yaml``/``*.yml`` files directly inside them."""
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(sorted(f for f in p.iterdir() if f.suffix in (".yaml", ".yml")))
        else:
            files.append(p)
    return files


def _short(messages: list[str]) -> str:
    if not messages:
        return "(no messages)"
    return " | ".join(repr(m if len(m) <= 120 else m[:117] + "...") for m in messages)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    if isinstance(expected, str) and isinstance(actual, str):
        return expected.strip() == actual.strip()
    return expected == actual


class _CaseRun:
    def __init__(
        self, flow: Flow, case: Mapping[str, Any], result: CaseResult, scorer: Scorer | None
    ) -> None:
        self.flow = flow
        self.case = case
        self.result = result
        scores = case.get("scores") or {}

        def score(text: str, lang: str, question_text: str) -> float | None:
            if text in scores:
                return float(scores[text])
            return scorer(text, lang, question_text) if scorer else None

        self.scorer = score

    def fail(self, message: str) -> None:
        self.result.failures.append(message)

    def run(self, start_at: datetime) -> None:
        case = self.case
        now = start_at
        context = {str(k): str(v) for k, v in (case.get("context") or {}).items()}
        sprint = engine.start(self.flow, now, case.get("lang"), context)
        last: list[str] = [m.text for m in sprint.messages]
        state = sprint.state
        for number, step in enumerate(case.get("steps") or [], 1):
            if not isinstance(step, Mapping):
                self.fail(f"step {number}: must be a mapping")
                continue
            unknown = sorted(set(step) - set(STEP_KEYS))
            if unknown:
                self.fail(f"step {number}: unknown key(s) {', '.join(unknown)}")
                continue
            label = f"step {number}"
            acted = False
            produced: list[str] = []
            if "tick" in step:
                try:
                    now = now + parse_duration(str(step["tick"]))
                except ValueError as exc:
                    self.fail(f"{label}: {exc}")
                    continue
                sprint = engine.resume(self.flow, state, None, now, self.scorer)
                state, acted = sprint.state, True
                produced += [m.text for m in sprint.messages]
                label += f" (tick {step['tick']})"
            if "switch" in step:
                now = now + STEP_GAP
                sprint = engine.switch_language(self.flow, state, str(step["switch"]), now)
                state, acted = sprint.state, True
                produced += [m.text for m in sprint.messages]
                label += f" (switch to {step['switch']})"
            if "send" in step:
                now = now + STEP_GAP
                text = "" if step["send"] is None else str(step["send"])
                sprint = engine.resume(self.flow, state, text, now, self.scorer)
                state, acted = sprint.state, True
                produced += [m.text for m in sprint.messages]
                label += f" (send {text!r})"
            if step.get("stop"):
                sprint = engine.stop(self.flow, state, now)
                state, acted = sprint.state, True
                produced += [m.text for m in sprint.messages]
                label += " (stop)"
            if acted:
                last = produced
            self._check_step(label, step, last)
        self._check_end(state)

    def _check_step(self, label: str, step: Mapping[str, Any], messages: list[str]) -> None:
        joined = "\n".join(messages).casefold()
        for fragment in _as_list(step.get("expect")):
            if str(fragment).casefold() not in joined:
                self.fail(f"{label}: expected {str(fragment)!r} in {_short(messages)}")
        if step.get("expect_none") and messages:
            self.fail(f"{label}: expected no message, got {_short(messages)}")

    def _check_end(self, state: Mapping[str, Any]) -> None:
        case = self.case
        answers = state.get("answers") or {}
        expected_answers = case.get("answers") or {}
        if not isinstance(expected_answers, Mapping):
            self.fail("answers must be a mapping of question id to value")
            expected_answers = {}
        for qid, expected in expected_answers.items():
            if self.flow.question(str(qid)) is None:
                self.fail(f"answers: {qid!r} is not a question of flow {self.flow.id!r}")
                continue
            actual = answers.get(qid)
            if expected is None:
                if actual is not None:
                    self.fail(f"answers: expected {qid!r} unanswered, got {actual!r}")
            elif qid not in answers:
                self.fail(f"answers: expected {qid!r} = {expected!r}, but it was not answered")
            elif not _same(expected, actual):
                self.fail(f"answers: expected {qid!r} = {expected!r}, got {actual!r}")
        if "alerts" in case:
            self._check_alerts(state, case["alerts"])
        if "status" in case:
            actual_status = engine.state_status(state)
            if str(case["status"]) != actual_status:
                self.fail(f"status: expected {case['status']!r}, got {actual_status!r}")
        for key in ("skipped", "gave_up"):
            if key in case:
                expected_ids = sorted(str(x) for x in _as_list(case[key]))
                actual_ids = sorted(state.get(key) or [])
                if expected_ids != actual_ids:
                    self.fail(f"{key}: expected {expected_ids}, got {actual_ids}")

    def _check_alerts(self, state: Mapping[str, Any], expected: Any) -> None:
        fired = engine.evaluate_alerts(self.flow, state)
        described = [f"#{r.index} {r.source!r}" for r in fired] or ["none"]
        if isinstance(expected, bool):
            if bool(fired) != expected:
                want = "some alert" if expected else "no alert"
                self.fail(f"alerts: expected {want}, fired: {', '.join(described)}")
            return
        wanted: set[int] = set()
        for item in _as_list(expected):
            match = [
                r.index
                for r in self.flow.alerts
                if (isinstance(item, int) and r.index == item)
                or (isinstance(item, str) and r.source.strip() == item.strip())
            ]
            if not match:
                self.fail(f"alerts: {item!r} is not an alert rule index or condition")
            wanted.update(match)
        if wanted != {r.index for r in fired}:
            self.fail(f"alerts: expected rules {sorted(wanted)}, fired: {', '.join(described)}")


def _load_cases(path: Path) -> tuple[Any, list[int], list[Problem]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [], [Problem(str(path), 1, 1, "error", f"cannot read file: {exc}")]
    node, problems = compose_yaml(data, str(path))
    if node is None:
        return None, [], problems
    lines: list[int] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == "cases" and isinstance(value, yaml.SequenceNode):
                lines = [item.start_mark.line + 1 for item in value.value]
    return plain_value(node), lines, problems


def _parse_start(value: Any, fallback: datetime) -> datetime:
    if value is None:
        return fallback
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError("start_at needs a UTC offset, e.g. 2024-01-15T09:00:00-06:00")
    return parsed


def run_case_files(
    paths: list[str] | list[Path], flow_set: Any, scorer: Scorer | None = None
) -> TestReport:
    """Run every case in the given files (or directories of them) against ``flow_set``.

    ``flow_set`` is a :class:`~cfbot.flows.model.FlowSet`, a
    :class:`~cfbot.flow_store.FlowRegistry` or a mapping of id to Flow. ``scorer``
    scores text answers (``None``: no sentiment unless a case gives ``scores``).
    """
    flows = _flows_of(flow_set)
    report = TestReport()
    for path in case_files(list(paths)):
        data, lines, problems = _load_cases(path)
        report.problems.extend(problems)
        if data is None:
            continue

        def problem(message: str, line: int = 1, _path: Path = path) -> None:
            report.problems.append(Problem(str(_path), line, 1, "error", message))

        if not isinstance(data, Mapping):
            problem("a test file must be a mapping with 'flow' and 'cases'")
            continue
        unknown = sorted(set(data) - set(FILE_KEYS))
        if unknown:
            problem(f"unknown key(s) {', '.join(map(str, unknown))}")
        flow = flows.get(str(data.get("flow")))
        if flow is None:
            problem(f"flow {data.get('flow')!r} is not loaded (known: {', '.join(sorted(flows))})")
            continue
        cases = data.get("cases")
        if not isinstance(cases, list) or not cases:
            problem("'cases' must be a non-empty list")
            continue
        try:
            file_start = _parse_start(data.get("start_at"), DEFAULT_START)
        except ValueError as exc:
            problem(f"start_at: {exc}")
            continue
        for index, case in enumerate(cases):
            line = lines[index] if index < len(lines) else 1
            name = str(case.get("name", f"case {index + 1}")) if isinstance(case, Mapping) else ""
            result = CaseResult(str(path), line, flow.id, name or f"case {index + 1}")
            report.results.append(result)
            if not isinstance(case, Mapping):
                result.failures.append("a case must be a mapping")
                continue
            unknown = sorted(set(case) - set(CASE_KEYS))
            if unknown:
                result.failures.append(f"unknown key(s) {', '.join(map(str, unknown))}")
                continue
            try:
                start_at = _parse_start(case.get("start_at"), file_start)
                _CaseRun(flow, case, result, scorer).run(start_at)
            except Exception as exc:  # a broken case must be reported, not crash the run
                result.failures.append(f"error while running: {type(exc).__name__}: {exc}")
    return report


run_cases = run_case_files


def format_test_report(report: TestReport) -> str:
    """Readable summary: one line per case, failures indented below it."""
    lines = [str(p) for p in report.problems]
    for r in report.results:
        mark = "PASS" if r.passed else "FAIL"
        lines.append(f"{mark} {r.path}:{r.line} [{r.flow_id}] {r.name}")
        lines.extend(f"    {f}" for f in r.failures)
    lines.append(
        f"{len(report.passed)} passed, {len(report.failed)} failed"
        + (f", {len(report.problems)} file problem(s)" if report.problems else "")
    )
    return "\n".join(lines)
