"""Restart safety: nothing a dead platform left behind stays "in progress" forever."""

from __future__ import annotations

import structlog

from orchestrator.platform.executor.job_store import JobStore
from orchestrator.platform.executor.process_registry import ProcessRegistry

log = structlog.get_logger(__name__)

ORPHAN_REASON = (
    "the platform stopped while this job was in progress; it was found orphaned at restart"
)


def recover(jobs: JobStore, registry: ProcessRegistry | None) -> list[str]:
    """Kill task groups left running and fail the jobs they belonged to; their ids.

    Failing rather than rerunning: a task may have had effects already, and the orchestrator
    (which sees "failed") decides whether to try again.
    """
    killed = registry.kill_leftovers() if registry is not None else 0
    orphans = jobs.fail_in_progress(ORPHAN_REASON)
    if orphans or killed:
        log.warning("recovery.orphans", jobs=len(orphans), process_groups_killed=killed)
    return orphans
