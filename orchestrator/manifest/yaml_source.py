"""Parse YAML text with ``yaml.safe_load`` semantics while remembering where every value was.

PyYAML's safe loader gives values without positions; validation wants to point at lines. So
the text is *composed* into nodes with the safe loader (no Python tags, no code) and the
nodes are turned into plain values here, recording the line and column of each value and
each mapping key under its path (``("jobs", 0, "matrix")``). Aliases are measured before
they are expanded, so a "billion laughs" document is refused in linear time.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from orchestrator.manifest.errors import IssueCollector

PathKey = tuple[str | int, ...]
Position = tuple[int, int]
# Positions are kept packed in one int (line << 32 | column): a big manifest records one per
# value and key, and a tuple of two ints costs three objects where this costs one.
_PACK = 32


def _pack(line: int, column: int) -> int:
    return line << _PACK | column


def _unpack(packed: int) -> Position:
    return packed >> _PACK, packed & ((1 << _PACK) - 1)


MAX_DEPTH = 64
# Aliases may make a document bigger than its text, but only modestly: a manifest that
# reuses an anchored block a few times is fine, a document that multiplies itself is a bomb.
ALIAS_GROWTH_LIMIT = 10
ALIAS_FREE_ALLOWANCE = 10_000
# The tags yaml.safe_load understands that make sense in a manifest; anything else (Python
# object tags, local tags) is refused rather than silently read as a plain value.
_SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")
)
# What YAML itself refuses to read (PyYAML's Reader.NON_PRINTABLE): control characters other
# than tab and line breaks, lone surrogates. Found here, they get a line and a column.
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# libyaml parses about ten times faster than the pure-Python parser; its messages are
# terser, so a document it refuses is parsed again by the Python one for the message.
_FAST_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(slots=True)
class LocatedDocument:
    """Plain YAML values plus the position of each value and key, by path."""

    data: Any
    values: dict[PathKey, int] = field(default_factory=dict)  # packed positions
    keys: dict[PathKey, int] = field(default_factory=dict)

    def at(self, path: PathKey) -> Position:
        """Where the value at ``path`` starts (or its nearest located ancestor)."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return _unpack(found)
        return (1, 1)

    def key_at(self, path: PathKey) -> Position:
        """Where the mapping key naming ``path`` starts, falling back to the value."""
        found = self.keys.get(path)
        return _unpack(found) if found is not None else self.at(path)


class _Bomb(Exception):
    """Raised inside measuring when aliases expand beyond the allowance."""


def parse_yaml(text: str, issues: IssueCollector) -> LocatedDocument | None:
    """Parse one YAML document; record problems in ``issues`` and return None on failure."""
    if not _printable(text, issues):
        return None
    loader: yaml.SafeLoader = _FAST_LOADER(text)
    try:
        try:
            try:
                root = loader.get_single_node()
            except yaml.YAMLError:
                if _FAST_LOADER is yaml.SafeLoader:
                    raise
                loader.dispose()
                loader = yaml.SafeLoader(text)  # again, for PyYAML's fuller message
                root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            hint = _quote_hint(text, mark.line if mark else None)
            issues.add(line, column, f"invalid YAML: {exc.problem or exc.context}{hint}")
            return None
        except yaml.YAMLError as exc:
            issues.add(1, 1, f"invalid YAML: {exc}")
            return None
        except RecursionError:
            issues.add(1, 1, f"YAML nested too deeply (more than {MAX_DEPTH} levels)")
            return None
        if root is None:
            return LocatedDocument(data=None)
        if "*" in text and not _aliases_are_modest(root, issues):  # no '*', no alias
            return None
        converter = _Converter(loader, issues, release="*" not in text)
        data = converter.convert(root, (), 0)
        return LocatedDocument(data=data, values=converter.values, keys=converter.keys)
    finally:
        loader.dispose()


def _printable(text: str, issues: IssueCollector) -> bool:
    """Refuse NUL bytes and other control characters, each at its line and column."""
    found = 0
    for match in _NON_PRINTABLE.finditer(text):
        start = match.start()
        line = text.count("\n", 0, start) + 1
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        code = ord(match.group())
        what = "a NUL byte" if code == 0 else f"the control character U+{code:04X}"
        issues.add(line, column, f"{what} is not allowed in a manifest (YAML text only)")
        found += 1
        if found == 10:  # a binary file: ten are enough to say so
            break
    return found == 0


