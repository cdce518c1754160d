"""Small stand-ins for the flow definition's Question and Choice: only what the answer
parser reads, so its tests do not depend on the whole flow format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    """Stand-in for cfbot.flows.model.Choice."""

    value: str
    text: Mapping[str, str]


@dataclass(frozen=True)
class Question:
    """Stand-in for cfbot.flows.model.Question with only what the parser reads."""

    type: str
    min: int | None = None
    max: int | None = None
    choices: tuple[Choice, ...] = ()
    optional: bool = False
