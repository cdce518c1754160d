"""The layout rules of docs/architecture.md, checked on the source: no import cycle among
cfbot modules (function-level imports count; ``TYPE_CHECKING`` blocks do not), no module
over 800 lines, and the layers only import downwards."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "cfbot"
MAX_LINES = 800


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PKG.rglob("*.py")) if "migrations" not in p.parts}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, name: str, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    is_pkg = path.name == "__init__.py"

    def resolve(target: str) -> None:
        # the deepest known cfbot module the import names
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.startswith("cfbot"):
                        resolve(alias.name)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = name if is_pkg else name.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        anchor = anchor.rpartition(".")[0]
                    base = f"{anchor}.{base}" if base else anchor
                if base.startswith("cfbot"):
                    for alias in child.names:
                        resolve(f"{base}.{alias.name}")
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    known = set(sources)
    return {name: _imports(path, name, known) for name, path in sources.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_import_cycle_among_cfbot_modules():
    assert _cycles(_graph()) == []


def test_no_module_over_800_lines():
    big = {
        name: n
        for name, path in _sources().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert big == {}


def test_layers_import_downwards_only():
    graph = _graph()
    # services, flows, nlp and the runtime never reach up into the web layer or the CLI
    upper = ("cfbot.web", "cfbot.cli", "cfbot.commands", "cfbot.jobs", "cfbot.app")
    for name, deps in graph.items():
        if name.startswith(upper) or name == "cfbot":
            continue
        assert not [d for d in deps if d.startswith(upper)], name
    # the runtime builds objects and imports no service
    assert not [d for d in graph["cfbot.runtime"] if d.startswith("cfbot.services")]
    # the flow package is pure: outside itself only text folding and the (cached, read-only)
    # system-string catalogs
    for name, deps in graph.items():
        if name.startswith("cfbot.flows"):
            outside = [d for d in deps if not d.startswith("cfbot.flows")]
            assert set(outside) <= {"cfbot.text", "cfbot.i18n"}, (name, outside)
