"""Crash-point names are checked: a misspelt one fails loudly instead of never firing."""

from __future__ import annotations

import pytest

from orchestrator.engine.hooks import CRASH_ENV, CRASH_POINTS, crash_point


def test_a_point_the_code_passes_must_be_a_crash_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CRASH_ENV, raising=False)
    with pytest.raises(ValueError, match="'after_intnet' is not a crash point"):
        crash_point("after_intnet")


def test_a_hook_naming_no_crash_point_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CRASH_ENV, "after_craete:2")
    with pytest.raises(ValueError, match="names no crash point"):
        crash_point("after_create")


def test_a_known_point_not_named_by_the_hook_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CRASH_ENV, "after_poll:3")
    for point in sorted(CRASH_POINTS - {"after_poll"}):
        crash_point(point)  # returns: this process is still here
