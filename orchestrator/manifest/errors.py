"""Manifest problems as values: every issue points at a file, a line and a column.

Validation collects *all* issues before failing, so a user fixes a manifest in one pass
instead of one error per run.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import UsageError


@dataclass(frozen=True, slots=True, order=True)
class ManifestIssue:
    """One problem found in a manifest, located the way editors and compilers locate them."""

    path: str
    line: int  # 1-based
    column: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ManifestError(UsageError):
    """A manifest could not be loaded; ``issues`` lists every problem found, in file order."""

    def __init__(self, issues: Iterable[ManifestIssue]) -> None:
        unique = sorted(set(issues))
        if not unique:
            raise ValueError("ManifestError needs at least one issue")
        self.issues: list[ManifestIssue] = unique
        super().__init__("\n".join(str(issue) for issue in unique))

    def __str__(self) -> str:
        return "\n".join(str(issue) for issue in self.issues)

    def report(self) -> str:
        """Every issue on its own line (``file:line:column: message``, as compilers say
        it, so editors jump to it), then how many."""
        count = len(self.issues)
        return f"{self}\n{count} problem{'s' if count != 1 else ''} found"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A suffix like ' (did you mean jobs?)' for a misspelt name, or '' if nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


class IssueCollector:
    """Accumulates issues for one file so validation can keep going after the first one."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self.issues: list[ManifestIssue] = []

    def add(self, line: int, column: int, message: str) -> None:
        """Record a problem at a 1-based position."""
        self.issues.append(ManifestIssue(self.path, line, column, message))

    def raise_if_any(self) -> None:
        """Stop here if anything was recorded."""
        if self.issues:
            raise ManifestError(self.issues)
