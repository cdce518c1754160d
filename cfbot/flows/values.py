"""The flow package's smallest values: problems found in a file, choices, read-only maps
and durations. Everything else in :mod:`cfbot.flows` builds on these (they import nothing
of the package), so the YAML reader and the question types can use them without reaching
into the flow model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any

DURATION_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


# --- problems ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One finding about a flow file; ``str()`` gives ``FILE:LINE:COL: severity: message``."""

    path: str
    line: int
    col: int
    severity: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"

    @property
    def is_error(self) -> bool:
        """True for errors (warnings are only errors under ``strict``)."""
        return self.severity == "error"

    def as_error(self) -> Problem:
        """This problem as an error (``strict`` turns every warning into one)."""
        return self if self.is_error else replace(self, severity="error")


class FlowError(Exception):
    """A flow file that cannot be used; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.is_error] or self.problems
        summary = str(errors[0]) if errors else "invalid flow"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(summary + more)


def frozen_map(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """A read-only copy of ``data`` (an empty mapping for None)."""
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class Choice:
    """An option of a choice question: the stored ``value`` and its text per language."""

    value: str
    text: Mapping[str, str]


# --- durations --------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """Parse ``48h``, ``30m``, ``2d``, ``90s``, ``1h30m`` into a timedelta (ValueError)."""
    raw = (text or "").strip().lower().replace(" ", "")
    match = DURATION_RE.match(raw)
    if not raw or not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write e.g. 48h, 30m, 2d, 90s or 1h30m")
    d, h, m, s = (int(g) if g else 0 for g in match.groups())
    if max(d, h, m, s) > 100_000:
        raise ValueError(f"{text!r} is too long a duration")
    return timedelta(days=d, hours=h, minutes=m, seconds=s)


def format_duration(value: timedelta) -> str:
    """Inverse of :func:`parse_duration` (``timedelta(hours=1, minutes=30)`` -> ``1h30m``)."""
    total = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return "".join(parts) or "0s"
