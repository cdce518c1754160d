"""Who hears about an alert: ``conversations/routing.yaml``, edited by admins beside the flows.

The file maps sites and programs to staff emails and names the on-call list (crisis
alerts), the escalation contact (alerts nobody acknowledged in time), the default list
(alerts with no known site), business hours for escalation deadlines, and the local
crisis resources quoted to clients. Example::

    timezone: America/Chicago
    business_hours: {days: [mon, tue, wed, thu, fri], start: "08:00", end: "17:00"}
    holidays: ["2026-12-25"]
    default: [feedback@example.org]
    on_call: [oncall@example.org]
    escalation: [director@example.org]
    sites:
      northside:
        name: Northside Clinic
        staff: [northside-manager@example.org]
        programs:
          wic: [wic-lead@example.org]
    crisis_resources:
      en: "Crisis line: 612-555-0199 (24/7)."

Like flows, the file is untrusted input: it is validated with ``file:line`` messages, and a
broken edit never replaces the last good version in a running process.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from cfbot.flows.yaml_marks import YamlRefused, compose_limited
from cfbot.i18n import SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)

ROUTING_FILE = "routing.yaml"
MAX_FILE_BYTES = 256 * 1024
MAX_ADDRESSES = 200
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOP_KEYS = (
    "timezone",
    "business_hours",
    "holidays",
    "default",
    "on_call",
    "escalation",
    "sites",
    "crisis_resources",
    "crisis_reply",
)
# documentation domains (RFC 2606): an address there is a placeholder nobody reads
PLACEHOLDER_DOMAINS = frozenset({"example.org", "example.com", "example.net"})
PLACEHOLDER_SUFFIXES = (".example.org", ".example.com", ".example.net")
SITE_KEYS = ("name", "staff", "programs", "on_call", "escalation", "code")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


@dataclass(frozen=True)
class RoutingProblem:
    """One problem in the routing file, printed as ``path:line:col: message``."""

    path: str
    line: int
    column: int
    message: str
    severity: str = "error"  # or "warning": the file works, but probably not as meant

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"


class RoutingError(Exception):
    """The routing file cannot be used; ``problems`` says where and why."""

    def __init__(self, problems: list[RoutingProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Site:
    """A site (clinic) and who hears about its alerts."""

    key: str
    name: str
    staff: tuple[str, ...] = ()
    programs: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    on_call: tuple[str, ...] = ()
    escalation: tuple[str, ...] = ()
    # keyword suffix on this site's posters: "FEEDBACK N" starts a survey for this site
    code: str | None = None

    def addresses(self) -> set[str]:
        """Everyone listed for this site: staff, program lists, on call and escalation."""
        found = set(self.staff) | set(self.on_call) | set(self.escalation)
        for group in self.programs.values():
            found |= set(group)
        return found


def _dedupe(*groups: tuple[str, ...] | list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for group in groups:
        for address in group:
            seen.setdefault(address.lower(), None)
    return list(seen)


@dataclass(frozen=True)
class Routing:
    """A validated routing table (immutable). An empty one routes to nobody."""

    path: str = ""
    timezone: str = "America/Chicago"
    business_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    day_start: time = time(8, 0)
    day_end: time = time(17, 0)
    holidays: frozenset[date] = frozenset()
    default: tuple[str, ...] = ()
    on_call: tuple[str, ...] = ()
    escalation: tuple[str, ...] = ()
    sites: Mapping[str, Site] = field(default_factory=lambda: MappingProxyType({}))
    crisis_resources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    crisis_reply: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # what `cfbot alerts check-routing` warns about (the file is used all the same)
    warnings: tuple[RoutingProblem, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        """The time zone business hours and digests are counted in."""
        return ZoneInfo(self.timezone)

    def site(self, key: str | None) -> Site | None:
        """The site with this key (case-insensitive), or None."""
        if not key:
            return None
        return self.sites.get(key) or self.sites.get(key.lower())

    def site_name(self, key: str | None) -> str:
        """A human name for a site key ("No site" when unknown)."""
        found = self.site(key)
        if found is not None:
            return found.name
        return key or "No site"

    def staff_for(self, site: str | None, program: str | None) -> list[str]:
        """Who gets a dissatisfaction alert: the site's program list and staff, else default."""
        found = self.site(site)
        if found is None:
            return list(self.default)
        program_list: tuple[str, ...] = ()
        if program:
            program_list = found.programs.get(program) or found.programs.get(program.lower()) or ()
        addresses = _dedupe(program_list, found.staff)
        return addresses or list(self.default)

    def on_call_for(self, site: str | None) -> list[str]:
        """Who gets a crisis alert: the on-call list (site's first), else escalation/default."""
        found = self.site(site)
        addresses = _dedupe(found.on_call if found else (), self.on_call)
        return addresses or list(self.escalation) or list(self.default)

    def escalation_for(self, site: str | None) -> list[str]:
        """Who hears about an alert nobody acknowledged in time."""
        found = self.site(site)
        if found is not None and found.escalation:
            return list(found.escalation)
        return list(self.escalation) or list(self.default)

    def digest_for(self, site: str | None) -> list[str]:
        """Who gets a site's daily digest (the site's staff and program lists)."""
        found = self.site(site)
        if found is None:
            return list(self.default)
        programs = [a for group in found.programs.values() for a in group]
        return _dedupe(found.staff, programs) or list(self.default)

    def all_staff(self) -> set[str]:
        """Every address named anywhere in the file (lower-case)."""
        addresses = set(self.default) | set(self.on_call) | set(self.escalation)
        for site in self.sites.values():
            addresses |= site.addresses()
        return {a.lower() for a in addresses}

    def staff_scope(self, email: str) -> frozenset[str] | None:
        """Sites ``email`` may see in the dashboard: None means every site.

        Default, on-call and escalation addresses see everything (they receive alerts of
        any site); site staff see their own sites. Not listed at all: an empty set.
        """
        address = email.strip().lower()
        if address in {a.lower() for a in (*self.default, *self.on_call, *self.escalation)}:
            return None
        return frozenset(
            site.key
            for site in self.sites.values()
            if address in {m.lower() for m in site.addresses()}
        )

    def is_staff(self, email: str) -> bool:
        """True when ``email`` is listed anywhere in the routing file."""
        return email.strip().lower() in self.all_staff()

    def add_business_time(self, start: datetime, days: float) -> datetime:
        """``start`` plus ``days`` business days, counted in business hours.

        One business day is one opening-hours span (08:00-17:00 by default), so an alert
        raised on Friday at 15:00 is due on Monday at 15:00 and one raised on Saturday is
        due at Monday's close.
        """
        span = datetime.combine(date.min, self.day_end) - datetime.combine(date.min, self.day_start)
        remaining = span * days
        tz = self.tz
        cursor = start.astimezone(tz)
        # bounded: even with few business days a year this ends within a few years
        for _ in range(3660):
            day = cursor.date()
            if day.weekday() in self.business_days and day not in self.holidays:
                opens = datetime.combine(day, self.day_start, tzinfo=tz)
                closes = datetime.combine(day, self.day_end, tzinfo=tz)
                if cursor < opens:
                    cursor = opens
                if cursor < closes:
                    available = closes - cursor
                    if remaining <= available:
                        return (cursor + remaining).astimezone(start.tzinfo)
                    remaining -= available
            cursor = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
        return start + timedelta(days=max(days, 0) * 7 / 5)


