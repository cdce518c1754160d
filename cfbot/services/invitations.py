"""Visits -> scheduled invitations -> surveys, with the timing rules of the issue.

Rules (defaults from settings, overridden per flow by its ``invitation:`` block, then per
site by the flow's ``settings: {invitation_by_site: {<site>: {delay: 4h, ...}}}``):

* ``delay`` after the visit (default ``CFBOT_INVITATION_DELAY_HOURS`` = 2 h);
* only inside ``quiet_hours`` (default 08:00-21:00) in the client's zone
  (:func:`cfbot.services.timing.recipient_zone`); otherwise at the next allowed moment;
* ``frequency_cap``: no survey if the contact started one in the last N days
  (default 30 d; any survey counts, also one the client started by keyword);
* never to an opted-out or unreachable contact;
* ``if_busy``: a contact already in a survey is ``skip``-ped, or the invitation
  ``wait``-s (re-checked when that survey can have ended, for at most
  ``MAX_WAIT``). With a 30-day cap a busy contact is nearly always capped too, so
  ``wait`` matters for flows with a short or zero cap.

Every skipped invitation keeps its reason (``Invitation.reason``). The send-time checks
run again at send time, under the contact lock, so a change since the visit (a STOP, a
survey started by keyword) is honoured. The tick is two indexed range scans
(``ix_invitation_due`` on ``(status, send_at, id, contact_id)``, covering) and stays flat as the table grows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from cfbot.db import for_update, unit_of_work
from cfbot.flows.model import Flow, parse_duration
from cfbot.logging_setup import mask_phone
from cfbot.models import Contact, Conversation, Invitation, InvitationStatus, Visit, VisitLink
from cfbot.runtime import Runtime
from cfbot.services.conversation import (
    contact_address,
    lock_contact,
    open_conversation,
    queue_template,
    start_conversation,
)
from cfbot.services.routing import get_routing
from cfbot.services.timing import next_allowed, parse_clock, recipient_zone
from cfbot.services.visit_links import link_url

log = logging.getLogger(__name__)

# a "wait" invitation gives up after this long past the visit (a survey about a visit
# weeks ago is worth less than no survey)
MAX_WAIT = timedelta(days=3)
WAIT_RECHECK = timedelta(minutes=30)
DUE_STATUSES = (InvitationStatus.SCHEDULED, InvitationStatus.WAITING)


@dataclass(frozen=True)
class InvitationRules:
    """The timing rules that apply to one invitation."""

    delay: timedelta
    quiet_start: time
    quiet_end: time
    frequency_cap: timedelta
    if_busy: str


@dataclass
class TickReport:
    """What one run of :func:`send_due_invitations` did."""

    sent: int = 0
    skipped: int = 0
    waiting: int = 0
    rescheduled: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return self.sent + self.skipped + self.waiting + self.rescheduled


# --------------------------------------------------------------------------- sites


def known_sites(rt: Runtime) -> set[str]:
    """Every site cfbot knows: ``CFBOT_SITES``, flows' ``sites:`` and ``routing.yaml``'s
    ``sites:``. Empty means "not configured": any site is accepted."""
    sites = {s.lower() for s in rt.settings.sites}
    for flow in rt.flows.all():
        sites.update(s.lower() for s in flow.sites)
    sites.update(str(key).lower() for key in get_routing(rt).sites)
    return sites


def flow_for_site(rt: Runtime, site: str) -> Flow | None:
    """The flow a visit at ``site`` gets when the visit names none: the flow listing the
    site in ``sites:``, else ``CFBOT_DEFAULT_FLOW``, else the only flow loaded."""
    for flow in rt.flows.all():
        if site.lower() in {s.lower() for s in flow.sites}:
            return flow
    if rt.settings.default_flow:
        return rt.flows.get(rt.settings.default_flow)
    flows = rt.flows.all()
    return flows[0] if len(flows) == 1 else None


# --------------------------------------------------------------------------- rules


def _site_overrides(flow: Flow | None, site: str | None) -> dict[str, Any]:
    # flow file: settings: {invitation_by_site: {northside: {delay: 4h, ...}}}
    if not site or flow is None:
        return {}
    by_site = flow.settings.get("invitation_by_site")
    if not isinstance(by_site, Mapping):
        return {}
    entry = by_site.get(site.lower()) or by_site.get(site)
    return dict(entry) if isinstance(entry, Mapping) else {}


def rules_for(rt: Runtime, flow: Flow | None, site: str | None) -> InvitationRules:
    """Settings defaults, then the flow's ``invitation:``, then the site's overrides."""
    s = rt.settings
    delay = timedelta(hours=s.invitation_delay_hours)
    start, end = parse_clock(s.quiet_hours_start), parse_clock(s.quiet_hours_end)
    cap = timedelta(days=s.frequency_cap_days)
    if_busy = s.if_busy
    inv = flow.invitation if flow is not None else None
    if inv is not None:
        delay = inv.delay if inv.delay is not None else delay
        if inv.quiet_hours is not None:
            start, end = inv.quiet_hours
        cap = inv.frequency_cap if inv.frequency_cap is not None else cap
        if_busy = inv.if_busy or if_busy
    over = _site_overrides(flow, site)
    try:
        if "delay" in over:
            delay = parse_duration(str(over["delay"]))
        if "frequency_cap" in over:
            cap = parse_duration(str(over["frequency_cap"]))
        quiet = over.get("quiet_hours")
        if isinstance(quiet, Mapping) and "start" in quiet and "end" in quiet:
            start, end = parse_clock(str(quiet["start"])), parse_clock(str(quiet["end"]))
        if over.get("if_busy") in ("skip", "wait"):
            if_busy = str(over["if_busy"])
    except ValueError as exc:
        log.warning(
            "flow %s: bad invitation_by_site entry for %s: %s", flow.id if flow else "-", site, exc
        )
    return InvitationRules(delay, start, end, cap, if_busy)


def plan_send_at(
    rules: InvitationRules,
    visited_at: datetime,
    phone: str,
    timezone: str | None,
    default_zone: str,
    now: datetime,
) -> datetime:
    """When the invitation for a visit goes out: ``delay`` after the visit (never in the
    past), moved to the next moment inside the recipient's quiet-hours window."""
    zone, _source = recipient_zone(phone, timezone, default_zone)
    return next_allowed(
        max(visited_at + rules.delay, now), zone, rules.quiet_start, rules.quiet_end
    )


