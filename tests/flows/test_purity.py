"""cfbot.flows stays pure: no web, database, SMS, scheduler or clock access."""

from __future__ import annotations

import ast
from pathlib import Path

import cfbot.flows

FORBIDDEN_MODULES = ("flask", "sqlmodel", "sqlalchemy", "twilio", "apscheduler")
FORBIDDEN_CALLS = ("now", "utcnow", "today")


def modules() -> list[Path]:
    package = Path(cfbot.flows.__file__).parent
    found = sorted(package.rglob("*.py"))
    assert len(found) >= 8
    return found


def test_flows_package_imports_no_framework_or_clock() -> None:
    offences = []
    for path in modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module == "time" and any(
                    a.name in ("time", "monotonic") for a in node.names
                ):
                    offences.append(f"{path.name}:{node.lineno}: imports time.{node.names[0].name}")
            for name in names:
                if name.split(".")[0] in FORBIDDEN_MODULES:
                    offences.append(f"{path.name}:{node.lineno}: imports {name}")
            if isinstance(node, ast.Attribute):
                base = node.value
                if node.attr in FORBIDDEN_CALLS and isinstance(base, ast.Name | ast.Attribute):
                    target = base.id if isinstance(base, ast.Name) else base.attr
                    if target in ("datetime", "date"):
                        offences.append(f"{path.name}:{node.lineno}: {target}.{node.attr}")
                if (
                    node.attr in ("time", "monotonic", "perf_counter")
                    and isinstance(base, ast.Name)
                    and base.id == "time"
                ):
                    offences.append(f"{path.name}:{node.lineno}: time.{node.attr}")
    assert offences == []


def test_the_checker_itself_catches_offences(tmp_path: Path) -> None:
    sample = "import flask\nfrom datetime import datetime\nx = datetime.now()\nimport time\ny = time.time()\n"
    tree = ast.parse(sample)
    attrs = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)]
    imports = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert "now" in attrs and "time" in attrs and "flask" in imports
