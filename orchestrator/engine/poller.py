"""The poller: the submitted attempts a run watches, and the batched status reads that move
them (recorded in the ledger before anyone acts on them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from orchestrator.api.errors import TransientError
from orchestrator.engine.events import started_unseen
from orchestrator.engine.hooks import crash_point
from orchestrator.engine.identity import is_cron
from orchestrator.engine.port import JobPlatform
from orchestrator.ledger import AttemptStatus, Ledger
from orchestrator.library_logging import get_logger
from orchestrator.manifest.model import JobSpec
from orchestrator.model import JobState, JobStatus

VANISHED_AFTER = 3  # polls without the id before the attempt counts as failed
VANISHED_REASON = "the job vanished from the platform"


@dataclass(slots=True)
class Tracked:
    """A submitted attempt being watched."""

    spec: JobSpec
    attempt: int
    status: JobStatus | None = None
    misses: int = 0  # consecutive polls that did not return this id


class Poller:
    """Watched attempts by job id; :meth:`poll_once` reads them all in batched requests."""

    def __init__(
        self,
        *,
        platform: JobPlatform,
        ledger: Ledger,
        run_id: str,
        on_started: Callable[[str, Tracked], None],
        on_final: Callable[[str, Tracked, JobState], None],
        group_size: int,
    ) -> None:
        self._platform = platform
        self._group_size = group_size
        self._ledger = ledger
        self._run_id = run_id
        self._on_started = on_started
        self._on_final = on_final
        self._watched: dict[str, Tracked] = {}
        self._cancel_sent: set[str] = set()
        self._log = get_logger("orchestrator.engine.poll").bind(run=run_id)

    def watch(self, job_id: str, spec: JobSpec, attempt: int, status: JobStatus | None) -> None:
        """Start watching a submitted attempt."""
        self._watched[job_id] = Tracked(spec, attempt, status)

    def __len__(self) -> int:
        return len(self._watched)

    async def poll_once(self) -> int | None:
        """Read every watched attempt; record changes, then report starts and ends.

        Returns how many attempts changed (the adaptive interval's signal); ``None`` when a
        read failed before anything changed (nothing is known: not a sign that nothing moves).
        The attempts are read in groups of ``group_size`` ids, each applied before the next
        is read, so a run with 100,000 in flight never holds 100,000 answers at once.
        """
        ids = list(self._watched)
        changed = 0
        for start in range(0, len(ids), self._group_size):
            group = ids[start : start + self._group_size]
            try:
                states = await self._platform.get_jobs(group)
            except TransientError as exc:
                self._log.warning("poll.failed", error=str(exc))
                return changed or None
            changed += self._apply(group, states)
        return changed

    def _apply(self, ids: list[str], states: list[JobState]) -> int:
        """Record what moved among ``ids`` (the ledger first), then report it; how many moved."""
        updates: list[AttemptStatus] = []
        moved: list[tuple[str, Tracked, JobState]] = []
        unseen: set[str] = set()  # ran between two polls: never seen in progress
        for state in states + self._vanished(ids, states):
            tracked = self._watched.get(state.id)
            if tracked is None or state.status == tracked.status:
                continue
            if started_unseen(tracked.status, state.status):
                unseen.add(state.id)
            tracked.status = state.status
            updates.append(
                AttemptStatus(
                    tracked.spec.key,
                    tracked.attempt,
                    state.status,
                    state.status_reason,
                    _epoch(state.start_time),
                    _epoch(state.completion_time),
                )
            )
            moved.append((state.id, tracked, state))
        if updates:
            self._ledger.record_statuses(self._run_id, updates)
            crash_point("after_poll")
        for job_id, tracked, state in moved:
            if state.status is JobStatus.IN_PROGRESS or job_id in unseen:
                self._on_started(job_id, tracked)
            if state.status.is_final or _is_scheduled(tracked.spec, state.status):
                del self._watched[job_id]
                self._on_final(job_id, tracked, state)
        return len(updates)

    async def cancel_all(self) -> list[tuple[str, Tracked]]:
        """Cancel every watched attempt not cancelled yet; returns those just cancelled."""
        ids = [i for i in self._watched if i not in self._cancel_sent]
        if not ids:
            return []
        try:
            await self._platform.cancel_jobs(ids)
        except TransientError as exc:
            self._log.warning("cancel.failed", error=str(exc))
            return []
        self._cancel_sent.update(ids)
        return [(i, self._watched[i]) for i in ids]

    def _vanished(self, ids: list[str], states: list[JobState]) -> list[JobState]:
        """Ids the platform stopped returning (deleted jobs) end as failed, not watched forever."""
        seen = {s.id for s in states}
        gone: list[JobState] = []
        for job_id in ids:
            tracked = self._watched.get(job_id)
            if tracked is None:  # settled while an earlier group was read
                continue
            tracked.misses = 0 if job_id in seen else tracked.misses + 1
            if tracked.misses >= VANISHED_AFTER:
                gone.append(
                    JobState(id=job_id, status=JobStatus.FAILED, status_reason=VANISHED_REASON)
                )
        return gone


def _is_scheduled(spec: JobSpec, status: JobStatus) -> bool:
    """A cron job reaching "scheduled" is handed over to the platform: it settles there."""
    return status is JobStatus.SCHEDULED and is_cron(spec.fields)


def _epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None
