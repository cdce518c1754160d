"""Staff dashboard: alerts (list, page, acknowledge / resolve), delivery problems,
magic-link sign-in.

Access, kept simple and safe:

* **Sign-in by email link.** A staff member types their address; if routing.yaml lists it,
  a signed link valid for 15 minutes is emailed (shown on the page in demo mode). The
  session then lasts :data:`STAFF_SESSION_HOURS`; removing the address from routing.yaml
  ends access at the next request. Site staff see their sites; default, on-call and
  escalation addresses see all.
* **Signed alert links.** The link in an alert email opens that one alert for
  :data:`GRANT_MINUTES` without signing in, so the person on call can acknowledge it from
  their phone; they give their name, which goes in the audit trail.

* **Delivery problems.** Outbound messages whose outcome is unknown, that failed or were
  cancelled, for the staff of their site (messages outside any survey: all-site staff
  only). Staff mark one sent, send it again, or dismiss it; who, when and why is stored.

Phone numbers stay masked until a staff member asks to reveal one (logged). Every form
is CSRF-protected; pages are ``no-store`` and send no referrer (they carry client words).

Routes hold no database session: they call services that run their own unit of work and
return plain view objects, so a page always shows what was committed before it.
"""

from __future__ import annotations

import time

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from cfbot.i18n import staff_translate
from cfbot.services import delivery_review
from cfbot.services.alerts import actions as alert_actions
from cfbot.services.alerts import views as alert_views
from cfbot.services.alerts.common import STATUSES
from cfbot.services.alerts.links import verify_alert_token, verify_login_token
from cfbot.services.alerts.signin import request_login
from cfbot.services.routing import Routing, get_routing
from cfbot.web.context import get_runtime, page_language
from cfbot.web.security import check_csrf, csrf_token

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

STAFF_SESSION_HOURS = 12
GRANT_MINUTES = 60
MAX_NOTE = 5000


@bp.context_processor
def _staff_text() -> dict[str, object]:
    lang = page_language()

    def st(message: str, **params: object) -> str:
        # staff-facing text: the "staff" catalog (cfbot translations extract), then the
        # client catalog, then English
        return staff_translate(lang, message, **params)

    def unknown_count() -> int:
        # called from the navigation only when someone is signed in: one small count query
        email = _staff()
        if email is None:
            return 0
        return delivery_review.unknown_count_view(get_runtime(), _scope(email))

    return {"st": st, "unknown_count": unknown_count}


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


# --------------------------------------------------------------------------- access


def _staff() -> str | None:
    email = session.get("staff_email")
    started = session.get("staff_login_at", 0)
    if not isinstance(email, str) or not isinstance(started, int | float):
        return None
    if time.time() - started > STAFF_SESSION_HOURS * 3600:
        session.pop("staff_email", None)
        return None
    if not get_routing(get_runtime()).is_staff(email):
        return None
    return email


def _scope(email: str) -> frozenset[str] | None:
    return get_routing(get_runtime()).staff_scope(email)


def _granted(alert_id: int) -> bool:
    grants = session.get("alert_grants") or {}
    expiry = grants.get(str(alert_id)) if isinstance(grants, dict) else None
    return isinstance(expiry, int | float) and expiry > time.time()


def _grant(alert_id: int) -> None:
    grants = session.get("alert_grants") or {}
    if not isinstance(grants, dict):
        grants = {}
    now = time.time()
    # keep the cookie small: drop expired grants
    grants = {k: v for k, v in grants.items() if isinstance(v, int | float) and v > now}
    grants[str(alert_id)] = now + GRANT_MINUTES * 60
    session["alert_grants"] = grants


def _can_view(alert: alert_views.AlertRef) -> bool:
    email = _staff()
    if email is not None:
        scope = _scope(email)
        if scope is None or (alert.site is not None and alert.site in scope):
            return True
    return _granted(alert.id)


