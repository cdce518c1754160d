"""Finding 13: retention blanks every copy of the client's words and first name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from cfbot.clock import FrozenClock
from cfbot.models import Answer, Contact, Conversation, FlowVersion, Message, Visit
from cfbot.services.retention import REMOVED, apply_retention

NOW = datetime(2025, 6, 15, 3, 30, tzinfo=UTC)  # a night hour on purpose: no hour matters
OLD = NOW - timedelta(days=100)
RECENT = NOW - timedelta(days=5)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"retention_days": 30}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


def _survey(session: Session, when: datetime, name: str, phone: str) -> tuple[int, int]:
    contact = Contact(phone=phone, first_name=name, created_at=when, updated_at=when)
    version = FlowVersion(flow_id="clinic_visit", content_hash=phone, yaml_text="id: x")
    session.add(contact)
    session.add(version)
    session.flush()
    state = {
        "v": 1,
        "lang": "en",
        "status": "completed",
        "context": {"first_name": name, "site": "Northside"},
        "answers": {"rating": 2, "reason": "checkup", "improve": f"I am {name}, call me"},
        "sentiments": {"improve": -0.4},
    }
    conv = Conversation(
        contact_id=contact.id,  # type: ignore[arg-type]
        flow_id="clinic_visit",
        flow_version_id=version.id,  # type: ignore[arg-type]
        channel="sms",
        status="completed",
        state=state,
        context={"first_name": name, "site": "Northside"},
        started_at=when,
        updated_at=when,
        completed_at=when,
    )
    session.add(conv)
    session.flush()
    for qid, qtype, raw, number, text in (
        ("rating", "rating", "2", 2.0, None),
        ("reason", "choice", "1", None, "checkup"),
        ("improve", "text", f"I am {name}, call me", None, f"I am {name}, call me"),
    ):
        session.add(
            Answer(
                conversation_id=conv.id,  # type: ignore[arg-type]
                contact_id=contact.id,  # type: ignore[arg-type]
                flow_id="clinic_visit",
                flow_version_id=version.id,  # type: ignore[arg-type]
                question_id=qid,
                question_type=qtype,
                question_text=f"Hi {name}, question {qid}?",
                raw_text=raw,
                value_text=text,
                value_number=number,
                created_at=when,
            )
        )
    session.add(
        Message(
            contact_id=contact.id,
            conversation_id=conv.id,
            direction="in",
            channel="sms",
            address=phone,
            body=f"I am {name}",
            status="received",
            created_at=when,
        )
    )
    session.add(
        Visit(
            contact_id=contact.id,  # type: ignore[arg-type]
            phone=phone,
            visited_at=when,
            site="northside",
            first_name=name,
            flow_id="clinic_visit",
            created_at=when,
        )
    )
    session.commit()
    return contact.id, conv.id  # type: ignore[return-value]


def test_retention_blanks_old_words_and_names_and_keeps_numbers(rt) -> None:  # type: ignore[no-untyped-def]
    with Session(rt.engine) as s:
        old_contact, old_conv = _survey(s, OLD, "Lan", "+16125550101")
        new_contact, new_conv = _survey(s, RECENT, "Ana", "+16125550102")
    assert apply_retention(rt) > 0
    with Session(rt.engine) as s:
        conv = s.get(Conversation, old_conv)
        assert conv is not None
        assert "Lan" not in repr(conv.state) and "Lan" not in repr(conv.context)
        assert conv.state["answers"]["rating"] == 2
        assert conv.state["answers"]["reason"] == "checkup"
        assert conv.state["answers"]["improve"] == REMOVED
        assert conv.context.get("site") == "Northside"
        contact = s.get(Contact, old_contact)
        assert contact is not None and contact.first_name is None
        assert contact.phone == "+16125550101"  # opt-outs must still be honoured
        answers = {
            a.question_id: a
            for a in s.exec(select(Answer).where(Answer.conversation_id == old_conv)).all()
        }
        assert all("Lan" not in a.question_text for a in answers.values())
        assert answers["rating"].value_number == 2.0
        assert answers["reason"].value_text == "checkup"
        assert answers["improve"].raw_text == REMOVED and answers["improve"].value_text is None
        msg = s.exec(select(Message).where(Message.conversation_id == old_conv)).one()
        assert msg.body == REMOVED and msg.address == ""
        visit = s.exec(select(Visit).where(Visit.contact_id == old_contact)).one()
        assert visit.phone == "" and visit.first_name is None

        # newer than CFBOT_RETENTION_DAYS: untouched
        fresh = s.get(Conversation, new_conv)
        assert fresh is not None and fresh.context["first_name"] == "Ana"
        assert fresh.state["answers"]["improve"] == "I am Ana, call me"
        assert s.get(Contact, new_contact).first_name == "Ana"  # type: ignore[union-attr]

    assert apply_retention(rt) == 0  # a second run has nothing left to do


def test_retention_off_changes_nothing(rt, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(rt, "settings", rt.settings.replace(retention_days=0))
    with Session(rt.engine) as s:
        _, conv_id = _survey(s, OLD, "Lan", "+16125550103")
    assert apply_retention(rt) == 0
    with Session(rt.engine) as s:
        assert s.get(Conversation, conv_id).context["first_name"] == "Lan"  # type: ignore[union-attr]
