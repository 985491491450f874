"""Translation between typed values and the API's JSON variables and results."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestrator.api.wire import (
    FINAL_STATUS_VALUES,
    cancellable,
    chunks,
    create_input,
    job_state,
    job_where,
    parse_datetime,
)
from orchestrator.model import FINAL_STATUSES, JobCreate, JobStatus


def test_chunks_keep_order_and_bound_size() -> None:
    assert [list(c) for c in chunks([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]
    assert list(chunks([], 3)) == []
    with pytest.raises(ValueError):
        list(chunks([1], 0))


def test_create_input_nests_parameters_as_creates() -> None:
    job = JobCreate(
        fields={"pipelineYamlPath": "p.yaml", "maxRetries": 0},
        parameters={"ORCHESTRATOR_RUN": "r1", "lr": "0.1"},
    )
    assert create_input(job) == {
        "pipelineYamlPath": "p.yaml",
        "maxRetries": 0,
        "parameters": {
            "create": [
                {"key": "ORCHESTRATOR_RUN", "value": "r1"},
                {"key": "lr", "value": "0.1"},
            ]
        },
    }


def test_create_input_without_parameters_omits_them() -> None:
    assert create_input(JobCreate(fields={"pipelineYamlPath": "p"}, parameters={})) == {
        "pipelineYamlPath": "p"
    }


def test_create_input_refuses_parameters_among_fields() -> None:
    with pytest.raises(ValueError):
        create_input(JobCreate(fields={"parameters": {}}, parameters={}))


def test_job_where_requires_every_label_and_a_status() -> None:
    where = job_where({"a": "1", "b": "2"}, {JobStatus.PENDING, JobStatus.DONE}, after_id="x")
    assert where == {
        "AND": [
            {"parameters": {"some": {"key": {"equals": "a"}, "value": {"equals": "1"}}}},
            {"parameters": {"some": {"key": {"equals": "b"}, "value": {"equals": "2"}}}},
            {"status": {"in": ["done", "pending"]}},
            {"id": {"gt": "x"}},
        ]
    }


def test_job_where_without_filters_matches_everything() -> None:
    assert job_where() == {"AND": []}


def test_cancellable_never_includes_a_final_status() -> None:
    assert cancellable(None) == frozenset(JobStatus) - FINAL_STATUSES
    assert cancellable({JobStatus.DONE, JobStatus.SCHEDULED}) == {JobStatus.SCHEDULED}
    assert cancellable({JobStatus.FAILED}) == frozenset()
    assert set(FINAL_STATUS_VALUES) == {"done", "failed", "cancelled", "timed out"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("", None),
        ("2026-11-24T08:00:00Z", datetime(2026, 11, 24, 8, tzinfo=UTC)),
        ("2026-11-24T08:00:00.250+00:00", datetime(2026, 11, 24, 8, 0, 0, 250000, tzinfo=UTC)),
        ("2026-11-24T08:00:00", datetime(2026, 11, 24, 8, tzinfo=UTC)),
    ],
)
def test_datetimes_are_utc_aware(text: str | None, expected: datetime | None) -> None:
    assert parse_datetime(text) == expected


def test_job_state_reads_a_pipeline_job() -> None:
    state = job_state(
        {
            "id": "j1",
            "status": "in progress",
            "statusReason": None,
            "runId": "r9",
            "startTime": "2026-11-24T08:00:00Z",
            "completionTime": None,
            "parameters": [{"key": "k", "value": "v"}],
        }
    )
    assert state.id == "j1"
    assert state.status is JobStatus.IN_PROGRESS
    assert state.run_id == "r9"
    assert state.start_time == datetime(2026, 11, 24, 8, tzinfo=UTC)
    assert state.parameters == {"k": "v"}


def test_job_state_without_parameters_leaves_them_unknown() -> None:
    assert job_state({"id": "j", "status": "pending"}).parameters is None