def _aliases_are_modest(root: yaml.Node, issues: IssueCollector) -> bool:
    """Refuse documents whose aliases expand far beyond their text (YAML bombs)."""
    distinct: set[int] = set()
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def measure(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise _Bomb("a YAML alias refers to itself")
        in_progress.add(key)
        distinct.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(measure(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(measure(k) + measure(v) for k, v in node.value)
        in_progress.discard(key)
        sizes[key] = total
        return total

    try:
        expanded = measure(root)
    except _Bomb as exc:
        issues.add(root.start_mark.line + 1, root.start_mark.column + 1, f"refused: {exc}")
        return False
    except RecursionError:
        issues.add(1, 1, f"YAML nested too deeply (more than {MAX_DEPTH} levels)")
        return False
    limit = max(ALIAS_FREE_ALLOWANCE, ALIAS_GROWTH_LIMIT * len(distinct))
    if expanded > limit:
        issues.add(
            root.start_mark.line + 1,
            root.start_mark.column + 1,
            f"refused: aliases expand this document to {expanded} values from "
            f"{len(distinct)} written ones (a YAML bomb?)",
        )
        return False
    return True


class _Converter:
    """Turns composed nodes into plain values, recording positions as it goes."""

    def __init__(
        self, loader: yaml.SafeLoader, issues: IssueCollector, *, release: bool = False
    ) -> None:
        self.loader = loader
        self.issues = issues
        self.release = release  # drop converted nodes (only safe when no alias shares them)
        self.values: dict[PathKey, int] = {}
        self.keys: dict[PathKey, int] = {}

    def convert(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        mark = node.start_mark
        position = (mark.line + 1, mark.column + 1)
        self.values[path] = _pack(*position)
        if node.tag not in _SAFE_TAGS:
            self.issues.add(*position, f"YAML tag {node.tag!r} is not allowed (safe YAML only)")
            return None
        if depth > MAX_DEPTH:
            self.issues.add(*position, f"YAML nested too deeply (more than {MAX_DEPTH} levels)")
            return None
        if isinstance(node, yaml.SequenceNode):
            children = node.value
            values = []
            for i, child in enumerate(children):
                values.append(self.convert(child, (*path, i), depth + 1))
                if self.release:
                    children[i] = None  # the tree shrinks as the values grow: one peak, not two
            return values
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        return self._scalar(node, position)

    def _mapping(self, node: yaml.MappingNode, path: PathKey, depth: int) -> dict[Any, Any]:
        seen: dict[Any, Position] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self._key(key_node)
            where = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in seen:
                line = seen[key][0]
                self.issues.add(*where, f"duplicate key {key!r} (first set on line {line})")
            seen.setdefault(key, where)
        try:
            self.loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = (mark.line + 1, mark.column + 1) if mark else _unpack(self.values[path])
            self.issues.add(*where, f"invalid merge key: {exc.problem}")
            return {}
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            child = (*path, key)
            self.keys[child] = _pack(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, child, depth + 1)
        return result

    def _key(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if node.tag == "tag:yaml.org,2002:bool":
                # YAML 1.1 reads a key `on:` as True; as GitHub Actions does, keys keep
                # their text (policy.retry.on must stay "on").
                return node.value
            value = self._scalar(node, (node.start_mark.line + 1, node.start_mark.column + 1))
            return (
                value
                if isinstance(value, str | int | float | bool) or value is None
                else str(value)
            )
        self.issues.add(
            node.start_mark.line + 1, node.start_mark.column + 1, "a mapping key must be a scalar"
        )
        return f"<{type(node).__name__} at line {node.start_mark.line + 1}>"

    def _scalar(self, node: yaml.Node, position: Position) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            self.issues.add(*position, f"invalid value: {exc}")
            return None
        if isinstance(value, datetime.datetime | datetime.date):
            return value.isoformat()
        if isinstance(value, bytes | bytearray):
            self.issues.add(*position, "binary values are not supported")
            return None
        if isinstance(value, str) and "\x00" in value:  # an escaped "\0": no platform takes it
            self.issues.add(*position, "a NUL character (\\0) is not allowed in a value")
            return None
        return value


def _quote_hint(text: str, line: int | None) -> str:
    """A hint for the line PyYAML stopped at when a value there starts with ``*`` or ``&``
    (an alias or an anchor to YAML): an unquoted cron schedule, ``*/5 * * * *``."""
    if line is None:
        return ""
    lines = text.splitlines()
    if line >= len(lines):
        return ""
    _, sep, value = lines[line].partition(":")
    value = value.strip()
    if not sep or not value.startswith(("*", "&")):
        return ""
    return f" (a value starting with {value[0]!r} must be quoted: '{value}')"
