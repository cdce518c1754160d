"""Reading flow files: one file, a directory, and the registry of flows in service.

The file-system half of the flow package: :mod:`cfbot.flows` is pure and only parses
text it is given; this module reads the files, watches them for changes and keeps the
last good version of a broken file in service.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from pathlib import Path

import yaml

from cfbot.flows import builder
from cfbot.flows.model import Flow, FlowError, FlowSet, Problem, by_keyword, cross_check
from cfbot.flows.yaml_marks import MAX_FILE_BYTES, too_large
from cfbot.text import fold_phrase

__all__ = [
    "ROUTING_FILES",
    "FlowRegistry",
    "FlowSet",
    "flow_files",
    "load_directory",
    "load_files",
    "load_flow",
    "parse_flow",
    "reserved_keywords",
]

log = logging.getLogger(__name__)

ROUTING_FILES = ("routing.yaml", "routing.yml")
KEYWORDS_FILE = Path(__file__).resolve().parent / "keywords.yaml"


@functools.cache
def reserved_keywords() -> frozenset[str]:
    """Every system keyword (STOP, START, HELP, language words, in all languages), folded.

    Read once from the package's ``keywords.yaml`` so a flow can never take a word the
    keyword handler would answer first. An unreadable file leaves only the built-in
    English words (the keyword handler itself reports the broken file).
    """
    words = set(builder.RESERVED_KEYWORDS)
    try:
        data = yaml.safe_load(KEYWORDS_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return frozenset(words)
    for action in ("stop", "start", "help", "language"):
        table = data.get(action) or {}
        if isinstance(table, dict):
            for entries in table.values():
                for word in entries or ():
                    norm = fold_phrase(str(word))
                    if norm:
                        words.add(norm)
    return frozenset(words)


def parse_flow(text: str | bytes, path: str = "<flow>", strict: bool = False) -> Flow:
    """:func:`cfbot.flows.builder.parse_flow` with the system keywords reserved."""
    return builder.parse_flow(text, path, strict=strict, reserved=reserved_keywords())


def load_flow(path: str | Path, strict: bool = False) -> Flow:
    """Read and validate one flow file (see :func:`parse_flow`)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            # refuse before reading a huge file into memory
            raise FlowError([Problem(str(p), 1, 1, "error", too_large(size))])
        data = p.read_bytes()
    except OSError as exc:
        raise FlowError([Problem(str(p), 1, 1, "error", f"cannot read file: {exc}")]) from exc
    try:
        return parse_flow(data, str(p), strict=strict)
    except FlowError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        # a defence missed something: the file is refused, the process keeps running
        log.exception("flow file %s could not be loaded", p)
        problem = Problem(str(p), 1, 1, "error", f"cannot load file: {type(exc).__name__}")
        raise FlowError([problem]) from exc


def flow_files(directory: str | Path) -> list[Path]:
    """Flow files at the top of ``directory`` (``routing.yaml`` and subfolders excluded)."""
    root = Path(directory)
    files = [
        p
        for p in root.iterdir()
        if p.is_file() and p.suffix in (".yaml", ".yml") and p.name not in ROUTING_FILES
    ]
    return sorted(files)


def load_directory(directory: str | Path, strict: bool = False) -> FlowSet:
    """Load every flow file at the top of ``directory`` (not ``routing.yaml``, not ``tests/``).

    Files with errors, and flows whose id or keyword clashes with an earlier file, are
    left out; all problems (warnings included) are returned.
    """
    root = Path(directory)
    if not root.is_dir():
        return FlowSet({}, [Problem(str(root), 1, 1, "error", "not a directory")])
    accepted, problems = load_files(flow_files(root), strict=strict)
    return FlowSet({f.id: f for f in accepted}, problems)


def load_files(paths: Iterable[Path], strict: bool = False) -> tuple[list[Flow], list[Problem]]:
    """Load flow files in order: the good flows whose id and keywords do not clash with
    an earlier file's, and every problem found (warnings included)."""
    problems: list[Problem] = []
    loaded: list[Flow] = []
    for path in paths:
        try:
            flow = load_flow(path, strict=strict)
        except FlowError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(flow.warnings)
        loaded.append(flow)
    accepted, clashes = cross_check(loaded)
    return accepted, problems + clashes


class FlowRegistry:
    """The flows in service. A file that breaks keeps its last good version running."""

    def __init__(self, directory: str | Path, load: bool = True) -> None:
        self.directory = Path(directory)
        self.problems: list[Problem] = []
        self._by_path: dict[str, Flow] = {}
        self._flows: dict[str, Flow] = {}
        self._fingerprint: tuple[tuple[str, int, int], ...] | None = None
        if load:
            self.reload()

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        """(path, size, mtime) of every flow file: changes when an admin edits one."""
        if not self.directory.is_dir():
            return ()
        found = []
        for path in flow_files(self.directory):
            try:
                st = path.stat()
            except OSError:
                continue
            found.append((str(path), st.st_size, st.st_mtime_ns))
        return tuple(found)

    def reload_if_changed(self) -> bool:
        """Reload when a flow file was added, removed or edited. Returns True if it did."""
        current = self.fingerprint()
        if current == self._fingerprint:
            return False
        self.reload()
        return True

    def reload(self) -> list[Problem]:
        """Re-read the directory; returns (and keeps in ``problems``) what was found."""
        self._fingerprint = self.fingerprint()
        problems: list[Problem] = []
        candidates: dict[str, Flow] = {}
        paths = flow_files(self.directory) if self.directory.is_dir() else []
        if not self.directory.is_dir():
            problems.append(Problem(str(self.directory), 1, 1, "error", "not a directory"))
        for path in paths:
            key = str(path)
            try:
                flow = load_flow(path)
                problems.extend(flow.warnings)
            except FlowError as exc:
                problems.extend(exc.problems)
                previous = self._by_path.get(key)
                if previous is not None:
                    log.error(
                        "flow file %s has errors; keeping the previous version of %r",
                        key,
                        previous.id,
                    )
                    flow = previous
                else:
                    log.error("flow file %s has errors and is not loaded", key)
                    continue
            candidates[key] = flow
        ordered = [candidates[k] for k in sorted(candidates)]
        accepted, clashes = cross_check(ordered)
        problems.extend(clashes)
        # a new version that clashes falls back to the old one, if that one still fits
        rejected = [f for f in ordered if f not in accepted]
        for flow in rejected:
            previous = self._by_path.get(flow.path)
            if previous is not None and previous is not flow:
                retry, _ = cross_check(accepted + [previous])
                if previous in retry:
                    accepted = retry
        for p in problems:
            if p.is_error:
                log.warning("%s", p)
        self._by_path = {f.path: f for f in accepted}
        self._flows = {f.id: f for f in accepted}
        self.problems = problems
        return problems

    def get(self, flow_id: str) -> Flow | None:
        """The flow in service with this id."""
        return self._flows.get(flow_id)

    def all(self) -> list[Flow]:
        """Every flow in service, by id."""
        return [self._flows[k] for k in sorted(self._flows)]

    def by_keyword(self, text: str) -> tuple[Flow, str] | None:
        """The flow and language a keyword message starts, if any."""
        return by_keyword(self.all(), text)
