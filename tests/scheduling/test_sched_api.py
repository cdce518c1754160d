"""POST /api/v1/visits: bearer tokens, per-item validation, limits, idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from cfbot.models import ApiToken, Contact, Invitation, Visit
from cfbot.services.tokens import create_token, hash_token, revoke_token


@pytest.fixture
def token(rt) -> str:  # type: ignore[no-untyped-def]
    return create_token(rt, "ehr").secret


def _visit(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "phone": "(612) 555-0123",
        "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "site": "northside",
        "external_id": "EHR-1",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def _post(client, body: object, token: str | None, **kw):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/api/v1/visits", json=body, headers=headers, **kw)


def _count(rt, model) -> int:  # type: ignore[no-untyped-def]
    with Session(rt.engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_missing_token_is_401_json(client) -> None:  # type: ignore[no-untyped-def]
    r = _post(client, _visit(), None)
    assert r.status_code == 401
    assert r.json["error"] == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_token_is_401(client, token) -> None:  # type: ignore[no-untyped-def]
    r = _post(client, _visit(), token + "x")
    assert r.status_code == 401
    assert r.json["message"] == "invalid token"


def test_expired_token_is_401(client, rt) -> None:  # type: ignore[no-untyped-def]
    past = datetime.now(UTC) - timedelta(days=2)
    secret = create_token(rt, "old", timedelta(days=1), now=past).secret
    r = _post(client, _visit(), secret)
    assert r.status_code == 401 and r.json["message"] == "token expired"


def test_revoked_token_is_401(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    with Session(rt.engine) as s:
        row = s.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).one()
    revoke_token(rt, row.id)
    r = _post(client, _visit(), token)
    assert r.status_code == 401 and r.json["message"] == "token revoked"


def test_token_is_stored_hashed(rt, token) -> None:  # type: ignore[no-untyped-def]
    with Session(rt.engine) as s:
        row = s.exec(select(ApiToken)).one()
    assert row.token_hash == hash_token(token) and token not in row.token_hash


def test_one_visit_schedules_an_invitation(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    r = _post(client, _visit(first_name="Ana", language="es"), token)
    assert r.status_code == 201, r.json
    item = r.json["results"][0]
    assert item["status"] == "created"
    assert item["invitation"]["status"] == "scheduled"
    with Session(rt.engine) as s:
        contact = s.exec(select(Contact)).one()
        visit = s.exec(select(Visit)).one()
    assert contact.phone == "+16125550123" and contact.first_name == "Ana"
    assert visit.flow_id == "quick"  # the flow whose sites include northside


def test_repeated_external_id_is_not_a_second_visit(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    first = _post(client, _visit(), token)
    again = _post(client, [_visit(), _visit()], token)
    assert again.status_code == 200
    assert [i["status"] for i in again.json["results"]] == ["duplicate", "duplicate"]
    assert again.json["results"][0]["visit_id"] == first.json["results"][0]["visit_id"]
    assert _count(rt, Visit) == 1 and _count(rt, Invitation) == 1


def test_same_external_id_twice_in_one_batch(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    r = _post(client, [_visit(external_id="A"), _visit(external_id="A")], token)
    assert [i["status"] for i in r.json["results"]] == ["created", "duplicate"]
    assert _count(rt, Visit) == 1


def test_invalid_items_are_rejected_with_reasons_and_valid_kept(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    body = [
        _visit(external_id="ok"),
        _visit(external_id="a", phone="12"),
        _visit(external_id="b", visited_at="2025-03-01T14:30:00"),  # no zone
        _visit(external_id="c", visited_at=(now + timedelta(days=1)).isoformat()),
        _visit(external_id="d", visited_at=(now - timedelta(days=400)).isoformat()),
        _visit(external_id="e", site="mars"),
        _visit(external_id="f", flow="nope"),
        _visit(external_id="g", language="xx", extra="1"),
        _visit(external_id="h", visited_at="2025-03-01"),
        "not an object",
        _visit(external_id="i", phone=None),
    ]
    r = _post(client, body, token)
    assert r.status_code == 201
    results = r.json["results"]
    assert [i["status"] for i in results] == ["created"] + ["rejected"] * 10
    fields = [{e["field"] for e in i.get("errors", [])} for i in results]
    assert fields[1:] == [
        {"phone"},
        {"visited_at"},
        {"visited_at"},
        {"visited_at"},
        {"site"},
        {"flow"},
        {"language", "extra"},
        {"visited_at"},
        {""},
        {"phone"},
    ]
    assert "time zone" in results[2]["errors"][0]["message"]
    assert "future" in results[3]["errors"][0]["message"]
    assert _count(rt, Visit) == 1


def test_naive_time_with_timezone_field_is_accepted(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    local = datetime.now(UTC).astimezone().replace(tzinfo=None) - timedelta(hours=30)
    r = _post(client, _visit(visited_at=local.isoformat(), timezone="America/New_York"), token)
    assert r.status_code == 201, r.json


def test_all_rejected_is_422(client, token) -> None:  # type: ignore[no-untyped-def]
    r = _post(client, [_visit(phone="nope")], token)
    assert r.status_code == 422


def test_more_than_1000_items_is_refused_whole(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    body = [_visit(external_id=str(i)) for i in range(1001)]
    r = _post(client, body, token)
    assert r.status_code == 413 and r.json["error"] == "too_many_items"
    assert _count(rt, Visit) == 0


def test_1000_items_are_accepted(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    body = [_visit(external_id=str(i), phone=f"+1612555{i:04d}") for i in range(1000)]
    r = _post(client, body, token)
    assert r.status_code == 201 and r.json["created"] == 1000
    assert _count(rt, Invitation) == 1000


def test_bad_json_and_wrong_content_type(client, token) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    assert client.post("/api/v1/visits", data="{", headers=headers).status_code == 400
    headers["Content-Type"] = "text/plain"
    assert client.post("/api/v1/visits", data="{}", headers=headers).status_code == 415
    assert _post(client, [], token).status_code == 400


def test_openapi_document_is_served(client) -> None:  # type: ignore[no-untyped-def]
    import yaml

    r = client.get("/api/v1/openapi.yaml")
    assert r.status_code == 200
    doc = yaml.safe_load(r.data)
    assert "/visits" in doc["paths"]
