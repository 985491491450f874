"""Submit workers: intent first, then a batched create, then the ids; reconcile on doubt.

A create whose reply did not come back (any transient error) is never simply resent: the
attempts are first looked up by their identity labels, and only those the server does not
have are created again, under the same attempt number.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio
import structlog

from orchestrator.api.errors import PermanentError, TransientError
from orchestrator.api.model import JobState
from orchestrator.engine.backoff import transient_delay
from orchestrator.engine.hooks import crash_point
from orchestrator.engine.identity import (
    attempt_create,
    attempt_labels,
    is_cron,
    made_by_create,
    pick_attempt,
)
from orchestrator.engine.port import JobPlatform
from orchestrator.ledger import Ledger
from orchestrator.manifest.model import JobSpec

_LOOKUPS_IN_FLIGHT = 8


class UnresolvedError(Exception):
    """A stopping run could not learn whether some creates happened: resume will look."""


@dataclass(frozen=True, slots=True)
class Submission:
    """One attempt of one job waiting to be created."""

    spec: JobSpec
    attempt: int


class Submitter:
    """A queue of submissions and the workers that create them in batches."""

    def __init__(
        self,
        *,
        platform: JobPlatform,
        ledger: Ledger,
        run_id: str,
        batch_size: int,
        on_created: Callable[[Submission, JobState], None],
        on_dropped: Callable[[Submission], None],
        on_fatal: Callable[[PermanentError], None],
        is_stopping: Callable[[], bool],
        linger: float = 0.002,
        transient_backoff: float = 0.5,
    ) -> None:
        self._platform = platform
        self._ledger = ledger
        self._run_id = run_id
        self._batch_size = max(1, batch_size)
        self._on_created = on_created
        self._on_dropped = on_dropped
        self._on_fatal = on_fatal
        self._is_stopping = is_stopping
        self._linger = linger
        self._transient_backoff = transient_backoff
        self._send, self._receive = anyio.create_memory_object_stream[Submission](math.inf)
        self._busy = 0
        self._recreated: list[tuple[Submission, str]] = []  # (attempt, the job id kept)
        self._log = structlog.get_logger("orchestrator.engine.submit").bind(run=run_id)

    def enqueue(self, submission: Submission) -> None:
        """Queue an attempt for creation (never blocks)."""
        self._send.send_nowait(submission)

    def close(self) -> None:
        """Close the queue (the run is over)."""
        self._send.close()
        self._receive.close()

    def idle(self) -> bool:
        """Nothing queued and no create in flight."""
        return self._busy == 0 and self._send.statistics().current_buffer_used == 0

    async def work(self) -> None:
        """One worker: take a batch, create it (shielded: a create in flight is finished and
        recorded even when the run is being stopped)."""
        while True:
            first = await self._receive.receive()
            self._busy += 1
            try:
                batch = [first]
                if self._linger:
                    await anyio.sleep(self._linger)  # let admission fill the batch
                while len(batch) < self._batch_size:
                    try:
                        batch.append(self._receive.receive_nowait())
                    except anyio.WouldBlock:
                        break
                if self._is_stopping():
                    for sub in batch:
                        self._on_dropped(sub)
                    continue
                with anyio.CancelScope(shield=True):
                    await self._submit(batch)
            except PermanentError as exc:
                self._on_fatal(exc)
            except UnresolvedError as exc:
                self._log.warning("submit.unresolved", error=str(exc))
            finally:
                self._busy -= 1

    async def reconcile(self, intents: Sequence[Submission]) -> None:
        """Resume: look up intents without ids; queue the ones the server never created."""
        try:
            missing = await self._resolve_retrying(list(intents))
        except UnresolvedError as exc:
            self._log.warning("reconcile.unresolved", error=str(exc))
            return
        for sub in missing:
            self.enqueue(sub)

    async def _submit(self, batch: list[Submission]) -> None:
        self._ledger.record_intents(self._run_id, [(s.spec, s.attempt) for s in batch])
        crash_point("after_intent")
        pending = batch
        failures = 0
        while pending:
            try:
                states = await self._platform.create_jobs(
                    [attempt_create(s.spec, self._run_id, s.attempt) for s in pending]
                )
            except TransientError as exc:
                failures += 1
                self._log.warning("submit.unknown", jobs=len(pending), error=str(exc))
                await anyio.sleep(transient_delay(failures, self._transient_backoff))
                pending = await self._resolve_retrying(pending)
                if pending and self._is_stopping():
                    for sub in pending:
                        self._on_dropped(sub)
                    return
                continue
            crash_point("after_create")
            created = list(zip(pending, states, strict=True))
            if failures:  # re-created after a look-up: a late original may still land
                self._recreated.extend((sub, state.id) for sub, state in created)
            self._record(created)
            return

    async def verify_recreated(self) -> int:
        """Cancel late duplicates of attempts re-created after an unknown outcome.

        A create the server executed only after our look-up leaves two jobs for one attempt;
        checked again at the end of the run, the one the ledger does not know is cancelled.
        Returns how many were cancelled.
        """
        items, self._recreated = self._recreated, []
        extras: list[str] = []
        for sub, kept in items:
            labels = attempt_labels(self._run_id, sub.spec.key, sub.attempt)
            cron = is_cron(sub.spec.fields)  # its spawned runs carry its labels: not copies
            try:
                matches = await self._platform.find_jobs(labels)
                extras.extend(j.id for j in matches if j.id != kept and made_by_create(cron, j))
            except TransientError as exc:
                self._log.warning("verify.failed", error=str(exc))
        if extras:
            self._log.error("reconcile.late_duplicates", ids=extras)
            await self._platform.cancel_jobs(extras)
        return len(extras)

    async def _resolve_retrying(self, pending: list[Submission]) -> list[Submission]:
        """:meth:`_resolve`, retried on transient errors: never guess, always look."""
        failures = 0
        while True:
            try:
                return await self._resolve(pending)
            except TransientError as exc:
                failures += 1
                self._log.warning("reconcile.failed", error=str(exc))
                if self._is_stopping():
                    raise UnresolvedError(
                        f"{len(pending)} intent(s) left for resume: {exc}"
                    ) from exc
                await anyio.sleep(transient_delay(failures, self._transient_backoff))

    async def _resolve(self, pending: list[Submission]) -> list[Submission]:
        """Record the attempts the server has; return those it does not."""
        found: dict[int, list[JobState]] = {}
        errors: list[TransientError] = []
        limiter = anyio.CapacityLimiter(_LOOKUPS_IN_FLIGHT)

        async def look(index: int, sub: Submission) -> None:
            async with limiter:
                try:
                    found[index] = await self._platform.find_jobs(
                        attempt_labels(self._run_id, sub.spec.key, sub.attempt)
                    )
                except TransientError as exc:
                    errors.append(exc)

        async with anyio.create_task_group() as tg:
            for index, sub in enumerate(pending):
                tg.start_soon(look, index, sub)
        if errors:
            raise errors[0]
        present: list[tuple[Submission, JobState]] = []
        missing: list[Submission] = []
        extras: list[str] = []
        for index, sub in enumerate(pending):
            match = pick_attempt(attempt_create(sub.spec, self._run_id, sub.attempt), found[index])
            if match.attempt is None:
                missing.append(sub)
                continue
            present.append((sub, match.attempt))
            extras.extend(match.duplicates)
        if extras:
            # Only a create still executing when we looked can cause this; keep one.
            self._log.error("reconcile.duplicates", ids=extras)
            await self._platform.cancel_jobs(extras)
        self._log.info("reconcile.done", found=len(present), missing=len(missing))
        self._record(present)
        return missing

    def _record(self, pairs: list[tuple[Submission, JobState]]) -> None:
        if not pairs:
            return
        self._ledger.record_submitted(
            self._run_id, [(s.spec.key, s.attempt, st.id) for s, st in pairs]
        )
        crash_point("after_submitted")
        for sub, state in pairs:
            self._on_created(sub, state)
