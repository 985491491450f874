"""Domain values every layer may import: job statuses, create requests, job states, the
default state dir.

Dependency-free (the standard library only), so that the ledger, the engine, the read side
and the CLI can name a :class:`JobStatus` without importing the api layer (aiohttp, gql,
graphql-core) or each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

DEFAULT_STATE_DIR = Path(".orchestrator")
"""Where a run's ledger and the local platform's state live unless told otherwise."""


def state_dir_flag(state_dir: Path) -> str:
    """`` --state-dir DIR`` for a command printed for the user to type, or "" for the
    default: the printed command must find the same ledger."""
    return "" if state_dir == DEFAULT_STATE_DIR else f" --state-dir {state_dir}"


class JobStatus(StrEnum):
    """A pipeline job's status, spelled exactly as the platform's API spells it."""

    PENDING = "pending"
    IN_PROGRESS = "in progress"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed out"
    SCHEDULED = "scheduled"

    @property
    def is_final(self) -> bool:
        """A final status never changes again (the platform refuses to rewrite it)."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.TIMED_OUT}
)


@dataclass(frozen=True, slots=True)
class JobCreate:
    """One createPipelineJob call: data fields under the API's names, parameters as a mapping."""

    fields: Mapping[str, Any]
    parameters: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class JobState:
    """What a status poll learns about one job."""

    id: str
    status: JobStatus
    status_reason: str | None = None
    run_id: str | None = None
    start_time: datetime | None = None
    completion_time: datetime | None = None
    parameters: Mapping[str, str] | None = None  # filled only by label look-ups
