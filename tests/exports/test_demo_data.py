"""Demo data: seeded once, clearly marked, varied, and exportable."""

from __future__ import annotations

import io
import re
import shutil
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, func, select

from cfbot import db as cfdb
from cfbot.clock import FrozenClock
from cfbot.models import Alert, AlertEvent, Answer, Contact, Conversation, Invitation, Message
from cfbot.runtime import build_runtime
from cfbot.services.demo_data import DEMO_SOURCE, seed_demo_data
from cfbot.services.exports import ExportQuery, write_export

# Thursday 14 May 2026, 11:00 in Chicago
T0 = datetime(2026, 5, 14, 16, 0, tzinfo=UTC)
LANGUAGES = {"en", "es", "so", "hmn", "vi"}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


def counts(rt) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with Session(rt.engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Contact, Conversation, Answer, Message, Invitation, Alert, AlertEvent)
        }


def test_seed_once_varied_and_marked(rt) -> None:  # type: ignore[no-untyped-def]
    report = seed_demo_data(rt)
    assert report.seeded and report.answers >= 1500 and report.alerts > 10
    first = counts(rt)
    assert first["Answer"] == report.answers
    again = seed_demo_data(rt)
    assert not again.seeded and again.answers == 0
    assert counts(rt) == first  # restarting the demo adds nothing

    with Session(rt.engine) as session:
        convs = session.exec(select(Conversation)).all()
        assert {c.language for c in convs} == LANGUAGES
        assert {c.channel for c in convs} == {"sms", "webchat"}
        assert len({c.site for c in convs}) >= 2
        assert {c.flow_id for c in convs} == {"clinic_visit", "immunization_clinic"}
        assert {"completed", "expired"} <= {c.status for c in convs}
        assert all(c.context.get("demo") is True for c in convs)
        weeks = {c.started_at.isocalendar()[:2] for c in convs}
        assert len(weeks) >= 8
        assert min(c.started_at for c in convs) >= T0 - timedelta(weeks=8, days=1)
        assert max(c.started_at for c in convs) <= T0
        # every language and channel really has answers
        pairs = {(c.language, c.channel) for c in convs}
        assert {lang for lang, _ in pairs} == LANGUAGES

        phones = [p for p in session.exec(select(Contact.phone)).all() if p]
        assert phones and all(re.fullmatch(r"\+1\d{3}5550(1\d\d)", p) for p in phones)
        chats = [w for w in session.exec(select(Contact.webchat_id)).all() if w]
        assert chats and all(w.startswith("demo-") for w in chats)

        skipped = session.exec(
            select(Invitation.reason).where(Invitation.status == "skipped")
        ).all()
        assert skipped and all(skipped)
        assert session.exec(
            select(func.count()).select_from(Invitation).where(Invitation.status == "sent")
        ).one()

        # the question text is the flow's own wording in the client's language
        flow = rt.flows.get("clinic_visit")
        by_lang: dict[str, Answer] = {}
        for answer, conv in session.exec(
            select(Answer, Conversation)
            .join(Conversation, Conversation.id == Answer.conversation_id)
            .where(Answer.question_id == "overall")
        ).all():
            by_lang.setdefault(conv.language, answer)
            expected = flow.render_question(
                flow.question("overall"),
                conv.language,
                {k: str(v) for k, v in conv.context.items() if k != "demo"},
            )
            assert answer.question_text == expected
            assert answer.flow_version_id == conv.flow_version_id
        assert set(by_lang) == LANGUAGES
        assert {a.value_number for a in by_lang.values()} <= {1, 2, 3, 4, 5}

        texts = session.exec(
            select(Answer).where(Answer.question_type == "text", Answer.skipped.is_(False))  # type: ignore[attr-defined]
        ).all()
        assert {a.language for a in texts} == LANGUAGES
        assert any(a.needs_review for a in texts)
        assert any(a.sentiment is not None and a.sentiment < 0 for a in texts)
        assert any(a.sentiment is not None and a.sentiment > 0 for a in texts)
        ratings = [
            a.value_number
            for a in session.exec(select(Answer).where(Answer.question_type == "nps")).all()
        ]
        assert min(ratings) <= 3 and max(ratings) == 10

        alerts = session.exec(select(Alert)).all()
        statuses = {a.status for a in alerts}
        assert {"open", "acknowledged", "resolved"} <= statuses
        assert all(a.resolution_note for a in alerts if a.status == "resolved")
        assert all(a.details.get("demo") for a in alerts)
        # nothing left for the clock to escalate from the past
        assert not [
            a
            for a in alerts
            if a.status == "open"
            and a.escalated_at is None
            and a.escalate_at is not None
            and a.escalate_at <= T0 - timedelta(days=2)
        ]
        assert session.exec(select(Invitation).where(Invitation.send_at > T0)).first() is None
    assert DEMO_SOURCE == "demo"


def fingerprint(engine) -> list[tuple]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        convs = session.exec(
            select(
                Conversation.language,
                Conversation.channel,
                Conversation.site,
                Conversation.status,
                Conversation.started_at,
            ).order_by(Conversation.id)
        ).all()
        answers = session.exec(select(Answer.raw_text).order_by(Answer.id)).all()
    return [*convs, *answers]


def test_seed_is_deterministic_and_exportable(rt, settings, _sqlite_template, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = seed_demo_data(rt, weeks=2, visits_per_week=40)
    assert report.seeded
    q = ExportQuery(start=date(2026, 1, 1), end=date(2026, 12, 31), timezone=rt.settings.timezone)
    buf = io.BytesIO()
    assert write_export(rt.engine, q, buf, "csv") == report.answers

    # the same seed and "now" on another, empty database give the same data
    path = tmp_path / "second.sqlite3"
    shutil.copy(_sqlite_template, path)
    other = build_runtime(settings.replace(database_url=f"sqlite:///{path}"))
    try:
        again = seed_demo_data(other, weeks=2, visits_per_week=40, now=T0)
        assert again.answers == report.answers
        assert fingerprint(other.engine) == fingerprint(rt.engine)
    finally:
        other.engine.dispose()
        cfdb._engines.pop(cfdb.normalize_url(other.settings.database_url), None)