def _load(alert_id: int) -> alert_views.AlertRef:
    alert = alert_views.alert_ref(get_runtime(), alert_id)
    if alert is None or not _can_view(alert):
        # the same answer for "missing" and "not yours": ids are not secrets, contents are
        abort(404)
    return alert


def _actor() -> str:
    email = _staff()
    if email is not None:
        return email
    name = " ".join(request.form.get("name", "").split())[:100]
    if not name:
        abort(400, description="Please give your name.")
    return f"{name} (via emailed link)"


# --------------------------------------------------------------------------- sign-in


@bp.get("/login")
def login_form() -> str:
    return render_template("dashboard/login.html", csrf=csrf_token(), sent=False, link=None)


@bp.post("/login")
def login_request() -> str:
    check_csrf()
    email = request.form.get("email", "").strip()[:254]
    link = request_login(get_runtime(), email) if email else None
    demo_link = None
    if link and get_runtime().settings.demo:
        # shown on this page, so make it relative: it then works on whatever host and
        # port the demo is reached at, even when CFBOT_PUBLIC_URL is not set
        demo_link = "/dashboard/" + link.split("/dashboard/", 1)[1]
    # the same page whether or not the address is listed: no way to probe the staff list
    return render_template("dashboard/login.html", csrf=csrf_token(), sent=True, link=demo_link)


@bp.get("/login/<token>")
def login_with_token(token: str) -> Response | tuple[str, int]:
    email = verify_login_token(get_runtime(), token)
    if email is None:
        return render_template(
            "dashboard/message.html",
            title="Sign-in link not valid",
            message="This sign-in link has expired or is not valid. Ask for a new one.",
        ), 400
    grants = session.get("alert_grants")
    session.clear()
    if grants:
        session["alert_grants"] = grants
    session["staff_email"] = email
    session["staff_login_at"] = int(time.time())
    return redirect(url_for("dashboard.alert_list"))


@bp.post("/logout")
def logout() -> Response:
    check_csrf()
    session.pop("staff_email", None)
    session.pop("staff_login_at", None)
    session.pop("alert_grants", None)
    return redirect(url_for("dashboard.login_form"))


# --------------------------------------------------------------------------- pages


def _visible_sites(routing: Routing, scope: frozenset[str] | None) -> list[str]:
    """The site keys offered in a page's site filter: the staff member's own, or all."""
    return sorted(routing.sites) if scope is None else sorted(scope)


def _render_listing(
    template: str, email: str, routing: Routing, sites: list[str], **context: object
) -> str:
    """A list page with its site filter and table (macros in ``dashboard/_listing.html``)."""
    return render_template(
        template,
        sites=sites,
        routing=routing,
        staff=email,
        csrf=csrf_token(),
        tz=routing.tz,
        **context,
    )


@bp.get("")
@bp.get("/")
def alert_list() -> Response | str:
    email = _staff()
    if email is None:
        return redirect(url_for("dashboard.login_form"))
    status = request.args.get("status", "open")
    if status not in (*STATUSES, "all"):
        status = "open"
    site = request.args.get("site") or None
    scope = _scope(email)
    rt = get_runtime()
    page = alert_views.alert_list(
        rt, status=None if status == "all" else status, site=site, scope=scope
    )
    routing = get_routing(rt)
    return _render_listing(
        "dashboard/list.html",
        email,
        routing,
        _visible_sites(routing, scope),
        alerts=page.alerts,
        status=status,
        site=site,
        delayed=page.delayed,
    )


@bp.get("/alerts/<int:alert_id>")
def alert_page(alert_id: int) -> Response | str:
    token = request.args.get("token")
    if token:
        if not verify_alert_token(get_runtime(), token, alert_id):
            return render_template(
                "dashboard/message.html",
                title="Link not valid",
                message="This alert link has expired or is not valid. Sign in to see the alert.",
            ), 400  # type: ignore[return-value]
        _grant(alert_id)
        # drop the token from the address bar and history
        return redirect(url_for("dashboard.alert_page", alert_id=alert_id))
    if _staff() is None and not _granted(alert_id):
        return redirect(url_for("dashboard.login_form"))
    return _render_detail(_load(alert_id).id)


