"""Dashboard "Delivery problems": unknown / failed / cancelled outbound messages, scoped by
site, with the staff actions mark sent, send again and dismiss (audited, CSRF-protected)."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from staff_login import login

from cfbot.clock import FrozenClock
from cfbot.db import unit_of_work
from cfbot.models import Contact, Conversation, FlowVersion, Message
from cfbot.services.delivery_review import (
    DeliveryActionError,
    count_unknown,
    delivery_problems,
    resolve_unknown,
)
from cfbot.services.outbox import dispatch_outbox

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # a Tuesday, 09:00 in Chicago


@pytest.fixture
def clock() -> FrozenClock:
    # staff act in office hours: a requeued message is sendable at once, whatever the hour
    return FrozenClock(T0)


PHONE = "+16125550142"
ROUTING_YAML = """
timezone: America/Chicago
default: [feedback@example.org]
on_call: [oncall@example.org]
escalation: [director@example.org]
sites:
  northside:
    name: Northside Clinic
    staff: [north-manager@example.org]
  southside:
    name: Southside Family Health
    staff: [south-manager@example.org]
"""
ALL_SITES = "oncall@example.org"
NORTH = "north-manager@example.org"
SOUTH = "south-manager@example.org"
_ids = itertools.count(1)


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, object]:
    routing = tmp_path / "routing.yaml"
    routing.write_text(ROUTING_YAML, encoding="utf-8")
    return {"routing_file": str(routing), "public_url": "https://feedback.example.org"}


def make_message(
    rt,
    *,
    site: str | None = "northside",
    phone: str = PHONE,
    status: str = "unknown",
    error_code: str | None = "read_timeout",
    kind: str = "question",
    body: str = "How was your visit today? Reply 1-5.",
    created_at: datetime = T0,
    direction: str = "out",
    opted_out: bool = False,
    unreachable: bool = False,
    survey_status: str = "active",
    in_survey: bool = True,
) -> int:
    """One message (by default an SMS whose outcome is unknown) in a survey at ``site``."""
    with unit_of_work(rt.engine) as session:
        contact = session.exec(select(Contact).where(Contact.phone == phone)).first()
        if contact is None:
            contact = Contact(phone=phone)
        contact.opted_out = opted_out
        contact.unreachable = unreachable
        session.add(contact)
        session.flush()
        conversation_id = None
        if in_survey:
            version = FlowVersion(
                flow_id="clinic_visit", content_hash=f"h{next(_ids)}", yaml_text="id: x"
            )
            session.add(version)
            session.flush()
            conversation = Conversation(
                contact_id=contact.id,
                flow_id="clinic_visit",
                flow_version_id=version.id,
                channel="sms",
                status=survey_status,
                site=site,
                started_at=created_at,
            )
            session.add(conversation)
            session.flush()
            conversation_id = conversation.id
        message = Message(
            contact_id=contact.id,
            conversation_id=conversation_id,
            direction=direction,
            channel="sms",
            address=phone,
            body=body,
            kind=kind,
            status=status,
            error_code=error_code,
            attempts=1,
            created_at=created_at,
            segments=1,
        )
        session.add(message)
        session.flush()
        assert message.id is not None
        return message.id


def load(rt, message_id: int) -> Message:
    with Session(rt.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def sign_in(rt, client, email: str) -> None:
    login(rt, client, email)


def page(client, url: str = "/dashboard/delivery") -> str:
    reply = client.get(url)
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def act(client, message_id: int, action: str, note: str = ""):
    token = csrf_from(page(client))
    return client.post(
        f"/dashboard/delivery/{message_id}",
        data={"csrf_token": token, "action": action, "note": note},
    )


def row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<th scope="row">#(\d+)</th>', html)]


# --------------------------------------------------------------------------- listing


def test_page_needs_sign_in(client):
    reply = client.get("/dashboard/delivery")
    assert reply.status_code == 302 and "/dashboard/login?next=" in reply.headers["Location"]


def test_lists_unknown_failed_and_cancelled_newest_first_with_plain_meanings(rt, client):
    unknown = make_message(rt, created_at=T0)
    failed = make_message(
        rt, status="failed", error_code="30007", phone="+16125550143", created_at=T0 + timedelta(1)
    )
    cancelled = make_message(
        rt,
        status="cancelled",
        error_code="optout",
        phone="+16125550144",
        created_at=T0 + timedelta(2),
    )
    no_site = make_message(
        rt, in_survey=False, error_code="stuck_sending", created_at=T0 + timedelta(3)
    )
    # not problems: delivered, waiting, and the client's own texts
    make_message(rt, status="sent", error_code=None)
    make_message(rt, status="queued", error_code=None)
    make_message(rt, direction="in", status="processed", error_code=None)

    sign_in(rt, client, ALL_SITES)
    reply = client.get("/dashboard/delivery")
    assert reply.headers["Cache-Control"] == "no-store"
    html = reply.get_data(as_text=True)
    assert row_ids(html) == [no_site, cancelled, failed, unknown]
    assert "Twilio did not answer in time" in html
    assert "sending stopped before the result was recorded" in html
    assert "Filtered by the carrier" in html
    assert "Cancelled: the client opted out." in html
    assert "No site" in html and "Northside Clinic" in html
    assert "How was your visit today?" in html
    assert '<th scope="col">' in html and 'for="act-' in html


def test_phone_numbers_are_masked(rt, client):
    make_message(rt)
    sign_in(rt, client, ALL_SITES)
    html = page(client)
    assert PHONE not in html and "+1******0142" in html


def test_navigation_links_the_page_with_the_unknown_count(rt, client):
    make_message(rt)
    make_message(rt, phone="+16125550143")
    make_message(rt, status="failed", error_code="30003", phone="+16125550144")
    sign_in(rt, client, ALL_SITES)
    html = page(client, "/dashboard/")
    assert 'href="/dashboard/delivery"' in html and "(2 unknown)" in html


def test_site_staff_see_only_their_sites(rt, client):
    north = make_message(rt, site="northside")
    south = make_message(rt, site="southside", phone="+16125550143")
    nowhere = make_message(rt, in_survey=False, phone="+16125550144")

    sign_in(rt, client, SOUTH)
    html = page(client)
    assert row_ids(html) == [south]
    assert "(1 unknown)" in html
    # acting on another site's message (or one outside any survey) looks like a missing one
    token = csrf_from(html)
    for other in (north, nowhere, 999_999):
        reply = client.post(
            f"/dashboard/delivery/{other}", data={"csrf_token": token, "action": "dismiss"}
        )
        assert reply.status_code == 404
    assert load(rt, north).reviewed_at is None

    with Session(rt.engine) as session:
        assert [p.message_id for p in delivery_problems(session, {"northside"})] == [north]
        assert delivery_problems(session, set()) == []
        assert {p.message_id for p in delivery_problems(session, None)} == {north, south, nowhere}
        assert count_unknown(session, {"southside"}) == 1
        assert count_unknown(session, None) == 3


# --------------------------------------------------------------------------- actions


def test_mark_sent_records_who_when_and_why(rt, client):
    message_id = make_message(rt)
    sign_in(rt, client, NORTH)
    reply = act(client, message_id, "mark_sent", "Twilio console shows it delivered")
    assert reply.status_code == 302
    message = load(rt, message_id)
    assert message.status == "sent" and message.sent_at is not None
    assert message.reviewed_by == NORTH and message.review_action == "mark_sent"
    assert message.review_note == "Twilio console shows it delivered"
    assert message.reviewed_at is not None and message.reviewed_at == message.sent_at
    assert row_ids(page(client, "/dashboard/delivery?show=all")) == []


def test_requeue_sends_it_once_more_through_the_outbox(rt, client):
    message_id = make_message(rt)
    sign_in(rt, client, NORTH)
    assert act(client, message_id, "requeue", "not in the Twilio log").status_code == 302
    message = load(rt, message_id)
    assert message.status == "queued" and message.next_attempt_at is not None
    assert message.review_action == "requeue" and message.reviewed_by == NORTH
    assert row_ids(page(client)) == []

    report = dispatch_outbox(rt, now=message.next_attempt_at, sleep=lambda _s: None)
    assert report.sent == 1
    sent = load(rt, message_id)
    assert sent.status == "sent" and sent.attempts == 2
    assert [r.text for r in rt.channels["sms"].sent] == [message.body]
    # a second request (double click) finds nothing left to requeue
    with pytest.raises(DeliveryActionError, match="no longer a delivery problem"):
        resolve_unknown(rt, message_id, "requeue", NORTH, "", T0)


def test_requeue_is_refused_for_an_opted_out_contact(rt, client):
    message_id = make_message(rt, opted_out=True)
    sign_in(rt, client, NORTH)
    html = page(client)
    assert 'value="requeue"' not in html  # not offered
    assert "The client has opted out" in html
    reply = act(client, message_id, "requeue")  # and refused when forced
    assert reply.status_code == 409
    assert "The client has opted out" in reply.get_data(as_text=True)
    message = load(rt, message_id)
    assert message.status == "unknown" and message.reviewed_at is None


def test_requeue_is_refused_when_the_contact_opted_out_after_the_page_was_drawn(rt, client):
    message_id = make_message(rt)
    sign_in(rt, client, NORTH)
    token = csrf_from(page(client))
    assert 'value="requeue"' in page(client)
    with unit_of_work(rt.engine) as session:
        contact = session.exec(select(Contact).where(Contact.phone == PHONE)).one()
        contact.opted_out = True
        session.add(contact)
    reply = client.post(
        f"/dashboard/delivery/{message_id}", data={"csrf_token": token, "action": "requeue"}
    )
    assert reply.status_code == 409
    assert load(rt, message_id).status == "unknown"


@pytest.mark.parametrize(
    ("status", "code", "allowed"),
    [
        ("unknown", "read_timeout", True),
        ("failed", "20429", True),  # rate limited: nothing was sent
        ("failed", "503", True),
        ("failed", "connect", True),
        ("failed", "30007", False),  # carrier filtered: would fail again
        ("failed", "21610", False),
        ("undelivered", "30003", False),
        ("cancelled", "closed", False),
    ],
)
def test_requeue_only_what_surely_did_not_go_and_may_work(rt, status, code, allowed):
    message_id = make_message(rt, status=status, error_code=code)
    if allowed:
        assert resolve_unknown(rt, message_id, "requeue", ALL_SITES, "", T0).status == "queued"
    else:
        with pytest.raises(DeliveryActionError):
            resolve_unknown(rt, message_id, "requeue", ALL_SITES, "", T0)
        assert load(rt, message_id).status == status


def test_requeue_is_refused_for_unreachable_numbers_and_ended_surveys(rt):
    unreachable = make_message(rt, unreachable=True)
    ended = make_message(rt, survey_status="expired", phone="+16125550143")
    crisis = make_message(rt, survey_status="expired", kind="crisis", phone="+16125550144")
    with pytest.raises(DeliveryActionError, match="unreachable"):
        resolve_unknown(rt, unreachable, "requeue", ALL_SITES, "", T0)
    with pytest.raises(DeliveryActionError, match="survey has ended"):
        resolve_unknown(rt, ended, "requeue", ALL_SITES, "", T0)
    # crisis resources still matter after the survey
    assert resolve_unknown(rt, crisis, "requeue", ALL_SITES, "", T0).status == "queued"


def test_dismiss_keeps_the_status_and_hides_the_row(rt, client):
    message_id = make_message(rt)
    sign_in(rt, client, NORTH)
    assert "(1 unknown)" in page(client)
    assert act(client, message_id, "dismiss", "client called us back").status_code == 302
    message = load(rt, message_id)
    assert message.status == "unknown"
    assert (message.review_action, message.reviewed_by, message.review_note) == (
        "dismiss",
        NORTH,
        "client called us back",
    )
    html = page(client)
    assert row_ids(html) == [] and "unknown)" not in html
    everything = page(client, "/dashboard/delivery?show=all")
    assert row_ids(everything) == [message_id]
    assert "Dismissed" in everything and "client called us back" in everything


def test_mark_sent_is_refused_for_a_cancelled_message(rt):
    message_id = make_message(rt, status="cancelled", error_code="optout")
    with pytest.raises(DeliveryActionError):
        resolve_unknown(rt, message_id, "mark_sent", ALL_SITES, "", T0)
    assert load(rt, message_id).status == "cancelled"


def test_a_message_a_status_callback_moved_on_is_left_alone(rt):
    message_id = make_message(rt)
    with unit_of_work(rt.engine) as session:
        message = session.get(Message, message_id)
        message.status = "delivered"
        session.add(message)
    with pytest.raises(DeliveryActionError, match="no longer a delivery problem"):
        resolve_unknown(rt, message_id, "mark_sent", ALL_SITES, "", T0)
    assert load(rt, message_id).reviewed_at is None


# --------------------------------------------------------------------------- forms


def test_actions_need_the_csrf_token(rt, client):
    message_id = make_message(rt)
    sign_in(rt, client, NORTH)
    page(client)  # the session has a token; the form does not send it
    for data in ({"action": "mark_sent"}, {"action": "mark_sent", "csrf_token": "forged"}):
        assert client.post(f"/dashboard/delivery/{message_id}", data=data).status_code == 400
    assert load(rt, message_id).status == "unknown"


def test_an_unknown_action_is_refused(rt, client):
    message_id = make_message(rt)
    sign_in(rt, client, NORTH)
    assert act(client, message_id, "delete").status_code == 400
    assert load(rt, message_id).reviewed_at is None


def test_signed_out_posts_change_nothing(rt, client):
    message_id = make_message(rt)
    sign_in(rt, client, NORTH)
    token = csrf_from(page(client))
    client.post("/dashboard/logout", data={"csrf_token": token})
    reply = client.post(
        f"/dashboard/delivery/{message_id}", data={"csrf_token": token, "action": "mark_sent"}
    )
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/dashboard/login")
    assert load(rt, message_id).status == "unknown"
