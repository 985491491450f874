"""The hosted job environment: the variables a job on the hosted platform finds set.

Job code written for the hosted platform reads these (they are in the pod specs real clients
copied from it). The platform computes them here, from the job's row, once per attempt; the
task runner writes them after the parameters, so no parameter replaces them, and
:mod:`~orchestrator.platform.executor.parameter_names` denies their names to bare parameters.

What each holds locally (``docs/platform-executor.md``, "What a job inherits"):

- ``HYPERPLANE_JOB_PIPELINE_YAML_PATH``: the job's ``pipelineYamlPath``, as given.
- ``HYPERPLANE_JOB_CHECKED_BRANCH_NAME`` / ``HYPERPLANE_JOB_CHECKED_COMMIT_ID``: the job's
  ``branchName`` / ``commitId``, empty when not given. For a job of a git server the
  executor passes the job as checked out (:meth:`~.code_root.CodeRoot.with_checkout`): the
  branch and the full commit id it runs.
- ``HYPERPLANE_JOB_DEBUGGABLE``: ``"true"`` or ``"false"`` (the job's ``debuggable``).
- ``USER_EMAIL`` and ``PIPELINES_USER``: the job's ``hyperplaneUserEmail`` (empty if none).
- ``MY_POD_NAME``: ``pipeline-job-<job id>-<attempt>``; stable for one attempt, new for each
  rerun by ``maxRetries``, unique on the platform.
- ``HYPERPLANE_GRAPHQL_URL`` (a local name): the endpoint of the platform running the job,
  which the ``hyperplane.notebook_common`` helpers talk to; set only when known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from orchestrator.platform.store.model import JobRow

Endpoint: TypeAlias = Callable[[], str | None]
"""Says the GraphQL URL of the platform running the jobs (``None``: not known)."""


def no_endpoint() -> str | None:
    """An executor not told where its platform listens (tests that start one alone)."""
    return None


class PublishedEndpoint:
    """An :data:`Endpoint` the server fills in once it accepts requests (its socket opens
    after the executor is made, and ``--port 0`` picks the port only then)."""

    def __init__(self) -> None:
        self.url: str | None = None

    def __call__(self) -> str | None:
        return self.url


PIPELINE_YAML_PATH_VARIABLE = "HYPERPLANE_JOB_PIPELINE_YAML_PATH"
BRANCH_VARIABLE = "HYPERPLANE_JOB_CHECKED_BRANCH_NAME"
COMMIT_VARIABLE = "HYPERPLANE_JOB_CHECKED_COMMIT_ID"
DEBUGGABLE_VARIABLE = "HYPERPLANE_JOB_DEBUGGABLE"
USER_EMAIL_VARIABLE = "USER_EMAIL"
PIPELINES_USER_VARIABLE = "PIPELINES_USER"
POD_NAME_VARIABLE = "MY_POD_NAME"
GRAPHQL_URL_VARIABLE = "HYPERPLANE_GRAPHQL_URL"


def pod_name(job_id: str, attempt: int) -> str:
    """``MY_POD_NAME`` of one attempt (the hosted ``workerPodName`` of the job, locally)."""
    return f"pipeline-job-{job_id}-{attempt}"


def hosted_variables(job: JobRow, attempt: int, graphql_url: str | None) -> dict[str, str]:
    """The hosted job variables of ``job``'s attempt number ``attempt`` (1 + reruns)."""
    spec = job.spec
    email = spec.extra_value("hyperplaneUserEmail")
    user = email if isinstance(email, str) else ""
    variables = {
        PIPELINE_YAML_PATH_VARIABLE: spec.pipeline_yaml_path,
        BRANCH_VARIABLE: spec.branch_name or "",
        COMMIT_VARIABLE: spec.commit_id or "",
        DEBUGGABLE_VARIABLE: "true" if spec.debuggable else "false",
        USER_EMAIL_VARIABLE: user,
        PIPELINES_USER_VARIABLE: user,
        POD_NAME_VARIABLE: pod_name(job.id, attempt),
    }
    if graphql_url:
        variables[GRAPHQL_URL_VARIABLE] = graphql_url
    return variables
