"""Staff accounts and roles: who may SEE and DO what on the dashboard.

routing.yaml keeps saying who is ALERTED; an account says what its holder may open.

* ``admin``: everything, every site; users, the audit trail, exports with phones.
* ``manager``: their sites: alerts and case work, results, responses, review, delivery.
* ``staff``: their sites and programs: the alerts assigned to them or to their program.
* ``viewer``: results (aggregates) of their sites only.

An account with no sites listed covers every site (useful for a manager of all sites).
See docs/roles.md for the full matrix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select, update

from cfbot.db import unit_of_work
from cfbot.models import StaffRole, StaffSession, StaffUser
from cfbot.runtime import Runtime
from cfbot.services import audit

ROLES = tuple(r.value for r in StaffRole)
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")

# what each role may do; scope (sites, programs, assignment) is checked separately
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            "alerts",
            "casework",
            "assign",
            "reveal_phone",
            "followup",
            "results",
            "responses",
            "review",
            "delivery",
            "users",
            "audit",
            "export_phones",
        }
    ),
    "manager": frozenset(
        {
            "alerts",
            "casework",
            "assign",
            "reveal_phone",
            "followup",
            "results",
            "responses",
            "review",
            "delivery",
        }
    ),
    "staff": frozenset({"alerts", "casework", "reveal_phone", "followup"}),
    "viewer": frozenset({"results"}),
}


class AccountError(ValueError):
    """A user change that cannot be made (bad address, unknown role, ...)."""


@dataclass(frozen=True)
class StaffIdentity:
    """The signed-in account, as routes and services check it."""

    id: int
    email: str
    role: str
    sites: frozenset[str]
    programs: frozenset[str]

    def may(self, permission: str) -> bool:
        """True when the role grants ``permission`` (anywhere in its scope)."""
        return permission in PERMISSIONS.get(self.role, frozenset())

    @property
    def scope(self) -> frozenset[str] | None:
        """The sites this account covers (None: every site)."""
        if self.role == StaffRole.ADMIN or not self.sites:
            return None
        return self.sites

    def covers_site(self, site: str | None) -> bool:
        """True when ``site`` is within this account's sites (alerts with no site: all-site
        accounts only)."""
        scope = self.scope
        return scope is None or (site is not None and site in scope)

    def sees_alert(self, site: str | None, program: str | None, assigned_to: int | None) -> bool:
        """Whether this account may open an alert at ``site``/``program``."""
        if not self.may("alerts"):
            return False
        if assigned_to is not None and assigned_to == self.id:
            return True
        if not self.covers_site(site):
            return False
        if self.role == StaffRole.STAFF:
            return program is not None and program in self.programs
        return True


@dataclass(frozen=True)
class UserView:
    """One account for lists and the admin page."""

    id: int
    email: str
    role: str
    sites: list[str]
    programs: list[str]
    disabled: bool
    created_at: datetime


def normalise_email(email: str) -> str:
    """Lower-cased, stripped address; raises AccountError when it is not an address."""
    address = (email or "").strip().lower()
    if len(address) > 254 or not _EMAIL.match(address):
        raise AccountError(f"not an email address: {email!r}")
    return address


def _keys(values: Iterable[str], what: str) -> list[str]:
    out = sorted({v.strip() for v in values if v and v.strip()})
    for v in out:
        if not _KEY.match(v):
            raise AccountError(f"not a valid {what} key: {v!r}")
    return out


def identity_of(user: StaffUser) -> StaffIdentity:
    """The identity of a loaded account row."""
    assert user.id is not None
    return StaffIdentity(
        user.id, user.email, user.role, frozenset(user.sites or ()), frozenset(user.programs or ())
    )


def _view(user: StaffUser) -> UserView:
    assert user.id is not None
    return UserView(
        user.id,
        user.email,
        user.role,
        list(user.sites or []),
        list(user.programs or []),
        user.disabled_at is not None,
        user.created_at,
    )


def find_active(session: Session, email: str) -> StaffUser | None:
    """The enabled account for ``email`` (already normalised), or None."""
    user = session.exec(select(StaffUser).where(StaffUser.email == email)).first()
    return user if user is not None and user.disabled_at is None else None


def save_user(
    rt: Runtime,
    email: str,
    role: str,
    sites: Iterable[str] = (),
    programs: Iterable[str] = (),
    *,
    actor: str = "cli",
    ip: str = "",
    now: datetime | None = None,
) -> UserView:
    """Create an account, or update the role and scope of an existing one (re-enabling it).
    Audited as ``user_created`` / ``user_changed``."""
    now = now or rt.now()
    address = normalise_email(email)
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    site_keys, program_keys = _keys(sites, "site"), _keys(programs, "program")
    with unit_of_work(rt.engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.email == address)).first()
        action = "user_changed" if user is not None else "user_created"
        if user is None:
            user = StaffUser(email=address, created_at=now)
        user.role = role
        user.sites = site_keys
        user.programs = program_keys
        user.disabled_at = None
        user.updated_at = now
        session.add(user)
        session.flush()
        detail = f"role={role} sites={','.join(site_keys) or '*'} programs={','.join(program_keys)}"
        audit.add(session, actor, action, now, target=f"user:{address}", detail=detail, ip=ip)
        return _view(user)


def set_disabled(
    rt: Runtime,
    email: str,
    disabled: bool = True,
    *,
    actor: str = "cli",
    ip: str = "",
    now: datetime | None = None,
) -> bool:
    """Disable (ending every session at once) or re-enable an account. False if unknown."""
    now = now or rt.now()
    address = normalise_email(email)
    with unit_of_work(rt.engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.email == address)).first()
        if user is None:
            return False
        user.disabled_at = now if disabled else None
        user.updated_at = now
        session.add(user)
        if disabled:
            revoke_sessions(session, user.id, now)  # type: ignore[arg-type]  # id is None only before the row is flushed
        audit.add(
            session,
            actor,
            "user_disabled" if disabled else "user_enabled",
            now,
            target=f"user:{address}",
            ip=ip,
        )
        return True


def revoke_sessions(session: Session, user_id: int, now: datetime) -> None:
    """End every open session of a user."""
    session.execute(
        update(StaffSession)
        .where(col(StaffSession.user_id) == user_id, col(StaffSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )


def list_users(rt: Runtime) -> list[UserView]:
    """Every account, by address."""
    with unit_of_work(rt.engine, immediate=False) as session:
        rows = session.exec(select(StaffUser).order_by(col(StaffUser.email))).all()
        return [_view(u) for u in rows]


def assignable(rt: Runtime, site: str | None, program: str | None) -> list[UserView]:
    """Enabled accounts that could work an alert at ``site``/``program`` if assigned."""
    out = []
    for user in list_users(rt):
        if user.disabled or user.role == StaffRole.VIEWER:
            continue
        if user.role != StaffRole.ADMIN and user.sites and site not in user.sites:
            continue
        out.append(user)
    return out


def import_routing(rt: Runtime, *, actor: str = "cli", now: datetime | None = None) -> list[str]:
    """Create accounts for the addresses in routing.yaml that have none yet, keeping what
    each address could open before accounts existed:

    * a site's ``programs`` lists -> ``staff`` of that site and program;
    * a site's ``staff``, ``on_call`` and ``escalation`` -> ``manager`` of that site;
    * the global ``default``, ``on_call`` and ``escalation`` -> ``manager`` of every site
      (never ``admin``: user management and phone exports are granted by hand with
      ``cfbot users create EMAIL --role admin``).

    The higher role wins when an address is listed twice. Existing accounts are left as
    they are. Returns one line per account created."""
    from cfbot.services.routing import get_routing

    routing = get_routing(rt)
    # address -> [role, sites (None: every site), programs]
    wanted: dict[str, list[object]] = {}

    def want(address: str, role: str, site: str | None, program: str | None) -> None:
        entry = wanted.setdefault(address.lower(), ["staff", set(), set()])
        if role == "manager":
            entry[0] = "manager"
        sites = entry[1]
        if site is None:
            entry[1] = None
        elif isinstance(sites, set):
            sites.add(site)
        if program:
            entry[2].add(program)  # type: ignore[attr-defined]  # entry is a list of mixed types; entry[2] is always a set

    for key, site in routing.sites.items():
        for program, addresses in site.programs.items():
            for address in addresses:
                want(address, "staff", key, program)
        for address in (*site.staff, *site.on_call, *site.escalation):
            want(address, "manager", key, None)
    for address in (*routing.default, *routing.on_call, *routing.escalation):
        want(address, "manager", None, None)
    existing = {u.email for u in list_users(rt)}
    created = []
    for address, (role, sites, programs) in sorted(wanted.items()):
        if address in existing:
            continue
        site_list = sorted(sites) if isinstance(sites, set) else []
        program_list = sorted(programs) if role == "staff" else []  # type: ignore[call-overload]  # programs is a set when role is staff (mixed-type entry list)
        save_user(rt, address, str(role), site_list, program_list, actor=actor, now=now)
        created.append(f"{address}\t{role}\t{','.join(site_list) or '*'}\t{','.join(program_list)}")
    return created


DEMO_ADMIN = "admin@example.org"


def demo_accounts(rt: Runtime) -> list[str]:
    """The demo's accounts: routing.yaml's sample addresses, plus an admin."""
    created = import_routing(rt, actor="demo")
    if DEMO_ADMIN not in {u.email for u in list_users(rt)}:
        save_user(rt, DEMO_ADMIN, "admin", actor="demo")
        created.append(f"{DEMO_ADMIN}\tadmin\t*\t")
    return created
