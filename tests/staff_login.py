"""Signing staff in for tests: accounts from routing.yaml (or a given role) and a
single-use link opened by the test client."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cfbot.services.accounts import import_routing, save_user
from cfbot.services.staff_auth import issue_link


def login(
    rt: Any,
    client: Any,
    email: str,
    role: str | None = None,
    sites: Iterable[str] = (),
    programs: Iterable[str] = (),
) -> None:
    """Sign ``email`` in on ``client``: with ``role`` the account is created (or changed)
    first, else accounts are imported from routing.yaml."""
    if role is not None:
        save_user(rt, email, role, sites, programs)
    else:
        import_routing(rt)
    link = issue_link(rt, email)
    assert link is not None, f"{email} has no enabled account"
    path = "/dashboard/" + link.split("/dashboard/", 1)[1]
    reply = client.get(path)
    assert reply.status_code == 302, reply.get_data(as_text=True)
