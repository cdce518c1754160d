"""Raising alerts: evaluate a survey after each engine run, open or extend a
dissatisfaction alert (one per client per re-arm window), raise crisis alerts, and the
crisis hold on reminders and invitations."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_
from sqlmodel import Session, col, select

from cfbot.models import Alert, Contact, Conversation, MailOut, Message
from cfbot.runtime import Runtime
from cfbot.services.alerts.common import (
    CRISIS,
    DISSATISFACTION,
    log_event,
    queue_alert_mail,
)
from cfbot.services.alerts.common import (
    staff_text as _t,
)
from cfbot.services.alerts.escalation import escalation_deadline
from cfbot.services.alerts.rules import Fired, fired_rules, max_severity

# the module's old name keeps existing log filters and dashboards working
log = logging.getLogger("cfbot.services.alerts")

MAX_REASON = 500
CRISIS_LABELS = {
    "self_harm": "Possible self-harm",
    "violence_abuse": "Possible violence or abuse",
    "medical_emergency": "Possible medical emergency",
}


def evaluate_alerts(
    rt: Runtime,
    session: Session,
    conversation: Conversation,
    flow: Any,
    now: datetime,
) -> None:
    """After an engine run: evaluate the flow's rules, raise or extend alerts, and release
    a held email once the survey has ended.

    Runs inside the caller's transaction, in a savepoint: a problem here is logged and
    never costs the client their answer.
    """
    try:
        # the rules are pure: the savepoint is opened only when there is something to store
        fired = fired_rules(flow, conversation.state, rt.settings.alert_sentiment_threshold)
        if not fired and conversation.status == "active":
            return
        with session.begin_nested():
            if fired:
                raise_dissatisfaction(rt, session, conversation, fired, now)
            if conversation.status != "active":
                release_held_mail(session, conversation, now)
    except Exception:
        log.exception("alert evaluation failed for conversation %s", conversation.id)


# the client's current dissatisfaction alert: this survey's, or a recent unresolved one
# (built once: it runs on every unhappy answer)
_CURRENT_ALERT = (
    select(Alert)
    .where(
        Alert.kind == DISSATISFACTION,
        or_(
            col(Alert.conversation_id) == bindparam("conversation_id"),
            (col(Alert.contact_id) == bindparam("contact_id"))
            & (col(Alert.created_at) >= bindparam("window_start"))
            & (col(Alert.status) != "resolved"),
        ),
    )
    .order_by(col(Alert.id).desc())
)
_CONVERSATION_ALERTS = select(Alert.id).where(Alert.conversation_id == bindparam("conversation_id"))


def raise_dissatisfaction(
    rt: Runtime,
    session: Session,
    conversation: Conversation,
    fired: Sequence[Fired],
    now: datetime,
) -> Alert:
    """Create the alert for ``fired`` rules, or add them to the client's current alert."""
    window_start = now - timedelta(hours=rt.settings.alert_rearm_hours)
    existing = session.exec(
        _CURRENT_ALERT,
        params={
            "conversation_id": conversation.id,
            "contact_id": conversation.contact_id,
            "window_start": window_start,
        },
    ).first()
    reasons: list[dict[str, Any]] = [
        {
            "key": f"{conversation.id}:{f.key}",
            "reason": f.reason,
            "severity": f.severity,
            "source": f.source,
            "conversation_id": conversation.id,
            "at": now.isoformat(),
        }
        for f in fired
    ]
    if existing is not None:
        _extend(session, existing, conversation, reasons, now)
        return existing

    severity = max_severity(r["severity"] for r in reasons)
    alert = Alert(
        kind=DISSATISFACTION,
        severity=severity,
        reason=_summary(reasons),
        rule_source="; ".join(dict.fromkeys(r["source"] for r in reasons)),
        details={"reasons": reasons, "conversations": [conversation.id]},
        conversation_id=conversation.id,
        contact_id=conversation.contact_id,
        flow_id=conversation.flow_id,
        site=conversation.site,
        program=conversation.program,
        status="open",
        created_at=now,
        updated_at=now,
        escalate_at=escalation_deadline(rt, severity, now),
    )
    session.add(alert)
    session.flush()
    assert alert.id is not None
    log_event(session, alert.id, "created", now, note=alert.reason)
    if conversation.status != "active" or severity == "urgent":
        due = now
    else:
        # wait for the client's own words (the survey usually ends within minutes)
        due = now + timedelta(minutes=rt.settings.alert_hold_minutes)
    queue_alert_mail(session, alert, now, due)
    log.info("alert %s raised for conversation %s: %s", alert.id, conversation.id, alert.reason)
    return alert


