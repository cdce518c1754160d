"""Helpers shared by the flow tests (a plain module: tests/ is not a package)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cfbot.flows.builder import parse_flow
from cfbot.flows.model import Flow

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[2]
CONVERSATIONS_DIR = ROOT / "conversations"
T0 = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


def flow_from(text: str, path: str = "test.yaml") -> Flow:
    """Parse a flow from inline YAML (raises FlowError)."""
    return parse_flow(text, path)


def tiny_scorer(text: str, lang: str, question_text: str) -> float | None:
    """Deterministic stand-in for the real sentiment scorer."""
    lowered = text.casefold()
    if any(w in lowered for w in ("rude", "terrible", "awful", "waited", "esperé")):
        return -0.8
    if any(w in lowered for w in ("great", "kind", "good")):
        return 0.7
    return 0.0
