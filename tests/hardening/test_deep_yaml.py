"""Finding 8: YAML nested thousands of levels deep is a FILE:LINE:COL error, never a crash."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cfbot.flow_store import FlowRegistry
from cfbot.flows.builder import parse_flow
from cfbot.flows.model import FlowError
from cfbot.services.routing import RoutingError, RoutingStore, parse_routing

ROOT = Path(__file__).resolve().parent.parent.parent
DEPTH = 5000


def deep_block(depth: int = 600) -> str:
    """``a:`` nested ``depth`` levels in block style (under the file size cap, still
    deep enough to exhaust Python's recursion limit without the depth cap)."""
    return "".join(" " * i + "a:\n" for i in range(depth)) + " " * depth + "x\n"


def deep_flow_style(depth: int = DEPTH) -> str:
    return "id: x\nnotes: " + "[" * depth + "]" * depth + "\n"


@pytest.mark.parametrize("text", [deep_block(), deep_flow_style()], ids=["block", "flow"])
def test_deep_flow_is_a_marked_error(text: str) -> None:
    with pytest.raises(FlowError) as info:
        parse_flow(text, "deep.yaml")
    messages = [str(p) for p in info.value.problems]
    assert any("nested too deeply" in m for m in messages), messages
    assert all(m.startswith("deep.yaml:") for m in messages)


def test_deep_routing_is_a_marked_error() -> None:
    with pytest.raises(RoutingError) as info:
        parse_routing(deep_flow_style(), "routing.yaml")
    text = " ".join(str(p) for p in info.value.problems)
    assert "nested too deeply" in text and "routing.yaml:" in text


def test_cli_check_reports_deep_file(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(deep_block())
    result = subprocess.run(
        [sys.executable, "-c", "from cfbot.cli import main; main()", "flows", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{path}:" in result.stdout + result.stderr
    assert "nested too deeply" in result.stdout + result.stderr


def test_registry_keeps_last_good_flow_on_deep_edit(tmp_path: Path) -> None:
    src = ROOT / "conversations" / "clinic_visit.yaml"
    work = tmp_path / "conv"
    work.mkdir()
    shutil.copy(src, work / "clinic_visit.yaml")
    registry = FlowRegistry(work)
    assert registry.get("clinic_visit") is not None
    (work / "clinic_visit.yaml").write_text(deep_block())
    registry.reload()
    assert registry.get("clinic_visit") is not None
    assert any("nested too deeply" in p.message for p in registry.problems)


def test_routing_store_survives_deep_file(tmp_path: Path) -> None:
    path = tmp_path / "routing.yaml"
    path.write_text(deep_flow_style())
    store = RoutingStore(path)
    routing = store.get()  # no exception: an empty table, problems logged
    assert routing is not None
    assert any("nested too deeply" in p.message for p in store.problems)


def test_unexpected_loader_crash_keeps_last_good(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Backstop: whatever a future defence misses refuses the file, not the process."""
    import cfbot.flow_store as store

    work = tmp_path / "conv"
    work.mkdir()
    shutil.copy(ROOT / "conversations" / "clinic_visit.yaml", work / "clinic_visit.yaml")
    registry = FlowRegistry(work)

    def boom(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(store, "parse_flow", boom)
    registry.reload()
    assert registry.get("clinic_visit") is not None
    assert any("RecursionError" in p.message for p in registry.problems)
