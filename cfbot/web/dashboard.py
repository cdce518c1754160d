"""Staff dashboard: alerts (list, page, acknowledge / resolve), delivery problems,
sign-in.

Access (see docs/roles.md):

* **Accounts and roles.** Only people with an enabled account (``cfbot users``) can sign
  in; the role (admin, manager, staff, viewer) and the account's sites and programs
  decide every page and action (:data:`NEEDS`, checked before each request).
* **Sign-in by email link.** The address typed is recorded the same way whether or not it
  has an account (:mod:`cfbot.services.staff_auth`); the mail job emails known ones a
  single-use link valid for 15 minutes that only works in the browser that asked for it
  (a nonce cookie). Requests are rate-limited per client address and per email address.
* **Sessions on the server.** The cookie holds only a random id; logout, disabling the
  account or 12 hours end the session on the server.
* **Alert links in emails** carry no credential: they open the alert after sign-in.
  Every action is by the signed-in person.

* **Delivery problems.** Outbound messages whose outcome is unknown, that failed or were
  cancelled, for the staff of their site (messages outside any survey: all-site staff
  only). Staff mark one sent, send it again, or dismiss it; who, when and why is stored.

Phone numbers stay masked until a person whose role allows it reveals one (audited).
Every form is CSRF-protected; pages are ``no-store`` and send no referrer (they carry
client words). Sign-ins, alert views, phone reveals and case actions are audited.

Routes hold no database session: they call services that run their own unit of work and
return plain view objects, so a page always shows what was committed before it.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from cfbot.i18n import staff_translate
from cfbot.services import audit, delivery_review, staff_auth
from cfbot.services.accounts import StaffIdentity
from cfbot.services.alerts import actions as alert_actions
from cfbot.services.alerts import views as alert_views
from cfbot.services.alerts.common import STATUSES
from cfbot.services.routing import Routing, get_routing
from cfbot.web.context import get_runtime, page_language
from cfbot.web.limits import client_ip, limiter
from cfbot.web.security import check_csrf, csrf_token
from cfbot.web.staff_strings import SN_

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

STAFF_SESSION_HOURS = staff_auth.SESSION_HOURS
MAX_NOTE = 5000
SID_COOKIE = "cfbot_staff"
NONCE_COOKIE = "cfbot_signin"

# endpoints anyone may open; every other dashboard endpoint needs a session and the
# permission below (None: any signed-in account)
PUBLIC = frozenset(
    {
        "dashboard.login_form",
        "dashboard.login_request",
        "dashboard.login_with_token",
        "dashboard.logout",
    }
)
NEEDS: dict[str, str | None] = {
    "dashboard.alert_list": "alerts",
    "dashboard.alert_page": "alerts",
    "dashboard.acknowledge": "casework",
    "dashboard.resolve": "casework",
    "dashboard.reveal": "reveal_phone",
    "dashboard.delivery_list": "delivery",
    "dashboard.delivery_action": "delivery",
    "results.results_page": "results",
    "results.responses_page": "responses",
    "results.review_list": "review",
    "results.review_label": "review",
    "results.phab_report": "results",
    "results.responses_export": "responses",
}


# the alert history's internal codes in plain words (st() translates the words)
EVENT_WORDS: dict[str, str] = {
    "created": SN_("Alert raised"),
    "email_sent": SN_("Email sent"),
    "escalated_email_sent": SN_("Escalation email sent"),
    "email_failed": SN_("Email could not be sent"),
    "escalated": SN_("Escalated (not acknowledged in time)"),
    "reason_added": SN_("Another reason added"),
    "repeat": SN_("Raised again"),
    "phone_revealed": SN_("Full phone number shown"),
    "client_replied": SN_("The client replied"),
    "client_message": SN_("Message from the client"),
    "acknowledged": SN_("Acknowledged"),
    "resolved": SN_("Resolved"),
    "assigned": SN_("Assigned"),
    "note": SN_("Note added"),
    "reopened": SN_("Reopened"),
    "survey_resumed": SN_("Survey resumed"),
    "survey_closed": SN_("Survey closed"),
    "followup_queued": SN_("Reply to the client queued"),
}
CATEGORY_WORDS: dict[str, str] = {
    "self_harm": SN_("possible self-harm"),
    "violence_abuse": SN_("possible violence or abuse"),
    "medical_emergency": SN_("possible medical emergency"),
}


def _plain(words: dict[str, str], code: str) -> str:
    """Plain words for an internal code; an unknown code with its underscores as spaces."""
    return words.get(code) or code.replace("_", " ")


@bp.context_processor
def _staff_text() -> dict[str, object]:
    lang = page_language()

    def st(message: str, **params: object) -> str:
        # staff-facing text: the "staff" catalog (cfbot translations extract), then the
        # client catalog, then English
        return staff_translate(lang, message, **params)

    def unknown_count() -> int:
        # called from the navigation only when someone is signed in: one small count query
        me = _me()
        if me is None or not me.may("delivery"):
            return 0
        return delivery_review.unknown_count_view(get_runtime(), me.scope)

    return {
        "st": st,
        "unknown_count": unknown_count,
        "me": _me(),
        "event_words": lambda code: _plain(EVENT_WORDS, code),
        "category_words": lambda code: _plain(CATEGORY_WORDS, code),
    }


@bp.after_request
def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


# --------------------------------------------------------------------------- access


def _me() -> StaffIdentity | None:
    """The signed-in account of this request (looked up once per request)."""
    # cached on the request (not on g: an app context can outlive one request)
    key = "cfbot.staff_identity"
    if key not in request.environ:
        request.environ[key] = staff_auth.current_identity(
            get_runtime(), request.cookies.get(SID_COOKIE)
        )
    return request.environ[key]


def _staff() -> str | None:
    """The signed-in person's address, or None."""
    me = _me()
    return me.email if me is not None else None


