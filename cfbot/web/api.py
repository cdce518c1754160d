"""The visits API: ``POST /api/v1/visits`` (bearer token) and its OpenAPI document."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from cfbot.services.tokens import TokenError, verify_token
from cfbot.services.visits import MAX_API_ITEMS, intake
from cfbot.text import unstorable
from cfbot.web.context import get_runtime
from cfbot.web.jsonbody import BadJson, read_json_body

bp = Blueprint("api", __name__, url_prefix="/api/v1")

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"
# 1,000 visits of a few hundred bytes each; the app-wide limit is smaller
MAX_BODY = 2 * 1024 * 1024


def _error(status: int, code: str, message: str, **extra: Any) -> Response:
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="cfbot"'
    return response


def require_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """401 JSON unless ``Authorization: Bearer <token>`` names a valid token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return _error(401, "unauthorized", "missing bearer token (Authorization: Bearer ...)")
        try:
            g.api_token = verify_token(get_runtime(), secret.strip())
        except TokenError as exc:
            return _error(401, "unauthorized", str(exc))
        return view(*args, **kwargs)

    return wrapper


@bp.before_request
def _allow_bigger_bodies() -> None:
    request.max_content_length = MAX_BODY


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: HTTPException) -> Response:
    return _error(413, "too_large", f"request body over {MAX_BODY // (1024 * 1024)} MB")


@bp.post("/visits")
@require_token
def post_visits() -> Response:
    """Store one visit (object) or up to 1,000 (array); per-item results in order."""
    if not request.is_json:
        return _error(415, "unsupported_media_type", "send Content-Type: application/json")
    try:
        body = read_json_body()
    except BadJson as exc:
        return _error(400, "invalid_json", str(exc))
    items = [body] if isinstance(body, dict) else body
    if not isinstance(items, list):
        return _error(400, "invalid_body", "send a visit object or an array of visits")
    if not items:
        return _error(400, "empty", "the array has no visits")
    if len(items) > MAX_API_ITEMS:
        return _error(
            413,
            "too_many_items",
            f"{len(items)} visits in one request; the limit is {MAX_API_ITEMS}",
            limit=MAX_API_ITEMS,
        )
    source = (request.args.get("source") or "api").strip()[:100] or "api"
    source_problem = unstorable(source)
    if source_problem:
        return _error(400, "invalid_source", f"source {source_problem}")
    results = intake(get_runtime(), items, source=source)
    counts = {
        s: sum(1 for r in results if r.status == s) for s in ("created", "duplicate", "rejected")
    }
    if counts["created"]:
        status = 201
    elif counts["rejected"] == len(results):
        status = 422
    else:
        status = 200
    response = jsonify(
        created=counts["created"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        results=[r.as_dict() for r in results],
    )
    response.status_code = status
    return response


@bp.get("/openapi.yaml")
def openapi() -> Response:
    """The API's OpenAPI 3.1 description."""
    return Response(OPENAPI_PATH.read_text(encoding="utf-8"), mimetype="application/yaml")
