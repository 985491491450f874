"""Submit workers: intent first, then a batched create, then the ids; reconcile on doubt.

A create whose reply did not come back (any transient error) is never simply resent: the
batch goes to the reconcile workers, which look its attempts up by their identity labels (one
batched request), and only those the server does not have are created again, under the same
attempt number. The create worker moves on at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import anyio

from orchestrator.api.errors import PermanentError, TransientError
from orchestrator.engine.backoff import transient_delay
from orchestrator.engine.hooks import crash_point
from orchestrator.engine.identity import (
    ATTEMPT_LABEL,
    JOB_LABEL,
    attempt_create,
    attempt_labels,
    is_cron,
    made_by_create,
    pick_attempt,
)
from orchestrator.engine.port import JobPlatform
from orchestrator.ledger import Ledger
from orchestrator.library_logging import get_logger
from orchestrator.manifest.model import JobSpec
from orchestrator.model import JobState

RECONCILE_WORKERS = 4


@dataclass(frozen=True, slots=True)
class Submission:
    """One attempt of one job waiting to be created (``after_lookup``: re-created after a
    look-up found no trace of an earlier create whose reply was lost)."""

    spec: JobSpec
    attempt: int
    after_lookup: bool = False


@dataclass(frozen=True, slots=True)
class _Doubt:
    """Attempts whose create may or may not have happened: look them up before resending."""

    batch: list[Submission]
    failures: int  # look-ups (or the create) that failed so far: the backoff grows with it


class Submitter:
    """A queue of submissions, the workers that create them in batches, and the reconcile
    workers that look up creates whose replies were lost (deferred: a look-up that cannot run
    yet waits on its own, never holding back unrelated create batches)."""

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
        self._doubt_send, self._doubt_receive = anyio.create_memory_object_stream[_Doubt](math.inf)
        self._busy = 0
        self._doubting = 0  # doubts queued or being looked up
        self._recreated: list[tuple[Submission, str]] = []  # (attempt, the job id kept)
        self._log = get_logger("orchestrator.engine.submit").bind(run=run_id)

    def enqueue(self, submission: Submission) -> None:
        """Queue an attempt for creation (never blocks)."""
        self._send.send_nowait(submission)

    def close(self) -> None:
        """Close the queues (the run is over)."""
        for stream in (self._send, self._receive, self._doubt_send, self._doubt_receive):
            stream.close()

    def idle(self) -> bool:
        """Nothing queued, no create in flight, no look-up pending."""
        return (
            self._busy == 0
            and self._doubting == 0
            and self._send.statistics().current_buffer_used == 0
        )

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
            finally:
                self._busy -= 1

    def reconcile(self, intents: Sequence[Submission]) -> None:
        """Resume: intents without ids are looked up (by the reconcile workers); the ones the
        server never created are queued again."""
        pending = list(intents)
        for start in range(0, len(pending), self._batch_size):
            self._defer(pending[start : start + self._batch_size], failures=0)

    async def reconcile_work(self) -> None:
        """One reconcile worker: look up a doubtful batch; record what exists, re-create what
        does not (one batch); on a failed look-up, put the batch back with a longer wait."""
        while True:
            doubt = await self._doubt_receive.receive()
            if doubt.failures:
                await self._pause(transient_delay(doubt.failures, self._transient_backoff))
            try:
                with anyio.CancelScope(shield=True):
                    missing = await self._resolve(doubt.batch)
            except PermanentError as exc:
                self._doubting -= 1
                self._on_fatal(exc)
                continue
            except TransientError as exc:
                self._log.warning("reconcile.failed", error=str(exc), jobs=len(doubt.batch))
                if self._is_stopping():
                    self._log.warning("reconcile.unresolved", jobs=len(doubt.batch))
                    self._doubting -= 1  # its intents stay in the ledger: resume looks
                else:
                    self._doubt_send.send_nowait(_Doubt(doubt.batch, doubt.failures + 1))
                continue
            try:
                if self._is_stopping():
                    for sub in missing:
                        self._on_dropped(sub)
                elif missing:  # re-create them here, as one batch (still the same attempts)
                    again = [Submission(s.spec, s.attempt, after_lookup=True) for s in missing]
                    with anyio.CancelScope(shield=True):
                        await self._submit(again)
            except PermanentError as exc:
                self._on_fatal(exc)
            finally:
                self._doubting -= 1

    async def _pause(self, seconds: float) -> None:
        """Wait before a look-up, cut short when the run stops (one last try, then resume)."""
        deadline = anyio.current_time() + seconds
        while not self._is_stopping() and anyio.current_time() < deadline:  # noqa: ASYNC110
            await anyio.sleep(min(0.25, deadline - anyio.current_time()))  # no event to wait on

    def _defer(self, batch: list[Submission], failures: int) -> None:
        self._doubting += 1
        self._doubt_send.send_nowait(_Doubt(batch, failures))

    async def _submit(self, batch: list[Submission]) -> None:
        self._ledger.record_intents(self._run_id, [(s.spec, s.attempt) for s in batch])
        crash_point("after_intent")
        try:
            states = await self._platform.create_jobs(
                [attempt_create(s.spec, self._run_id, s.attempt) for s in batch]
            )
        except TransientError as exc:
            self._log.warning("submit.unknown", jobs=len(batch), error=str(exc))
            self._defer(batch, failures=1)  # look before resending; this worker moves on
            return
        crash_point("after_create")
        created = list(zip(batch, states, strict=True))
        # Re-created after a look-up: a late original may still land; checked at the end.
        self._recreated.extend((sub, state.id) for sub, state in created if sub.after_lookup)
        self._record(created)

    async def verify_recreated(self) -> int:
        """Cancel late duplicates of attempts re-created after an unknown outcome.

        A create the server executed only after our look-up leaves two jobs for one attempt;
        checked again at the end of the run (batched look-ups, like polling), the one the
        ledger does not know is cancelled. Returns how many were cancelled.
        """
        items, self._recreated = self._recreated, []
        if not items:
            return 0
        failures = 0
        while True:
            try:
                found = await self._platform.find_any(
                    [attempt_labels(self._run_id, s.spec.key, s.attempt) for s, _ in items]
                )
                break
            except TransientError as exc:
                failures += 1
                self._log.warning("verify.failed", error=str(exc))
                if self._is_stopping():
                    return 0
                await anyio.sleep(transient_delay(failures, self._transient_backoff))
        by_attempt = _by_attempt(found)
        extras: list[str] = []
        for sub, kept in items:
            cron = is_cron(sub.spec.fields)  # its spawned runs carry its labels: not copies
            matches = by_attempt.get((sub.spec.key, str(sub.attempt)), [])
            extras.extend(j.id for j in matches if j.id != kept and made_by_create(cron, j))
        if extras:
            self._log.error("reconcile.late_duplicates", ids=extras)
            await self._platform.cancel_jobs(extras)
        return len(extras)

    async def _resolve(self, pending: list[Submission]) -> list[Submission]:
        """Record the attempts the server has; return those it does not (one batched
        look-up for the whole batch)."""
        found = await self._platform.find_any(
            [attempt_labels(self._run_id, s.spec.key, s.attempt) for s in pending]
        )
        by_attempt = _by_attempt(found)
        present: list[tuple[Submission, JobState]] = []
        missing: list[Submission] = []
        extras: list[str] = []
        for sub in pending:
            matches = by_attempt.get((sub.spec.key, str(sub.attempt)), [])
            match = pick_attempt(attempt_create(sub.spec, self._run_id, sub.attempt), matches)
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


def _by_attempt(jobs: Sequence[JobState]) -> dict[tuple[str, str], list[JobState]]:
    """Jobs grouped by their (job key, attempt) labels."""
    grouped: dict[tuple[str, str], list[JobState]] = {}
    for job in jobs:
        labels = job.parameters or {}
        if JOB_LABEL in labels and ATTEMPT_LABEL in labels:
            grouped.setdefault((labels[JOB_LABEL], labels[ATTEMPT_LABEL]), []).append(job)
    return grouped
