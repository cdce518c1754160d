"""Staff alerts: create, route, notify, escalate, digest.

How an alert travels:

1. After every engine run the conversation service calls :func:`after_sprint`, which
   evaluates the flow's ``alerts:`` rules (or, when a flow has none, the default rules:
   a rating in the lowest two points, an NPS of 0-6, free text below the sentiment
   threshold). A crisis message goes through :func:`raise_crisis` instead.
2. One dissatisfaction alert covers one client for the re-arm window
   (``CFBOT_ALERT_REARM_HOURS``, 24 h): later rules of the same survey, and further
   surveys of the same client within the window, add reasons to the open alert instead
   of sending more email. Crisis alerts dedupe only within ``CFBOT_CRISIS_DEDUPE_MINUTES``.
3. Creating an alert queues one :class:`~cfbot.models.MailOut` row; nothing is sent on the
   request path. A dissatisfaction email waits until the survey ends (at most
   ``CFBOT_ALERT_HOLD_MINUTES``) so it carries the client's own words; urgent ones go
   at once. :func:`send_pending_mail` (a clock job) sends with retry and backoff; a
   failed send keeps the row, and the dashboard shows "email delayed since ...".
4. :func:`escalate_due` emails the escalation contact about alerts still open after
   their deadline (urgent: 15 minutes; others: one business day); :func:`send_digests`
   sends each site a daily digest once per day.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cfbot.db import unit_of_work
from cfbot.i18n import translate
from cfbot.logging_setup import mask_phone
from cfbot.models import (
    Alert,
    AlertEvent,
    Answer,
    Contact,
    Conversation,
    MailOut,
    Message,
)
from cfbot.runtime import Runtime
from cfbot.services.mailer import MailError, build_message, get_mailer
from cfbot.services.routing import Routing, get_routing

log = logging.getLogger(__name__)

DISSATISFACTION = "dissatisfaction"
CRISIS = "crisis"
STATUSES = ("open", "acknowledged", "resolved")
SEVERITY_RANK = {"normal": 0, "high": 1, "urgent": 2}
MAX_BACKOFF = timedelta(hours=1)
FIRST_BACKOFF = timedelta(minutes=1)
# a sender that crashed mid-send leaves "sending" rows; they are retried after this
SENDING_LEASE = timedelta(minutes=5)
MAX_REASON = 500
LOGIN_LINK_SECONDS = 15 * 60

CRISIS_LABELS = {
    "self_harm": "Possible self-harm",
    "violence_abuse": "Possible violence or abuse",
    "medical_emergency": "Possible medical emergency",
}


def _t(message: str, **params: object) -> str:
    # Staff-facing text goes through the catalogs at run time but is deliberately not an
    # extraction keyword: the catalog test demands every *client-facing* string in every
    # language, and staff emails are English for now. Add "_t" to the keywords to translate.
    return translate("en", message, **params)


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Fired:
    """One rule that holds for a conversation's answers."""

    key: str
    reason: str
    severity: str
    source: str


def fired_rules(flow: Any, state: dict[str, Any], threshold: float = -0.3) -> list[Fired]:
    """The flow's alert rules that hold; the default rules when the flow has none."""
    if flow.alerts:
        from cfbot.flows.engine import evaluate_alerts

        return [
            Fired(
                key=f"rule:{rule.index}",
                reason=rule.reason or _t("Alert rule: {rule}", rule=rule.source),
                severity=rule.severity,
                source=rule.source,
            )
            for rule in evaluate_alerts(flow, state)
        ]
    return default_rules(flow, state, threshold)


def default_rules(flow: Any, state: dict[str, Any], threshold: float = -0.3) -> list[Fired]:
    """Rating in the lowest two points, NPS 0-6, or free text below ``threshold``."""
    from cfbot.services.sentiment import is_dissatisfied

    answers = state.get("answers") or {}
    sentiments = state.get("sentiments") or {}
    fired: list[Fired] = []
    for qid, value in answers.items():
        question = flow.question(qid)
        if question is None:
            continue
        if not is_dissatisfied(
            qtype=question.type,
            value=value,
            min=question.min,
            max=question.max,
            sentiment=sentiments.get(qid),
            threshold=threshold,
        ):
            continue
        if question.type == "nps":
            reason = _t("Would not recommend (NPS {value})", value=value)
        elif question.type == "text":
            reason = _t("Negative comment")
        else:
            reason = _t("Low rating ({value} of {max})", value=value, max=question.max)
        fired.append(Fired(f"default:{qid}", reason, "normal", f"default rule on {qid}"))
    return fired


def _max_severity(values: Iterable[str]) -> str:
    return max(values, key=lambda s: SEVERITY_RANK.get(s, 0), default="normal")


# --------------------------------------------------------------------------- creating


def escalation_deadline(rt: Runtime, severity: str, now: datetime) -> datetime:
    """When an unacknowledged alert escalates: urgent after minutes, others after business days."""
    s = rt.settings
    if severity == "urgent":
        return now + timedelta(minutes=s.alert_escalate_urgent_minutes)
    return get_routing(rt).add_business_time(now, s.alert_escalate_business_days)


def log_event(
    session: Session,
    alert_id: int,
    action: str,
    now: datetime,
    actor: str = "system",
    note: str = "",
) -> None:
    """Append one line to an alert's audit trail."""
    session.add(AlertEvent(alert_id=alert_id, action=action, actor=actor[:200], note=note, at=now))


