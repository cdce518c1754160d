"""Schemathesis against the visits API's OpenAPI file: no 500 anywhere, responses match
the schema. Bounded: ``CFBOT_FUZZ_EXAMPLES`` examples (default 60) on SQLite."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from cfbot.services.tokens import create_token

EXAMPLES = int(os.environ.get("CFBOT_FUZZ_EXAMPLES", "60"))


@pytest.fixture(params=["sqlite"])
def db_url(request, tmp_path):  # type: ignore[no-untyped-def]
    """SQLite only: the budget goes to inputs, not to a second backend."""
    import shutil

    from cfbot import db as cfdb

    template = request.getfixturevalue("_sqlite_template")
    path = tmp_path / "cfbot.sqlite3"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    yield url
    cfdb.get_engine(url).dispose()
    cfdb._engines.pop(cfdb.normalize_url(url), None)


OPENAPI = Path(__file__).resolve().parent.parent.parent / "cfbot" / "openapi.yaml"
schema = schemathesis.openapi.from_path(str(OPENAPI))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=5),
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_visits_api_never_500(case, app, rt) -> None:  # type: ignore[no-untyped-def]
    app.config["TESTING"] = False  # a crash must surface as a 500, as in production
    token = rt.extras.setdefault("fuzz_token", create_token(rt, "fuzz").secret)
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    response = case.call(app=app)
    assert response.status_code < 500, response.text[:500]
