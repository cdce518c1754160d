"""The role matrix (docs/roles.md): each role x each action x own / other site."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alert_helpers import T0, csrf_from, invite, rows, sms
from staff_login import login

from cfbot.models import Alert, AuditEntry

UNHAPPY = ["1", "Terrible, nobody helped me", "2", "3", "skip"]

ACCOUNTS = {
    "admin": ("boss@example.org", "admin", (), ()),
    "manager": ("north-manager@example.org", "manager", ("northside",), ()),
    "staff": ("north-wic@example.org", "staff", ("northside",), ("wic",)),
    "viewer": ("north-viewer@example.org", "viewer", ("northside",), ()),
}


def _alert(rt, site: str, phone: str, program: str | None = "wic") -> int:
    invite(rt, site=site, phone=phone, program=program)
    for i, text in enumerate(UNHAPPY, 1):
        sms(rt, text, phone=phone, now=T0 + timedelta(minutes=i))
    return [a for a in rows(rt, Alert) if a.site == site][-1].id


@pytest.fixture
def world(rt, client):
    own = _alert(rt, "northside", "+16125550170")
    other = _alert(rt, "southside", "+16125550171", program=None)
    return {"own": own, "other": other}


def _csrf(client) -> str:
    page = client.get("/dashboard/login").get_data(as_text=True)
    return csrf_from(page)


# (action, where) -> the status each role gets
MATRIX = {
    ("view alert", "own"): {"admin": 200, "manager": 200, "staff": 200, "viewer": 403},
    ("view alert", "other"): {"admin": 200, "manager": 404, "staff": 404, "viewer": 403},
    ("acknowledge", "own"): {"admin": 302, "manager": 302, "staff": 302, "viewer": 403},
    ("acknowledge", "other"): {"admin": 302, "manager": 404, "staff": 404, "viewer": 403},
    ("reveal phone", "own"): {"admin": 200, "manager": 200, "staff": 200, "viewer": 403},
    ("reveal phone", "other"): {"admin": 200, "manager": 404, "staff": 404, "viewer": 403},
    ("assign", "own"): {"admin": 302, "manager": 302, "staff": 403, "viewer": 403},
    ("assign", "other"): {"admin": 400, "manager": 404, "staff": 403, "viewer": 403},
    ("add note", "own"): {"admin": 302, "manager": 302, "staff": 302, "viewer": 403},
    ("add note", "other"): {"admin": 302, "manager": 404, "staff": 404, "viewer": 403},
    ("results", "-"): {"admin": 200, "manager": 200, "staff": 403, "viewer": 200},
    ("responses", "-"): {"admin": 200, "manager": 200, "staff": 403, "viewer": 403},
    ("review", "-"): {"admin": 200, "manager": 200, "staff": 403, "viewer": 403},
    ("delivery", "-"): {"admin": 200, "manager": 200, "staff": 403, "viewer": 403},
    ("phab report", "-"): {"admin": 200, "manager": 200, "staff": 403, "viewer": 200},
    ("download answers", "-"): {"admin": 200, "manager": 200, "staff": 403, "viewer": 403},
    ("users", "-"): {"admin": 200, "manager": 403, "staff": 403, "viewer": 403},
    ("audit", "-"): {"admin": 200, "manager": 403, "staff": 403, "viewer": 403},
}


def _do(client, action: str, alert_id: int | None) -> int:
    token = _csrf(client)
    base = f"/dashboard/alerts/{alert_id}"
    if action == "view alert":
        return client.get(base).status_code
    if action == "acknowledge":
        return client.post(f"{base}/acknowledge", data={"csrf_token": token}).status_code
    if action == "reveal phone":
        return client.post(f"{base}/reveal", data={"csrf_token": token}).status_code
    if action == "assign":
        # north-wic covers northside only: assigning the southside alert to them is a 400
        data = {"csrf_token": token, "assignee": "north-wic@example.org"}
        return client.post(f"{base}/assign", data=data).status_code
    if action == "add note":
        return client.post(f"{base}/note", data={"csrf_token": token, "note": "n"}).status_code
    url = {
        "results": "/dashboard/results",
        "responses": "/dashboard/responses",
        "review": "/dashboard/review",
        "delivery": "/dashboard/delivery",
        "phab report": "/dashboard/results/phab-report?format=html",
        "download answers": "/dashboard/responses/export?format=csv",
        "users": "/dashboard/admin/users",
        "audit": "/dashboard/admin/audit",
    }[action]
    return client.get(url).status_code


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_role_matrix(rt, client, world, role):
    from cfbot.services.accounts import save_user

    for email, r, sites, programs in ACCOUNTS.values():
        save_user(rt, email, r, sites, programs)
    email, r, sites, programs = ACCOUNTS[role]
    login(rt, client, email, r, sites, programs)
    got = {}
    for (action, where), expected in MATRIX.items():
        alert_id = world.get(where)
        got[(action, where)] = (_do(client, action, alert_id), expected[role])
    wrong = {k: v for k, v in got.items() if v[0] != v[1]}
    assert not wrong, wrong


def test_staff_list_shows_their_program_and_assigned_alerts_only(rt, client, world):
    from cfbot.services.accounts import save_user
    from cfbot.services.alerts.casework import assign_alert

    third = _alert(rt, "northside", "+16125550172", program="immunizations")
    save_user(rt, "north-wic@example.org", "staff", ["northside"], ["wic"])
    login(rt, client, "north-wic@example.org")
    listing = client.get("/dashboard/?status=all").get_data(as_text=True)
    assert f"#{world['own']}<" in listing and f"#{third}<" not in listing
    assert client.get(f"/dashboard/alerts/{third}").status_code == 404
    # assigned to them: visible, and in "my alerts"
    assign_alert(rt, third, "north-wic@example.org", "boss@example.org")
    mine = client.get("/dashboard/?mine=1&status=all").get_data(as_text=True)
    assert f"#{third}<" in mine and f"#{world['own']}<" not in mine
    assert client.get(f"/dashboard/alerts/{third}").status_code == 200


def test_alert_views_and_reveals_are_audited(rt, client, world):
    login(rt, client, "boss@example.org", "admin")
    page = client.get(f"/dashboard/alerts/{world['own']}").get_data(as_text=True)
    client.post(f"/dashboard/alerts/{world['own']}/reveal", data={"csrf_token": csrf_from(page)})
    actions = [(e.actor, e.action, e.target) for e in rows(rt, AuditEntry)]
    assert ("boss@example.org", "alert_viewed", f"alert:{world['own']}") in actions
    assert ("boss@example.org", "phone_revealed", f"alert:{world['own']}") in actions
    assert all(e.ip == "127.0.0.1" for e in rows(rt, AuditEntry) if e.actor == "boss@example.org")
    csv_reply = client.get("/dashboard/admin/audit.csv")
    assert csv_reply.status_code == 200 and csv_reply.mimetype == "text/csv"
    assert "phone_revealed" in csv_reply.get_data(as_text=True)
    assert "phone_revealed" in client.get("/dashboard/admin/audit").get_data(as_text=True)