def _queue_alert_mail(
    session: Session, alert: Alert, now: datetime, due: datetime, purpose: str = "alert"
) -> None:
    """Queue the alert's (or escalation) email; it is rendered when the mail job sends it."""
    assert alert.id is not None
    session.add(
        MailOut(
            purpose=purpose,
            alert_id=alert.id,
            dedupe_key=f"{purpose}:{alert.id}",
            created_at=now,
            due_at=due,
            next_attempt_at=due,
        )
    )


def after_sprint(
    rt: Runtime,
    session: Session,
    conversation: Conversation,
    flow: Any,
    sprint: Any,
    now: datetime,
) -> None:
    """The conversation service's after-sprint hook: evaluate rules, raise or extend alerts.

    Runs inside the caller's transaction, in a savepoint: a problem here is logged and
    never costs the client their answer.
    """
    try:
        with session.begin_nested():
            fired = fired_rules(flow, conversation.state, rt.settings.alert_sentiment_threshold)
            if fired:
                raise_dissatisfaction(rt, session, conversation, fired, now)
            if conversation.status != "active":
                release_held_mail(session, conversation, now)
    except Exception:
        log.exception("alert evaluation failed for conversation %s", conversation.id)


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
        select(Alert)
        .where(
            Alert.kind == DISSATISFACTION,
            or_(
                col(Alert.conversation_id) == conversation.id,
                (col(Alert.contact_id) == conversation.contact_id)
                & (col(Alert.created_at) >= window_start)
                & (col(Alert.status) != "resolved"),
            ),
        )
        .order_by(col(Alert.id).desc())
    ).first()
    reasons = [
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
        details = dict(existing.details or {})
        known = {r.get("key") for r in details.get("reasons", [])}
        new = [r for r in reasons if r["key"] not in known]
        if not new:
            return existing
        details["reasons"] = [*details.get("reasons", []), *new]
        convs = list(details.get("conversations", []))
        if conversation.id not in convs:
            convs.append(conversation.id)
            log_event(
                session,
                existing.id,  # type: ignore[arg-type]
                "repeat",
                now,
                note=_t("Another survey within the re-arm window; no new email."),
            )
        details["conversations"] = convs
        existing.details = details
        existing.severity = _max_severity([existing.severity, *(r["severity"] for r in new)])
        existing.reason = _summary(details["reasons"])
        existing.rule_source = "; ".join(dict.fromkeys(r["source"] for r in details["reasons"]))
        existing.updated_at = now
        session.add(existing)
        log_event(session, existing.id, "reason_added", now, note=_summary(new))  # type: ignore[arg-type]
        return existing

    severity = _max_severity(r["severity"] for r in reasons)
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
    _queue_alert_mail(session, alert, now, due)
    log.info("alert %s raised for conversation %s: %s", alert.id, conversation.id, alert.reason)
    return alert


def _summary(reasons: Iterable[dict[str, Any]]) -> str:
    text = "; ".join(dict.fromkeys(str(r.get("reason", "")) for r in reasons))
    return text[:MAX_REASON]


def release_held_mail(session: Session, conversation: Conversation, now: datetime) -> None:
    """The survey ended: send its held alert email now instead of at the hold's end."""
    alert_ids = session.exec(select(Alert.id).where(Alert.conversation_id == conversation.id)).all()
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
) -> Alert:
    """Create an urgent crisis alert (or add this message to one raised minutes ago).

    ``tier`` is ``crisis`` or ``urgent_review`` (a possible crisis a person must read
    within minutes: same kind, severity, recipients and escalation, reason prefixed);
    ``language`` is the language the message was written in. Both go in ``details``.
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
    if existing is not None:
        details = dict(existing.details or {})
        details["message_ids"] = [*details.get("message_ids", []), message.id][-20:]
        categories = list(details.get("categories", [existing.category]))
        if category not in categories:
            categories.append(category)
        details["categories"] = categories
        if tier == "crisis":
            details["tier"] = "crisis"
        if language:
            details["languages"] = sorted({*details.get("languages", []), language})
        existing.details = details
        existing.updated_at = now
        session.add(existing)
        log_event(session, existing.id, "repeat", now, note=_t("Another crisis message"))  # type: ignore[arg-type]
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
            **({"language": language, "languages": [language]} if language else {}),
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
    _queue_alert_mail(session, alert, now, now)
    return alert


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


# --------------------------------------------------------------------------- signed links


def _serializer(rt: Runtime, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(rt.settings.secret_key, salt=salt)


def alert_token(rt: Runtime, alert_id: int) -> str:
    """A signed token that opens one alert in the dashboard."""
    return _serializer(rt, "cfbot-alert-link").dumps({"a": alert_id})


def verify_alert_token(rt: Runtime, token: str, alert_id: int) -> bool:
    """True when ``token`` was issued for ``alert_id`` and has not expired."""
    max_age = int(rt.settings.alert_link_days * 86400)
    try:
        data = _serializer(rt, "cfbot-alert-link").loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return False
    return isinstance(data, dict) and data.get("a") == alert_id


def login_token(rt: Runtime, email: str) -> str:
    """A signed, short-lived dashboard login token for a staff address."""
    return _serializer(rt, "cfbot-staff-login").dumps({"e": email.strip().lower()})


def verify_login_token(rt: Runtime, token: str) -> str | None:
    """The staff address a login token was issued to, if valid, fresh and still listed."""
    try:
        data = _serializer(rt, "cfbot-staff-login").loads(token, max_age=LOGIN_LINK_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    email = data.get("e") if isinstance(data, dict) else None
    if not isinstance(email, str) or not get_routing(rt).is_staff(email):
        return None
    return email


def base_url(rt: Runtime) -> str:
    """The public address links in emails point to."""
    return (rt.settings.public_url or "http://localhost:5000").rstrip("/")


def alert_link(rt: Runtime, alert_id: int) -> str:
    """The signed dashboard link to one alert."""
    return f"{base_url(rt)}/dashboard/alerts/{alert_id}?token={alert_token(rt, alert_id)}"


def login_link(rt: Runtime, email: str) -> str:
    """The magic-link URL that logs ``email`` into the dashboard."""
    return f"{base_url(rt)}/dashboard/login/{login_token(rt, email)}"


# --------------------------------------------------------------------------- rendering


@dataclass
class AnswerLine:
    """One answer under the wording the client saw (and the fallback wording if different)."""

    question: str
    question_fallback: str | None
    answer: str
    skipped: bool
    at: datetime


def answers_for(session: Session, alert: Alert) -> list[AnswerLine]:
    """The client's answers in the alert's survey(s), under the question wording they saw."""
    from cfbot.services.conversation import flow_for_conversation

    conv_ids = list((alert.details or {}).get("conversations") or [])
    if alert.conversation_id is not None and alert.conversation_id not in conv_ids:
        conv_ids.insert(0, alert.conversation_id)
    if not conv_ids:
        return []
    rows = session.exec(
        select(Answer).where(col(Answer.conversation_id).in_(conv_ids)).order_by(col(Answer.id))
    ).all()
    flows: dict[int, Any] = {}
    lines: list[AnswerLine] = []
    for row in rows:
        fallback: str | None = None
        conversation = session.get(Conversation, row.conversation_id)
        if conversation is not None:
            try:
                flow = flows.get(conversation.id)  # type: ignore[arg-type]
                if flow is None:
                    flow = flow_for_conversation(session, conversation)
                    flows[conversation.id] = flow  # type: ignore[index]
                question = flow.question(row.question_id)
                if question is not None and row.language != flow.fallback_language:
                    fallback = flow.render_question(
                        question, flow.fallback_language, conversation.context
                    )
            except Exception:  # an old flow version that no longer parses: skip the gloss
                fallback = None
        answer = row.raw_text
        if row.value_text and row.value_text.lower() != row.raw_text.strip().lower():
            answer = f"{row.raw_text} (= {row.value_text})"
        lines.append(AnswerLine(row.question_text, fallback, answer, row.skipped, row.created_at))
    return lines


def _detail_ids(alert: Alert, key: str) -> list[int]:
    return [i for i in (alert.details or {}).get(key, []) if isinstance(i, int)]


def _messages(session: Session, ids: list[int]) -> list[Message]:
    if not ids:
        return []
    return list(
        session.exec(
            select(Message).where(col(Message.id).in_(ids)).order_by(col(Message.id))
        ).all()
    )


def crisis_messages(session: Session, alert: Alert) -> list[Message]:
    """The client's messages that triggered a crisis alert, oldest first."""
    ids = _detail_ids(alert, "message_ids")
    if alert.message_id is not None and alert.message_id not in ids:
        ids.insert(0, alert.message_id)
    return _messages(session, ids)