def _render_detail(alert_id: int, phone: str | None = None, error: str | None = None) -> str:
    rt = get_runtime()
    detail = alert_views.alert_detail(rt, alert_id, rt.now())
    if detail is None:
        abort(404)
    routing = get_routing(rt)
    return render_template(
        "dashboard/detail.html",
        d=detail,
        a=detail.alert,
        phone=phone,
        error=error,
        staff=_staff(),
        csrf=csrf_token(),
        tz=routing.tz,
    )


@bp.post("/alerts/<int:alert_id>/acknowledge")
def acknowledge(alert_id: int) -> Response:
    check_csrf()
    _load(alert_id)
    note = request.form.get("note", "")[:MAX_NOTE]
    rt = get_runtime()
    alert_actions.acknowledge_alert(rt, alert_id, _actor(), rt.now(), note=note)
    return redirect(url_for("dashboard.alert_page", alert_id=alert_id))


@bp.post("/alerts/<int:alert_id>/resolve")
def resolve(alert_id: int) -> Response | str:
    check_csrf()
    _load(alert_id)
    note = request.form.get("note", "")[:MAX_NOTE]
    actor = _actor()
    rt = get_runtime()
    try:
        alert_actions.resolve_alert(rt, alert_id, actor, note, rt.now())
    except alert_actions.AlertActionError as exc:
        return _render_detail(alert_id, error=str(exc))
    return redirect(url_for("dashboard.alert_page", alert_id=alert_id))


@bp.post("/alerts/<int:alert_id>/reveal")
def reveal(alert_id: int) -> str:
    check_csrf()
    _load(alert_id)
    rt = get_runtime()
    phone = alert_actions.reveal_phone(rt, alert_id, _actor(), rt.now())
    # rendered straight from the POST: the number is never in a URL or a redirect
    return _render_detail(alert_id, phone=phone or "")


# --------------------------------------------------------------------------- delivery


def _delivery_page(email: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    show = request.values.get("show", "open")
    if show not in ("open", "all"):
        show = "open"
    scope = _scope(email)
    routing = get_routing(get_runtime())
    sites = _visible_sites(routing, scope)
    site = request.values.get("site") or None
    if site not in sites:
        site = None
    rows = delivery_review.problems_view(
        get_runtime(),
        {site} if site is not None else scope,
        include_dismissed=show == "all",
    )
    return _render_listing(
        "dashboard/delivery.html",
        email,
        routing,
        sites,
        problems=rows,
        show=show,
        site=site,
        error=error,
    ), status


@bp.get("/delivery")
def delivery_list() -> Response | tuple[str, int]:
    email = _staff()
    if email is None:
        return redirect(url_for("dashboard.login_form"))
    return _delivery_page(email)


@bp.post("/delivery/<int:message_id>")
def delivery_action(message_id: int) -> Response | tuple[str, int]:
    check_csrf()
    email = _staff()
    if email is None:
        return redirect(url_for("dashboard.login_form"))
    problem = delivery_review.problem_view(get_runtime(), message_id)
    scope = _scope(email)
    if problem is None or (scope is not None and problem.site not in scope):
        # the same answer for "missing" and "not yours", as for alerts
        abort(404)
    action = request.form.get("action", "")
    if action not in delivery_review.REVIEW_ACTIONS:
        abort(400, description="Choose an action.")
    note = request.form.get("note", "")[:MAX_NOTE]
    try:
        rt = get_runtime()
        delivery_review.resolve_unknown(rt, message_id, action, email, note, rt.now())
    except delivery_review.DeliveryActionError as exc:
        return _delivery_page(email, error=str(exc), status=409)
    return redirect(url_for("dashboard.delivery_list", show=request.form.get("show") or None))