def _extend(
    session: Session,
    existing: Alert,
    conversation: Conversation,
    reasons: list[dict[str, Any]],
    now: datetime,
) -> None:
    # the same rule firing again on a later engine run is not news
    details = dict(existing.details or {})
    known = {r.get("key") for r in details.get("reasons", [])}
    new = [r for r in reasons if r["key"] not in known]
    if not new:
        return
    details["reasons"] = [*details.get("reasons", []), *new]
    convs = list(details.get("conversations", []))
    if conversation.id not in convs:
        convs.append(conversation.id)
        log_event(
            session,
            existing.id,  # type: ignore[arg-type]  # id is None only before the row is flushed
            "repeat",
            now,
            note=_t("Another survey within the re-arm window; no new email."),
        )
    details["conversations"] = convs
    existing.details = details
    existing.severity = max_severity([existing.severity, *(r["severity"] for r in new)])
    existing.reason = _summary(details["reasons"])
    existing.rule_source = "; ".join(dict.fromkeys(r["source"] for r in details["reasons"]))
    existing.updated_at = now
    session.add(existing)
    log_event(session, existing.id, "reason_added", now, note=_summary(new))  # type: ignore[arg-type]  # id is None only before the row is flushed


def _summary(reasons: Iterable[dict[str, Any]]) -> str:
    text = "; ".join(dict.fromkeys(str(r.get("reason", "")) for r in reasons))
    return text[:MAX_REASON]


def release_held_mail(session: Session, conversation: Conversation, now: datetime) -> None:
    """The survey ended: send its held alert email now instead of at the hold's end."""
    alert_ids = session.exec(
        _CONVERSATION_ALERTS, params={"conversation_id": conversation.id}
    ).all()
    if not alert_ids:
        return
    rows = session.exec(
        select(MailOut).where(
            col(MailOut.alert_id).in_(alert_ids),
            MailOut.status == "pending",
            MailOut.attempts == 0,
            col(MailOut.next_attempt_at) > now,
        )
    ).all()
    for row in rows:
        row.next_attempt_at = now
        row.due_at = now
        session.add(row)


