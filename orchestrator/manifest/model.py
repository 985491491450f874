"""The typed result of loading a manifest: what the engine consumes.

These frozen dataclasses are the contract between the manifest layer and the engine; the
engine never sees YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One logical job of a run, fully rendered (no templates left).

    ``fields`` holds createPipelineJob data fields under the API's own names (jobType,
    pipelineYamlPath, timeout, activeTimeout, maxRetries, exposedPort, schedule, jobName, ...),
    without ``parameters``; ``maxRetries`` there is the orchestrator's retry budget for this
    job. ``jobName`` is always there (the manifest's, or ``name`` made valid).
    """

    key: str  # stable and unique within the manifest: same manifest, same keys, same order
    index: int  # position in the run, 0-based
    group: str
    name: str
    matrix: Mapping[str, Any]  # the variables that made this job
    fields: Mapping[str, Any]
    parameters: Mapping[str, str]

    @property
    def max_retries(self) -> int:
        """How many times the orchestrator may resubmit this job after a failure."""
        return int(self.fields.get("maxRetries", 0) or 0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how fast failed jobs are resubmitted."""

    backoff_seconds: float = 10.0
    max_backoff_seconds: float = 300.0
    on: frozenset[str] = frozenset({"failed", "timed out"})


@dataclass(frozen=True, slots=True)
class Policy:
    """How a run is driven."""

    max_in_flight: int = 50
    deadline_seconds: float | None = None
    fail_fast: bool = False
    max_jobs: int = 100_000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_requests_in_flight: int = 8  # concurrent API requests (the client's limiter)
    requests_per_second: float | None = None  # client-side rate cap; None = unlimited
    outage_seconds: float = 600.0  # no request succeeded this long: stop, resumable (exit 3)
