"""Liveness and readiness for load balancers and the Procfile's web process."""

from __future__ import annotations

from flask import Blueprint, jsonify

from cfbot.db import ping
from cfbot.web.context import get_runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers and flows are loaded."""
    rt = get_runtime()
    ping(rt.engine)
    return jsonify(
        status="ok",
        flows=sorted(f.id for f in rt.flows.all()),
        flow_problems=len(rt.flows.problems),
    )
