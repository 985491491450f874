"""How a failing job of a create batch is named for a person."""

from __future__ import annotations

from orchestrator.api.creates import combine, describe_job
from orchestrator.api.errors import (
    PermanentError,
    SubmitOutcomeUnknown,
    TransientError,
)
from orchestrator.model import JobCreate, JobState, JobStatus

A, C = (JobCreate(fields={"pipelineYamlPath": "p"}, parameters={"k": k}) for k in "ac")
DONE = JobState(id="1", status=JobStatus.PENDING)


def test_describe_job_shows_position_and_first_labels() -> None:
    job = JobCreate(
        fields={"pipelineYamlPath": "p"},
        parameters={"ORCHESTRATOR_RUN": "r1", "ORCHESTRATOR_JOB": "lr-3", "a": "1", "b": "2"},
    )
    assert describe_job(7, job) == "job #7 {ORCHESTRATOR_RUN=r1, ORCHESTRATOR_JOB=lr-3, a=1, ...}"
    assert describe_job(0, JobCreate(fields={}, parameters={})) == "job #0"


def test_any_unknown_outcome_wins_and_covers_every_unknown_job() -> None:
    errors = [
        TransientError("throttled too long"),
        SubmitOutcomeUnknown("lost reply", [A]),
        PermanentError("bad field"),
        SubmitOutcomeUnknown("lost reply", [C]),
    ]
    combined = combine(errors, [DONE, None, None])
    assert isinstance(combined, SubmitOutcomeUnknown)
    assert combined.jobs == (A, C)
    assert combined.created == (DONE, None, None)
    assert "1 more batch" in str(combined) and "bad field" in str(combined)


def test_a_permanent_error_wins_over_a_transient_one() -> None:
    combined = combine([TransientError("t"), PermanentError("p")], [None, None])
    assert isinstance(combined, PermanentError)
    assert combined.created == (None, None)


def test_a_lone_error_is_raised_as_is_with_created_filled() -> None:
    error = TransientError("t")
    assert combine([error], [DONE]) is error
    assert error.created == (DONE,)