def new_invitation(
    rt: Runtime, visit: Visit, contact: Contact, flow: Flow, now: datetime
) -> Invitation:
    """The invitation row for a just-stored visit (not added to a session)."""
    rules = rules_for(rt, flow, visit.site)
    send_at = plan_send_at(
        rules,
        visit.visited_at,
        visit.phone,
        visit.timezone or contact.timezone,
        rt.settings.timezone,
        now,
    )
    inv = Invitation(
        visit_id=visit.id,  # type: ignore[arg-type]  # id is None only before the row is flushed
        contact_id=contact.id,  # type: ignore[arg-type]  # id is None only before the row is flushed
        flow_id=flow.id,
        status=InvitationStatus.SCHEDULED,
        send_at=send_at,
        created_at=now,
        updated_at=now,
    )
    # known at intake already; the send-time checks repeat them in case things change
    missing = missing_template(flow, visit, contact)
    if contact.opted_out:
        inv.status, inv.reason = InvitationStatus.SKIPPED, "opted_out"
    elif contact.unreachable:
        inv.status, inv.reason = InvitationStatus.SKIPPED, "unreachable"
    elif missing:
        inv.status, inv.reason = InvitationStatus.SKIPPED, missing
    return inv


# --------------------------------------------------------------------------- WhatsApp


def visit_channel(visit: Visit) -> str:
    """The channel a visit's invitation goes by: ``sms`` unless the visit says ``whatsapp``."""
    return visit.channel or "sms"


def invitation_language(flow: Flow, visit: Visit, contact: Contact) -> str:
    """The language the survey will run in (the engine's own choice)."""
    return flow.resolve_language(visit.language or contact.language)


