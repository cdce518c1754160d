"""Safe YAML with line marks for admin-written files.

Flows are untrusted input. Composing is defensive: the size is capped before parsing,
the bytes must be UTF-8, tabs in indentation are refused, YAML aliases are refused (no
"billion laughs") and the node count is capped. Every problem becomes a
:class:`~cfbot.flows.model.Problem` with ``FILE:LINE:COL``; the typed scalar readers
below report a problem and return None instead of raising, so a builder can keep going
and report every problem in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from cfbot.flows.values import Problem, parse_duration

MAX_FILE_BYTES = 256 * 1024
MAX_YAML_NODES = 20_000
# composing is recursive in PyYAML: thousands of levels would raise RecursionError
MAX_YAML_DEPTH = 64

TAG_NULL = "tag:yaml.org,2002:null"
TAG_INT = "tag:yaml.org,2002:int"
TAG_BOOL = "tag:yaml.org,2002:bool"
TAG_FLOAT = "tag:yaml.org,2002:float"


class YamlRefused(yaml.YAMLError):
    """A defence refused the document (alias, too many nodes, nested too deeply)."""

    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        # the attribute names of yaml.MarkedYAMLError, so callers can treat both alike
        self.problem = message
        self.problem_mark = mark


_YamlRefused = YamlRefused


class _Loader(yaml.SafeLoader):
    """SafeLoader that composes nodes only, refusing aliases and huge documents."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.node_count = 0
        self.depth = 0

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _YamlRefused(
                f"YAML aliases (*{event.anchor}) are not allowed here; "
                "write the text out again instead",
                event.start_mark,
            )
        self.node_count += 1
        if self.node_count > MAX_YAML_NODES:
            raise _YamlRefused(
                f"flow has too many YAML nodes (more than {MAX_YAML_NODES})",
                self.peek_event().start_mark,
            )
        if self.depth >= MAX_YAML_DEPTH:
            raise _YamlRefused(
                f"YAML nested too deeply (more than {MAX_YAML_DEPTH} levels)",
                self.peek_event().start_mark,
            )
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def compose_limited(text: str) -> yaml.Node | None:
    """Compose one YAML document with the defences (no aliases, node and depth caps).

    Raises :class:`YamlRefused` or another :class:`yaml.YAMLError`; never RecursionError.
    """
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _mark_pos(mark: yaml.Mark | None) -> tuple[int, int]:
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


