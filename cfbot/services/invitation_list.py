"""What a new admin needs to see about invitations: which are scheduled, when they go
out and why then, which were skipped and why; and a demo visit that is sent at once.

Read-only; each function runs its own unit of work and returns plain view objects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from cfbot.db import unit_of_work
from cfbot.flows.model import format_duration
from cfbot.logging_setup import mask_phone
from cfbot.models import Invitation, InvitationStatus, Visit
from cfbot.runtime import Runtime
from cfbot.services.invitations import flow_for_site, rules_for
from cfbot.services.timing import in_window, recipient_zone

# (zone, a fictional number there): between them some zone is always well inside
# 08:00-21:00; US numbers first (555-01xx is reserved for fiction); numbers the API accepts
DEMO_ZONES: tuple[tuple[str, str], ...] = (
    ("America/New_York", "(212) 555-01{nn}"),
    ("America/Chicago", "(612) 555-01{nn}"),
    ("America/Denver", "(303) 555-01{nn}"),
    ("America/Los_Angeles", "(213) 555-01{nn}"),
    ("America/Anchorage", "(907) 555-01{nn}"),
    ("Pacific/Honolulu", "(808) 555-01{nn}"),
    ("Pacific/Guam", "(671) 555-01{nn}"),
    ("Europe/London", "+44 20 7946 01{nn}"),  # Ofcom's drama range for London
)


@dataclass(frozen=True)
class InvitationRow:
    """One invitation as ``cfbot invitations list`` shows it."""

    id: int
    status: str
    flow_id: str
    phone: str  # masked
    site: str
    visited_at: datetime
    send_at: datetime
    local_send_at: datetime  # send_at in the client's zone
    zone: str
    why: str  # why this send time, or why it was skipped

    def as_dict(self) -> dict[str, str | int]:
        return {
            "id": self.id,
            "status": self.status,
            "flow": self.flow_id,
            "phone": self.phone,
            "site": self.site,
            "visited_at": self.visited_at.isoformat(),
            "send_at": self.send_at.isoformat(),
            "local_send_at": self.local_send_at.isoformat(),
            "zone": self.zone,
            "why": self.why,
        }


def _why(rt: Runtime, inv: Invitation, visit: Visit, zone: ZoneInfo) -> str:
    if inv.status == InvitationStatus.SKIPPED:
        return f"skipped: {inv.reason or 'no reason recorded'}"
    if inv.status == InvitationStatus.WAITING:
        return inv.reason or "waiting: contact in another survey"
    if inv.status == InvitationStatus.SENT:
        return "sent"
    rules = rules_for(rt, rt.flows.get(inv.flow_id), visit.site)
    start, end = f"{rules.quiet_start:%H:%M}", f"{rules.quiet_end:%H:%M}"
    earliest = visit.visited_at + rules.delay
    if inv.send_at > earliest + timedelta(minutes=1):
        return (
            f"{format_duration(rules.delay)} after the visit is outside {start}-{end} in {zone.key}: "
            f"waits for the window"
        )
    return f"{format_duration(rules.delay)} after the visit"


def list_invitations(
    rt: Runtime, statuses: tuple[str, ...] = (), limit: int = 50
) -> list[InvitationRow]:
    """The most recent invitations (by send time, latest first), optionally filtered."""
    rows: list[InvitationRow] = []
    with unit_of_work(rt.engine, immediate=False) as session:
        query = select(Invitation, Visit).where(Invitation.visit_id == Visit.id)
        if statuses:
            query = query.where(col(Invitation.status).in_(statuses))
        query = query.order_by(col(Invitation.send_at).desc(), col(Invitation.id).desc())
        for inv, visit in session.exec(query.limit(limit)).all():
            zone, _ = recipient_zone(visit.phone, visit.timezone, rt.settings.timezone)
            rows.append(
                InvitationRow(
                    id=inv.id or 0,
                    status=inv.status,
                    flow_id=inv.flow_id,
                    phone=mask_phone(visit.phone),
                    site=visit.site or "",
                    visited_at=visit.visited_at,
                    send_at=inv.send_at,
                    local_send_at=inv.send_at.astimezone(zone),
                    zone=zone.key,
                    why=_why(rt, inv, visit, zone),
                )
            )
    return rows


@dataclass(frozen=True)
class DemoVisit:
    """A visit that the demo's clock invites at its next tick."""

    phone: str
    zone: str
    visited_at: datetime
    site: str

    def curl(self, base_url: str, language: str = "en") -> str:
        body = (
            f'{{"phone":"{self.phone}","visited_at":"{self.visited_at:%Y-%m-%dT%H:%M:%SZ}",'
            f'"timezone":"{self.zone}","site":"{self.site}","language":"{language}",'
            f'"first_name":"Lan"}}'
        )
        return (
            f'curl -X POST "{base_url}/api/v1/visits?source=demo" '
            f'-H "Authorization: Bearer $T" -H "Content-Type: application/json" '
            f"-d '{body}'"
        )


def demo_visit_example(rt: Runtime, now: datetime, site: str = "northside") -> DemoVisit:
    """A phone whose local time is inside the sending window now, and a visit time the
    delay has already passed for, so the invitation goes out within a minute."""
    rules = rules_for(rt, flow_for_site(rt, site), site)
    margin = timedelta(minutes=30)  # still inside the window when the admin runs it
    default = rt.settings.timezone
    candidates = sorted(DEMO_ZONES, key=lambda pair: pair[0] != default)
    zone_name, template = candidates[0]
    for name, number in candidates:
        local = now.astimezone(ZoneInfo(name))
        if in_window(local.time(), rules.quiet_start, rules.quiet_end) and in_window(
            (local + margin).time(), rules.quiet_start, rules.quiet_end
        ):
            zone_name, template = name, number
            break
    # a fresh number each time, so the frequency cap of an earlier try does not skip it
    phone = template.format(nn=f"{random.randint(0, 99):02d}")
    visited = (now - rules.delay - timedelta(minutes=1)).replace(microsecond=0)
    return DemoVisit(phone=phone, zone=zone_name, visited_at=visited, site=site)