def _scope(_email: str | None = None) -> frozenset[str] | None:
    """The sites the signed-in account covers (None: every site)."""
    me = _me()
    return me.scope if me is not None else frozenset()


def _not_allowed() -> tuple[str, int]:
    return render_template(
        "dashboard/message.html",
        title="Not available to your role",
        message="Your role does not include this page. Ask an administrator if you need it.",
    ), 403


def guard() -> Response | tuple[str, int] | None:
    """Before every dashboard request: sign-in, then the role's permission."""
    endpoint = request.endpoint or ""
    if endpoint in PUBLIC or not endpoint:
        return None
    me = _me()
    if me is None:
        if request.method == "GET" and request.path.rstrip("/") != "/dashboard":
            return redirect(url_for("dashboard.login_form", next=request.path))
        return redirect(url_for("dashboard.login_form"))
    if endpoint == "dashboard.alert_list" and not me.may("alerts"):
        return redirect(url_for("results.results_page"))
    need = NEEDS.get(endpoint)
    if need is not None and not me.may(need):
        return _not_allowed()
    return None


bp.before_request(guard)


@bp.errorhandler(404)
def _not_found(_error: Exception) -> tuple[str, int]:
    return render_template(
        "dashboard/message.html",
        title=SN_("Not found"),
        message=SN_("There is no such alert or message, or it is not in your sites and programs."),
    ), 404


def _can_view(alert: alert_views.AlertRef) -> bool:
    me = _me()
    return me is not None and me.sees_alert(alert.site, alert.program, alert.assigned_to_id)


def _load(alert_id: int) -> alert_views.AlertRef:
    alert = alert_views.alert_ref(get_runtime(), alert_id)
    if alert is None or not _can_view(alert):
        # the same answer for "missing" and "not yours": ids are not secrets, contents are
        abort(404)
    return alert


def _actor() -> str:
    """Who acts: always the signed-in person (the guard has checked there is one)."""
    email = _staff()
    if email is None:  # pragma: no cover - the guard redirects first
        abort(403)
    return email


# --------------------------------------------------------------------------- sign-in


def _login_page(sent: bool, link: str | None = None) -> str:
    next_path = staff_auth.safe_next(request.values.get("next"))
    return render_template(
        "dashboard/login.html", csrf=csrf_token(), sent=sent, link=link, next_path=next_path
    )


def _address_key() -> str:
    """Rate-limit key of the address typed (normalised), so one inbox cannot be flooded."""
    return "signin-address:" + request.form.get("email", "").strip().lower()[:254]


@bp.get("/login")
def login_form() -> str:
    return _login_page(sent=False)


@bp.post("/login")
@limiter.limit("20 per minute;100 per hour", key_func=lambda: "signin-ip:" + client_ip())
@limiter.limit("5 per 15 minutes", key_func=_address_key)
def login_request() -> Response:
    check_csrf()
    rt = get_runtime()
    email = request.form.get("email", "")
    nonce = staff_auth.new_token()
    # the same work for every address: one row; the mail job decides, later
    request_id = staff_auth.request_sign_in(
        rt, email, nonce, ip=client_ip(), next_path=request.form.get("next")
    )
    demo_link = None
    if rt.settings.demo:
        # the demo has no mailbox: make the link now and show it (relative, so it works
        # on whatever host and port the demo is reached at)
        link = staff_auth.process_sign_in_requests(rt, only_id=request_id).get(request_id)
        if link:
            demo_link = "/dashboard/" + link.split("/dashboard/", 1)[1]
    # the same page whether or not the address is listed: no way to probe the staff list
    response = make_response(_login_page(sent=True, link=demo_link))
    response.set_cookie(
        NONCE_COOKIE,
        nonce,
        max_age=staff_auth.LINK_MINUTES * 60,
        path="/dashboard/login",
        httponly=True,
        samesite="Lax",
        secure=rt.settings.is_production,
    )
    return response


