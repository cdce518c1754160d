"""Demo data: several weeks of believable survey traffic for ``cfbot demo``.

Everything made here is marked as demo data: visits have ``source="demo"``,
conversations carry ``context["demo"] = True``, SMS contacts have fictional numbers in
the 555-0100..555-0199 range and web-chat contacts ``demo-`` session ids. Seeding runs
once per database (the demo visits are the marker), and the same seed gives the same data.

Each conversation is played through the real flow engine with scripted replies, so
questions carry the exact wording the client saw in their language, parsed values are
what the parser makes of them and alerts fire from the flow's own rules. Rows are then
written through the models in a few batched flushes (a few thousand answers take seconds).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text as sql_text
from sqlmodel import Session, select

from cfbot.db import is_sqlite, unit_of_work
from cfbot.flows import engine
from cfbot.flows.events import AnswerRecorded, MsgOut
from cfbot.flows.model import Flow
from cfbot.models import (
    Alert,
    AlertEvent,
    Answer,
    Contact,
    Conversation,
    Invitation,
    Message,
    Visit,
)
from cfbot.runtime import Runtime
from cfbot.services.conversation import ensure_flow_version
from cfbot.services.sentiment import score

log = logging.getLogger(__name__)

DEMO_SOURCE = "demo"
DEFAULT_SEED = 20240521
LANGUAGES = ("en", "es", "so", "hmn", "vi")
LANGUAGE_WEIGHTS = (46, 24, 12, 9, 9)
AREA_CODES = ("612", "651", "763", "952", "507", "218", "320", "701", "715")
FALLBACK_SITES = ("northside", "southside")

NAMES = {
    "en": "Emma James Olivia Michael Ava Daniel Grace Tyler Chloe Brandon Megan Jordan",
    "es": "María José Lucía Carlos Guadalupe Juan Rosa Miguel Ana Luis Carmen Jorge",
    "so": "Hodan Abdi Faadumo Mohamed Ayaan Hassan Sahra Ahmed Khadra Yusuf Hibo Ali",
    "hmn": "Mai Tou Pa Xee Nou Kou Yer Chue Bao Fue Youa Pheng",
    "vi": "Linh Minh Hương Tuấn Lan Dũng Thảo Hùng Mai Phúc Trang Nam",
}

# Free-text replies by topic and language. Written for the demo, not real clients.
PRAISE = {
    "en": [
        "The nurse was so kind and explained everything. Thank you!",
        "Great visit, quick and friendly staff.",
        "Everyone was helpful and my kids felt comfortable.",
        "Very good service, I will come back.",
    ],
    "es": [
        "La enfermera fue muy amable y me explicó todo. ¡Gracias!",
        "Excelente servicio, muy rápido y amables.",
        "Todo muy bien, el personal fue muy atento.",
    ],
    "so": [
        "Kalkaaliyaha aad buu u wanaagsanaa, waad mahadsantihiin.",
        "Adeeg fiican, shaqaaluhu way naxariis badnaayeen.",
        "Aad baan ugu faraxsanahay booqashada.",
    ],
    "hmn": [
        "Tus kws saib mob zoo heev thiab piav txhua yam rau kuv. Ua tsaug!",
        "Kev pab zoo heev, cov neeg ua haujlwm siab zoo.",
        "Kuv txaus siab heev rau kev pab.",
    ],
    "vi": [
        "Y tá rất tốt bụng và giải thích mọi thứ. Cảm ơn!",
        "Dịch vụ rất tốt, nhân viên thân thiện.",
        "Tôi rất hài lòng, mọi người đều nhiệt tình.",
    ],
}
COMPLAINTS = {
    "wait": {
        "en": [
            "I waited over an hour past my appointment time.",
            "The wait was way too long and nobody told us why.",
        ],
        "es": [
            "Esperé más de una hora después de mi cita.",
            "La espera fue muy larga y nadie nos explicó nada.",
        ],
        "so": ["Waxaan sugay in ka badan saacad, aad bay u dheerayd."],
        "hmn": ["Kuv tos ntev dhau ib teev, tos ntev heev."],
        "vi": ["Tôi phải chờ hơn một tiếng, chờ quá lâu."],
    },
    "staff": {
        "en": [
            "The front desk was rude to me and my mother.",
            "Staff seemed annoyed and rushed us out.",
        ],
        "es": ["La recepcionista fue grosera conmigo.", "El personal fue muy grosero."],
        "so": ["Shaqaalaha miiska hore way edeb darraayeen."],
        "hmn": ["Tus neeg ua haujlwm tsis zoo rau kuv, hais lus phem."],
        "vi": ["Nhân viên lễ tân thô lỗ với tôi."],
    },
    "interpreter": {
        "en": ["There was no interpreter for my father, we had to use my phone."],
        "es": ["No había intérprete y no entendí lo que me dijeron."],
        "so": ["Turjubaan ma jirin, waxba ma fahmin."],
        "hmn": ["Tsis muaj neeg txhais lus, kuv tsis to taub."],
        "vi": ["Không có thông dịch viên, tôi không hiểu bác sĩ nói gì."],
    },
    "cost": {
        "en": ["I was surprised by a bill, I thought this was free."],
        "es": ["Me cobraron y pensé que era gratis. Muy caro."],
        "so": ["Lacag bay iga qaadeen, waxaan moodayay inay bilaash tahay."],
        "hmn": ["Lawv sau nqi kuv, kuv xav tias yog dawb. Kim dhau."],
        "vi": ["Tôi bị tính tiền, tôi tưởng là miễn phí. Quá đắt."],
    },
    "phones": {
        "en": ["Nobody answers the phone, I called five times to reschedule."],
        "es": ["Nadie contesta el teléfono, llamé cinco veces."],
        "so": ["Qofna telefoonka ma qabto, shan jeer baan soo wacay."],
        "hmn": ["Tsis muaj leej twg teb xov tooj, kuv hu tsib zaug."],
        "vi": ["Không ai nghe điện thoại, tôi gọi năm lần rồi."],
    },
}
VACCINE_MISSED = {
    "en": ["They ran out of the flu vaccine.", "My son's records were missing so no shots."],
    "es": ["Se les acabó la vacuna.", "No tenían la vacuna que necesitaba mi hija."],
    "so": ["Tallaalkii way ka dhammaadeen."],
    "hmn": ["Lawv tsis muaj tshuaj txhaj lawm."],
    "vi": ["Họ hết vắc-xin rồi."],
}
NEUTRAL = {
    "en": ["It was ok.", "Parking was hard to find but fine otherwise."],
    "es": ["Estuvo bien.", "Normal, nada especial."],
    "so": ["Waa caadi."],
    "hmn": ["Zoo li qub xwb."],
    "vi": ["Cũng bình thường."],
}
YES = {"en": "Yes", "es": "Sí", "so": "Haa", "hmn": "Yog", "vi": "Có"}
NO = {"en": "No", "es": "No", "so": "Maya", "hmn": "Tsis yog", "vi": "Không"}
SKIP = {"en": "SKIP", "es": "SALTAR", "so": "KA BOOD", "hmn": "HLA", "vi": "BỎ QUA"}
RESOLUTION_NOTES = [
    "Called the client, apologised for the wait and offered a priority appointment.",
    "Shared with the front-desk team at the weekly huddle; client called back.",
    "Arranged a phone interpreter for the next visit and noted it in the chart.",
    "Explained the sliding-fee scale; billing reversed the charge.",
    "Left a voicemail twice, no answer; closing.",
    "Vaccine restocked; client rebooked for Thursday.",
]
ACK_NOTES = ["Will call the client tomorrow.", "Looking into it with the site manager.", ""]
SKIP_REASONS = [
    ("opted_out", 3),
    ("unreachable: carrier reported the number unreachable (30003)", 2),
    ("no_phone", 1),
]


@dataclass
class SeedReport:
    """What a seeding run created (all zero when the data was already there)."""

    seeded: bool = False
    contacts: int = 0
    visits: int = 0
    invitations: int = 0
    conversations: int = 0
    messages: int = 0
    answers: int = 0
    alerts: int = 0

    def summary(self) -> str:
        if not self.seeded:
            return "demo data already present; nothing added"
        return (
            f"demo data: {self.conversations} conversations, {self.answers} answers, "
            f"{self.alerts} alerts, {self.invitations} invitations, {self.contacts} contacts"
        )


@dataclass
class _Played:
    """One conversation played through the engine, before it is stored."""

    flow: Flow
    contact: Contact
    channel: str
    lang: str
    site: str
    program: str | None
    context: dict[str, Any]
    started: datetime
    state: dict[str, Any] = field(default_factory=dict)
    status: str = "active"
    # (time, direction, text, kind, answer events answered by this message)
    messages: list[tuple[datetime, str, str, str, list[AnswerRecorded]]] = field(
        default_factory=list
    )
    fired_at: datetime | None = None
    conversation: Conversation | None = None


def already_seeded(session: Session) -> bool:
    """True when demo data is in the database (a demo visit is the marker)."""
    return (
        session.exec(select(Visit.id).where(Visit.source == DEMO_SOURCE).limit(1)).first()
        is not None
    )


@lru_cache(maxsize=4096)
def _score(text: str, lang: str, question: str) -> Any:
    return score(text, lang, question)


def _scorer(text: str, lang: str, question: str | None) -> Any:
    # the full result rides on the engine's AnswerRecorded event and is stored as is
    return _score(text, lang, question or "")


def _sites(rt: Runtime) -> list[tuple[str, dict[str, Any]]]:
    """(site key, site info) from routing.yaml beside the flows, else two sample sites."""
    try:
        from cfbot.services.routing import ROUTING_FILE, load_routing

        routing = load_routing(
            Path(rt.settings.conversations_dir) / ROUTING_FILE, rt.settings.timezone
        )
        found = [
            (key, {"name": site.name, "routing": routing}) for key, site in routing.sites.items()
        ]
    except Exception:  # a broken routing file must not stop the demo
        log.warning("demo data: routing file unusable; using sample sites", exc_info=True)
        found = []
    return found or [(key, {"name": key.title(), "routing": None}) for key in FALLBACK_SITES]


def seed_demo_data(
    rt: Runtime,
    *,
    weeks: int = 8,
    visits_per_week: int = 90,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
) -> SeedReport:
    """Add ``weeks`` of demo traffic ending at ``now`` unless demo data is already there."""
    now = now or rt.now()
    flows = [f for f in (rt.flows.get("clinic_visit"), rt.flows.get("immunization_clinic")) if f]
    if not flows:
        flows = rt.flows.all()[:2]
    if not flows:
        log.warning("demo data: no flows loaded; nothing seeded")
        return SeedReport()
    with unit_of_work(rt.engine) as session:
        if not is_sqlite(session):
            # two demo processes starting together seed once
            session.execute(sql_text("SELECT pg_advisory_xact_lock(4242001)"))
        if already_seeded(session):
            return SeedReport()
        builder = _Builder(rt, session, random.Random(seed), now, flows, _sites(rt))
        return builder.run(weeks, visits_per_week)


class _Builder:
    def __init__(
        self,
        rt: Runtime,
        session: Session,
        rng: random.Random,
        now: datetime,
        flows: list[Flow],
        sites: list[tuple[str, dict[str, Any]]],
    ) -> None:
        self.rt = rt
        self.session = session
        self.rng = rng
        self.now = now
        self.flows = flows
        self.sites = sites
        self.zone = ZoneInfo(rt.settings.timezone)
        self.versions = {
            f.id: ensure_flow_version(session, f, now - timedelta(weeks=9)) for f in flows
        }
        self.report = SeedReport(seeded=True)
        self.phones: dict[str, Contact] = {}
        self.last_started: dict[str, datetime] = {}
        self.open_contacts: set[str] = set()
        self.phone_pool = [f"+1{area}5550{n:03d}" for area in AREA_CODES for n in range(100, 200)]
        self.webchat_count = 0

    # -- plan ------------------------------------------------------------------

    def run(self, weeks: int, per_week: int) -> SeedReport:
        rng = self.rng
        start = self.now - timedelta(weeks=weeks)
        total = weeks * per_week
        moments = sorted(self._clinic_time(start, rng) for _ in range(total))
        played: list[_Played] = []
        invitations: list[tuple[Visit, Invitation, _Played | None]] = []
        for n, visited in enumerate(moments):
            flow = self.flows[0] if rng.random() < 0.6 or len(self.flows) == 1 else self.flows[1]
            site, info = rng.choice(self.sites)
            lang = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
            if lang not in flow.languages:
                lang = flow.languages[0]
            program = self._program(flow, rng)
            first_name = rng.choice(NAMES.get(lang, NAMES["en"]).split())
            context: dict[str, Any] = {"first_name": first_name, "site": info["name"], "demo": True}
            if rng.random() < 0.25:
                # a web-chat survey: the client opened the chat page, no visit or invitation
                self.webchat_count += 1
                contact = self._contact(None, lang, first_name, visited)
                begun = visited + timedelta(minutes=rng.randint(20, 600))
                if begun > self.now:
                    continue
                played.append(
                    self._play(flow, contact, "webchat", lang, site, program, context, begun)
                )
                continue
            send_at = self._send_at(visited, flow)
            if send_at > self.now:
                continue  # the scheduler would send it for real: leave the future alone
            phone = rng.choice(self.phone_pool)
            contact = self._contact(phone, lang, first_name, visited)
            visit = Visit(
                source=DEMO_SOURCE,
                external_id=f"demo-{n:05d}",
                contact_id=-1,
                phone=phone,
                visited_at=visited,
                site=site,
                program=program,
                language=lang,
                first_name=first_name,
                flow_id=flow.id,
                created_at=visited + timedelta(minutes=5),
            )
            inv = Invitation(
                visit_id=-1,
                contact_id=-1,
                flow_id=flow.id,
                status="sent",
                send_at=send_at,
                created_at=visited + timedelta(minutes=5),
                updated_at=send_at,
            )
            reason = self._skip_reason(contact, phone, flow, send_at)
            if reason:
                inv.status, inv.reason = "skipped", reason
                invitations.append((visit, inv, None))
                continue
            inv.sent_at = send_at
            conv = self._play(flow, contact, "sms", lang, site, program, context, send_at)
            invitations.append((visit, inv, conv))
            played.append(conv)
        self._store(played, invitations)
        return self.report

    def _clinic_time(self, start: datetime, rng: random.Random) -> datetime:
        """A moment in clinic hours (weekdays 8:00-17:00 local, some Saturdays)."""
        span = (self.now - start).days
        while True:
            day = (start + timedelta(days=rng.randrange(max(span, 1)))).astimezone(self.zone).date()
            if day.weekday() == 6 or (day.weekday() == 5 and rng.random() < 0.7):
                continue
            clock = time(rng.randint(8, 16), rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))
            return datetime.combine(day, clock, tzinfo=self.zone).astimezone(self.now.tzinfo)

    def _send_at(self, visited: datetime, flow: Flow) -> datetime:
        delay = (flow.invitation.delay if flow.invitation else None) or timedelta(hours=2)
        send = visited + delay
        local = send.astimezone(self.zone)
        if local.hour >= 21:  # quiet hours: the next morning
            send = datetime.combine(local.date() + timedelta(days=1), time(8, 5), tzinfo=self.zone)
        return send.astimezone(self.now.tzinfo)

    @staticmethod
    def _program(flow: Flow, rng: random.Random) -> str | None:
        if "immuniz" in flow.id:
            return "immunizations"
        return rng.choices(["wic", "immunizations", "family_planning", None], [4, 3, 2, 2])[0]

    def _contact(self, phone: str | None, lang: str, first_name: str, at: datetime) -> Contact:
        if phone is not None and phone in self.phones:
            return self.phones[phone]
        contact = Contact(language=lang, first_name=first_name, created_at=at, updated_at=at)
        if phone is None:
            contact.webchat_id = f"demo-{self.webchat_count:05d}"
        else:
            contact.phone = phone
            roll = self.rng.random()
            if roll < 0.03:
                contact.opted_out, contact.opted_out_at = True, at - timedelta(days=3)
            elif roll < 0.05:
                contact.unreachable = True
                contact.unreachable_reason = "carrier reported the number unreachable (30003)"
            self.phones[phone] = contact
        self.session.add(contact)
        self.report.contacts += 1
        return contact

    def _skip_reason(self, contact: Contact, phone: str, flow: Flow, send_at: datetime) -> str:
        if contact.opted_out:
            return "opted_out"
        if contact.unreachable:
            return f"unreachable: {contact.unreachable_reason}"
        if phone in self.open_contacts:
            return "busy: contact in survey"
        cap = (flow.invitation.frequency_cap if flow.invitation else None) or timedelta(days=30)
        last = self.last_started.get(phone)
        if last is not None and send_at - last < cap:
            return f"frequency_cap: last survey started {last:%Y-%m-%d %H:%M}Z"
        return ""

    # -- play ------------------------------------------------------------------

    def _play(
        self,
        flow: Flow,
        contact: Contact,
        channel: str,
        lang: str,
        site: str,
        program: str | None,
        context: dict[str, Any],
        begun: datetime,
    ) -> _Played:
        rng = self.rng
        played = _Played(flow, contact, channel, lang, site, program, dict(context), begun)
        if contact.phone:
            self.last_started[contact.phone] = begun
        mood = rng.choices(["happy", "neutral", "unhappy"], [62, 22, 16])[0]
        complaint = rng.choice(list(COMPLAINTS))
        # how far the client gets: most finish, some never answer, some stop midway
        roll = rng.random()
        answers_wanted = 99 if roll < 0.78 else (0 if roll < 0.88 else rng.randint(1, 2))
        engine_ctx = {k: str(v) for k, v in context.items() if k != "demo"}
        sprint = engine.start(flow, begun, lang=lang, context=engine_ctx)
        t = begun
        self._take(played, sprint, t, None)
        given = 0
        while engine.is_active(sprint.state) and given < answers_wanted:
            t += timedelta(seconds=rng.randint(25, 400))
            if t > self.now:
                break
            question = flow.question(sprint.state["current"])
            reply = self._reply(question, lang, mood, complaint, flow)
            sprint = engine.resume(flow, sprint.state, reply, t, scorer=_scorer)
            self._take(played, sprint, t, reply)
            given += 1
        # let the timers run (reminder, then expiry) up to now
        while engine.is_active(sprint.state):
            due = engine.next_timer(sprint.state)
            if due is None or due > self.now:
                break
            sprint = engine.resume(flow, sprint.state, None, due, scorer=_scorer)
            self._take(played, sprint, due, None)
        played.state = dict(sprint.state)
        played.status = engine.state_status(sprint.state)
        if played.status == "active" and contact.phone:
            self.open_contacts.add(contact.phone)
        return played

    def _take(self, played: _Played, sprint: Any, at: datetime, reply: str | None) -> None:
        answered = [e for e in sprint.events if isinstance(e, AnswerRecorded)]
        if reply is not None:
            played.messages.append((at, "in", reply, "text", answered))
        for i, event in enumerate(e for e in sprint.events if isinstance(e, MsgOut)):
            played.messages.append(
                (at + timedelta(seconds=1 + i), "out", event.text, event.kind, [])
            )
        if played.fired_at is None and engine.evaluate_alerts(played.flow, sprint.state):
            played.fired_at = at

    def _reply(self, question: Any, lang: str, mood: str, complaint: str, flow: Flow) -> str:
        rng = self.rng
        kind = question.type
        if kind == "rating":
            low, high = question.min or 1, question.max or 5
            weights = {
                "happy": [0, 0, 1, 4, 8],
                "neutral": [1, 2, 6, 3, 1],
                "unhappy": [6, 4, 2, 0, 0],
            }[mood]
            return str(rng.choices(range(low, high + 1), _fit(weights, high - low + 1))[0])
        if kind == "nps":
            weights = {
                "happy": [0, 0, 0, 0, 0, 0, 0, 1, 3, 5, 8],
                "neutral": [0, 0, 1, 1, 2, 3, 4, 4, 3, 1, 1],
                "unhappy": [4, 3, 3, 3, 2, 2, 1, 1, 0, 0, 0],
            }[mood]
            return str(rng.choices(range(0, 11), weights)[0])
        if kind == "choice":
            return str(rng.randint(1, max(1, len(question.choices))))
        if kind == "yesno":
            return NO[lang] if mood == "unhappy" and rng.random() < 0.6 else YES[lang]
        if kind == "text":
            if question.optional and rng.random() < (0.45 if mood == "happy" else 0.2):
                return SKIP[lang]
            if question.id in ("why_not",):
                return rng.choice(VACCINE_MISSED[lang])
            if mood == "unhappy" or question.id in ("what_went_wrong",):
                return rng.choice(COMPLAINTS[complaint][lang])
            if mood == "neutral":
                return rng.choice(NEUTRAL[lang])
            return rng.choice(PRAISE[lang])
        return "ok"

    # -- store -----------------------------------------------------------------

    def _store(
        self,
        played: list[_Played],
        invitations: list[tuple[Visit, Invitation, _Played | None]],
    ) -> None:
        session = self.session
        session.flush()  # contacts get their ids
        for visit, _, _ in invitations:
            visit.contact_id = self.phones[visit.phone].id  # type: ignore[assignment]  # id is None only before the row is flushed
            session.add(visit)
        for p in played:
            closed = p.status != "active"
            last_at = p.messages[-1][0] if p.messages else p.started
            conv = Conversation(
                contact_id=p.contact.id,  # type: ignore[arg-type]  # id is None only before the row is flushed
                flow_id=p.flow.id,
                flow_version_id=self.versions[p.flow.id].id,  # type: ignore[arg-type]  # id is None only before the row is flushed
                channel=p.channel,
                language=str(p.state.get("lang", p.lang)),
                status=p.status,
                state=p.state,
                context=p.context,
                site=p.site,
                program=p.program,
                open_key=None if closed else p.contact.id,
                started_at=p.started,
                updated_at=last_at,
                completed_at=last_at if closed else None,
                expires_at=engine.expires_at(p.state),
                next_wake_at=None if closed else engine.next_timer(p.state),
            )
            p.conversation = conv
            session.add(conv)
        session.flush()  # conversations and visits get their ids
        for visit, inv, invited in invitations:
            inv.contact_id = visit.contact_id
            inv.visit_id = visit.id  # type: ignore[assignment]  # id is None only before the row is flushed
            if invited is not None and invited.conversation is not None:
                inv.conversation_id = invited.conversation.id
            session.add(inv)
        self.report.visits = self.report.invitations = len(invitations)
        self.report.conversations = len(played)
        answers: list[tuple[Message, AnswerRecorded, _Played]] = []
        for p in played:
            assert p.conversation is not None
            conv = p.conversation
            address = p.contact.phone or p.contact.webchat_id or ""
            for at, direction, body, kind, recorded in p.messages:
                msg = Message(
                    contact_id=p.contact.id,
                    conversation_id=conv.id,
                    direction=direction,
                    channel=p.channel,
                    address=address,
                    body=body,
                    kind=kind,
                    status="processed" if direction == "in" else "sent",
                    created_at=at,
                    processed_at=at if direction == "in" else None,
                    sent_at=at if direction == "out" else None,
                    segments=1 if direction == "out" and p.channel == "sms" else None,
                )
                session.add(msg)
                answers.extend((msg, event, p) for event in recorded)
                self.report.messages += 1
        session.flush()  # messages get their ids
        for msg, event, p in answers:
            session.add(self._answer(msg, event, p))
        self.report.answers = len(answers)
        self._alerts(played)
        session.flush()
        log.info("%s", self.report.summary())

    def _answer(self, msg: Message, event: AnswerRecorded, p: _Played) -> Answer:
        conv = p.conversation
        assert conv is not None and conv.id is not None
        question = p.flow.question(event.question_id)
        qtype = question.type if question is not None else ""
        value = event.value
        row = Answer(
            conversation_id=conv.id,
            contact_id=conv.contact_id,
            flow_id=p.flow.id,
            flow_version_id=conv.flow_version_id,
            question_id=event.question_id,
            question_type=qtype,
            question_text=event.question_text,
            raw_text=event.raw,
            value_text=None if value is None else str(value),
            value_number=float(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else None,
            language=event.language,
            skipped=event.skipped,
            message_id=msg.id,
            created_at=msg.created_at,
        )
        if event.sentiment is not None and not event.skipped:
            row.sentiment = event.sentiment.score
            row.sentiment_method = event.sentiment.method
            row.needs_review = event.sentiment.needs_review
        return row

    def _alerts(self, played: list[_Played]) -> None:
        rng = self.rng
        pending: list[tuple[Alert, list[tuple[datetime, str, str, str]]]] = []
        for p in played:
            rules = engine.evaluate_alerts(p.flow, p.state)
            if not rules or p.fired_at is None or p.conversation is None:
                continue
            conv = p.conversation
            created = p.fired_at
            reasons: list[dict[str, Any]] = [
                {
                    "key": f"{conv.id}:rule:{rule.index}",
                    "reason": rule.reason or rule.source,
                    "severity": rule.severity,
                    "source": rule.source,
                    "conversation_id": conv.id,
                    "at": created.isoformat(),
                }
                for rule in rules
            ]
            severity = "high" if any(r["severity"] == "high" for r in reasons) else "normal"
            staff = self._staff(p.site)
            alert = Alert(
                kind="dissatisfaction",
                severity=severity,
                reason="; ".join(dict.fromkeys(r["reason"] for r in reasons)),
                rule_source="; ".join(dict.fromkeys(r["source"] for r in reasons)),
                details={"reasons": reasons, "conversations": [conv.id], "demo": True},
                conversation_id=conv.id,
                contact_id=conv.contact_id,
                flow_id=conv.flow_id,
                site=conv.site,
                program=conv.program,
                status="open",
                created_at=created,
                updated_at=created,
                escalate_at=created + timedelta(days=1),
            )
            events = [(created, "system", "created", alert.reason)]
            age = self.now - created
            roll = rng.random()
            resolved_share, ack_share = (0.6, 0.25) if age > timedelta(days=14) else (0.3, 0.3)
            if roll < resolved_share + ack_share and age > timedelta(hours=3):
                acked = created + timedelta(minutes=rng.randint(20, 60 * 20))
                acked = min(acked, self.now - timedelta(minutes=5))
                note = rng.choice(ACK_NOTES)
                alert.status = "acknowledged"
                alert.acknowledged_at, alert.acknowledged_by = acked, staff
                alert.updated_at = acked
                events.append((acked, staff, "acknowledged", note))
                if roll < resolved_share:
                    done = min(acked + timedelta(hours=rng.randint(1, 72)), self.now)
                    note = rng.choice(RESOLUTION_NOTES)
                    alert.status = "resolved"
                    alert.resolved_at, alert.resolved_by = done, staff
                    alert.resolution_note = note
                    alert.updated_at = done
                    events.append((done, staff, "resolved", note))
            if alert.status == "open" and alert.escalate_at and alert.escalate_at <= self.now:
                alert.escalated_at = alert.escalate_at
                events.append((alert.escalate_at, "system", "escalated", ""))
            self.session.add(alert)
            pending.append((alert, events))
        self.session.flush()
        for alert, events in pending:
            for at, actor, action, note in events:
                self.session.add(
                    AlertEvent(
                        alert_id=alert.id,  # type: ignore[arg-type]  # set by the flush above
                        at=at,
                        actor=actor,
                        action=action,
                        note=note,
                    )
                )
        self.report.alerts = len(pending)

    def _staff(self, site: str) -> str:
        for key, info in self.sites:
            routing = info.get("routing")
            if key == site and routing is not None:
                staff = routing.staff_for(site, None)
                if staff:
                    return staff[0]
        return "feedback@example.org"


def _fit(weights: list[int], size: int) -> list[int]:
    """Stretch a 5-point weight list to a scale of ``size`` points."""
    if size == len(weights):
        return weights
    return [weights[min(len(weights) - 1, i * len(weights) // size)] for i in range(size)] or [1]
