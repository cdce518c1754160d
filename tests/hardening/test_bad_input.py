"""Finding 9: bad input to the visits API and the web chat is a clear 4xx, never a 500,
and loses nothing good in the same request."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from cfbot.models import Message, Visit
from cfbot.services.tokens import create_token

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def token(rt) -> str:  # type: ignore[no-untyped-def]
    return create_token(rt, "ehr").secret


def _visit(ext: str, **over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "phone": "(612) 555-0123",
        "visited_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "site": "northside",
        "external_id": ext,
    }
    base.update(over)
    return base


def _post(client, body, token: str, query: str = ""):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = body if isinstance(body, str) else None
    kwargs = {"data": data} if data is not None else {"json": body}
    return client.post("/api/v1/visits" + query, headers=headers, **kwargs)


def _visits(rt) -> int:  # type: ignore[no-untyped-def]
    with Session(rt.engine) as s:
        return s.exec(select(func.count()).select_from(Visit)).one()


def test_deeply_nested_json_is_400(client, token) -> None:  # type: ignore[no-untyped-def]
    r = _post(client, DEEP, token)
    assert r.status_code == 400 and r.json["error"] == "invalid_json"
    nested = '{"phone": ' + "[" * 200 + "]" * 200 + "}"
    r = _post(client, nested, token)
    assert r.status_code == 400 and r.json["error"] == "invalid_json"


@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00"]
)
def test_extreme_years_are_field_errors(client, rt, token, when: str) -> None:  # type: ignore[no-untyped-def]
    good = _visit("GOOD-1")
    bad = _visit("BAD-1", visited_at=when, timezone="America/Chicago")
    r = _post(client, [bad, good], token)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert r.json["results"][0]["status"] == "rejected"
    assert r.json["results"][0]["errors"][0]["field"] == "visited_at"
    assert r.json["results"][1]["status"] == "created"
    assert _visits(rt) == 1


@pytest.mark.parametrize("field", ["first_name", "external_id", "program", "site", "phone"])
def test_nul_in_a_field_rejects_that_item_only(client, rt, token, field: str) -> None:  # type: ignore[no-untyped-def]
    bad = _visit("BAD-2", **{field: "Ana\x00Maria"})
    r = _post(client, [bad, _visit("GOOD-2")], token)
    assert r.status_code == 201, r.get_data(as_text=True)
    first, second = r.json["results"]
    assert first["status"] == "rejected"
    assert first["errors"][0]["field"] == field
    assert second["status"] == "created"
    assert _visits(rt) == 1


def test_lone_surrogate_rejects_that_item_only(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    first = '{"phone": "(612) 555-0123", "site": "northside", "first_name": "A\\ud800", '
    second = '{"phone": "(612) 555-0124", "site": "northside", '
    body = f'[{first}"visited_at": "{when}", "external_id": "S1"}}, '
    body += f'{second}"visited_at": "{when}", "external_id": "S2"}}]'
    r = _post(client, body, token)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert [x["status"] for x in r.json["results"]] == ["rejected", "created"]


def test_nul_in_source_is_400(client, rt, token) -> None:  # type: ignore[no-untyped-def]
    r = _post(client, _visit("X"), token, query="?source=ehr%00x")
    assert r.status_code == 400 and r.json["error"] == "invalid_source"
    assert _visits(rt) == 0


def test_a_storage_failure_of_one_item_keeps_the_others(client, rt, token, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """If the database refuses one item, the batch falls back to one item at a time."""
    from sqlalchemy.exc import DataError

    import cfbot.services.visits as visits

    real = visits._store

    def picky(rt_, session, items, now):  # type: ignore[no-untyped-def]
        if any(v.external_id == "POISON" for _, v in items):
            raise DataError("INSERT", {}, Exception("invalid byte sequence"))
        return real(rt_, session, items, now)

    monkeypatch.setattr(visits, "_store", picky)
    r = _post(client, [_visit("A"), _visit("POISON"), _visit("B")], token)
    assert r.status_code == 201, r.get_data(as_text=True)
    assert [x["status"] for x in r.json["results"]] == ["created", "rejected", "created"]
    assert r.json["results"][1]["errors"][0]["message"]
    assert _visits(rt) == 2


# --------------------------------------------------------------------------- web chat


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


@pytest.mark.parametrize(
    "body", ['["4"]', '"4"', "4", "null", DEEP, '{"text": ' + "[" * 500 + "]" * 500 + "}"]
)
def test_webchat_odd_json_bodies_are_400(client, body: str) -> None:  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/chat").get_data(as_text=True))
    client.post("/chat/start", data={"csrf_token": token, "flow": "clinic_visit"})
    r = client.post(
        "/chat/send",
        data=body,
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.is_json and r.json["error"] == "invalid_body"


def test_webchat_nul_in_text_is_not_a_500(client) -> None:  # type: ignore[no-untyped-def]
    token = _csrf(client.get("/chat").get_data(as_text=True))
    client.post("/chat/start", data={"csrf_token": token, "flow": "clinic_visit"})
    r = client.post("/chat/send", json={"text": "4\x00"}, headers={"X-CSRF-Token": token})
    assert r.status_code < 500


def test_webchat_client_id_is_scoped_per_session(app, rt) -> None:  # type: ignore[no-untyped-def]
    """Two browsers that happen to send the same client_id both get their message stored."""
    texts = []
    for _ in range(2):
        c = app.test_client()
        token = _csrf(c.get("/chat").get_data(as_text=True))
        c.post("/chat/start", data={"csrf_token": token, "flow": "clinic_visit"})
        headers = {"X-Requested-With": "fetch", "X-CSRF-Token": token}
        r = c.post("/chat/send?after=0", data={"text": "4", "client_id": "c1"}, headers=headers)
        assert r.status_code == 200
        texts.append([m["text"] for m in r.get_json()["messages"]])
    for seen in texts:
        assert "4" in seen and "What was your visit for" in seen[-1]
    with Session(rt.engine) as s:
        inbound = s.exec(
            select(func.count()).select_from(Message).where(Message.direction == "in")
        ).one()
    assert inbound == 2
