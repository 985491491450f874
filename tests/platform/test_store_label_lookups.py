"""Label look-ups give the same answers whichever plan the store picks (selective or not)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.model import JobStatus
from orchestrator.platform.store.model import JobChanges, JobSpecInput
from orchestrator.platform.store.store import Store

RUN_SIZE = 1100  # more jobs than the store's "selective label" threshold


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = Store.open(Path(tmp_path_factory.mktemp("labels")) / "p.db")
    specs = [
        JobSpecInput(
            "p.yaml",
            parameters=(
                ("RUN", "big" if i < RUN_SIZE else "small"),
                ("JOB", f"k{i % 600}"),
                ("ATTEMPT", "2" if i % 7 == 0 else "1"),
            ),
        )
        for i in range(RUN_SIZE + 50)
    ]
    opened.create_jobs(specs)
    opened.claim_pending(300)
    yield opened
    opened.close()


def label(key: str, value: str) -> dict[str, Any]:
    return {"parameters": {"some": {"key": {"equals": key}, "value": {"equals": value}}}}


def brute_force(store: Store, labels: dict[str, str], statuses: set[str] | None) -> list[str]:
    return sorted(
        job.id
        for job in store.find_jobs()
        if all(job.parameter_map().get(k) == v for k, v in labels.items())
        and (statuses is None or job.status.value in statuses)
    )


@pytest.mark.parametrize(
    ("labels", "statuses"),
    [
        ({"RUN": "big"}, None),
        ({"RUN": "big"}, {"pending"}),
        ({"RUN": "big", "JOB": "k7"}, None),
        ({"RUN": "big", "JOB": "k7", "ATTEMPT": "2"}, None),
        ({"RUN": "small", "ATTEMPT": "1"}, {"pending", "in progress"}),
        ({"RUN": "none"}, None),
        ({"RUN": "big", "ATTEMPT": "1"}, {"in progress"}),
    ],
)
def test_find_count_and_pages_match_a_brute_force_filter(
    store: Store, labels: dict[str, str], statuses: set[str] | None
) -> None:
    conditions: list[dict[str, Any]] = [label(k, v) for k, v in labels.items()]
    if statuses is not None:
        conditions.append({"status": {"in": sorted(statuses)}})
    expected = brute_force(store, labels, statuses)
    where = {"AND": conditions}
    assert sorted(j.id for j in store.find_jobs(where)) == expected
    assert store.count_jobs(where) == len(expected)
    paged: list[str] = []
    while True:
        after = [{"id": {"gt": paged[-1]}}] if paged else []
        page = store.find_jobs({"AND": conditions + after}, [{"id": "asc"}], 200)
        paged += [j.id for j in page]
        if len(page) < 200:
            break
    assert paged == expected


def test_bulk_cancel_by_run_label_skips_finished_jobs(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "c.db")
    store.create_jobs([JobSpecInput("p", parameters=(("RUN", "r"),)) for _ in range(RUN_SIZE)])
    store.create_jobs([JobSpecInput("p", parameters=(("RUN", "other"),)) for _ in range(5)])
    first = store.claim_pending(1)[0]
    store.finish(first.id, JobStatus.DONE, None)
    count = store.update_many({"AND": [label("RUN", "r")]}, JobChanges(status=JobStatus.CANCELLED))
    assert count == RUN_SIZE - 1
    assert store.count_by_status() == {
        JobStatus.DONE: 1,
        JobStatus.CANCELLED: RUN_SIZE - 1,
        JobStatus.PENDING: 5,
    }
    store.close()
