"""Property: the SQL the filters compile to agrees with a plain-Python reading of them.

The Python reading is Prisma on PostgreSQL: SQL's three-valued logic (a comparison with NULL
is unknown, and NOT of unknown stays unknown, so such rows never match), string matching
case-sensitive unless ``mode: insensitive``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.platform.store.model import JobSpecInput
from orchestrator.platform.store.store import Store

OWNERS = [None, "ada", "Ada", "bob", "a_b", "a%b", "", "éa"]
TIMEOUTS = [None, -1, 0, 5, 60]
FIELD_OF = {"owner": "owner", "timeout": "timeout"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store.open(Path(tmp_path_factory.mktemp("filters")) / "f.db")
    specs = [
        JobSpecInput("p.yaml", owner=owner, timeout=timeout)
        for owner in OWNERS
        for timeout in TIMEOUTS
    ]
    opened.create_jobs(specs)
    yield opened
    opened.close()


texts = st.sampled_from(["ada", "Ada", "a", "b", "", "_", "%", "a%", "é", "zz"])
ints = st.sampled_from([-1, 0, 1, 5, 60, 100])


def leaf(values: st.SearchStrategy[Any], strings: bool) -> st.SearchStrategy[dict[str, Any]]:
    ops: dict[str, st.SearchStrategy[Any]] = {
        "equals": st.one_of(st.none(), values),
        "in": st.lists(values, max_size=3),
        "notIn": st.lists(values, max_size=3),
        "lt": values,
        "gte": values,
    }
    if strings:
        ops |= {"contains": values, "startsWith": values, "endsWith": values}
    filters = st.fixed_dictionaries({}, optional=ops)
    if strings:
        filters = filters.flatmap(lambda f: st.sampled_from([f, {**f, "mode": "insensitive"}]))
    return filters.flatmap(lambda f: st.sampled_from([f, {"not": f}]) if f else st.just(f))


field_filters = st.one_of(
    leaf(texts, True).map(lambda f: {"owner": f}),
    leaf(ints, False).map(lambda f: {"timeout": f}),
)
wheres = st.recursive(
    field_filters,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: {"AND": xs}),
        st.lists(inner, max_size=3).map(lambda xs: {"OR": xs}),
        st.lists(inner, min_size=1, max_size=2).map(lambda xs: {"NOT": xs}),
    ),
    max_leaves=5,
)


Truth = bool | None  # None: SQL's "unknown"


def fold(value: Any, insensitive: bool) -> Any:
    return value.lower() if insensitive and isinstance(value, str) else value


def all_of(values: list[Truth]) -> Truth:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def any_of(values: list[Truth]) -> Truth:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def negate(value: Truth) -> Truth:
    return None if value is None else not value


def compare(op: str, v: Any, a: Any) -> bool:
    if op == "equals":
        return bool(v == a)
    if op == "in":
        return v in a
    if op == "notIn":
        return v not in a
    if op == "lt":
        return bool(v < a)
    if op == "gte":
        return bool(v >= a)
    if op == "contains":
        return a in v
    if op == "startsWith":
        return bool(v.startswith(a))
    return bool(v.endswith(a))


def field_truth(value: Any, condition: Mapping[str, Any], insensitive: bool = False) -> Truth:
    insensitive = insensitive or condition.get("mode") == "insensitive"
    results: list[Truth] = []
    for op, arg in condition.items():
        if op == "mode":
            continue
        if op == "not":
            results.append(
                value is not None if arg is None else negate(field_truth(value, arg, insensitive))
            )
        elif op == "equals" and arg is None:
            results.append(value is None)
        elif op in ("in", "notIn") and not arg:
            results.append(op == "notIn")
        elif value is None:
            results.append(None)
        else:
            v = fold(value, insensitive)
            a = (
                [fold(x, insensitive) for x in arg]
                if isinstance(arg, list)
                else fold(arg, insensitive)
            )
            results.append(compare(op, v, a))
    return all_of(results)


def truth(job: Mapping[str, Any], where: Mapping[str, Any]) -> Truth:
    results: list[Truth] = []
    for name, condition in where.items():
        if name == "AND":
            results.append(all_of([truth(job, c) for c in condition]))
        elif name == "OR":
            results.append(any_of([truth(job, c) for c in condition]))
        elif name == "NOT":
            results.append(all_of([negate(truth(job, c)) for c in condition]))
        else:
            results.append(field_truth(job[FIELD_OF[name]], condition))
    return all_of(results)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(where=wheres)
def test_compiled_filters_agree_with_python(store: Store, where: dict[str, Any]) -> None:
    jobs = store.find_jobs(with_parameters=False)
    rows = [{"id": j.id, "owner": j.spec.owner, "timeout": j.spec.timeout} for j in jobs]
    expected = {r["id"] for r in rows if truth(r, where) is True}
    assert {j.id for j in store.find_jobs(where, with_parameters=False)} == expected