class Ctx:
    """Collects problems for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []

    def add(self, where: Any, severity: str, message: str, col_offset: int = 0) -> None:
        """Record a problem at a node, a mark, a ``(line, col)`` pair or the file start."""
        if isinstance(where, yaml.Node):
            line, col = _mark_pos(where.start_mark)
        elif isinstance(where, tuple):
            line, col = where
        elif isinstance(where, yaml.Mark):
            line, col = _mark_pos(where)
        else:
            line, col = 1, 1
        self.problems.append(Problem(self.path, line, col + col_offset, severity, message))

    def error(self, where: Any, message: str, col_offset: int = 0) -> None:
        """Record an error."""
        self.add(where, "error", message, col_offset)

    def warn(self, where: Any, message: str, col_offset: int = 0) -> None:
        """Record a warning."""
        self.add(where, "warning", message, col_offset)

    @property
    def has_errors(self) -> bool:
        """True once any error was recorded."""
        return any(p.is_error for p in self.problems)


def line_of(node: yaml.Node) -> int:
    """The 1-based line a node starts on."""
    return node.start_mark.line + 1


def suggest(word: str, options: Iterable[str]) -> str:
    """A "; did you mean ...?" hint for a misspelt ``word``, or ""."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def describe(node: yaml.Node) -> str:
    """How a node reads in a message: "a mapping", "a list", "empty" or its value."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == TAG_NULL:
        return "empty"
    return repr(node.value)


def as_mapping(
    ctx: Ctx, node: yaml.Node, what: str, allowed: Iterable[str] | None = None
) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
    """Keys -> (key node, value node); reports non-mappings, duplicates, unknown keys."""
    if not isinstance(node, yaml.MappingNode):
        ctx.error(node, f"{what} must be a mapping, not {describe(node)}")
        return None
    allowed_list = list(allowed) if allowed is not None else None
    result: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            ctx.error(key_node, f"{what}: keys must be plain words")
            continue
        key = key_node.value
        if key in result:
            ctx.error(key_node, f"{what}: duplicate key {key!r}")
            continue
        if allowed_list is not None and key not in allowed_list:
            ctx.error(key_node, f"{what}: unknown key {key!r}{suggest(key, allowed_list)}")
            continue
        result[key] = (key_node, value_node)
    return result


def as_text(ctx: Ctx, node: yaml.Node, what: str, allow_empty: bool = False) -> str | None:
    """The raw text of a scalar, or None (reported) for anything else or empty text."""
    # the raw scalar text is used on purpose: YAML 1.1 would turn `no` into False and
    # `8:00` into 480, neither of which an admin means in a text field
    if not isinstance(node, yaml.ScalarNode) or node.tag == TAG_NULL:
        ctx.error(node, f"{what} must be text, not {describe(node)}")
        return None
    value = node.value
    if not allow_empty and not value.strip():
        ctx.error(node, f"{what} must not be empty")
        return None
    return value


def as_int(ctx: Ctx, node: yaml.Node, what: str) -> int | None:
    """A whole number, or None (reported)."""
    if not isinstance(node, yaml.ScalarNode) or node.tag != TAG_INT:
        ctx.error(node, f"{what} must be a whole number, not {describe(node)}")
        return None
    try:
        return int(SafeConstructor().construct_object(node))
    except (ValueError, yaml.YAMLError):
        ctx.error(node, f"{what} must be a whole number, not {describe(node)}")
        return None


def as_bool(ctx: Ctx, node: yaml.Node, what: str) -> bool | None:
    """true/false, or None (reported)."""
    if not isinstance(node, yaml.ScalarNode) or node.tag != TAG_BOOL:
        ctx.error(node, f"{what} must be true or false, not {describe(node)}")
        return None
    return bool(SafeConstructor().construct_object(node))


def as_list(ctx: Ctx, node: yaml.Node, what: str) -> list[yaml.Node] | None:
    """The items of a sequence, or None (reported)."""
    if not isinstance(node, yaml.SequenceNode):
        ctx.error(node, f"{what} must be a list, not {describe(node)}")
        return None
    return list(node.value)


def as_duration(ctx: Ctx, node: yaml.Node, what: str) -> timedelta | None:
    """A duration such as ``48h``, or None (reported)."""
    raw = as_text(ctx, node, what)
    if raw is None:
        return None
    try:
        return parse_duration(raw)
    except ValueError as exc:
        ctx.error(node, f"{what}: {exc}")
        return None


def plain_value(node: yaml.Node) -> Any:
    """The Python value of a node composed here (aliases were refused, so no bombs)."""
    # aliases were refused while composing, so a deep construct cannot explode
    return SafeConstructor().construct_object(node, deep=True)


def too_large(size: int) -> str:
    """The message for a file over :data:`MAX_FILE_BYTES`."""
    return (
        f"file is too large ({size // 1024} KB; a flow may be at most {MAX_FILE_BYTES // 1024} KB)"
    )


def _decode(ctx: Ctx, data: bytes) -> str | None:
    if len(data) > MAX_FILE_BYTES:
        ctx.error((1, 1), too_large(len(data)))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        ctx.error((line, col), "file is not UTF-8 text; save it as UTF-8")
        return None
    return text.removeprefix("\ufeff")


def _check_tabs(ctx: Ctx, text: str) -> bool:
    found = False
    for number, line in enumerate(text.splitlines(), 1):
        indent = len(line) - len(line.lstrip(" \t"))
        if "\t" in line[:indent]:
            ctx.error(
                (number, line.index("\t") + 1),
                "tab character in indentation; YAML needs spaces (set your editor to "
                "insert spaces)",
            )
            found = True
    return found


def _compose(ctx: Ctx, text: str) -> yaml.Node | None:
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader refuses control characters right here
        node = loader.get_single_node()
    except _YamlRefused as exc:
        ctx.error(exc.mark, exc.message)
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        ctx.error(mark, f"YAML syntax error: {message or exc}")
        return None
    except yaml.YAMLError as exc:
        ctx.error((1, 1), f"YAML error: {exc}")
        return None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        ctx.error((1, 1), "file is empty")
    return node


def read_yaml(ctx: Ctx, data: bytes) -> tuple[str | None, yaml.Node | None]:
    """The decoded text and its root node (None where a defence refused the file)."""
    source = _decode(ctx, data)
    node = None
    if source is not None and not _check_tabs(ctx, source):
        node = _compose(ctx, source)
    return source, node


def compose_yaml(data: bytes, path: str) -> tuple[yaml.Node | None, list[Problem]]:
    """Compose admin-written YAML with the flow defences (size, UTF-8, tabs, no aliases).

    Returns the root node (with line marks) or None, and the problems found.
    """
    ctx = Ctx(path)
    _source, node = read_yaml(ctx, data)
    return node, ctx.problems
