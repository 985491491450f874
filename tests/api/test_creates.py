"""How a failing job of a create batch is named for a person."""

from __future__ import annotations

from orchestrator.api.creates import describe_job
from orchestrator.api.model import JobCreate


def test_describe_job_shows_position_and_first_labels() -> None:
    job = JobCreate(
        fields={"pipelineYamlPath": "p"},
        parameters={"ORCHESTRATOR_RUN": "r1", "ORCHESTRATOR_JOB": "lr-3", "a": "1", "b": "2"},
    )
    assert describe_job(7, job) == "job #7 {ORCHESTRATOR_RUN=r1, ORCHESTRATOR_JOB=lr-3, a=1, ...}"
    assert describe_job(0, JobCreate(fields={}, parameters={})) == "job #0"