def raise_crisis(
    rt: Runtime,
    session: Session,
    *,
    contact: Contact,
    conversation: Conversation | None,
    message: Message,
    category: str,
    now: datetime,
    tier: str = "crisis",
    language: str | None = None,
    trigger: str | None = None,
) -> Alert:
    """Create an urgent crisis alert (or add this message to one raised minutes ago).

    ``tier`` is ``crisis`` or ``urgent_review`` (a possible crisis a person must read
    within minutes: same kind, severity, recipients and escalation, reason prefixed);
    ``language`` is the language the message was written in; ``trigger`` what flagged
    it (the list phrase, or "model, p=0.97" for the learned net). All go in ``details``.
    """
    window_start = now - timedelta(minutes=rt.settings.crisis_dedupe_minutes)
    existing = session.exec(
        select(Alert)
        .where(
            Alert.kind == CRISIS,
            Alert.contact_id == contact.id,
            col(Alert.created_at) >= window_start,
        )
        .order_by(col(Alert.id).desc())
    ).first()
    if existing is None and message.source:
        # a burst of crisis messages from one web-chat source (many new sessions from one
        # address) is one alert with a count, not one alert and one email each
        existing = _recent_from_source(session, message.source, window_start)
    if existing is not None:
        details = dict(existing.details or {})
        details["message_ids"] = [*details.get("message_ids", []), message.id][-20:]
        details["count"] = int(details.get("count", 1)) + 1
        if contact.id not in details.get("contact_ids", [existing.contact_id]):
            details["contact_ids"] = [
                *details.get("contact_ids", [existing.contact_id]),
                contact.id,
            ][-200:]
        categories = list(details.get("categories", [existing.category]))
        if category not in categories:
            categories.append(category)
        details["categories"] = categories
        # a crisis-tier message joins an urgent_review alert: the alert now reads as a
        # crisis (its title is what staff and the email show first)
        raised = tier == "crisis" and existing.rule_source.startswith("urgent_review")
        if tier == "crisis":
            details["tier"] = "crisis"
        if raised:
            existing.category = category
            existing.reason = _t(CRISIS_LABELS.get(category, "Possible crisis"))
            existing.rule_source = f"crisis:{category}"
        if language:
            details["languages"] = sorted({*details.get("languages", []), language})
        if trigger:
            details["triggers"] = [*details.get("triggers", []), trigger][-20:]
        existing.details = details
        existing.updated_at = now
        session.add(existing)
        note = (
            _t("A crisis-tier message: raised from urgent review")
            if raised
            else _t("Another crisis message")
        )
        log_event(session, existing.id, "repeat", now, note=note)  # type: ignore[arg-type]  # id is None only before the row is flushed
        return existing
    site, program, flow_id = None, None, None
    source = conversation
    if source is None:
        # the client texted outside a survey: route by their latest survey's site
        source = session.exec(
            select(Conversation)
            .where(Conversation.contact_id == contact.id)
            .order_by(col(Conversation.id).desc())
        ).first()
    if source is not None:
        site, program, flow_id = source.site, source.program, source.flow_id
    alert = Alert(
        kind=CRISIS,
        severity="urgent",
        category=category,
        reason=(_t("Urgent review: ") if tier == "urgent_review" else "")
        + _t(CRISIS_LABELS.get(category, "Possible crisis")),
        rule_source=f"{tier}:{category}",
        details={
            "message_ids": [message.id],
            "categories": [category],
            "tier": tier,
            "count": 1,
            "contact_ids": [contact.id],
            **({"source": message.source} if message.source else {}),
            **({"language": language, "languages": [language]} if language else {}),
            **({"triggers": [trigger]} if trigger else {}),
        },
        conversation_id=conversation.id if conversation is not None else None,
        contact_id=contact.id,
        message_id=message.id,
        flow_id=flow_id,
        site=site,
        program=program,
        status="open",
        created_at=now,
        updated_at=now,
        escalate_at=escalation_deadline(rt, "urgent", now),
    )
    session.add(alert)
    session.flush()
    assert alert.id is not None
    log_event(session, alert.id, "created", now, note=alert.reason)
    queue_alert_mail(session, alert, now, now)
    return alert


def _recent_from_source(session: Session, source: str, since: datetime) -> Alert | None:
    """The latest crisis alert raised since ``since`` for a message from ``source``."""
    rows = session.exec(
        select(Alert)
        .where(Alert.kind == CRISIS, col(Alert.created_at) >= since)
        .order_by(col(Alert.id).desc())
        .limit(500)
    ).all()
    for alert in rows:
        if (alert.details or {}).get("source") == source:
            return alert
    return None


def crisis_alert_for(session: Session, contact_id: int | None, since: datetime) -> Alert | None:
    """The contact's latest unresolved crisis alert raised since ``since``, including one
    it shares with others from the same web-chat source (``details["contact_ids"]``)."""
    unresolved = (
        select(Alert)
        .where(
            Alert.kind == CRISIS,
            col(Alert.created_at) >= since,
            col(Alert.status) != "resolved",
        )
        .order_by(col(Alert.id).desc())
    )
    own = session.exec(unresolved.where(Alert.contact_id == contact_id)).first()
    if own is not None:
        return own
    for alert in session.exec(unresolved.limit(500)).all():
        if contact_id in (alert.details or {}).get("contact_ids", []):
            return alert
    return None


def crisis_hold_until(
    rt: Runtime, session: Session, contact_id: int, now: datetime
) -> datetime | None:
    """Until when ``contact_id`` must get no reminders or invitations after a crisis message."""
    hold = timedelta(days=rt.settings.crisis_hold_days)
    latest = session.exec(
        select(Alert.created_at)
        .where(Alert.kind == CRISIS, Alert.contact_id == contact_id)
        .order_by(col(Alert.created_at).desc())
    ).first()
    if latest is None or latest + hold <= now:
        return None
    return latest + hold
