"""The PHAB Measure 9.1.4 A evidence report ("Implemented systematic process for assessing
customer satisfaction with health department services"), as HTML and as a PDF.

:func:`build_report` gathers view objects from :mod:`cfbot.services.results` and
:mod:`cfbot.services.evidence` (every figure is computed in SQL there) and the written
process from the loaded flows and the invitation rules. :func:`render_html` fills
``templates/reports/phab.html`` with a plain Jinja environment (no Flask needed, so the CLI
and the dashboard make the same document); :func:`render_pdf` prints it with WeasyPrint
(offline: no network fetches, fonts from the system).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from cfbot.flows.model import Flow, format_duration
from cfbot.i18n import LANGUAGE_NAMES, staff_translate
from cfbot.services import evidence
from cfbot.services import results as results_service
from cfbot.services.invitations import InvitationRules, rules_for
from cfbot.services.routing import get_routing

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CSS = Path(__file__).resolve().parent / "phab.css"


class ReportError(ValueError):
    """The report cannot be made as asked (bad period)."""


@dataclass(frozen=True)
class QuestionText:
    id: str
    type: str
    optional: bool
    texts: list[tuple[str, str]]  # (language name, exact wording)
    choices: list[tuple[str, str]]  # (value, English text)


@dataclass(frozen=True)
class FlowProcess:
    """One survey as written: languages, keywords, timing rules, exact questions."""

    id: str
    name: str
    description: str
    languages: list[str]
    translation_review: dict[str, str]
    keywords: list[tuple[str, str]]
    sites: list[str]
    current_version: str
    versions: list[evidence.VersionUse]
    rules: InvitationRules
    expire_after: str
    reminder_after: str | None
    questions: list[QuestionText]


@dataclass(frozen=True)
class PhabReport:
    department: str
    start: date
    end: date
    site: str | None
    site_name: str | None
    generated_at: datetime
    timezone: str
    min_group: int
    flows: list[FlowProcess]
    languages: list[str]
    crisis_hold_days: float
    funnel: results_service.Funnel
    satisfaction: results_service.Satisfaction
    weeks: list[results_service.GroupRow]
    breakdowns: dict[str, list[results_service.GroupRow]]
    themes: results_service.Themes
    comments: evidence.Comments
    alert_stats: results_service.AlertStats
    alert_log: evidence.AlertLog
    changes: list[evidence.Change]
    site_names: dict[str, str] = field(default_factory=dict)


def department_name(rt: Any) -> str:
    """``CFBOT_DEPARTMENT_NAME``, else ``CFBOT_PROGRAM_NAME``."""
    return rt.settings.department_name.strip() or rt.settings.program_name


def _question(question: Any, languages: tuple[str, ...]) -> QuestionText:
    texts = [(LANGUAGE_NAMES.get(lang, lang), question.text[lang]) for lang in languages
             if lang in question.text]  # fmt: skip
    choices = [(c.value, c.text.get("en") or next(iter(c.text.values()), c.value))
               for c in question.choices]  # fmt: skip
    return QuestionText(question.id, question.type, question.optional, texts, choices)


def _flow(
    rt: Any, flow: Flow, site: str | None, versions: list[evidence.VersionUse]
) -> FlowProcess:
    return FlowProcess(
        id=flow.id,
        name=flow.name,
        description=flow.description,
        languages=[LANGUAGE_NAMES.get(lang, lang) for lang in flow.languages],
        translation_review={
            LANGUAGE_NAMES.get(k, k): v for k, v in flow.translation_review.items()
        },
        keywords=[(LANGUAGE_NAMES.get(k, k), ", ".join(v)) for k, v in flow.keywords.items()],
        sites=list(flow.sites),
        current_version=flow.content_hash[:12],
        versions=[v for v in versions if v.flow_id == flow.id],
        rules=rules_for(rt, flow, site),
        expire_after=format_duration(flow.expire_after),
        reminder_after=format_duration(flow.reminder.after) if flow.reminder else None,
        questions=[_question(q, flow.languages) for q in flow.questions],
    )


def build_report(
    rt: Any,
    start: date,
    end: date,
    site: str | None = None,
    scope: frozenset[str] | None = None,
) -> PhabReport:
    """Every figure of the report for local calendar days ``start``..``end`` (inclusive,
    in the routing time zone), optionally one site, within the staff ``scope``."""
    if start > end:
        raise ReportError(f"start date {start} is after end date {end}")
    routing = get_routing(rt)
    tz = routing.tz
    filters = results_service.Filters(
        since=datetime.combine(start, time.min, tz),
        until=datetime.combine(end + timedelta(days=1), time.min, tz),
        site=site or None,
    )
    versions = evidence.flow_versions(rt, filters, scope)
    used = {v.flow_id for v in versions}
    loaded = rt.flows.all()
    chosen = [f for f in loaded if f.id in used or (site and site in f.sites)]
    if not chosen:
        chosen = [f for f in loaded if not site or not f.sites or site in f.sites]
    flows = [_flow(rt, f, site, versions) for f in sorted(chosen, key=lambda f: f.id)]
    languages = sorted({lang for f in chosen for lang in f.languages},
                       key=lambda lang: list(LANGUAGE_NAMES).index(lang)
                       if lang in LANGUAGE_NAMES else 99)  # fmt: skip
    groups = results_service.groups(rt, filters, scope)
    return PhabReport(
        department=department_name(rt),
        start=start,
        end=end,
        site=site or None,
        site_name=routing.site_name(site) if site else None,
        generated_at=rt.now().astimezone(tz),
        timezone=routing.timezone,
        min_group=results_service.MIN_GROUP,
        flows=flows,
        languages=[LANGUAGE_NAMES.get(lang, lang) for lang in languages],
        crisis_hold_days=rt.settings.crisis_hold_days,
        funnel=results_service.funnel(rt, filters, scope),
        satisfaction=results_service.satisfaction(rt, filters, scope),
        weeks=groups.weeks,
        breakdowns=groups.breakdowns,
        themes=results_service.themes(rt, filters, scope),
        comments=evidence.comments(rt, filters, scope),
        alert_stats=results_service.alert_stats(rt, filters, scope),
        alert_log=evidence.alert_log(rt, filters, scope),
        changes=evidence.changes(rt, filters, scope),
        site_names={key: site_obj.name for key, site_obj in routing.sites.items()},
    )


# --------------------------------------------------------------------------- rendering


def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def css_string(text: str) -> Any:
    """``text`` as a quoted CSS string that is safe inside a ``<style>`` element."""
    from markupsafe import Markup

    out = []
    for ch in text:
        if ch in '\\"<>&' or ord(ch) < 32:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return Markup('"' + "".join(out) + '"')


def page_counter(text: str) -> Any:
    """CSS ``content`` for a translated "Page {page} of {pages}" page footer."""
    import re

    from markupsafe import Markup

    parts = []
    for part in re.split(r"(\{pages?\})", text):
        if part in ("{page}", "{pages}"):
            parts.append(f"counter({part[1:-1]})")
        elif part:
            parts.append(str(css_string(part)))
    return Markup(" ".join(parts))


def render_html(report: PhabReport, lang: str = "en") -> str:
    """The report as one self-contained HTML page (styles inline, charts as inline SVG)."""

    def st(message: str, **params: object) -> str:
        return staff_translate(lang, message, **params)

    def group_name(dimension: str, key: str) -> str:
        if dimension == "site":
            return report.site_names.get(key, key) if key else st("No site")
        if dimension == "language":
            return LANGUAGE_NAMES.get(key, key)
        return key or "–"

    def local(value: datetime | None) -> str:
        if value is None:
            return "–"
        return value.astimezone(report.generated_at.tzinfo).strftime("%Y-%m-%d %H:%M")

    template = _environment().get_template("reports/phab.html")
    return str(
        template.render(
            r=report,
            st=st,
            lang=lang,
            css=CSS.read_text(encoding="utf-8"),
            css_string=css_string,
            page_counter=page_counter,
            group_name=group_name,
            local=local,
            duration=format_duration,
            rating_rows=lambda q: [
                (str(p), n, f"{n} ({100.0 * n / q.n:.0f}%)") for p, n in q.counts.items()
            ],
            weeks_points=lambda weeks: [(w.key, None if w.hidden else w.csat) for w in weeks],
        )
    )


def render_pdf(html: str) -> bytes:
    """Print the report HTML to PDF with WeasyPrint. Nothing is fetched: a URL fetcher
    that refuses every request keeps rendering offline."""
    from weasyprint import HTML

    def no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise ValueError(f"the report fetches nothing ({url})")

    return HTML(string=html, url_fetcher=no_fetch, base_url=str(TEMPLATES)).write_pdf()
