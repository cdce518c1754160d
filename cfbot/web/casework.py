"""Case work on an alert page: assign, add a note, reopen, resume or close a survey a
crisis paused, and the follow-up reply to the client (preview, then send). Same
sign-in, roles, CSRF and headers as the dashboard; each route calls one service."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, redirect, request, url_for
from werkzeug.wrappers import Response

from cfbot.services.alerts import casework, followup
from cfbot.services.alerts.actions import AlertActionError
from cfbot.web import dashboard
from cfbot.web.context import get_runtime
from cfbot.web.limits import client_ip
from cfbot.web.security import check_csrf

bp = Blueprint("casework", __name__, url_prefix="/dashboard")
bp.context_processor(dashboard._staff_text)
bp.errorhandler(404)(dashboard._not_found)
bp.after_request(dashboard._private)
bp.before_request(dashboard.guard)

dashboard.NEEDS.update(
    {
        "casework.assign": "assign",
        "casework.note": "casework",
        "casework.reopen": "casework",
        "casework.survey": "casework",
        "casework.send_followup": "followup",
    }
)

Page = Response | tuple[str, int]


def _back(alert_id: int) -> Response:
    return redirect(url_for("dashboard.alert_page", alert_id=alert_id))


def _act(alert_id: int, action: Callable[[], object], error_status: int = 400) -> Page:
    """One case action on a visible alert: CSRF, scope, the service call, then back to
    the alert (or the page again with the service's refusal)."""
    check_csrf()
    dashboard._load(alert_id)
    try:
        action()
    except AlertActionError as exc:
        return dashboard._render_detail(alert_id, error=str(exc), status=error_status)
    return _back(alert_id)


def _note_text() -> str:
    return request.form.get("note", "")[: casework.MAX_NOTE]


@bp.post("/alerts/<int:alert_id>/assign")
def assign(alert_id: int) -> Page:
    return _act(
        alert_id,
        lambda: casework.assign_alert(
            get_runtime(),
            alert_id,
            request.form.get("assignee", ""),
            dashboard._actor(),
            ip=client_ip(),
        ),
    )


@bp.post("/alerts/<int:alert_id>/note")
def note(alert_id: int) -> Page:
    return _act(
        alert_id,
        lambda: casework.add_note(
            get_runtime(), alert_id, dashboard._actor(), _note_text(), ip=client_ip()
        ),
    )


@bp.post("/alerts/<int:alert_id>/reopen")
def reopen(alert_id: int) -> Page:
    return _act(
        alert_id,
        lambda: casework.reopen_alert(
            get_runtime(), alert_id, dashboard._actor(), _note_text(), ip=client_ip()
        ),
        error_status=409,
    )


@bp.post("/alerts/<int:alert_id>/survey")
def survey(alert_id: int) -> Page:
    check_csrf()
    dashboard._load(alert_id)
    action = request.form.get("action", "")
    if action not in ("resume", "close"):
        return dashboard._render_detail(alert_id, error="Choose resume or close.", status=400)
    try:
        casework.set_paused_survey(
            get_runtime(), alert_id, dashboard._actor(), action == "resume", ip=client_ip()
        )
    except AlertActionError as exc:
        return dashboard._render_detail(alert_id, error=str(exc), status=409)
    return _back(alert_id)


@bp.post("/alerts/<int:alert_id>/followup")
def send_followup(alert_id: int) -> Page:
    check_csrf()
    dashboard._load(alert_id)
    text = request.form.get("text", "")[: followup.MAX_CHARS * 2]
    language = request.form.get("language", "")
    if request.form.get("action") == "preview":
        return dashboard._render_detail(
            alert_id, preview=followup.preview(" ".join(text.split())), fu_lang=language
        )
    try:
        followup.send_followup(
            get_runtime(), alert_id, dashboard._actor(), text, language, ip=client_ip()
        )
    except AlertActionError as exc:
        status = 409 if isinstance(exc, followup.FollowupRefused) else 400
        return dashboard._render_detail(
            alert_id, error=str(exc), status=status, fu_text=text, fu_lang=language
        )
    return _back(alert_id)