@bp.get("/login/<token>")
def login_with_token(token: str) -> Response | tuple[str, int]:
    rt = get_runtime()
    try:
        sid, next_path = staff_auth.redeem(
            rt, token, request.cookies.get(NONCE_COOKIE), ip=client_ip()
        )
    except staff_auth.SignInRefused as exc:
        return render_template(
            "dashboard/message.html", title="Sign-in link not valid", message=str(exc)
        ), 400
    lang = session.get("lang")
    session.clear()  # a fresh CSRF token for the new session
    if lang:
        session["lang"] = lang
    response = redirect(next_path or url_for("dashboard.alert_list"))
    response.set_cookie(
        SID_COOKIE,
        sid,
        max_age=STAFF_SESSION_HOURS * 3600,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=rt.settings.is_production,
    )
    response.delete_cookie(NONCE_COOKIE, path="/dashboard/login")
    return response


@bp.post("/logout")
def logout() -> Response:
    check_csrf()
    staff_auth.sign_out(get_runtime(), request.cookies.get(SID_COOKIE), ip=client_ip())
    session.clear()
    response = redirect(url_for("dashboard.login_form"))
    response.delete_cookie(SID_COOKIE, path="/")
    return response


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
    me = _me()
    assert me is not None  # the guard signed them in
    status = request.args.get("status", "open")
    if status not in (*STATUSES, "all"):
        status = "open"
    site = request.args.get("site") or None
    mine = request.args.get("mine") == "1"
    rt = get_runtime()
    page = alert_views.alert_list(
        rt, status=None if status == "all" else status, site=site, visible_to=me, mine=mine
    )
    routing = get_routing(rt)
    return _render_listing(
        "dashboard/list.html",
        me.email,
        routing,
        _visible_sites(routing, me.scope),
        alerts=page.alerts,
        status=status,
        site=site,
        mine=mine,
        now=rt.now(),
        delayed=page.delayed,
        held=page.held,
    )


@bp.get("/alerts/<int:alert_id>")
def alert_page(alert_id: int) -> Response | tuple[str, int]:
    if request.args.get("token"):
        # links from emails sent before accounts carried a token: it grants nothing now
        return redirect(url_for("dashboard.alert_page", alert_id=alert_id))
    alert_id = _load(alert_id).id
    audit.record(
        get_runtime(), _actor(), "alert_viewed", target=f"alert:{alert_id}", ip=client_ip()
    )
    return _render_detail(alert_id)


def _render_detail(
    alert_id: int,
    phone: str | None = None,
    error: str | None = None,
    status: int = 200,
    **extra: object,
) -> tuple[str, int]:
    from cfbot.services.accounts import assignable
    from cfbot.services.alerts import followup

    rt = get_runtime()
    detail = alert_views.alert_detail(rt, alert_id, rt.now())
    if detail is None:
        abort(404)
    routing = get_routing(rt)
    a = detail.alert
    return render_template(
        "dashboard/detail.html",
        d=detail,
        a=a,
        phone=phone,
        error=error,
        staff=_staff(),
        csrf=csrf_token(),
        tz=routing.tz,
        causes=alert_actions.CAUSES,
        people=assignable(rt, a.site, a.program) if _me() and _me().may("assign") else [],  # type: ignore[union-attr]  # _me() is cached per request, so the second call is not None
        fu=followup.form(rt, alert_id),
        **extra,
    ), status


@bp.post("/alerts/<int:alert_id>/acknowledge")
def acknowledge(alert_id: int) -> Response:
    check_csrf()
    _load(alert_id)
    note = request.form.get("note", "")[:MAX_NOTE]
    rt = get_runtime()
    alert_actions.acknowledge_alert(rt, alert_id, _actor(), rt.now(), note=note, ip=client_ip())
    return redirect(url_for("dashboard.alert_page", alert_id=alert_id))


@bp.post("/alerts/<int:alert_id>/resolve")
def resolve(alert_id: int) -> Response | tuple[str, int]:
    check_csrf()
    _load(alert_id)
    note = request.form.get("note", "")[:MAX_NOTE]
    cause = request.form.get("cause") or None
    actor = _actor()
    rt = get_runtime()
    try:
        if cause is None:
            raise alert_actions.AlertActionError("choose a cause from the list")
        alert_actions.resolve_alert(
            rt, alert_id, actor, note, rt.now(), cause=cause, ip=client_ip()
        )
    except alert_actions.AlertActionError as exc:
        return _render_detail(alert_id, error=str(exc), status=400)
    return redirect(url_for("dashboard.alert_page", alert_id=alert_id))


@bp.post("/alerts/<int:alert_id>/reveal")
def reveal(alert_id: int) -> tuple[str, int]:
    check_csrf()
    _load(alert_id)
    rt = get_runtime()
    phone = alert_actions.reveal_phone(rt, alert_id, _actor(), rt.now(), ip=client_ip())
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
