"""The JSON chat API: start, send and read with a token instead of a cookie."""

from __future__ import annotations

import pytest


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"webchat_limit_ip": "8/minute", "webchat_limit_total": "1000/minute"}


def _start(client, **body):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/chat/start", json={"flow": "clinic_visit", **body})


def test_start_send_and_read_without_any_cookie(app):
    client = app.test_client(use_cookies=False)
    r = _start(client, lang="es", site="northside")
    assert r.status_code == 201, r.get_data(as_text=True)
    data = r.get_json()
    token = data["token"]
    assert data["open"] is True and "satisfecho" in data["messages"][-1]["text"]
    assert "Set-Cookie" not in r.headers
    last = data["messages"][-1]["id"]
    r = client.post("/api/v1/chat/send", json={"token": token, "text": "cinco", "client_id": "a"})
    assert r.status_code == 200
    texts = [m["text"] for m in r.get_json()["messages"]]
    assert texts[0] == "cinco" and "¿Para qué fue su visita?" in texts[-1]
    assert all(m["id"] > last for m in r.get_json()["messages"])
    # the same client id again is a no-op that returns the same messages
    again = client.post(
        "/api/v1/chat/send",
        json={"token": token, "text": "cinco", "client_id": "a", "after": last},
    )
    assert again.get_json()["messages"] == r.get_json()["messages"]
    read = client.get(f"/api/v1/chat/messages?token={token}&after=0").get_json()
    assert [m["text"] for m in read["messages"]].count("cinco") == 1
    assert read["open"] is True
    tail = client.get(f"/api/v1/chat/messages?token={token}&after={last}").get_json()
    assert tail["messages"] == r.get_json()["messages"]


def test_each_start_is_its_own_chat(app):
    client = app.test_client(use_cookies=False)
    one, two = _start(client).get_json(), _start(client).get_json()
    assert one["token"] != two["token"]


def test_bad_tokens_are_401(client):
    token = _start(client).get_json()["token"]
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for bad in ("", "nope", forged, 12, None):
        r = client.post("/api/v1/chat/send", json={"token": bad, "text": "4"})
        assert r.status_code == 401, bad
        assert r.get_json()["error"] == "invalid_token"
    assert client.get("/api/v1/chat/messages?token=nope").status_code == 401
    assert client.get("/api/v1/chat/messages").status_code == 401


def test_bad_json_and_bad_fields_are_400(client):
    headers = {"Content-Type": "application/json"}
    for path in ("/api/v1/chat/start", "/api/v1/chat/send"):
        r = client.post(path, data="{not json", headers=headers)
        assert r.status_code == 400 and r.get_json()["error"] == "invalid_json"
        assert client.post(path, json=[1, 2]).status_code == 400
        assert client.post(path, data="x=1").status_code == 415
    assert _start(client, flow="nope").status_code == 404
    assert _start(client, site="nowhere").status_code == 400
    assert _start(client, lang="xx").status_code == 400
    assert _start(client, flow=["x"]).status_code == 400
    token = _start(client).get_json()["token"]
    assert client.post("/api/v1/chat/send", json={"token": token}).status_code == 400
    r = client.post("/api/v1/chat/send", json={"token": token, "text": "x" * 1601})
    assert r.status_code == 400 and r.get_json()["error"] == "too_long"
    r = client.get(f"/api/v1/chat/messages?token={token}&after=x")
    assert r.status_code == 400
    big = client.get(f"/api/v1/chat/messages?token={token}&after={10**30}")
    assert big.status_code == 200 and big.get_json()["messages"] == []


def test_a_limited_crisis_message_still_gets_the_crisis_reply(app):
    client = app.test_client(use_cookies=False)
    token = _start(client).get_json()["token"]
    statuses = []
    for i in range(12):
        r = client.post(
            "/api/v1/chat/send",
            json={"token": token, "text": "I want to end my life", "client_id": f"c{i}"},
        )
        statuses.append(r.status_code)
        texts = " ".join(m["text"] for m in r.get_json()["messages"])
        assert "988" in texts, (i, r.status_code, texts)
    assert 429 in statuses


def test_a_chat_at_a_site_names_the_clinic_not_its_key(client):
    body = _start(client, site="northside", lang="en").get_json()
    first = body["messages"][0]["text"]
    assert "Northside Clinic" in first and "northside?" not in first.lower()
