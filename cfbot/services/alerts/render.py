"""Composing staff emails (alert, escalation, daily digest, sign-in link) from the Jinja
templates in ``cfbot/templates/mail/``: a plain-text and an autoescaped HTML version of
each. Rendering needs no Flask app: the mail job runs in the clock process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlmodel import Session

from cfbot.models import Alert
from cfbot.runtime import Runtime
from cfbot.services.alerts.common import CRISIS, STATUSES
from cfbot.services.alerts.common import staff_text as _t
from cfbot.services.alerts.content import answers_for, contact_line, crisis_messages, local_time
from cfbot.services.alerts.links import LOGIN_LINK_SECONDS, alert_link, base_url
from cfbot.services.routing import Routing, get_routing

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@dataclass
class RenderedMail:
    """Subject and bodies of one email."""

    subject: str
    text: str
    html: str


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        # only the HTML versions are escaped: the text versions go out as they are
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=StrictUndefined,
    )


def _render(name: str, **context: Any) -> tuple[str, str]:
    """The text and HTML versions of ``mail/<name>``."""
    env = _environment()
    # staff text is "st" as in the dashboard, so the catalog extractor (which knows "t")
    # does not demand these English-only strings in every client language
    context.setdefault("st", _t)
    text = env.get_template(f"mail/{name}.txt").render(**context)
    html = env.get_template(f"mail/{name}.html").render(**context)
    return text, html


def render_alert_mail(rt: Runtime, session: Session, alert: Alert, purpose: str) -> RenderedMail:
    """The alert (or escalation) email: reasons, answers under their wording, signed link."""
    routing = get_routing(rt)
    # a survey started by texting a keyword has no site
    site_name = routing.site_name(alert.site) if alert.site else _t("no particular site")
    link = alert_link(rt, alert.id)  # type: ignore[arg-type]  # id is None only before the row is flushed
    who, channel, lang = contact_line(session, alert)
    if alert.kind == CRISIS:
        headline = _t(
            "URGENT: a client's message may signal a crisis ({label})", label=alert.reason
        )
        subject = _t(
            "URGENT crisis alert #{id}: {label} - {site}",
            id=alert.id,
            label=alert.reason,
            site=site_name,
        )
    else:
        prefix = _t("High priority: ") if alert.severity == "high" else ""
        headline = _t("A client is dissatisfied: {reason}", reason=alert.reason)
        subject = prefix + _t(
            "Feedback alert #{id}: {reason} - {site}",
            id=alert.id,
            reason=alert.reason,
            site=site_name,
        )
    if purpose == "escalation":
        waited = duration_text((alert.escalated_at or rt.now()) - alert.created_at)
        headline = _t("Not acknowledged after {waited}. ", waited=waited) + headline
        subject = _t(
            "ESCALATION: alert #{id} not acknowledged after {waited} - {site}",
            id=alert.id,
            waited=waited,
            site=site_name,
        )

    flow_name = ""
    if alert.flow_id:
        flow = rt.flows.get(alert.flow_id)
        flow_name = f"{flow.name} ({alert.flow_id})" if flow is not None else alert.flow_id
    facts: list[tuple[str, str]] = [
        (_t("Alert"), f"#{alert.id} · {alert.severity} · {_t(alert.status)}"),
        (_t("Raised"), local_time(routing, alert.created_at)),
        (_t("Site"), site_name),
    ]
    if alert.program:
        facts.append((_t("Program"), alert.program))
    if flow_name:
        facts.append((_t("Survey"), flow_name))
    if who:
        facts.append(
            (
                _t("Client"),
                _t(
                    "{who} ({channel}, language: {language})",
                    who=who,
                    channel=channel,
                    language=lang,
                ),
            )
        )
    facts.append((_t("Why"), alert.reason))

    text, html = _render(
        "alert",
        headline=headline,
        facts=facts,
        width=max(len(k) for k, _ in facts),
        messages=crisis_messages(session, alert) if alert.kind == CRISIS else [],
        answers=answers_for(session, alert),
        local=lambda moment: local_time(routing, moment),
        crisis_note=_t(
            "The client was sent 911 and 988 information and local resources at once, "
            "and the survey was paused for this client."
        ),
        link=link,
        link_note=_t(
            "The link opens the alert after you sign in. The client's phone number is "
            "masked here; the dashboard shows it on request."
        ),
        alert_id=alert.id,
        site=alert.site,
        site_name=site_name,
        program=rt.settings.program_name,
        color="#b50909" if alert.kind == CRISIS or alert.severity == "urgent" else "#1b1b1b",
    )
    return RenderedMail(subject=subject, text=text, html=html)


def duration_text(value: timedelta) -> str:
    """How long an alert waited, in the coarsest unit that still reads precisely."""
    minutes = int(value.total_seconds() // 60)
    if minutes < 120:
        return _t("{n} minutes", n=minutes)
    hours = minutes // 60
    if hours < 48:
        return _t("{n} hours", n=hours)
    return _t("{n} days", n=hours // 24)


def render_digest(
    rt: Runtime,
    routing: Routing,
    site: str | None,
    day: date,
    yesterday: list[Alert],
    still_open: list[Alert],
    now: datetime,
) -> RenderedMail:
    """The daily digest for one site: yesterday's alerts, counts, and open cases."""
    name = routing.site_name(site) if site else _t("alerts without a site")
    counts = {s: sum(1 for a in yesterday if a.status == s) for s in STATUSES}
    subject = _t(
        "Daily feedback digest for {site}, {day}: {n} new alert(s)",
        site=name,
        day=day.isoformat(),
        n=len(yesterday),
    )
    older = [a for a in still_open if a not in yesterday]
    groups = [
        (heading, group)
        for heading, group in (
            (_t("Yesterday's alerts"), yesterday),
            (_t("Older cases still open"), older),
        )
        if group
    ]
    text, html = _render(
        "digest",
        title=_t("Feedback alerts for {site} on {day}", site=name, day=day.isoformat()),
        counts_line=_t(
            "New: {n}  (open {open}, acknowledged {ack}, resolved {res})",
            n=len(yesterday),
            open=counts["open"],
            ack=counts["acknowledged"],
            res=counts["resolved"],
        ),
        open_line=_t("Cases still open or acknowledged: {n}", n=len(still_open)),
        groups=groups,
        local=lambda moment: local_time(routing, moment),
        base_url=base_url(rt),
        dashboard_url=f"{base_url(rt)}/dashboard/",
    )
    return RenderedMail(subject, text, html)


def render_login_mail(rt: Runtime, link: str) -> RenderedMail:
    """The sign-in email carrying a magic link."""
    text, html = _render("login", link=link, minutes=LOGIN_LINK_SECONDS // 60)
    return RenderedMail(
        _t("Your sign-in link for {program}", program=rt.settings.program_name), text, html
    )
