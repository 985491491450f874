"""The steps of a job: one per pipeline task, with its status and times (``PipelineJob.steps``).

The hosted platform answers a job's steps; locally the executor is what knows when a task
starts and ends, so it records them here (:func:`record_step`) and the API reads them
(:func:`steps_of`). Each attempt starts with no steps (:func:`clear_steps`; a rerun by the job's
own ``maxRetries`` is a new attempt), so a job's steps are those of its latest attempt. A task
stopped by the job's time limit is recorded "cancelled" by the task runner, which cannot tell
why it was stopped; the executor, which can, then says "timed out" (:func:`stopped_steps_as`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from orchestrator.model import JobStatus
from orchestrator.platform.store.store import Store
from orchestrator.platform.store.timestamps import from_db, to_db


@dataclass(frozen=True, slots=True)
class StepRow:
    """One task of a job's pipeline as it ran (or is running)."""

    name: str
    status: JobStatus
    start_time: datetime | None
    end_time: datetime | None


def record_step(
    store: Store,
    job_id: str,
    name: str,
    status: JobStatus,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
) -> None:
    """Set the step ``name`` of ``job_id`` (created the first time, in task order); a time
    given as ``None`` keeps the one recorded."""
    with store.transaction():
        store.connection.execute(
            "INSERT INTO job_step (pipeline_job_id, name, status, start_time, end_time)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (pipeline_job_id, name) DO UPDATE SET"
            " status = excluded.status,"
            " start_time = COALESCE(excluded.start_time, start_time),"
            " end_time = COALESCE(excluded.end_time, end_time)",
            (job_id, name, status.value, _moment(start_time), _moment(end_time)),
        )


def _moment(value: datetime | None) -> str | None:
    return None if value is None else to_db(value)


def steps_of(store: Store, job_id: str) -> list[StepRow]:
    """The steps recorded for ``job_id``, in the order they were first recorded."""
    rows = store.connection.execute(
        "SELECT name, status, start_time, end_time FROM job_step"
        " WHERE pipeline_job_id = ? ORDER BY seq",
        (job_id,),
    )
    return [StepRow(row[0], JobStatus(row[1]), from_db(row[2]), from_db(row[3])) for row in rows]


def clear_steps(store: Store, job_id: str) -> None:
    """Forget the steps of ``job_id`` (a new attempt starts)."""
    with store.transaction():
        store.connection.execute("DELETE FROM job_step WHERE pipeline_job_id = ?", (job_id,))


def stopped_steps_as(store: Store, job_id: str, status: JobStatus, end_time: datetime) -> None:
    """The steps of ``job_id`` that were stopped or are still running end ``status``
    (``end_time`` where none is recorded)."""
    with store.transaction():
        store.connection.execute(
            "UPDATE job_step SET status = ?, end_time = COALESCE(end_time, ?)"
            " WHERE pipeline_job_id = ? AND status IN (?, ?)",
            (
                status.value,
                to_db(end_time),
                job_id,
                JobStatus.CANCELLED.value,
                JobStatus.IN_PROGRESS.value,
            ),
        )