# --------------------------------------------------------------------------- parsing


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[RoutingProblem] = []
        self.warnings: list[RoutingProblem] = []

    def warn(self, node: yaml.Node | None, message: str) -> None:
        line, column = 1, 1
        if node is not None and node.start_mark is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.warnings.append(RoutingProblem(self.path, line, column, message, "warning"))

    def error(self, node: yaml.Node | None, message: str) -> None:
        line, column = 1, 1
        if node is not None and node.start_mark is not None:
            line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.problems.append(RoutingProblem(self.path, line, column, message))

    def mapping(
        self, node: yaml.Node, what: str, allowed: tuple[str, ...] | None = None
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} must be a mapping")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, f"{what}: keys must be plain words")
                continue
            key = str(key_node.value)
            if key in out:
                self.error(key_node, f"{what}: duplicate key {key!r}")
                continue
            if allowed is not None and key not in allowed:
                self.error(
                    key_node, f"{what}: unknown key {key!r} (expected one of {', '.join(allowed)})"
                )
                continue
            out[key] = (key_node, value_node)
        return out

    def scalar(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.value == "":
            self.error(node, f"{what} must be a non-empty text")
            return None
        return str(node.value)

    def emails(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if isinstance(node, yaml.SequenceNode) and len(items) > MAX_ADDRESSES:
            self.error(node, f"{what}: at most {MAX_ADDRESSES} addresses")
            return ()
        out: list[str] = []
        for item in items:
            if isinstance(item, yaml.ScalarNode) and item.tag.endswith(":null"):
                continue
            value = self.scalar(item, f"{what} address")
            if value is None:
                continue
            if not _EMAIL.match(value.strip()):
                self.error(item, f"{what}: {value!r} is not an email address")
                continue
            domain = value.strip().rsplit("@", 1)[1].lower()
            if domain in PLACEHOLDER_DOMAINS or domain.endswith(PLACEHOLDER_SUFFIXES):
                self.warn(item, f"{what}: {value.strip()!r} is a placeholder address (no mail)")
            out.append(value.strip().lower())
        return tuple(dict.fromkeys(out))

    def texts(self, node: yaml.Node, what: str) -> dict[str, str]:
        entries = self.mapping(node, what)
        out: dict[str, str] = {}
        for lang, (key_node, value_node) in (entries or {}).items():
            if not re.match(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", lang):
                self.error(key_node, f"{what}: {lang!r} is not a language code")
                continue
            value = self.scalar(value_node, f"{what}.{lang}")
            if value is not None:
                out[lang] = value.strip()
        return out

    def clock(self, node: yaml.Node, what: str) -> time | None:
        value = self.scalar(node, what)
        if value is None:
            return None
        match = re.match(r"^(\d{1,2}):(\d{2})$", value.strip())
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            self.error(node, f'{what} must be a time like "08:00"')
            return None
        return time(int(match.group(1)), int(match.group(2)))

    def parse(self, root: yaml.Node | None, default_tz: str) -> Routing | None:
        if root is None:
            return Routing(path=self.path, timezone=default_tz)
        top = self.mapping(root, "routing file", TOP_KEYS)
        if top is None:
            return None
        values: dict[str, Any] = {"path": self.path, "timezone": default_tz}
        if "timezone" in top:
            tz = self.scalar(top["timezone"][1], "timezone")
            if tz is not None:
                try:
                    ZoneInfo(tz)
                    values["timezone"] = tz
                except (ZoneInfoNotFoundError, ValueError):
                    self.error(top["timezone"][1], f"timezone {tz!r} is not a known time zone")
        if "business_hours" in top:
            self.parse_hours(top["business_hours"][1], values)
        if "holidays" in top:
            node = top["holidays"][1]
            days: set[date] = set()
            for item in node.value if isinstance(node, yaml.SequenceNode) else [node]:
                text = self.scalar(item, "holiday")
                try:
                    days.add(date.fromisoformat(str(text)))
                except ValueError:
                    self.error(item, f"holiday {text!r} must be a date like 2026-12-25")
            values["holidays"] = frozenset(days)
        for key in ("default", "on_call", "escalation"):
            if key in top:
                values[key] = self.emails(top[key][1], key)
        if "sites" in top:
            values["sites"] = MappingProxyType(self.parse_sites(top["sites"][1]))
        for key in ("crisis_resources", "crisis_reply"):
            if key in top:
                values[key] = MappingProxyType(self.texts(top[key][1], key))
                self.unsupported_languages(top[key][1], key)
        if self.problems:
            return None
        return Routing(**values, warnings=tuple(self.warnings))

    def unsupported_languages(self, node: yaml.Node, what: str) -> None:
        """Warn about texts in a language no client is served in: they are never sent."""
        if not isinstance(node, yaml.MappingNode):
            return
        for key_node, _value in node.value:
            lang = str(getattr(key_node, "value", ""))
            if lang not in SUPPORTED_LANGUAGES:
                self.warn(
                    key_node,
                    f"{what}: {lang!r} is not a supported language "
                    f"({', '.join(SUPPORTED_LANGUAGES)}); this text is never sent",
                )

    def parse_hours(self, node: yaml.Node, values: dict[str, Any]) -> None:
        entries = self.mapping(node, "business_hours", ("days", "start", "end"))
        if entries is None:
            return
        if "days" in entries:
            days_node = entries["days"][1]
            days: set[int] = set()
            items = days_node.value if isinstance(days_node, yaml.SequenceNode) else [days_node]
            for item in items:
                name = (self.scalar(item, "business_hours.days") or "").strip().lower()[:3]
                if name not in DAY_NAMES:
                    self.error(item, "business_hours.days: use mon, tue, wed, thu, fri, sat, sun")
                    continue
                days.add(DAY_NAMES.index(name))
            if not days and not self.problems:
                self.error(days_node, "business_hours.days must name at least one day")
            values["business_days"] = frozenset(days)
        start = (
            self.clock(entries["start"][1], "business_hours.start") if "start" in entries else None
        )
        end = self.clock(entries["end"][1], "business_hours.end") if "end" in entries else None
        if start is not None:
            values["day_start"] = start
        if end is not None:
            values["day_end"] = end
        if values.get("day_start", time(8)) >= values.get("day_end", time(17)):
            self.error(node, "business_hours: start must be before end")

    def parse_sites(self, node: yaml.Node) -> dict[str, Site]:
        entries = self.mapping(node, "sites")
        sites: dict[str, Site] = {}
        for key, (key_node, value_node) in (entries or {}).items():
            if not _KEY.match(key):
                self.error(key_node, f"site key {key!r} may use letters, digits, _ . - only")
                continue
            body = self.mapping(value_node, f"site {key!r}", SITE_KEYS)
            if body is None:
                continue
            name = key
            if "name" in body:
                name = self.scalar(body["name"][1], f"site {key!r} name") or key
            programs: dict[str, tuple[str, ...]] = {}
            if "programs" in body:
                for prog, (pk, pv) in (
                    self.mapping(body["programs"][1], f"site {key!r} programs") or {}
                ).items():
                    if not _KEY.match(prog):
                        self.error(pk, f"program key {prog!r} may use letters, digits, _ . - only")
                        continue
                    if isinstance(pv, yaml.ScalarNode) and not pv.tag.endswith(":null"):
                        self.warn(
                            pv,
                            f"site {key!r} program {prog!r} is one text, not a list: "
                            f"write [{pv.value}] (one address per item)",
                        )
                    programs[prog] = self.emails(pv, f"site {key!r} program {prog!r}")
            code = None
            if "code" in body:
                code = self.scalar(body["code"][1], f"site {key!r} code")
                if code is not None and not re.fullmatch(r"[A-Za-z0-9]{1,8}", code):
                    self.error(body["code"][1], f"site {key!r} code: use 1 to 8 letters or digits")
                    code = None
            site = Site(
                key=key,
                name=name,
                code=code,
                staff=self.emails(body["staff"][1], f"site {key!r} staff")
                if "staff" in body
                else (),
                programs=MappingProxyType(programs),
                on_call=self.emails(body["on_call"][1], f"site {key!r} on_call")
                if "on_call" in body
                else (),
                escalation=(
                    self.emails(body["escalation"][1], f"site {key!r} escalation")
                    if "escalation" in body
                    else ()
                ),
            )
            sites[key] = site
        return sites


def parse_routing(
    text: str | bytes, path: str = ROUTING_FILE, default_tz: str = "America/Chicago"
) -> Routing:
    """Parse and validate routing YAML; raises :class:`RoutingError` with file:line problems."""
    parser = _Parser(path)
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise RoutingError([RoutingProblem(path, 1, 1, "file is too large")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RoutingError(
                [RoutingProblem(path, 1, 1, f"not UTF-8 text ({exc.reason})")]
            ) from exc
    try:
        # safe loader: no Python objects, no aliases ("billion laughs"), node/depth caps
        root = compose_limited(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        column = mark.column + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        if not isinstance(exc, YamlRefused):
            problem = f"YAML syntax: {problem}"
        raise RoutingError([RoutingProblem(path, line, column, problem)]) from exc
    if root is not None and _has_alias(root):
        raise RoutingError([RoutingProblem(path, 1, 1, "YAML anchors and aliases are not allowed")])
    routing = parser.parse(root, default_tz)
    if routing is None or parser.problems:
        raise RoutingError(parser.problems or [RoutingProblem(path, 1, 1, "invalid routing file")])
    return routing


def _has_alias(root: yaml.Node) -> bool:
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True  # the same node reached twice: it came from an alias
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return False


def load_routing(path: str | Path, default_tz: str = "America/Chicago") -> Routing:
    """Read and validate a routing file. A missing file is an empty table (routes nowhere)."""
    p = Path(path)
    if not p.exists():
        return Routing(path=str(p), timezone=default_tz)
    try:
        return parse_routing(p.read_bytes(), str(p), default_tz)
    except (RecursionError, MemoryError, ValueError, TypeError, OSError) as exc:
        # a defence missed something: the file is refused, the process keeps running
        log.exception("routing file %s could not be loaded", p)
        problem = RoutingProblem(str(p), 1, 1, f"cannot load file: {type(exc).__name__}")
        raise RoutingError([problem]) from exc


class RoutingStore:
    """The routing table in service, re-read when the file changes.

    A broken edit is logged and the last good table stays in use.
    """

    def __init__(self, path: str | Path, default_tz: str = "America/Chicago") -> None:
        self.path = Path(path)
        self.default_tz = default_tz
        self.problems: list[RoutingProblem] = []
        self._routing: Routing | None = None
        self._stamp: tuple[float, int] | None = None
        self._lock = threading.Lock()

    def _file_stamp(self) -> tuple[float, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime, st.st_size)

    def get(self) -> Routing:
        """The current table (reloading the file if it changed since last time)."""
        stamp = self._file_stamp()
        with self._lock:
            if self._routing is not None and stamp == self._stamp:
                return self._routing
            try:
                routing = load_routing(self.path, self.default_tz)
                self.problems = []
                if stamp is None:
                    log.warning("no routing file at %s: alert emails have no recipients", self.path)
            except RoutingError as exc:
                self.problems = exc.problems
                for problem in exc.problems:
                    log.error("%s", problem)
                if self._routing is not None:
                    log.error("routing file %s has errors; keeping the previous version", self.path)
                    self._stamp = stamp
                    return self._routing
                routing = Routing(path=str(self.path), timezone=self.default_tz)
            self._routing = routing
            self._stamp = stamp
            return routing


def routing_path(settings: Any) -> Path:
    """Where the routing file is: ``CFBOT_ROUTING_FILE`` or ``<conversations_dir>/routing.yaml``."""
    explicit = getattr(settings, "routing_file", "")
    if explicit:
        return Path(explicit)
    return Path(settings.conversations_dir) / ROUTING_FILE


def get_routing(rt: Any) -> Routing:
    """The routing table of a :class:`~cfbot.runtime.Runtime` (kept in ``rt.extras``)."""
    store = rt.extras.get("routing")
    path = routing_path(rt.settings)
    if not isinstance(store, RoutingStore) or store.path != path:
        store = RoutingStore(path, rt.settings.timezone)
        rt.extras["routing"] = store
    return store.get()
