"""Validate a group's ``matrix`` and ``items`` into a Matrix and a list of item mappings."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from orchestrator.manifest.axes import (
    Axis,
    SourceError,
    file_values,
    glob_values,
    range_values,
)
from orchestrator.manifest.checker import Checker, describe, dotted
from orchestrator.manifest.errors import did_you_mean
from orchestrator.manifest.fields import BUILTIN_VARIABLES, ITEM_SOURCE_KEYS, SOURCE_KEYS
from orchestrator.manifest.matrix import Matrix
from orchestrator.manifest.templates import render_value
from orchestrator.manifest.yaml_source import PathKey


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _variable_name(check: Checker, name: Any, path: PathKey) -> bool:
    if not isinstance(name, str) or not name:
        check.error(path, f"variable names must be strings, got {describe(name)}", at_key=True)
        return False
    if name in BUILTIN_VARIABLES:
        check.error(path, f"{name!r} is a built-in variable; choose another name", at_key=True)
        return False
    return True


def _source(check: Checker, spec: dict[Any, Any], path: PathKey, allowed: Sequence[str]) -> Any:
    """Values of a ``{range: ...}``, ``{file: ...}`` or ``{glob: ...}`` mapping, or None."""
    if len(spec) != 1 or next(iter(spec)) not in allowed:
        keys = ", ".join(str(k) for k in spec) or "nothing"
        hint = did_you_mean(str(next(iter(spec))), allowed) if len(spec) == 1 else ""
        check.error(
            path,
            f"{dotted(path)} must be a list or one of {{{', '.join(allowed)}: ...}}, "
            f"got a mapping with {keys}{hint}",
        )
        return None
    kind, argument = next(iter(spec.items()))
    try:
        if kind == "range":
            return range_values(argument)
        if kind == "file":
            return file_values(check.fence, argument)
        return glob_values(check.fence, argument)
    except SourceError as exc:
        check.error((*path, kind), f"{dotted(path)}: {exc}")
        return None


def _axis(check: Checker, name: str, raw: Any, path: PathKey) -> Axis | None:
    values: Any
    if isinstance(raw, list):
        values = raw
    elif isinstance(raw, dict):
        values = _source(check, raw, path, SOURCE_KEYS)
        if values is None:
            return None
    else:
        check.error(path, f"matrix axis {name!r} must be a list of values, got {describe(raw)}")
        return None
    if len(values) == 0:
        check.error(path, f"matrix axis {name!r} has no values")
        return None
    if not isinstance(values, range):  # a range never repeats itself
        seen: dict[str, int] = {}
        for i, value in enumerate(values):
            text = render_value(value)
            if text in seen:
                where = (*path, i) if isinstance(raw, list) else path
                check.error(where, f"matrix axis {name!r} lists {text!r} twice")
                return None
            seen[text] = i
    return Axis(name=name, values=values)


def _entries(check: Checker, raw: Any, path: PathKey, what: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        check.error(path, f"{what} must be a list of mappings, got {describe(raw)}")
        return []
    entries = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not entry:
            check.error((*path, i), f"each {what} entry must be a non-empty mapping")
            continue
        entries.append(entry)
    return entries


def build_matrix(check: Checker, raw: Any, path: PathKey) -> Matrix | None:
    """A Matrix from ``matrix:``; None (with issues reported) if it is not valid."""
    spec = check.mapping(raw, path)
    if spec is None:
        return None
    ok = True
    axes: list[Axis] = []
    for name, axis_raw in spec.items():
        if name in ("include", "exclude"):
            continue
        if not _variable_name(check, name, (*path, name)):
            ok = False
            continue
        axis = _axis(check, name, axis_raw, (*path, name))
        ok = ok and axis is not None
        if axis is not None:
            axes.append(axis)
    names = [name for name in spec if name not in ("include", "exclude")]
    exclude = _entries(check, spec.get("exclude", []), (*path, "exclude"), "exclude")
    for i, entry in enumerate(exclude):
        for key in entry:
            if key not in names:
                check.error(
                    (*path, "exclude", i, key),
                    f"exclude names {key!r}, which is not a matrix axis"
                    f"{did_you_mean(str(key), names)}",
                    at_key=True,
                )
                ok = False
    include = _entries(check, spec.get("include", []), (*path, "include"), "include")
    seen: set[str] = set()
    for i, entry in enumerate(include):
        for key in entry:
            ok = _variable_name(check, key, (*path, "include", i, key)) and ok
        if _canonical(entry) in seen:
            check.error((*path, "include", i), "this include entry repeats an earlier one")
            ok = False
        seen.add(_canonical(entry))
    if not spec or (not axes and not include and ok):
        check.error(path, "matrix has no axes and no include entries")
        return None
    return Matrix(axes, exclude, include) if ok else None


def build_items(check: Checker, raw: Any, path: PathKey) -> list[dict[str, Any]] | None:
    """The list of item mappings from ``items:`` (inline or a file); None if invalid."""
    values: Any = raw
    if isinstance(raw, dict):
        values = _source(check, raw, path, ITEM_SOURCE_KEYS)
        if values is None:
            return None
    elif not isinstance(raw, list):
        check.error(path, f"items must be a list of mappings or {{file: ...}}, got {describe(raw)}")
        return None
    if not values:
        check.error(path, "items is empty")
        return None
    items: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    ok = True
    for i, item in enumerate(values):
        where = (*path, i) if isinstance(raw, list) else path
        label = f"item {i + 1}"
        if not isinstance(item, dict) or not item:
            check.error(where, f"{label} must be a non-empty mapping, got {describe(item)}")
            ok = False
            continue
        for key in item:
            if not _variable_name(check, key, (*where, key) if isinstance(raw, list) else where):
                ok = False
        text = _canonical(item)
        if text in seen:
            check.error(where, f"{label} repeats item {seen[text] + 1}")
            ok = False
        seen.setdefault(text, i)
        items.append(item)
        if not ok:
            break
    return items if ok else None
