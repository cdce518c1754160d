"""Visit intake (API and CSV): validate, normalise, store visits and their invitations.

Each item is validated on its own; invalid items are rejected with reasons per field and
never stored, valid ones are stored. A batch of valid items is one transaction: either
all of its visits (with contacts and invitations) are stored or none are.

``(source, external_id)`` identifies a visit: sending it again returns the stored visit
(status ``duplicate``), whether the repeat is in the same batch or a later one. CSV rows
without an ``external_id`` get one derived from phone, time and site, so a repeated row
or a re-run of the same file after a crash adds nothing twice.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.exc import DataError, IntegrityError, ProgrammingError
from sqlmodel import Session, col, select

from cfbot.db import unit_of_work
from cfbot.flows.model import Flow
from cfbot.i18n import SUPPORTED_LANGUAGES
from cfbot.models import Contact, Visit
from cfbot.phones import to_e164
from cfbot.runtime import Runtime
from cfbot.services.invitations import flow_for_site, known_sites, new_invitation
from cfbot.services.timing import zone_or_none
from cfbot.services.visit_links import link_url, new_link
from cfbot.text import unstorable

log = logging.getLogger(__name__)

MAX_API_ITEMS = 1000
CSV_BATCH = 1000
FIELDS = (
    "phone",
    "visited_at",
    "site",
    "program",
    "language",
    "first_name",
    "flow",
    "external_id",
    "timezone",
    "channel",
)
# how an invitation reaches the client; a WhatsApp number is its own contact
CHANNELS = ("sms", "whatsapp")
REQUIRED = ("phone", "visited_at", "site")
LIMITS = {"site": 100, "program": 100, "first_name": 100, "external_id": 200, "flow": 100}
# a visit "in the future" by less than this is clock skew between systems, not an error
FUTURE_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of one item."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass
class VisitIn:
    """A validated, normalised visit ready to store."""

    phone: str
    visited_at: datetime
    site: str
    flow: Flow
    source: str
    external_id: str | None = None
    program: str | None = None
    language: str | None = None
    first_name: str | None = None
    timezone: str | None = None
    channel: str = "sms"


@dataclass
class ItemResult:
    """The outcome for one item: ``created``, ``duplicate`` or ``rejected``."""

    index: int
    status: str
    errors: list[FieldError] = field(default_factory=list)
    visit_id: int | None = None
    invitation_id: int | None = None
    invitation_status: str | None = None
    send_at: datetime | None = None
    reason: str | None = None
    link: str | None = None  # the visit's survey link (cfbot.services.visit_links)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.errors:
            out["errors"] = [e.as_dict() for e in self.errors]
        if self.visit_id is not None:
            out["visit_id"] = self.visit_id
        if self.invitation_id is not None:
            out["invitation"] = {
                "id": self.invitation_id,
                "status": self.invitation_status,
                "send_at": self.send_at.isoformat() if self.send_at else None,
                "reason": self.reason,
            }
        if self.link is not None:
            out["link"] = self.link
        return out


# --------------------------------------------------------------------------- validation


def parse_visited_at(
    raw: str, zone_name: str | None, assume_zone: str | None
) -> tuple[datetime | None, str | None]:
    """An aware UTC datetime from ISO 8601 text, or an error message.

    A time without an offset is only accepted when the visit's ``timezone`` (or the
    importer's ``--assume-timezone``) says which zone it is in; a date alone is refused.
    """
    text = raw.strip()
    if len(text) <= 10:
        return None, "needs a date and a time, e.g. 2025-03-01T14:30:00-06:00"
    try:
        value = datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        spreadsheet = _spreadsheet_time(text)
        if spreadsheet is None:
            return None, "not an ISO 8601 date-time, e.g. 2025-03-01T14:30:00-06:00"
        value = spreadsheet
    if value.tzinfo is None:
        zone = zone_or_none(zone_name) or zone_or_none(assume_zone)
        if zone is None:
            return None, ("has no time zone: add an offset (e.g. -06:00 or Z) or a timezone field")
        value = value.replace(tzinfo=zone)
    try:
        return value.astimezone(UTC), None
    except (OverflowError, ValueError):
        # year 1 with a positive offset or year 9999 with a negative one leaves the range
        return None, "is out of range (years 1 to 9999 in UTC)"


# US spreadsheet exports: 11/30/2026 2:30 PM, 11/30/2026 14:30, with or without seconds
SPREADSHEET_FORMATS = tuple(
    f"{date} {clock}"
    for date in ("%m/%d/%Y", "%m/%d/%y")
    for clock in ("%I:%M %p", "%I:%M:%S %p", "%H:%M", "%H:%M:%S")
)


def _spreadsheet_time(text: str) -> datetime | None:
    """A month/day/year time as spreadsheets write it (no zone), or None."""
    compact = " ".join(text.upper().replace(".", "").split())
    for fmt in SPREADSHEET_FORMATS:
        try:
            return datetime.strptime(compact, fmt)
        except ValueError:
            continue
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def validate_visit(
    rt: Runtime,
    raw: Any,
    now: datetime,
    *,
    source: str,
    assume_zone: str | None = None,
    strict_fields: bool = True,
    sites: set[str] | None = None,
) -> tuple[VisitIn | None, list[FieldError]]:
    """Check one visit; returns the normalised visit or the list of what is wrong."""
    if not isinstance(raw, Mapping):
        return None, [FieldError("", "each visit must be a JSON object")]
    errors: list[FieldError] = []
    if strict_fields:
        for key in raw:
            if key not in FIELDS:
                errors.append(FieldError(str(key), "unknown field"))
    values: dict[str, str | None] = {}
    for name in FIELDS:
        value = raw.get(name)
        text = _text(value)
        if value is not None and text is None and not (isinstance(value, str)):
            errors.append(FieldError(name, "must be a string"))
        if text is not None and name in LIMITS and len(text) > LIMITS[name]:
            errors.append(FieldError(name, f"longer than {LIMITS[name]} characters"))
        if text is not None and (problem := unstorable(text)):
            errors.append(FieldError(name, problem))
            text = None
        values[name] = text
    for name in REQUIRED:
        if values[name] is None and not any(e.field == name for e in errors):
            errors.append(FieldError(name, "is required"))

    phone = None
    if values["phone"]:
        phone = to_e164(values["phone"], rt.settings.default_region, strict=True)
        if phone is None:
            errors.append(FieldError("phone", "is not a valid phone number"))
    tz_name = values["timezone"]
    if tz_name and zone_or_none(tz_name) is None:
        errors.append(
            FieldError("timezone", f"unknown time zone {tz_name!r} (use e.g. America/Chicago)")
        )
        tz_name = None
    visited_at = None
    if values["visited_at"]:
        visited_at, problem = parse_visited_at(values["visited_at"], tz_name, assume_zone)
        if problem:
            errors.append(FieldError("visited_at", problem))
        elif visited_at is not None:
            if visited_at > now + FUTURE_SKEW:
                errors.append(FieldError("visited_at", "is in the future"))
            elif visited_at < now - timedelta(days=rt.settings.visit_max_age_days):
                errors.append(
                    FieldError(
                        "visited_at",
                        f"is more than {rt.settings.visit_max_age_days:g} days ago "
                        "(CFBOT_VISIT_MAX_AGE_DAYS)",
                    )
                )
    site = values["site"].lower() if values["site"] else None
    if site is not None:
        known = known_sites(rt) if sites is None else sites
        if known and site not in known:
            errors.append(FieldError("site", f"unknown site {values['site']!r}"))
            site = None  # no point looking for its flow
    language = values["language"].lower() if values["language"] else None
    if language is not None and language not in SUPPORTED_LANGUAGES:
        errors.append(
            FieldError(
                "language", f"unsupported language (use one of {', '.join(SUPPORTED_LANGUAGES)})"
            )
        )
    channel = (values["channel"] or "sms").lower()
    if channel not in CHANNELS:
        errors.append(FieldError("channel", f"unknown channel (use one of {', '.join(CHANNELS)})"))
    flow: Flow | None = None
    if values["flow"]:
        flow = rt.flows.get(values["flow"])
        if flow is None:
            errors.append(FieldError("flow", f"unknown flow {values['flow']!r}"))
        elif site and flow.sites and site not in {s.lower() for s in flow.sites}:
            errors.append(FieldError("flow", f"flow {flow.id!r} is not used at site {site!r}"))
    elif site is not None:
        flow = flow_for_site(rt, site)
        if flow is None:
            errors.append(
                FieldError("flow", "no flow for this site: give flow or set CFBOT_DEFAULT_FLOW")
            )
    if errors:
        return None, errors
    assert phone and visited_at and site and flow
    return (
        VisitIn(
            phone=phone,
            visited_at=visited_at,
            site=site,
            flow=flow,
            source=source,
            external_id=values["external_id"],
            program=values["program"],
            language=language,
            first_name=values["first_name"],
            timezone=tz_name,
            channel=channel,
        ),
        [],
    )


# --------------------------------------------------------------------------- storing


def store_visits(rt: Runtime, items: list[tuple[int, VisitIn]], now: datetime) -> list[ItemResult]:
    """Store validated visits in ONE transaction (all or nothing); repeats of a stored
    ``(source, external_id)`` come back as ``duplicate``. Retries on a concurrent insert."""
    for attempt in range(3):
        try:
            with unit_of_work(rt.engine) as session:
                return _store(rt, session, items, now)
        except IntegrityError:
            # another request stored the same visit or contact at the same moment:
            # run again, and the repeat is found as a duplicate
            if attempt == 2:
                raise
            log.info("visit batch raced a concurrent insert; retrying")
    raise AssertionError("unreachable")  # pragma: no cover


def _store(
    rt: Runtime, session: Session, items: list[tuple[int, VisitIn]], now: datetime
) -> list[ItemResult]:
    results: list[ItemResult] = []
    if session.get_bind().dialect.name == "postgresql":
        # psycopg prepares statements run often; a generic plan for "IN (500 values)"
        # can pick a sequential scan, which makes big imports slower as tables grow
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    keyed = {(v.source, v.external_id) for _, v in items if v.external_id}
    existing: dict[tuple[str, str], Visit] = {}
    by_source: dict[str, list[str]] = {}
    for source, ext in keyed:
        by_source.setdefault(source, []).append(ext)
    for source, ids in by_source.items():
        for chunk in _chunks(ids, 500):
            for row in session.exec(
                select(Visit).where(Visit.source == source, col(Visit.external_id).in_(chunk))
            ).all():
                existing[(row.source, row.external_id)] = row  # type: ignore[index]  # SQLModel types external_id as optional; the query filters on it
    # contacts by (channel, phone): a WhatsApp number is a contact apart from its SMS twin
    contacts: dict[tuple[str, str], Contact] = {}
    for channel, column in (("sms", Contact.phone), ("whatsapp", Contact.whatsapp)):
        phones = sorted({v.phone for _, v in items if v.channel == channel})
        for chunk in _chunks(phones, 500):
            for contact in session.exec(select(Contact).where(col(column).in_(chunk))).all():
                address = contact.whatsapp if channel == "whatsapp" else contact.phone
                contacts[(channel, address or "")] = contact
    fresh: list[tuple[ItemResult, VisitIn, Visit]] = []
    seen: dict[tuple[str, str], ItemResult] = {}
    repeats: list[tuple[ItemResult, ItemResult]] = []
    for index, v in items:
        key = (v.source, v.external_id) if v.external_id else None
        if key is not None and key in existing:
            results.append(ItemResult(index=index, status="duplicate", visit_id=existing[key].id))
            continue
        if key is not None and key in seen:
            repeat = ItemResult(
                index=index,
                status="duplicate",
                reason=f"same external_id as item {seen[key].index}",
            )
            repeats.append((repeat, seen[key]))
            results.append(repeat)
            continue
        known = contacts.get((v.channel, v.phone))
        if known is None:
            contact = Contact(created_at=now, updated_at=now, language=v.language or "en")
            if v.channel == "whatsapp":
                contact.whatsapp = v.phone
            else:
                contact.phone = v.phone
            session.add(contact)
            contacts[(v.channel, v.phone)] = contact
        else:
            contact = known
        _update_contact(contact, v, now)
        # contact_id is filled in after the flush below gives new contacts their ids
        visit = Visit(  # type: ignore[call-arg]  # contact_id is filled in after the flush below
            source=v.source,
            external_id=v.external_id,
            phone=v.phone,
            visited_at=v.visited_at,
            site=v.site,
            program=v.program,
            language=v.language,
            first_name=v.first_name,
            flow_id=v.flow.id,
            timezone=v.timezone,
            channel=v.channel if v.channel != "sms" else None,
            created_at=now,
        )
        result = ItemResult(index=index, status="created")
        fresh.append((result, v, visit))
        results.append(result)
        if key is not None:
            seen[key] = result
    session.flush()  # contacts get ids
    for _, v, visit in fresh:
        visit.contact_id = contacts[(v.channel, v.phone)].id  # type: ignore[assignment]  # id is None only before the row is flushed
        session.add(visit)
    session.flush()  # visits get ids
    invitations = []
    for result, v, visit in fresh:
        inv = new_invitation(rt, visit, contacts[(v.channel, v.phone)], v.flow, now)
        session.add(inv)
        link = new_link(rt, visit, v.flow, now)
        session.add(link)
        result.link = link_url(rt, link.code)
        invitations.append((result, visit, inv))
    session.flush()
    for result, visit, inv in invitations:
        result.visit_id = visit.id
        result.invitation_id = inv.id
        result.invitation_status = inv.status
        result.send_at = inv.send_at
        result.reason = inv.reason
    for repeat, first in repeats:
        repeat.visit_id = first.visit_id
    return results


def _update_contact(contact: Contact, v: VisitIn, now: datetime) -> None:
    # the latest visit knows the client best; opt-out state is never touched here
    changed = False
    for attr, value in (
        ("first_name", v.first_name),
        ("language", v.language),
        ("timezone", v.timezone),
    ):
        if value and getattr(contact, attr) != value:
            setattr(contact, attr, value)
            changed = True
    if changed:
        contact.updated_at = now


def _chunks(values: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def intake(
    rt: Runtime, raws: list[Any], *, source: str = "api", now: datetime | None = None
) -> list[ItemResult]:
    """Validate and store a list of visits (the API). Results are in input order."""
    now = now or rt.now()
    sites = known_sites(rt)
    valid: list[tuple[int, VisitIn]] = []
    rejected: dict[int, ItemResult] = {}
    for index, raw in enumerate(raws):
        visit, errors = validate_visit(rt, raw, now, source=source, sites=sites)
        if visit is None:
            rejected[index] = ItemResult(index=index, status="rejected", errors=errors)
        else:
            valid.append((index, visit))
    stored = {r.index: r for r in _store_each_on_failure(rt, valid, now)} if valid else {}
    return [rejected.get(i) or stored[i] for i in range(len(raws))]


def _store_each_on_failure(
    rt: Runtime, valid: list[tuple[int, VisitIn]], now: datetime
) -> list[ItemResult]:
    """Store the batch at once; if the database refuses it, store item by item so one
    bad item is rejected on its own and the good ones are kept."""
    try:
        return store_visits(rt, valid, now)
    except (DataError, IntegrityError, ProgrammingError) as exc:
        if len(valid) == 1:
            log.warning("visit %d refused by the database: %s", valid[0][0], type(exc).__name__)
            return [
                ItemResult(
                    index=valid[0][0],
                    status="rejected",
                    errors=[FieldError("", "the database refused this visit")],
                )
            ]
        log.warning("visit batch refused by the database; storing one visit at a time")
    results: list[ItemResult] = []
    for item in valid:
        results.extend(_store_each_on_failure(rt, [item], now))
    return results


# --------------------------------------------------------------------------- CSV


class CsvFileError(ValueError):
    """The file as a whole cannot be imported (encoding, header, size)."""


@dataclass
class CsvRowError:
    """A rejected row: its line number in the file (header = 1) and the reasons."""

    row: int
    errors: list[FieldError]

    def format(self) -> str:
        why = "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in self.errors)
        return f"row {self.row}: {why}"


@dataclass
class CsvReport:
    """Outcome of one CSV import."""

    rows: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: list[CsvRowError] = field(default_factory=list)
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)


def decode_csv(data: bytes) -> tuple[str, str, list[str]]:
    """Text of a CSV export, the encoding used, and notes for the user.

    UTF-8 (with or without BOM) and UTF-16 with BOM are read as such; anything else that
    is not valid UTF-8 is read as Windows-1252 (what Excel writes on Windows) with a note,
    since the bytes cannot tell us for sure.
    """
    notes: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig", notes
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16", notes
    try:
        return data.decode("utf-8"), "utf-8", notes
    except UnicodeDecodeError as exc:
        where = data[: exc.start].count(b"\n") + 1
        try:
            text = data.decode("cp1252")
            encoding = "cp1252"
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            encoding = "latin-1"
        notes.append(
            f"the file is not UTF-8 (first bad byte on line {where}); read it as "
            f"{encoding} (Windows/Excel). Check accented names, or save as "
            "'CSV UTF-8' and import again."
        )
        return text, encoding, notes


# header names spreadsheets use for our columns (after lower-casing, spaces -> "_")
HEADER_ALIASES = {
    "phone_number": "phone",
    "mobile": "phone",
    "mobile_phone": "phone",
    "cell": "phone",
    "cell_phone": "phone",
    "visit_date": "visited_at",
    "visit_time": "visited_at",
    "visit_date_time": "visited_at",
    "visit_datetime": "visited_at",
    "date_of_visit": "visited_at",
    "clinic": "site",
    "location": "site",
    "first": "first_name",
    "firstname": "first_name",
    "preferred_language": "language",
    "lang": "language",
    "visit_id": "external_id",
    "encounter_id": "external_id",
    "time_zone": "timezone",
}


def _header_map(header: list[str]) -> tuple[dict[str, int], list[str]]:
    mapping: dict[str, int] = {}
    notes: list[str] = []
    for i, name in enumerate(header):
        key = "_".join(name.lstrip("\ufeff").strip().lower().replace("-", " ").split())
        key = HEADER_ALIASES.get(key, key)
        if key in FIELDS and key not in mapping:
            mapping[key] = i
        elif key:
            notes.append(f"column {name!r} is not used")
    return mapping, notes


def import_csv(
    rt: Runtime,
    stream: IO[bytes],
    *,
    source: str = "csv",
    assume_zone: str | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = CSV_BATCH,
) -> CsvReport:
    """Import visits from a CSV export (header row with the API's field names).

    Rows are validated one by one (rejected rows are reported with their line number and
    reasons) and valid rows are stored in batches of ``batch_size``, each batch one
    transaction: a crash leaves whole batches only, and running the same file again
    stores just the rest (every row has an ``external_id``, given or derived), so the
    import is never half-done once it has finished. ``dry_run`` validates only.
    """
    now = now or rt.now()
    data = stream.read()
    text, encoding, notes = decode_csv(data)
    report = CsvReport(encoding=encoding, notes=notes)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise CsvFileError("the file is empty") from exc
    except csv.Error as exc:
        raise CsvFileError(f"cannot read the header row: {exc}") from exc
    mapping, header_notes = _header_map(header)
    report.notes.extend(header_notes)
    missing = [name for name in REQUIRED if name not in mapping]
    if missing:
        raise CsvFileError(
            f"missing column(s) {', '.join(missing)}; the header must name "
            f"{', '.join(REQUIRED)} (optional: {', '.join(f for f in FIELDS if f not in REQUIRED)})"
        )
    # count first so a file over the limit is refused before anything is stored
    line_count = text.count("\n") + (0 if text.endswith("\n") else 1) - 1
    if line_count > rt.settings.import_max_rows:
        raise CsvFileError(
            f"the file has about {line_count:,} rows; the limit is "
            f"{rt.settings.import_max_rows:,} (CFBOT_IMPORT_MAX_ROWS): split it"
        )
    sites = known_sites(rt)
    batch: list[tuple[int, VisitIn]] = []
    first_row_of: dict[tuple[str, str], int] = {}
    for row_number, row in _rows(reader):
        report.rows += 1
        if progress is not None:
            progress(1)
        raw = {name: row[i] if i < len(row) else "" for name, i in mapping.items()}
        if len(row) > len(header):
            report.rejected.append(
                CsvRowError(
                    row_number, [FieldError("", f"{len(row)} values for {len(header)} columns")]
                )
            )
            continue
        visit, errors = validate_visit(
            rt, raw, now, source=source, assume_zone=assume_zone, strict_fields=False, sites=sites
        )
        if visit is None:
            report.rejected.append(CsvRowError(row_number, errors))
            continue
        if not visit.external_id:
            visit.external_id = _derived_id(visit)
        key = (visit.source, visit.external_id)
        if key in first_row_of:
            report.duplicates += 1
            report.notes.append(f"row {row_number}: duplicate of row {first_row_of[key]}")
            continue
        first_row_of[key] = row_number
        batch.append((row_number, visit))
        if len(batch) >= batch_size:
            _flush(rt, batch, now, report, dry_run)
            batch = []
    if batch:
        _flush(rt, batch, now, report, dry_run)
    return report


def _rows(reader: Iterable[list[str]]) -> Iterator[tuple[int, list[str]]]:
    # line numbers as a spreadsheet shows them (header is row 1); blank lines skipped
    for number, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        yield number, row


def _derived_id(visit: VisitIn) -> str:
    basis = f"{visit.phone}|{visit.visited_at.isoformat()}|{visit.site}|{visit.flow.id}"
    return "row-" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _flush(
    rt: Runtime, batch: list[tuple[int, VisitIn]], now: datetime, report: CsvReport, dry_run: bool
) -> None:
    if dry_run:
        report.created += len(batch)
        return
    for result in store_visits(rt, batch, now):
        if result.status == "created":
            report.created += 1
        else:
            report.duplicates += 1
