"""Dashboard pages for results and evidence: /dashboard/results (figures and charts),
/dashboard/responses (every survey with its answers) and /dashboard/review (the queue of
free-text answers staff label). Same sign-in, site scope and headers as the dashboard;
routes parse the form, call one service, and render."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from cfbot.i18n import LANGUAGE_NAMES
from cfbot.services import audit
from cfbot.services import results as results_service
from cfbot.services import review as review_service
from cfbot.services.routing import get_routing
from cfbot.web import dashboard
from cfbot.web.context import get_runtime
from cfbot.web.limits import client_ip
from cfbot.web.security import check_csrf, csrf_token

bp = Blueprint("results", __name__, url_prefix="/dashboard")
bp.context_processor(dashboard._staff_text)
bp.after_request(dashboard._private)
bp.before_request(dashboard.guard)

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


def _parse_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _form(scope: frozenset[str] | None) -> tuple[results_service.Filters, dict[str, Any]]:
    """Filters from the query string (defaults: the last 30 days in the agency's zone)."""
    rt = get_runtime()
    routing = get_routing(rt)
    tz = routing.tz
    today = rt.now().astimezone(tz).date()
    end = _parse_date(request.args.get("to")) or today
    start = _parse_date(request.args.get("from")) or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        start, end = end, start
    start = max(start, end - timedelta(days=MAX_DAYS))
    sites = dashboard._visible_sites(routing, scope)
    values = {
        key: (request.args.get(key) or "").strip()[:100] or None
        for key in ("site", "program", "flow", "language", "channel")
    }
    if values["site"] not in sites:
        values["site"] = None
    filters = results_service.Filters(
        since=datetime.combine(start, time.min, tz),
        until=datetime.combine(end + timedelta(days=1), time.min, tz),
        **values,
    )
    form = {"from": start.isoformat(), "to": end.isoformat(), **values}
    return filters, form


def _common(email: str, scope: frozenset[str] | None, form: dict[str, Any]) -> dict[str, Any]:
    rt = get_runtime()
    routing = get_routing(rt)
    opts = results_service.options(rt, scope)
    languages = [(v, LANGUAGE_NAMES.get(v, v)) for v in opts.languages]
    return {
        "staff": email,
        "csrf": csrf_token(),
        "routing": routing,
        "tz": routing.tz,
        "form": form,
        "choices": {
            "site": [(k, routing.site_name(k)) for k in dashboard._visible_sites(routing, scope)],
            "program": [(v, v) for v in opts.programs],
            "flow": [(v, v) for v in opts.flows],
            "language": languages,
            "channel": [(v, v) for v in opts.channels],
        },
    }


def _rating_rows(r: results_service.RatingResult) -> list[tuple[str, int, str]]:
    return [(str(p), n, f"{n} ({100.0 * n / r.n:.0f}%)") for p, n in r.counts.items()]


def _group_name(dimension: str, key: str) -> str:
    if dimension == "site":
        return get_routing(get_runtime()).site_name(key or None)
    if dimension == "language":
        return LANGUAGE_NAMES.get(key, key)
    return key or "–"


@bp.get("/results")
def results_page() -> Response | str:
    email = dashboard._staff()
    if email is None:
        return redirect(url_for("dashboard.login_form"))
    scope = dashboard._scope(email)
    filters, form = _form(scope)
    rt = get_runtime()
    groups = results_service.groups(rt, filters, scope)
    return render_template(
        "dashboard/results.html",
        funnel=results_service.funnel(rt, filters, scope),
        sat=results_service.satisfaction(rt, filters, scope),
        weeks=groups.weeks,
        breakdowns=groups.breakdowns,
        themes=results_service.themes(rt, filters, scope),
        alerts=results_service.alert_stats(rt, filters, scope),
        min_group=results_service.MIN_GROUP,
        rating_rows=_rating_rows,
        weeks_points=lambda weeks: [(w.key, None if w.hidden else w.csat) for w in weeks],
        theme_rows=lambda items: [(t.signal, t.count, str(t.count)) for t in items],
        group_name=_group_name,
        **_common(email, scope, form),
    )


@bp.get("/responses")
def responses_page() -> Response | str:
    email = dashboard._staff()
    if email is None:
        return redirect(url_for("dashboard.login_form"))
    scope = dashboard._scope(email)
    filters, form = _form(scope)
    query = (request.args.get("q") or "").strip()[:200]
    try:
        page = int(request.args.get("page") or 1)
    except ValueError:
        page = 1
    result = results_service.responses(get_runtime(), filters, scope, query, page)
    audit.record(
        get_runtime(),
        email,
        "responses_viewed",
        target=f"responses:{filters.site or '*'}",
        detail=f"page {page}" + (f", search {query!r}" if query else ""),
        ip=client_ip(),
    )
    form["q"] = query or None
    return render_template(
        "dashboard/responses.html", result=result, query=query, **_common(email, scope, form)
    )


def _review_page(email: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    scope = dashboard._scope(email)
    rt = get_runtime()
    routing = get_routing(rt)
    sites = dashboard._visible_sites(routing, scope)
    site = request.values.get("site") or None
    if site not in sites:
        site = None
    items, total = review_service.review_queue(rt, scope, site)
    return render_template(
        "dashboard/review.html",
        items=items,
        total=total,
        site=site,
        sites=sites,
        routing=routing,
        staff=email,
        csrf=csrf_token(),
        tz=routing.tz,
        labels=review_service.LABELS,
        error=error,
        done=request.args.get("done"),
    ), status


@bp.get("/review")
def review_list() -> Response | tuple[str, int]:
    email = dashboard._staff()
    if email is None:
        return redirect(url_for("dashboard.login_form"))
    return _review_page(email)


@bp.post("/review/<int:answer_id>")
def review_label(answer_id: int) -> Response | tuple[str, int]:
    check_csrf()
    email = dashboard._staff()
    if email is None:
        return redirect(url_for("dashboard.login_form"))
    label = request.form.get("label", "")
    if label not in review_service.LABELS:
        return _review_page(email, error="Choose fine, complaint or crisis.", status=400)
    try:
        alert_id = review_service.record_label(
            get_runtime(),
            answer_id,
            label,
            email,
            dashboard._scope(email),
            gloss=request.form.get("gloss", "")[: review_service.MAX_GLOSS],
        )
    except review_service.ReviewError:
        abort(404)  # the same answer for "missing" and "not yours"
    return redirect(
        url_for(
            "results.review_list",
            site=request.form.get("site") or None,
            done=alert_id if alert_id is not None else "ok",
        )
    )