def missing_template(flow: Flow, visit: Visit, contact: Contact) -> str | None:
    """Why a WhatsApp invitation cannot go (no approved template for the client's
    language: WhatsApp allows free text only within 24 hours of the client's last
    message), else None."""
    if visit_channel(visit) != "whatsapp":
        return None
    lang = invitation_language(flow, visit, contact)
    if flow.whatsapp_templates.get(lang):
        return None
    return f"no_whatsapp_template: no WhatsApp template for {lang}"


def visit_link(rt: Runtime, session: Session, flow: Flow, visit: Visit) -> str | None:
    """The visit's own survey link for ``{link}`` (and WhatsApp variable 3), when the
    flow opts in (``invitation: {web_link: true}``) and ``CFBOT_PUBLIC_URL`` is set."""
    if flow.invitation is None or not flow.invitation.web_link or not rt.settings.public_url:
        return None
    row = session.exec(select(VisitLink).where(VisitLink.visit_id == visit.id)).first()
    return link_url(rt, row.code) if row is not None else None


def template_variables(context: Mapping[str, str]) -> dict[str, str]:
    """The Content variables of an invitation template: ``{{1}}`` the client's first
    name, ``{{2}}`` the site's name, ``{{3}}`` the visit's survey link; only known ones."""
    variables: dict[str, str] = {}
    for number, key in (("1", "first_name"), ("2", "site"), ("3", "link")):
        if context.get(key):
            variables[number] = str(context[key])
    return variables


# --------------------------------------------------------------------------- the tick


def find_due(
    session: Session, now: datetime, limit: int, status: str = InvitationStatus.SCHEDULED
) -> list[Any]:
    """``(invitation id, contact id)`` of due invitations, oldest first.

    ``WHERE status = :s AND send_at <= :now ORDER BY send_at LIMIT n`` is one range scan of
    ``ix_invitation_due``: its cost depends on ``n``, not on the table's size.
    """
    return list(
        session.exec(
            select(Invitation.id, Invitation.contact_id)
            .where(Invitation.status == status, col(Invitation.send_at) <= now)
            .order_by(col(Invitation.send_at))
            .limit(limit)
        ).all()
    )


def send_due_invitations(rt: Runtime, now: datetime | None = None, limit: int = 500) -> TickReport:
    """Start the surveys whose invitations are due. Idempotent; each invitation is its
    own unit of work under the contact lock, so two runners never start one twice."""
    now = now or rt.now()
    report = TickReport()
    with unit_of_work(rt.engine, immediate=False) as session:
        due: list[Any] = []
        for status in DUE_STATUSES:
            due.extend(find_due(session, now, limit, status))
    for invitation_id, contact_id in due[:limit]:
        try:
            with unit_of_work(rt.engine) as session:
                outcome = _process(rt, session, invitation_id, contact_id, now)
        except Exception:  # one bad row must not stop the others
            log.exception("invitation %s failed", invitation_id)
            continue
        if outcome is None:
            continue
        kind, reason = outcome
        if kind == "sent":
            report.sent += 1
        elif kind == "skipped":
            report.skipped += 1
            report.reasons[reason] = report.reasons.get(reason, 0) + 1
        elif kind == "waiting":
            report.waiting += 1
        else:
            report.rescheduled += 1
    if report.handled:
        log.info(
            "invitations: %d sent, %d skipped %s, %d waiting, %d moved to allowed hours",
            report.sent,
            report.skipped,
            report.reasons,
            report.waiting,
            report.rescheduled,
        )
    return report


def _skip(inv: Invitation, reason: str, now: datetime) -> tuple[str, str]:
    inv.status = InvitationStatus.SKIPPED
    inv.reason = reason[:200]
    inv.updated_at = now
    return "skipped", reason.split(":", 1)[0]


def last_survey_started(session: Session, contact_id: int) -> datetime | None:
    """When the contact's most recent survey (any flow, any start) began."""
    value = session.exec(
        select(func.max(Conversation.started_at)).where(Conversation.contact_id == contact_id)
    ).one()
    if value is None:
        return None
    # aggregates bypass the column type; normalise like UTCDateTime does
    from cfbot.models import UTCDateTime

    return UTCDateTime().process_result_value(value, session.get_bind().dialect)


