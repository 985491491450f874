"""Identity labels: how an attempt is found on the server by anyone, and after a crash."""

from __future__ import annotations

from orchestrator.api.model import JobCreate
from orchestrator.manifest.model import JobSpec

RUN_LABEL = "ORCHESTRATOR_RUN"
JOB_LABEL = "ORCHESTRATOR_JOB"
ATTEMPT_LABEL = "ORCHESTRATOR_ATTEMPT"


def attempt_labels(run_id: str, key: str, attempt: int) -> dict[str, str]:
    """The three labels that name one attempt uniquely."""
    return {RUN_LABEL: run_id, JOB_LABEL: key, ATTEMPT_LABEL: str(attempt)}


def attempt_create(spec: JobSpec, run_id: str, attempt: int) -> JobCreate:
    """The create request of one attempt: the spec's fields with the platform's own retries
    off (the orchestrator owns retries) and its parameters plus the identity labels."""
    fields = dict(spec.fields)
    fields["maxRetries"] = 0
    parameters = {**spec.parameters, **attempt_labels(run_id, spec.key, attempt)}
    return JobCreate(fields=fields, parameters=parameters)