def _local(routing: Routing, moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(routing.tz).strftime("%Y-%m-%d %H:%M %Z")


def _contact_line(session: Session, alert: Alert) -> tuple[str, str, str]:
    contact = session.get(Contact, alert.contact_id) if alert.contact_id else None
    if contact is None:
        return "", "", ""
    if contact.phone:
        who = mask_phone(contact.phone)
        channel = "SMS"
    else:
        who = _t("web chat visitor #{id}", id=contact.id)
        channel = _t("web chat")
    return who, channel, contact.language


@dataclass
class RenderedMail:
    """Subject and bodies of one email."""

    subject: str
    text: str
    html: str


def render_alert_mail(rt: Runtime, session: Session, alert: Alert, purpose: str) -> RenderedMail:
    """The alert (or escalation) email: reasons, answers under their wording, signed link."""
    routing = get_routing(rt)
    # a survey started by texting a keyword has no site
    site_name = routing.site_name(alert.site) if alert.site else _t("no particular site")
    link = alert_link(rt, alert.id)  # type: ignore[arg-type]
    who, channel, lang = _contact_line(session, alert)
    if alert.kind == CRISIS:
        headline = _t(
            "URGENT: a client's message may signal a crisis ({label})", label=alert.reason
        )
        subject = _t(
            "URGENT crisis alert #{id}: {label} - {site}",
            id=alert.id,
            label=alert.reason,
            site=site_name,
        )
    else:
        prefix = _t("High priority: ") if alert.severity == "high" else ""
        headline = _t("A client is dissatisfied: {reason}", reason=alert.reason)
        subject = prefix + _t(
            "Feedback alert #{id}: {reason} - {site}",
            id=alert.id,
            reason=alert.reason,
            site=site_name,
        )
    if purpose == "escalation":
        waited = _duration_text((alert.escalated_at or rt.now()) - alert.created_at)
        headline = _t("Not acknowledged after {waited}. ", waited=waited) + headline
        subject = _t(
            "ESCALATION: alert #{id} not acknowledged after {waited} - {site}",
            id=alert.id,
            waited=waited,
            site=site_name,
        )

    flow_name = ""
    if alert.flow_id:
        flow = rt.flows.get(alert.flow_id)
        flow_name = f"{flow.name} ({alert.flow_id})" if flow is not None else alert.flow_id
    facts: list[tuple[str, str]] = [
        (_t("Alert"), f"#{alert.id} · {alert.severity} · {_t(alert.status)}"),
        (_t("Raised"), _local(routing, alert.created_at)),
        (_t("Site"), site_name),
    ]
    if alert.program:
        facts.append((_t("Program"), alert.program))
    if flow_name:
        facts.append((_t("Survey"), flow_name))
    if who:
        facts.append(
            (
                _t("Client"),
                _t(
                    "{who} ({channel}, language: {language})",
                    who=who,
                    channel=channel,
                    language=lang,
                ),
            )
        )
    facts.append((_t("Why"), alert.reason))

    answer_lines = answers_for(session, alert)
    messages = crisis_messages(session, alert) if alert.kind == CRISIS else []
    crisis_note = _t(
        "The client was sent 911 and 988 information and local resources at once, "
        "and the survey was paused for this client."
    )
    link_note = _t(
        "The link works for {days} days. The client's phone number is masked here; "
        "the dashboard shows it on request.",
        days=f"{rt.settings.alert_link_days:g}",
    )

    # ---- plain text
    out: list[str] = [headline, ""]
    width = max(len(k) for k, _ in facts)
    out += [f"{k + ':':<{width + 1}} {v}" for k, v in facts]
    if messages:
        out += ["", _t("What the client wrote"), "-" * 21]
        for m in messages:
            out.append(f"[{_local(routing, m.created_at)}] {m.body}")
        out += ["", crisis_note]
    if answer_lines:
        out += ["", _t("The client's answers"), "-" * 20]
        for line in answer_lines:
            # continuation lines indented so choice lists stay under their question
            out.append(_t("Q: {text}", text=line.question.replace("\n", "\n   ")))
            if line.question_fallback:
                out.append("   (" + line.question_fallback.replace("\n", "\n    ") + ")")
            answer = _t("(skipped)") if line.skipped else line.answer
            out.append(_t("A: {text}", text=answer.replace("\n", "\n   ")))
            out.append("")
    out += [
        "",
        _t("Open this alert to acknowledge it:"),
        link,
        link_note,
        "",
        "-- ",
        _t(
            "{program} - cfbot. You get this email because routing.yaml lists you for {site}.",
            program=rt.settings.program_name,
            site=site_name,
        )
        if alert.site
        else _t(
            "{program} - cfbot. You get this email because routing.yaml lists you for "
            "alerts from any site.",
            program=rt.settings.program_name,
        ),
    ]
    text = "\n".join(out)

    # ---- HTML (every value escaped: answers are client text)
    e = html.escape
    color = "#b50909" if alert.kind == CRISIS or alert.severity == "urgent" else "#1b1b1b"
    parts: list[str] = [
        '<!doctype html><html><body style="font-family:system-ui,Arial,sans-serif;color:#1b1b1b;line-height:1.5">',
        f'<h1 style="font-size:1.25rem;color:{color}">{e(headline)}</h1>',
        '<table role="presentation" style="border-collapse:collapse">',
    ]
    for k, v in facts:
        parts.append(
            f'<tr><th scope="row" style="text-align:left;padding:2px 12px 2px 0">{e(k)}</th><td>{e(v)}</td></tr>'
        )
    parts.append("</table>")
    if messages:
        parts.append(f'<h2 style="font-size:1.1rem">{e(_t("What the client wrote"))}</h2>')
        for m in messages:
            parts.append(
                f'<blockquote style="border-left:4px solid {color};margin:0 0 8px;padding:4px 12px">'
                f"<small>{e(_local(routing, m.created_at))}</small><br>{e(m.body)}</blockquote>"
            )
        parts.append(f"<p>{e(crisis_note)}</p>")
    if answer_lines:
        title = e(_t("The client's answers"))
        parts.append(f'<h2 style="font-size:1.1rem">{title}</h2><dl>')
        for line in answer_lines:
            gloss = (
                f'<br><small lang="en">({e(line.question_fallback)})</small>'
                if line.question_fallback
                else ""
            )
            value = _t("(skipped)") if line.skipped else line.answer
            parts.append(
                f'<dt style="font-weight:600;margin-top:8px;white-space:pre-line">{e(line.question)}{gloss}</dt>'
                f'<dd style="margin-left:16px;white-space:pre-line">{e(value)}</dd>'
            )
        parts.append("</dl>")
    parts += [
        f'<p><a href="{e(link)}" style="font-weight:600">{e(_t("Open alert #{id} in the dashboard", id=alert.id))}</a></p>',
        f"<p><small>{e(link_note)}</small></p></body></html>",
    ]
    return RenderedMail(subject=subject, text=text, html="".join(parts))


def _duration_text(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    if minutes < 120:
        return _t("{n} minutes", n=minutes)
    hours = minutes // 60
    if hours < 48:
        return _t("{n} hours", n=hours)
    return _t("{n} days", n=hours // 24)


def _recipients_for(routing: Routing, alert: Alert, purpose: str) -> list[str]:
    if purpose == "escalation":
        return routing.escalation_for(alert.site)
    if alert.kind == CRISIS:
        return routing.on_call_for(alert.site)
    return routing.staff_for(alert.site, alert.program)


# --------------------------------------------------------------------------- sending


def _backoff(attempts: int) -> timedelta:
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


@dataclass(frozen=True)
class _Claimed:
    id: int
    purpose: str
    alert_id: int | None
    recipients: tuple[str, ...]
    subject: str
    text: str
    html: str


def send_pending_mail(rt: Runtime, now: datetime | None = None, limit: int = 50) -> int:
    """Send due emails from the outbox; failures are kept and retried with backoff.

    Rows are claimed in one short transaction and sent outside it, so a slow SMTP
    server never holds a database lock. Returns how many emails were sent.
    """
    now = now or rt.now()
    routing = get_routing(rt)
    claimed: list[_Claimed] = []
    with unit_of_work(rt.engine) as session:
        rows = session.exec(
            select(MailOut)
            .where(
                col(MailOut.status).in_(("pending", "sending")),
                col(MailOut.next_attempt_at) <= now,
            )
            .order_by(col(MailOut.next_attempt_at), col(MailOut.id))
            .limit(limit)
        ).all()
        for row in rows:
            if not row.subject and row.alert_id is not None:
                alert = session.get(Alert, row.alert_id)
                if alert is None:  # pragma: no cover - FK guarantees it
                    row.status = "failed"
                    row.last_error = "alert missing"
                    session.add(row)
                    continue
                recipients = _recipients_for(routing, alert, row.purpose)
                if not recipients:
                    # keep it: once routing.yaml names someone, the email goes out
                    _failed(
                        row, now, f"no recipients for site {alert.site or '(none)'} in routing.yaml"
                    )
                    session.add(row)
                    continue
                try:
                    rendered = render_alert_mail(rt, session, alert, row.purpose)
                except Exception as exc:
                    log.exception("could not render email for alert %s", alert.id)
                    _failed(row, now, f"could not render: {type(exc).__name__}")
                    session.add(row)
                    continue
                row.recipients = recipients
                row.subject = rendered.subject[:300]
                row.text_body = rendered.text
                row.html_body = rendered.html
            row.status = "sending"
            row.attempts += 1
            row.next_attempt_at = now + SENDING_LEASE
            session.add(row)
            assert row.id is not None
            claimed.append(
                _Claimed(
                    row.id,
                    row.purpose,
                    row.alert_id,
                    tuple(row.recipients),
                    row.subject,
                    row.text_body,
                    row.html_body,
                )
            )
    mailer = get_mailer(rt)
    sent = 0
    for item in claimed:
        error: MailError | None = None
        refused: list[str] = []
        try:
            message = build_message(
                sender=rt.settings.mail_from,
                recipients=list(item.recipients),
                subject=item.subject,
                text=item.text,
                html=item.html or None,
                headers={"X-Cfbot-Mail": f"{item.purpose}-{item.id}"},
            )
            refused = mailer.send(message)
        except MailError as exc:
            error = exc
        except Exception as exc:  # a provider bug must not lose the email
            log.exception("mail provider failed")
            error = MailError(f"{type(exc).__name__}: {exc}"[:300])
        with unit_of_work(rt.engine) as session:
            row = session.get(MailOut, item.id)
            if row is None:  # pragma: no cover
                continue
            if error is None:
                row.status = "sent"
                row.sent_at = now
                row.next_attempt_at = None
                row.last_error = f"refused: {', '.join(refused)}"[:500] if refused else None
                sent += 1
                if row.alert_id is not None:
                    action = "escalated_email_sent" if row.purpose == "escalation" else "email_sent"
                    log_event(session, row.alert_id, action, now, note=", ".join(item.recipients))
            else:
                first = row.first_failed_at is None
                _failed(row, now, str(error), retryable=error.retryable)
                if row.alert_id is not None and first:
                    log_event(session, row.alert_id, "email_failed", now, note=str(error)[:500])
                log.warning("mail %s (%s) not sent: %s", row.id, row.purpose, error)
            session.add(row)
    return sent


def _failed(row: MailOut, now: datetime, error: str, retryable: bool = True) -> None:
    row.last_error = error[:500]
    row.first_failed_at = row.first_failed_at or now
    if retryable:
        row.status = "pending"
        row.next_attempt_at = now + _backoff(max(row.attempts, 1))
    else:
        row.status = "failed"
        row.next_attempt_at = None


def retry_failed_mail(rt: Runtime, now: datetime | None = None) -> int:
    """Put permanently failed emails back in the queue (after an admin fixed the cause)."""
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        rows = session.exec(select(MailOut).where(MailOut.status == "failed")).all()
        for row in rows:
            row.status = "pending"
            row.next_attempt_at = now
            session.add(row)
        return len(rows)


def queue_mail(
    session: Session,
    *,
    purpose: str,
    recipients: list[str],
    subject: str,
    text: str,
    html_body: str = "",
    now: datetime,
    dedupe_key: str | None = None,
    alert_id: int | None = None,
) -> MailOut:
    """Put a ready-made email (login link, digest, test) on the outbox."""
    row = MailOut(
        purpose=purpose,
        recipients=recipients,
        subject=subject,
        text_body=text,
        html_body=html_body,
        dedupe_key=dedupe_key,
        alert_id=alert_id,
        created_at=now,
        due_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    session.flush()
    return row


# --------------------------------------------------------------------------- escalation


def escalate_due(rt: Runtime, now: datetime | None = None) -> int:
    """Queue one escalation email for each open alert past its deadline. Returns the count."""
    now = now or rt.now()
    count = 0
    with unit_of_work(rt.engine) as session:
        due = session.exec(
            select(Alert)
            .where(
                Alert.status == "open",
                col(Alert.escalate_at) <= now,
                col(Alert.escalated_at).is_(None),
            )
            .order_by(col(Alert.escalate_at))
            .limit(200)
        ).all()
        for alert in due:
            assert alert.id is not None
            try:
                with session.begin_nested():
                    alert.escalated_at = now
                    session.add(alert)
                    _queue_alert_mail(session, alert, now, now, purpose="escalation")
                    log_event(session, alert.id, "escalated", now)
                    session.flush()
            except IntegrityError:
                continue  # another clock escalated it first
            count += 1
            log.info(
                "alert %s escalated (%s, open since %s)", alert.id, alert.severity, alert.created_at
            )
    return count


# --------------------------------------------------------------------------- digests

NO_SITE = "_none"


def send_digests(rt: Runtime, now: datetime | None = None) -> int:
    """Once a day per site (after ``CFBOT_ALERT_DIGEST_HOUR`` local time), queue a digest of
    yesterday's alerts and the cases still open. Idempotent: the date sent is remembered."""
    now = now or rt.now()
    routing = get_routing(rt)
    tz = routing.tz
    local = now.astimezone(tz)
    if local.hour < rt.settings.alert_digest_hour:
        return 0
    day = local.date() - timedelta(days=1)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(local.date(), time(0), tzinfo=tz)
    queued = 0
    site_keys: list[str | None] = [*routing.sites.keys(), None]
    with unit_of_work(rt.engine) as session:
        for site in site_keys:
            key = f"digest:{site or NO_SITE}:{day.isoformat()}"
            if session.exec(select(MailOut.id).where(MailOut.dedupe_key == key)).first():
                continue
            yesterday = _site_alerts(session, routing, site, start=start, end=end)
            still_open = _site_alerts(session, routing, site, open_only=True)
            if not yesterday and not still_open:
                continue
            recipients = routing.digest_for(site)
            if not recipients:
                log.warning("no digest recipients for site %s", site or "(none)")
                continue
            rendered = render_digest(rt, routing, site, day, yesterday, still_open, now)
            try:
                with session.begin_nested():
                    queue_mail(
                        session,
                        purpose="digest",
                        recipients=recipients,
                        subject=rendered.subject,
                        text=rendered.text,
                        html_body=rendered.html,
                        now=now,
                        dedupe_key=key,
                    )
            except IntegrityError:
                continue
            queued += 1
    return queued


def _site_alerts(
    session: Session,
    routing: Routing,
    site: str | None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    open_only: bool = False,
) -> list[Alert]:
    stmt = select(Alert)
    if site is None:
        known = list(routing.sites.keys())
        stmt = stmt.where(or_(col(Alert.site).is_(None), col(Alert.site).not_in(known)))
    else:
        stmt = stmt.where(Alert.site == site)
    if start is not None:
        stmt = stmt.where(col(Alert.created_at) >= start)
    if end is not None:
        stmt = stmt.where(col(Alert.created_at) < end)
    if open_only:
        stmt = stmt.where(col(Alert.status).in_(("open", "acknowledged")))
    return list(session.exec(stmt.order_by(col(Alert.id)).limit(500)).all())


def render_digest(
    rt: Runtime,
    routing: Routing,
    site: str | None,
    day: date,
    yesterday: list[Alert],
    still_open: list[Alert],
    now: datetime,
) -> RenderedMail:
    """The daily digest for one site: yesterday's alerts, counts, and open cases."""
    name = routing.site_name(site) if site else _t("alerts without a site")
    counts = {s: sum(1 for a in yesterday if a.status == s) for s in STATUSES}
    subject = _t(
        "Daily feedback digest for {site}, {day}: {n} new alert(s)",
        site=name,
        day=day.isoformat(),
        n=len(yesterday),
    )
    lines = [
        _t("Feedback alerts for {site} on {day}", site=name, day=day.isoformat()),
        "",
        _t(
            "New: {n}  (open {open}, acknowledged {ack}, resolved {res})",
            n=len(yesterday),
            open=counts["open"],
            ack=counts["acknowledged"],
            res=counts["resolved"],
        ),
        _t("Cases still open or acknowledged: {n}", n=len(still_open)),
        "",
    ]

    def row(a: Alert) -> str:
        return f"#{a.id}  {_local(routing, a.created_at)}  {a.severity:<7} {_t(a.status):<13} {a.reason}"

    if yesterday:
        lines += [_t("Yesterday's alerts"), *[row(a) for a in yesterday], ""]
    older = [a for a in still_open if a not in yesterday]
    if older:
        lines += [_t("Older cases still open"), *[row(a) for a in older], ""]
    lines += [_t("Dashboard: {url}", url=f"{base_url(rt)}/dashboard/"), ""]
    text = "\n".join(lines)
    e = html.escape
    parts = [
        '<!doctype html><html><body style="font-family:system-ui,Arial,sans-serif;color:#1b1b1b">',
        f'<h1 style="font-size:1.25rem">{e(lines[0])}</h1>',
        f"<p>{e(lines[2])}<br>{e(lines[3])}</p>",
    ]
    for title, group in (
        (_t("Yesterday's alerts"), yesterday),
        (_t("Older cases still open"), older),
    ):
        if not group:
            continue
        parts.append(
            f'<h2 style="font-size:1.1rem">{e(title)}</h2><table style="border-collapse:collapse">'
        )
        parts.append(
            "<tr>"
            + "".join(
                f'<th scope="col" style="text-align:left;padding:2px 8px">{e(h)}</th>'
                for h in (_t("Alert"), _t("Raised"), _t("Severity"), _t("Status"), _t("Reason"))
            )
            + "</tr>"
        )
        for a in group:
            link = f"{base_url(rt)}/dashboard/alerts/{a.id}"
            parts.append(
                f'<tr><td style="padding:2px 8px"><a href="{e(link)}">#{a.id}</a></td>'
                f'<td style="padding:2px 8px">{e(_local(routing, a.created_at))}</td>'
                f'<td style="padding:2px 8px">{e(a.severity)}</td>'
                f'<td style="padding:2px 8px">{e(_t(a.status))}</td>'
                f'<td style="padding:2px 8px">{e(a.reason)}</td></tr>'
            )
        parts.append("</table>")
    parts.append(
        f'<p><a href="{e(base_url(rt))}/dashboard/">{e(_t("Open the dashboard"))}</a></p></body></html>'
    )
    return RenderedMail(subject, text, "".join(parts))


# --------------------------------------------------------------------------- staff actions


class AlertActionError(Exception):
    """A staff action that does not apply (e.g. resolving twice)."""


def acknowledge_alert(
    rt: Runtime, alert_id: int, actor: str, now: datetime | None = None, note: str = ""
) -> Alert:
    """Mark an alert acknowledged (stops its escalation). Acknowledging twice is a no-op."""
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertActionError("no such alert")
        if alert.status == "open":
            alert.status = "acknowledged"
            alert.acknowledged_at = now
            alert.acknowledged_by = actor[:200]
            alert.updated_at = now
            session.add(alert)
            log_event(session, alert_id, "acknowledged", now, actor=actor, note=note.strip()[:2000])
        return alert


def resolve_alert(
    rt: Runtime, alert_id: int, actor: str, note: str, now: datetime | None = None
) -> Alert:
    """Close an alert with a resolution note (acknowledging it too if needed)."""
    now = now or rt.now()
    note = note.strip()
    if not note:
        raise AlertActionError("a resolution note is required")
    with unit_of_work(rt.engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise AlertActionError("no such alert")
        if alert.status == "resolved":
            raise AlertActionError("this alert is already resolved")
        if alert.acknowledged_at is None:
            alert.acknowledged_at = now
            alert.acknowledged_by = actor[:200]
        alert.status = "resolved"
        alert.resolved_at = now
        alert.resolved_by = actor[:200]
        alert.resolution_note = note[:5000]
        alert.updated_at = now
        session.add(alert)
        log_event(session, alert_id, "resolved", now, actor=actor, note=note[:2000])
        return alert


def reveal_phone(rt: Runtime, alert_id: int, actor: str, now: datetime | None = None) -> str | None:
    """The client's full phone number for a staff member; the reveal is logged."""
    now = now or rt.now()
    with unit_of_work(rt.engine) as session:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.contact_id is None:
            return None
        contact = session.get(Contact, alert.contact_id)
        if contact is None or not contact.phone:
            return None
        log_event(session, alert_id, "phone_revealed", now, actor=actor)
        log.info("alert %s: phone revealed to %s", alert_id, actor)
        return contact.phone


def mail_state(session: Session, alert_id: int, now: datetime) -> dict[str, Any]:
    """Email status of an alert for the dashboard: sent, held, delayed (since when, why)."""
    rows = session.exec(
        select(MailOut).where(MailOut.alert_id == alert_id).order_by(col(MailOut.id))
    ).all()
    items = []
    for row in rows:
        state = row.status
        if row.status in ("pending", "sending") and row.first_failed_at is not None:
            state = "delayed"
        elif row.status == "pending" and row.attempts == 0 and row.due_at > now:
            state = "held"
        items.append(
            {
                "purpose": row.purpose,
                "state": state,
                "recipients": list(row.recipients),
                "sent_at": row.sent_at,
                "since": row.first_failed_at or row.due_at,
                "due_at": row.due_at,
                "attempts": row.attempts,
                "error": row.last_error,
                "next_attempt_at": row.next_attempt_at,
            }
        )
    return {"mails": items, "delayed": any(i["state"] == "delayed" for i in items)}


def delayed_alert_ids(session: Session, alert_ids: Sequence[int]) -> dict[int, datetime]:
    """For the list page: alerts whose email has failed at least once and is still unsent."""
    if not alert_ids:
        return {}
    rows = session.exec(
        select(MailOut.alert_id, MailOut.first_failed_at).where(
            col(MailOut.alert_id).in_(list(alert_ids)),
            col(MailOut.status).in_(("pending", "sending", "failed")),
            col(MailOut.first_failed_at).is_not(None),
        )
    ).all()
    out: dict[int, datetime] = {}
    for alert_id, since in rows:
        if alert_id is not None and since is not None:
            out[alert_id] = min(since, out.get(alert_id, since))
    return out


# --------------------------------------------------------------------------- dashboard support


def request_login(rt: Runtime, email: str, now: datetime | None = None) -> str | None:
    """Queue a magic-link login email for a staff address listed in routing.yaml.

    Returns the link (shown on the page in demo mode only), or None when the address is
    not staff. At most one login email per address per five minutes.
    """
    now = now or rt.now()
    address = email.strip().lower()
    if not address or not get_routing(rt).is_staff(address):
        log.info("dashboard login requested for an address not in routing.yaml")
        return None
    link = login_link(rt, address)
    minutes = LOGIN_LINK_SECONDS // 60
    text = "\n".join(
        [
            _t("Use this link to sign in to the feedback dashboard:"),
            link,
            "",
            _t(
                "It works for {n} minutes. If you did not ask for it, ignore this email.", n=minutes
            ),
        ]
    )
    e = html.escape
    html_body = (
        "<!doctype html><html><body>"
        f"<p>{e(_t('Use this link to sign in to the feedback dashboard:'))}</p>"
        f'<p><a href="{e(link)}">{e(_t("Sign in to the dashboard"))}</a></p>'
        f"<p><small>{e(_t('It works for {n} minutes. If you did not ask for it, ignore this email.', n=minutes))}</small></p>"
        "</body></html>"
    )
    bucket = int(now.timestamp() // 300)
    try:
        with unit_of_work(rt.engine) as session:
            queue_mail(
                session,
                purpose="login",
                recipients=[address],
                subject=_t("Your sign-in link for {program}", program=rt.settings.program_name),
                text=text,
                html_body=html_body,
                now=now,
                dedupe_key=f"login:{address}:{bucket}",
            )
    except IntegrityError:
        pass  # a link was sent to this address moments ago
    return link


@dataclass
class AlertDetail:
    """Everything the alert page shows."""

    alert: Alert
    masked_phone: str
    channel: str
    language: str
    answers: list[AnswerLine]
    messages: list[Message]
    followups: list[Message]
    events: list[AlertEvent]
    mail: dict[str, Any]
    site_name: str
    flow_name: str
    conversation_status: str | None


def alert_detail(
    rt: Runtime, session: Session, alert_id: int, now: datetime | None = None
) -> AlertDetail | None:
    """Load one alert with its answers, messages, audit trail and email state."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return None
    routing = get_routing(rt)
    who, channel, lang = _contact_line(session, alert)
    followups = _messages(session, _detail_ids(alert, "followup_ids"))
    events = list(
        session.exec(
            select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(col(AlertEvent.id))
        ).all()
    )
    flow_name = ""
    if alert.flow_id:
        flow = rt.flows.get(alert.flow_id)
        flow_name = flow.name if flow is not None else alert.flow_id
    conversation = (
        session.get(Conversation, alert.conversation_id) if alert.conversation_id else None
    )
    return AlertDetail(
        alert=alert,
        masked_phone=who,
        channel=channel,
        language=lang,
        answers=answers_for(session, alert),
        messages=crisis_messages(session, alert) if alert.kind == CRISIS else [],
        followups=followups,
        events=events,
        mail=mail_state(session, alert_id, now),
        site_name=routing.site_name(alert.site),
        flow_name=flow_name,
        conversation_status=conversation.status if conversation is not None else None,
    )


def list_alerts(
    session: Session,
    *,
    status: str | None = None,
    site: str | None = None,
    scope: frozenset[str] | None = None,
    limit: int = 200,
) -> list[Alert]:
    """Alerts for the dashboard list, newest first, within a staff member's site scope."""
    stmt = select(Alert)
    if status in STATUSES:
        stmt = stmt.where(Alert.status == status)
    if site:
        stmt = stmt.where(Alert.site == site)
    if scope is not None:
        if not scope:
            return []
        stmt = stmt.where(col(Alert.site).in_(sorted(scope)))
    return list(session.exec(stmt.order_by(col(Alert.id).desc()).limit(limit)).all())


def anonymise_before(rt: Runtime, cutoff: datetime) -> int:
    """Blank client words kept by alerts before ``cutoff`` (for the retention job).

    Sent and failed email bodies and the client's follow-up messages copied into the
    audit trail are replaced; alert reasons, statuses, dates and staff notes stay.
    """
    from sqlalchemy import update

    removed = "[removed]"
    with unit_of_work(rt.engine) as session:
        changed = session.execute(  # type: ignore[attr-defined]
            update(MailOut)
            .where(
                col(MailOut.created_at) < cutoff,
                col(MailOut.status).in_(("sent", "failed")),
                MailOut.text_body != removed,
            )
            .values(text_body=removed, html_body="")
        ).rowcount
        changed += session.execute(  # type: ignore[attr-defined]
            update(AlertEvent)
            .where(
                col(AlertEvent.at) < cutoff,
                AlertEvent.action == "client_message",
                AlertEvent.note != removed,
            )
            .values(note=removed)
        ).rowcount
    return int(changed or 0)