def _process(
    rt: Runtime, session: Session, invitation_id: int, contact_id: int, now: datetime
) -> tuple[str, str] | None:
    contact = lock_contact(session, contact_id)
    inv = session.exec(
        for_update(select(Invitation).where(Invitation.id == invitation_id), session)
    ).one()
    if inv.status not in DUE_STATUSES or inv.send_at > now:
        return None  # another runner got here first
    session.add(inv)
    visit = session.get(Visit, inv.visit_id)
    assert visit is not None
    flow = rt.flows.get(inv.flow_id)
    if flow is None:
        return _skip(inv, f"flow_not_loaded: {inv.flow_id}", now)
    if contact.opted_out:
        return _skip(inv, "opted_out", now)
    if contact.unreachable:
        return _skip(inv, f"unreachable: {contact.unreachable_reason or ''}".strip(), now)
    channel = visit_channel(visit)
    if not contact_address(contact, channel):
        return _skip(inv, "no_phone", now)
    missing = missing_template(flow, visit, contact)
    if missing:
        return _skip(inv, missing, now)
    from cfbot.services.alerts import crisis_hold_until

    held = crisis_hold_until(rt, session, contact_id, now)
    if held is not None:
        # after a crisis message the client hears from staff, not from a survey
        return _skip(inv, f"crisis_hold: until {held:%Y-%m-%d %H:%M}Z", now)
    rules = rules_for(rt, flow, visit.site)
    last = last_survey_started(session, contact_id)
    if last is not None and rules.frequency_cap and now - last < rules.frequency_cap:
        return _skip(inv, f"frequency_cap: last survey started {last:%Y-%m-%d %H:%M}Z", now)
    zone, _ = recipient_zone(visit.phone, visit.timezone or contact.timezone, rt.settings.timezone)
    busy = open_conversation(session, contact_id)
    if busy is not None:
        if rules.if_busy == "wait" and now - visit.visited_at < MAX_WAIT:
            wake = max(now + WAIT_RECHECK, busy.expires_at or now)
            inv.status = InvitationStatus.WAITING
            inv.send_at = next_allowed(wake, zone, rules.quiet_start, rules.quiet_end)
            inv.reason = f"waiting: contact in survey {busy.id}"
            inv.updated_at = now
            return "waiting", "busy"
        return _skip(inv, f"busy: contact in survey {busy.id}", now)
    allowed_at = next_allowed(now, zone, rules.quiet_start, rules.quiet_end)
    if allowed_at > now:
        # the tick ran late (or rules changed): never text outside the window
        inv.send_at = allowed_at
        inv.updated_at = now
        return "rescheduled", "quiet_hours"
    context: dict[str, str] = {}
    if visit.first_name:
        context["first_name"] = visit.first_name
    if visit.site:
        # clients see the site's name ("Northside Clinic"), not its key ("northside")
        context["site"] = get_routing(rt).site_name(visit.site)
    link = visit_link(rt, session, flow, visit)
    if link:
        context["link"] = link
    lang = invitation_language(flow, visit, contact)
    template = flow.whatsapp_templates.get(lang) if channel == "whatsapp" else None
    conversation, outs = start_conversation(
        session,
        contact,
        flow,
        channel=channel,
        lang=lang,
        now=now,
        context=context or None,
        site=visit.site,
        program=visit.program,
        # a WhatsApp invitation is one approved template instead of the first messages
        deliver="collect" if template else "outbox",
    )
    if template:
        queue_template(
            session, contact, conversation, outs, template, template_variables(context), now
        )
    inv.status = InvitationStatus.SENT
    inv.reason = None
    inv.conversation_id = conversation.id
    inv.sent_at = now
    inv.updated_at = now
    log.info(
        "invitation %s: %s survey %s for %s",
        inv.id,
        channel,
        conversation.id,
        mask_phone(visit.phone),
    )
    return "sent", ""
