"""Admin pages: accounts (create, change role and sites, disable) and the audit trail
(read, export as CSV). Admins only; same sign-in, CSRF and headers as the dashboard."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from cfbot.services import accounts, audit
from cfbot.services.routing import get_routing
from cfbot.web import dashboard
from cfbot.web.context import get_runtime
from cfbot.web.limits import client_ip
from cfbot.web.security import check_csrf, csrf_token

bp = Blueprint("admin", __name__, url_prefix="/dashboard/admin")
bp.context_processor(dashboard._staff_text)
bp.after_request(dashboard._private)
bp.before_request(dashboard.guard)

dashboard.NEEDS.update(
    {
        "admin.users": "users",
        "admin.save_user": "users",
        "admin.toggle_user": "users",
        "admin.audit_page": "audit",
        "admin.audit_csv": "audit",
    }
)


def _users_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    rt = get_runtime()
    routing = get_routing(rt)
    return render_template(
        "dashboard/users.html",
        users=accounts.list_users(rt),
        roles=accounts.ROLES,
        sites=sorted(routing.sites),
        routing=routing,
        staff=dashboard._staff(),
        csrf=csrf_token(),
        error=error,
    ), status


@bp.get("/users")
def users() -> tuple[str, int]:
    return _users_page()


def _split(value: str) -> list[str]:
    return [v for v in value.replace(",", " ").split() if v]


@bp.post("/users")
def save_user() -> Response | tuple[str, int]:
    check_csrf()
    try:
        accounts.save_user(
            get_runtime(),
            request.form.get("email", ""),
            request.form.get("role", ""),
            request.form.getlist("sites"),
            _split(request.form.get("programs", "")),
            actor=dashboard._actor(),
            ip=client_ip(),
        )
    except accounts.AccountError as exc:
        return _users_page(error=str(exc), status=400)
    return redirect(url_for("admin.users"))


@bp.post("/users/state")
def toggle_user() -> Response | tuple[str, int]:
    check_csrf()
    action = request.form.get("action", "")
    if action not in ("disable", "enable"):
        return _users_page(error="Choose disable or enable.", status=400)
    try:
        found = accounts.set_disabled(
            get_runtime(),
            request.form.get("email", ""),
            action == "disable",
            actor=dashboard._actor(),
            ip=client_ip(),
        )
    except accounts.AccountError as exc:
        return _users_page(error=str(exc), status=400)
    if not found:
        return _users_page(error="No such account.", status=404)
    return redirect(url_for("admin.users"))


def _filters() -> tuple[str | None, str | None]:
    action = (request.args.get("action") or "").strip()[:40] or None
    actor = (request.args.get("actor") or "").strip()[:254] or None
    return action, actor


@bp.get("/audit")
def audit_page() -> str:
    action, actor = _filters()
    routing = get_routing(get_runtime())
    return render_template(
        "dashboard/audit.html",
        lines=audit.entries(get_runtime(), action=action, actor=actor),
        action=action or "",
        actor=actor or "",
        staff=dashboard._staff(),
        csrf=csrf_token(),
        tz=routing.tz,
    )


@bp.get("/audit.csv")
def audit_csv() -> Response:
    action, actor = _filters()
    rt = get_runtime()
    lines = audit.entries(rt, action=action, actor=actor, limit=100_000)
    audit.record(
        rt,
        dashboard._actor(),
        "audit_exported",
        detail=f"{len(lines)} rows",
        ip=client_ip(),
    )
    response = make_response(audit.csv_text(lines))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="cfbot-audit.csv"'
    return response
