"""Filters over the size limits are the request's fault (FilterError), and the limits are
low enough that every filter within them runs on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orchestrator.platform.store.model import JobSpecInput
from orchestrator.platform.store.store import Store
from orchestrator.platform.store.where import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_TERMS,
    MAX_FILTER_VALUES,
    FilterError,
)
from tests.helpers.hostile import huge_or, nested_not


def nested_and(levels: int) -> dict[str, Any]:
    where: dict[str, Any] = {"runId": {"equals": "x"}}
    for _ in range(levels):
        where = {"AND": [where]}
    return where


def nested_upper_not(levels: int) -> dict[str, Any]:
    where: dict[str, Any] = {"runId": {"equals": "x"}}
    for _ in range(levels):
        where = {"NOT": where}
    return where


def nested_relation(levels: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"key": {"equals": "x"}}
    for _ in range(levels):
        inner = {"AND": [inner]}
    return {"parameters": {"some": inner}}


# Each builder, and the nesting levels it adds above MAX_FILTER_DEPTH's count of its argument;
# whether the job (whose runId is not "x") matches depends on how many NOTs there are.
SHAPES: list[tuple[str, Callable[[int], dict[str, Any]], int, bool]] = [
    ("AND", nested_and, 1, False),
    ("NOT", nested_upper_not, 1, True),
    ("not", nested_not, 1, True),
    ("relation", nested_relation, 3, False),
]


@pytest.mark.parametrize(("name", "build", "extra", "negates"), SHAPES, ids=[s[0] for s in SHAPES])
def test_the_deepest_filter_allowed_runs_and_one_level_more_is_refused(
    store: Store, name: str, build: Callable[[int], dict[str, Any]], extra: int, negates: bool
) -> None:
    store.create_job(JobSpecInput("p.yaml"))
    deepest = MAX_FILTER_DEPTH - extra
    assert store.count_jobs(build(deepest)) == (deepest % 2 if negates else 0)
    with pytest.raises(FilterError, match="levels deep"):
        store.count_jobs(build(deepest + 1))


def test_the_largest_or_allowed_runs_and_a_larger_one_is_refused(store: Store) -> None:
    terms = (MAX_FILTER_TERMS - 1) // 2  # each term is two keys: runId and equals
    assert store.count_jobs(huge_or(terms)) == 0
    with pytest.raises(FilterError, match="conditions"):
        store.count_jobs(huge_or(terms + 1))


def test_too_many_values_are_refused(store: Store) -> None:
    ids = [f"j{i}" for i in range(MAX_FILTER_VALUES)]
    assert store.count_jobs({"id": {"in": ids}}) == 0
    with pytest.raises(FilterError, match="values"):
        store.count_jobs({"id": {"in": [*ids, "one-more"]}})
