"""What the engine needs from a platform client; ``orchestrator.api.PlatformClient`` fits.

Typing against this protocol keeps the engine free of HTTP and lets unit tests drive it
with an in-memory platform.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from orchestrator.model import JobCreate, JobState, JobStatus


class JobPlatform(Protocol):
    """The platform operations a run uses."""

    async def create_jobs(self, jobs: Sequence[JobCreate]) -> list[JobState]:
        """Create jobs, same order; raises SubmitOutcomeUnknown if replies were lost."""
        ...

    async def get_jobs(self, ids: Sequence[str]) -> list[JobState]:
        """Current states of those ids (unknown ids absent)."""
        ...

    async def find_jobs(
        self, labels: Mapping[str, str], statuses: Collection[JobStatus] | None = None
    ) -> list[JobState]:
        """Jobs carrying all those parameters."""
        ...

    async def find_any(self, label_sets: Sequence[Mapping[str, str]]) -> list[JobState]:
        """Jobs carrying all labels of at least one of the sets (batched look-ups)."""
        ...

    async def cancel_jobs(self, ids: Sequence[str]) -> int:
        """Cancel those ids that are not final; returns how many."""
        ...
