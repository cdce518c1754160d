"""``cfbot flows check``: validate flow files and report SMS cost per message.

Plain functions so the CLI, CI and tests share one implementation.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cfbot.flow_store import flow_files, load_files
from cfbot.flows.model import Flow, Problem
from cfbot.flows.segments import sms_info
from cfbot.i18n import translate

MAX_SEGMENTS = 2
# placeholders are filled with values of typical length so segment counts are realistic
SAMPLE_CONTEXT: Mapping[str, str] = {
    "first_name": "Alexandra",
    "site": "Main Street Clinic",
    "program": "Family Health",
    "agency": "County Public Health",
}


@dataclass(frozen=True)
class SegmentRow:
    """SMS cost of one message of a flow in one language."""

    flow_id: str
    item: str  # question id, "intro", "closing", "reminder", "<question id>.reprompt"...
    lang: str
    encoding: str
    segments: int
    length: int
    line: int
    path: str
    # "question", "intro", "closing" (what a completed survey costs), or "reprompt" and
    # "reminder" (only when the client is slow or unclear)
    kind: str = "question"


@dataclass(frozen=True)
class CostRow:
    """Estimated SMS cost of one completed survey in one language: the intro, every
    question asked once and the closing (no re-prompts or reminders)."""

    flow_id: str
    lang: str
    segments: int
    cost: float


@dataclass
class CheckReport:
    """Everything ``flows check`` found."""

    problems: list[Problem] = field(default_factory=list)
    segment_report: list[SegmentRow] = field(default_factory=list)
    flows: dict[str, Flow] = field(default_factory=dict)
    strict: bool = False

    @property
    def errors(self) -> list[Problem]:
        """Problems that fail the check (warnings too, under ``strict``)."""
        return [p for p in self.problems if p.is_error or self.strict]

    @property
    def exit_code(self) -> int:
        """1 when anything fails the check, else 0."""
        return 1 if self.errors else 0


def _segment_rows(flow: Flow) -> list[SegmentRow]:
    """Every SMS a flow can send, per language, measured as the client gets it: a
    re-prompt is the re-prompt, a newline and the question; the built-in re-prompt,
    skip refusal, reminder and closing texts come from the catalogs."""
    rows: list[SegmentRow] = []

    def add(item: str, lang: str, text: str, line: int, kind: str) -> None:
        info = sms_info(text)
        rows.append(
            SegmentRow(
                flow.id,
                item,
                lang,
                info.encoding,
                info.segments,
                info.length,
                line,
                flow.path,
                kind,
            )
        )

    loc = flow.locations
    for lang in flow.languages:
        if flow.intro:
            line = loc.get(f"intro.{lang}", loc.get("intro", 1))
            add("intro", lang, flow.text(flow.intro, lang, SAMPLE_CONTEXT), line, "intro")
    for q in flow.questions:
        for lang in flow.languages:
            line = loc.get(f"question.{q.id}.text.{lang}", q.line)
            asked = flow.render_question(q, lang, SAMPLE_CONTEXT)
            add(q.id, lang, asked, line, "question")
            if not q.waits or q.retries < 1:
                continue
            if q.reprompt:
                line = loc.get(f"question.{q.id}.reprompt.{lang}", q.line)
                body = flow.text(q.reprompt, lang, SAMPLE_CONTEXT) + "\n" + asked
            else:
                body = translate(lang, "Sorry, I didn't understand. {question}", question=asked)
            if not q.optional:
                # SKIP on a required question gets this instead: measure the longer one
                refusal = translate(
                    lang, "This question cannot be skipped. {question}", question=asked
                )
                if sms_info(refusal).segments > sms_info(body).segments:
                    body = refusal
            add(f"{q.id}.reprompt", lang, body, line, "reprompt")
    for lang in flow.languages:
        if flow.closing:
            line = loc.get(f"closing.{lang}", loc.get("closing", 1))
            closing = flow.text(flow.closing, lang, SAMPLE_CONTEXT)
        else:
            line = 1
            closing = translate(lang, "Thank you for your feedback! Reply STOP to opt out.")
        add("closing", lang, closing, line, "closing")
        if flow.reminder is not None:
            line = loc.get(f"reminder.{lang}", loc.get("reminder", 1))
            if flow.reminder.text:
                add(
                    "reminder",
                    lang,
                    flow.text(flow.reminder.text, lang, SAMPLE_CONTEXT),
                    line,
                    "reminder",
                )
                continue
            # the built-in reminder repeats the question it is sent for: the longest one
            worst: tuple[int, int, str, str] | None = None
            for q in flow.questions:
                if not q.waits:
                    continue
                body = translate(
                    lang,
                    "Just a reminder: we would love to hear from you. {question}",
                    question=flow.render_question(q, lang, SAMPLE_CONTEXT),
                )
                info = sms_info(body)
                if worst is None or (info.segments, info.length) > worst[:2]:
                    worst = (info.segments, info.length, q.id, body)
            if worst is not None:
                add(f"reminder ({worst[2]})", lang, worst[3], line, "reminder")
    return rows


def survey_costs(report: CheckReport, price_per_segment: float) -> list[CostRow]:
    """Estimated cost of one completed survey per flow and language: intro, every
    question once, closing (an upper bound when branches skip questions)."""
    totals: dict[tuple[str, str], int] = {}
    for row in report.segment_report:
        if row.kind in ("intro", "question", "closing"):
            key = (row.flow_id, row.lang)
            totals[key] = totals.get(key, 0) + row.segments
    return [
        CostRow(flow_id, lang, segments, round(segments * price_per_segment, 4))
        for (flow_id, lang), segments in totals.items()
    ]


def _expand(paths: list[str]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            files.extend(flow_files(p))
        elif p.is_file():
            files.append(p)
        else:
            problems.append(Problem(raw, 1, 1, "error", "no such file or directory"))
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, problems


def site_problems(flows: list[Flow], known_sites: Collection[str] | None) -> list[Problem]:
    """Warnings about sites: two flows claiming one site (visits there could get either),
    and a flow naming a site (in ``sites`` or ``site_codes``) that routing does not know
    (``known_sites`` None: routing not read, that check is skipped)."""
    problems: list[Problem] = []
    owner: dict[str, Flow] = {}
    for flow in flows:
        for site in flow.sites:
            line = flow.locations.get(f"site.{site}", 1)
            other = owner.setdefault(site, flow)
            if other is not flow:
                problems.append(
                    Problem(
                        flow.path,
                        line,
                        1,
                        "warning",
                        f"site {site!r} is also claimed by flow {other.id!r} ({other.path})",
                    )
                )
            if known_sites is not None and site not in known_sites:
                problems.append(
                    Problem(flow.path, line, 1, "warning", f"site {site!r} is not in routing.yaml")
                )
        if known_sites is not None:
            for code, site in flow.site_codes.items():
                if site not in known_sites:
                    problems.append(
                        Problem(
                            flow.path,
                            1,
                            1,
                            "warning",
                            f"site code {code!r} names site {site!r}, not in routing.yaml",
                        )
                    )
    return problems


def check_paths(
    paths: list[str], strict: bool = False, known_sites: Collection[str] | None = None
) -> CheckReport:
    """Validate flow files (and directories of them); measure every message in SMS segments.

    Messages longer than two segments are reported as warnings, and so are the site
    problems of :func:`site_problems` (``known_sites``: the sites of routing.yaml). With
    ``strict`` every warning fails the check.
    """
    report = CheckReport(strict=strict)
    files, problems = _expand([str(p) for p in paths])
    report.problems.extend(problems)
    accepted, found = load_files(files)
    report.problems.extend(found)
    report.problems.extend(site_problems(accepted, known_sites))
    for flow in accepted:
        report.flows[flow.id] = flow
        for row in _segment_rows(flow):
            report.segment_report.append(row)
            if row.segments > MAX_SEGMENTS:
                report.problems.append(
                    Problem(
                        flow.path,
                        row.line,
                        1,
                        "warning",
                        f"{row.item} ({row.lang}) is {row.segments} SMS segments "
                        f"({row.length} {row.encoding} units); keep it to {MAX_SEGMENTS}",
                    )
                )
    if strict:
        report.problems = [p.as_error() for p in report.problems]
    report.problems.sort(key=lambda p: (p.path, p.line, p.col))
    return report


def format_report(
    report: CheckReport, segments: bool = True, price_per_segment: float | None = None
) -> str:
    """Human-readable report: problems first, then the SMS segment table, the estimated
    cost of a completed survey per language (when a price is given) and a summary."""
    lines = [str(p) for p in report.problems]
    if segments and report.segment_report:
        if lines:
            lines.append("")
        lines.append(f"{'flow':<24} {'message':<24} {'lang':<4} {'encoding':<8} {'len':>4} seg")
        for row in report.segment_report:
            mark = "  <- too long" if row.segments > MAX_SEGMENTS else ""
            lines.append(
                f"{row.flow_id:<24} {row.item:<24} {row.lang:<4} {row.encoding:<8} "
                f"{row.length:>4} {row.segments:>3}{mark}"
            )
        if price_per_segment is not None:
            lines.append("")
            lines.append(
                f"estimated cost of one completed survey (intro, every question once, closing; "
                f"no re-prompts or reminders) at ${price_per_segment:g} per segment:"
            )
            lines.append(f"{'flow':<24} {'lang':<4} {'seg':>4} {'cost':>9}")
            for cost in survey_costs(report, price_per_segment):
                lines.append(
                    f"{cost.flow_id:<24} {cost.lang:<4} {cost.segments:>4} ${cost.cost:>8.4f}"
                )
    errors = sum(1 for p in report.problems if p.is_error)
    warnings = len(report.problems) - errors
    # a flow that loaded but has an error (e.g. a warning under --strict) is not OK
    failed_paths = {str(p.path) for p in report.problems if p.is_error}
    ok = sum(1 for f in report.flows.values() if str(f.path) not in failed_paths)
    failed = f", {len(failed_paths)} file(s) with errors" if failed_paths else ""
    lines.append("")
    lines.append(
        f"{ok} flow(s) OK{failed}, {errors} error(s), {warnings} warning(s)"
        + (" (strict)" if report.strict else "")
    )
    return "\n".join(lines).lstrip("\n")
