"""Shared helpers for validation: report at a path, check types and spelling of keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from orchestrator.manifest.confinement import Confinement
from orchestrator.manifest.errors import IssueCollector, did_you_mean
from orchestrator.manifest.yaml_source import LocatedDocument, PathKey


def describe(value: Any) -> str:
    """A short human name for a value's YAML type, for 'expected X, got Y' messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def dotted(path: PathKey) -> str:
    """``jobs[0].matrix.lr`` for ``("jobs", 0, "matrix", "lr")``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the document"


class Checker:
    """Validation context: the located document, the issue list, and where sources may be
    read from (the manifest's folder and any folder allowed outside it)."""

    def __init__(self, doc: LocatedDocument, issues: IssueCollector, fence: Confinement) -> None:
        self.doc = doc
        self.issues = issues
        self.fence = fence

    def error(self, path: PathKey, message: str, *, at_key: bool = False) -> None:
        """Record a problem located at the value (or key) at ``path``."""
        line, column = self.doc.key_at(path) if at_key else self.doc.at(path)
        self.issues.add(line, column, message)

    def mapping(self, value: Any, path: PathKey) -> dict[Any, Any] | None:
        """The value if it is a mapping; otherwise report and return None."""
        if isinstance(value, dict):
            return value
        self.error(path, f"{dotted(path)} must be a mapping, got {describe(value)}")
        return None

    def known_keys(self, mapping: dict[Any, Any], path: PathKey, allowed: Iterable[str]) -> None:
        """Report every key not in ``allowed``, suggesting the closest allowed one."""
        allowed = tuple(allowed)
        for key in mapping:
            if key not in allowed:
                self.error(
                    (*path, key),
                    f"unknown key {key!r} in {dotted(path)}{did_you_mean(str(key), allowed)}",
                    at_key=True,
                )

    def integer(
        self,
        value: Any,
        path: PathKey,
        minimum: int,
        hint: str = "",
        *,
        maximum: int | None = None,
    ) -> int | None:
        """An int in ``[minimum, maximum]``, else report (booleans are not integers)."""
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(path, f"{dotted(path)} must be an integer, got {describe(value)}")
            return None
        if value < minimum:
            self.error(path, f"{dotted(path)} must be >= {minimum}{hint}, got {value}")
            return None
        if maximum is not None and value > maximum:
            self.error(
                path,
                f"{dotted(path)} must be at most {maximum} (the platform's 32-bit Int), "
                f"got {value}",
            )
            return None
        return value
