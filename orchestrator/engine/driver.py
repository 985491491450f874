"""The engine: drives one run's jobs to a final outcome.

One task group owns everything: admission (pulls the lazy spec stream while slots allow),
submit workers (batched creates, each preceded by a committed intent), the poller (batched
status reads at an adaptive interval; it also conducts the end of the run), retry timers and
the deadline. A job holds a slot from admission until it settles, so at most
``policy.max_in_flight`` jobs are ever submitted and not final. Stops (deadline, fail-fast,
interrupt, a cancel request, a permanent API error) go through :meth:`Engine._begin_stop`.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import anyio
import anyio.lowlevel
from anyio.abc import TaskGroup

from orchestrator.api.errors import AuthenticationError, PermanentError
from orchestrator.engine.backoff import may_retry, next_poll_interval, retry_delay
from orchestrator.engine.events import (
    RESUMABLE_STOPS,
    Event,
    EventCallback,
    EventKind,
    RunSummary,
    StopReason,
)
from orchestrator.engine.options import EngineOptions
from orchestrator.engine.outage import OutageGuard
from orchestrator.engine.poller import Poller, Tracked
from orchestrator.engine.port import JobPlatform
from orchestrator.engine.slots import Slots
from orchestrator.engine.submitter import RECONCILE_WORKERS, Submission, Submitter
from orchestrator.ledger import MAX_LOST_PER_JOB, Ledger, RunRecord, RunState, is_lost
from orchestrator.library_logging import get_logger
from orchestrator.manifest.model import JobSpec
from orchestrator.model import JobState, JobStatus

_SETTLE_CHUNK = 1000


class Engine:
    """Drive one run (new or resumed) to the end; see the module docstring."""

    def __init__(
        self,
        *,
        platform: JobPlatform,
        ledger: Ledger,
        run: RunRecord,
        options: EngineOptions | None = None,
        on_event: EventCallback | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.run = run
        self._ledger = ledger
        self._policy = run.policy
        self._options = options or EngineOptions()
        budget = self._options.outage or self._policy.outage_seconds
        platform = OutageGuard(platform, budget, self._on_outage)
        self._platform = platform
        self._on_event = on_event
        self._clock = clock
        self._rng = rng or random.Random()
        self._log = get_logger("orchestrator.engine").bind(run=run.id)
        self._slots = Slots(self._policy.max_in_flight)
        self._poller = Poller(
            platform=platform,
            ledger=ledger,
            run_id=run.id,
            on_started=self._on_started,
            on_final=self._on_polled_final,
            group_size=self._options.poll_group,
        )
        self._retry_scopes: dict[str, anyio.CancelScope] = {}
        self._settles: list[tuple[str, JobStatus]] = []  # written in one go per poll
        self._bases: dict[str, int] = {}  # jobs reopened by `retry`: attempts before that
        self._lost: dict[str, set[int]] = {}  # attempts their platform lost, per job
        self._unsettled = 0
        self._admitting = True
        self._admission_scope = anyio.CancelScope()
        self._stop: StopReason | None = None
        self._cancelling = False
        self._fatal: PermanentError | None = None
        self._refused: str | None = None  # why the token was refused (TOKEN_REFUSED)
        self._wake = anyio.Event()
        self._tg: TaskGroup | None = None
        self._submitter = Submitter(
            platform=platform,
            ledger=ledger,
            run_id=run.id,
            batch_size=self._options.create_batch_size,
            on_created=self._on_created,
            on_dropped=self._on_dropped,
            on_fatal=self.fail,
            is_stopping=lambda: self._stop is not None,
            linger=self._options.linger,
            transient_backoff=self._options.transient_backoff,
        )

    # -- public -----------------------------------------------------------------------

    async def drive(self, specs: Iterable[JobSpec]) -> RunSummary:
        """Recover what the ledger knows, then run until every job settles or a stop."""
        self._log.info("run.drive", resumed=bool(self._ledger.known_keys(self.run.id)))
        completed = False
        try:
            async with anyio.create_task_group() as tg:
                self._tg = tg
                try:
                    await self._recover()
                except PermanentError as exc:
                    self.fail(exc)
                if self._fatal is None and self._refused is None:
                    known = self._ledger.known_keys(self.run.id)
                    tg.start_soon(self._admit, iter(specs), known)
                    workers = self._options.submit_workers or self._policy.max_requests_in_flight
                    for _ in range(max(1, workers)):
                        tg.start_soon(self._submitter.work)
                    for _ in range(RECONCILE_WORKERS):
                        tg.start_soon(self._submitter.reconcile_work)
                    tg.start_soon(self._poll_loop)
                    if self._policy.deadline_seconds is not None:
                        tg.start_soon(self._deadline)
            completed = self._stop not in RESUMABLE_STOPS | {StopReason.ERROR}
        finally:
            self._flush_settles()
            self._submitter.close()
            # Synchronous on purpose: it must happen even while being cancelled.
            state = RunState.FINISHED if completed else RunState.INTERRUPTED
            stopped_by = None if completed or self._stop is None else str(self._stop)
            self._ledger.set_run_state(self.run.id, state, stopped_by)
        if self._fatal is not None:
            raise self._fatal
        return self.summary()

    @property
    def state_dir(self) -> Path:
        """The state dir of the ledger the run is recorded in."""
        return self._ledger.state_dir

    def interrupt(self, reason: StopReason = StopReason.INTERRUPT) -> None:
        """Stop submitting; cancel running jobs only if ``cancel_on_interrupt``. ``reason``
        is what the ledger records as having stopped the run (a resumable stop)."""
        self._begin_stop(reason, cancel=self._options.cancel_on_interrupt)

    def summary(self) -> RunSummary:
        """The run's tally from the ledger."""
        counts = self._ledger.counts(self.run.id)
        summary = RunSummary.from_counts(self.run.id, counts, self._stop, self.run.total_jobs)
        if self._stop is StopReason.TOKEN_REFUSED:
            summary = dataclasses.replace(summary, detail=self._refused)
        return summary

    # -- recovery and admission --------------------------------------------------------

    async def _recover(self) -> None:
        """Take over the ledger's unsettled jobs: watch, reconcile, retry or settle them."""
        intents: list[Submission] = []
        now = self._clock()
        self._lost = self._ledger.lost_attempts(self.run.id)
        for job in self._ledger.jobs(self.run.id, unsettled_only=True):
            self._unsettled += 1
            self._slots.take()
            if job.attempt_base:
                self._bases[job.key] = job.attempt_base
            last = job.last_attempt
            if last is None:
                intents.append(Submission(job.spec, 1))
            elif last.job_id is None:
                intents.append(Submission(job.spec, last.attempt))
            elif last.status is None or not last.status.is_final:
                self._poller.watch(last.job_id, job.spec, last.attempt, last.status)
            elif job.retry_at is not None:
                self._schedule_retry(job.spec, last.attempt + 1, max(0.0, job.retry_at - now))
            else:
                self._on_final(job.spec, last.attempt, last.status, last.reason, last.job_id)
        self._flush_settles()
        counts = self._ledger.counts(self.run.id)
        if self._policy.fail_fast and counts.failed + counts.timed_out:
            self._begin_stop(StopReason.FAIL_FAST, cancel=True)  # tripped before the crash
        if intents:
            self._log.info("run.reconcile", intents=len(intents))
            self._submitter.reconcile(intents)

    async def _admit(self, specs: Iterator[JobSpec], known: set[str]) -> None:
        """Feed new specs to the submitters while slots allow."""
        waiting: JobSpec | None = None
        with self._admission_scope:
            for count, spec in enumerate(specs):
                if spec.key in known:
                    continue
                # Fill free slots without yielding, so submit workers find full batches;
                # yield now and then so a huge backlog of known keys cannot hog the loop.
                if not self._slots.try_acquire():
                    waiting = spec
                    await self._slots.acquire()
                    waiting = None
                elif count % 500 == 499:
                    await anyio.lowlevel.checkpoint()
                self._unsettled += 1
                self._submitter.enqueue(Submission(spec, 1))
        if self._abandoning:
            rest = ([waiting] if waiting is not None else []) + list(_unknown(specs, known))
            for start in range(0, len(rest), _SETTLE_CHUNK):
                chunk = rest[start : start + _SETTLE_CHUNK]
                self._ledger.settle_unsubmitted(self.run.id, chunk, JobStatus.CANCELLED)
        self._admitting = False
        self._wake.set()

    # -- submit callbacks --------------------------------------------------------------

    def _on_created(self, sub: Submission, state: JobState) -> None:
        self._poller.watch(state.id, sub.spec, sub.attempt, None)
        self._emit(EventKind.SUBMITTED, sub, job_id=state.id, status=state.status)
        self._wake.set()

    def _on_dropped(self, sub: Submission) -> None:
        """A queued submission the stop kept from going out."""
        if self._abandoning:
            self._ledger.settle_unsubmitted(self.run.id, [sub.spec], JobStatus.CANCELLED)
            self._emit(EventKind.CANCELLED, sub, reason=str(self._stop))
            self._release()
        self._wake.set()

    # -- polling ------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        """Poll, apply, sleep; end the task group when the run is over."""
        interval = self._options.poll_min_interval
        while not self._over():
            if self._ledger.cancel_requested(self.run.id):
                self._begin_stop(StopReason.CANCEL_REQUESTED, cancel=True)
            if self._cancelling:
                try:
                    await self._cancel_watched()
                except PermanentError as exc:
                    self.fail(exc)
            try:
                changes = await self._poller.poll_once()
            except PermanentError as exc:  # e.g. the token was revoked mid-run
                self.fail(exc)
                changes = 0
            self._flush_settles()
            if changes is not None:  # a failed read keeps the pace: it says nothing moved
                interval = next_poll_interval(
                    interval,
                    changes,
                    self._options.poll_min_interval,
                    self._options.poll_max_interval,
                )
            if self._over():
                break
            with anyio.move_on_after(interval):
                await self._wake.wait()
            self._wake = anyio.Event()
        with anyio.CancelScope(shield=True):
            try:
                await self._submitter.verify_recreated()
            except PermanentError as exc:  # e.g. the token refused: the run stops as it is
                self.fail(exc)
        assert self._tg is not None
        self._tg.cancel_scope.cancel()

    def _over(self) -> bool:
        quiet = not self._admitting and self._submitter.idle() and not self._retry_scopes
        if self._stop is None:
            return quiet and self._unsettled == 0
        return quiet and (not self._cancelling or not len(self._poller))

    def _on_started(self, job_id: str, tracked: Tracked) -> None:
        self._emit(EventKind.STARTED, tracked, job_id=job_id, status=JobStatus.IN_PROGRESS)

    def _on_polled_final(self, job_id: str, tracked: Tracked, state: JobState) -> None:
        self._on_final(tracked.spec, tracked.attempt, state.status, state.status_reason, job_id)

    def _flush_settles(self) -> None:
        """Write the outcomes decided since the last flush in one transaction.

        A crash before this leaves final attempt statuses without an outcome: resume takes
        the same decision again from them.
        """
        if self._settles:
            self._ledger.settle(self.run.id, self._settles)
            self._settles = []

    def _on_final(
        self,
        spec: JobSpec,
        attempt: int,
        status: JobStatus,
        reason: str | None,
        job_id: str | None,
    ) -> None:
        """An attempt ended: retry it, leave it for resume, or settle the job.

        An attempt its platform lost (died or stopped under it) is resubmitted at once
        without spending the job's retry budget, up to MAX_LOST_PER_JOB times. A ``retry``
        starts a fresh budget after every earlier attempt (its base): lost attempts before
        the base are in it already, so only later ones are forgiven."""
        if is_lost(status, reason):
            self._lost.setdefault(spec.key, set()).add(attempt)
        base = self._bases.get(spec.key, 0)
        lost = self._lost.get(spec.key, _NONE_LOST)  # no set per job: most lose nothing
        if lost and base:
            lost = frozenset(a for a in lost if a > base)
        free = min(len(lost), MAX_LOST_PER_JOB)  # lost attempts that cost nothing
        budget_attempt = attempt - base - free
        if attempt in lost and len(lost) <= MAX_LOST_PER_JOB:
            retryable, budget_attempt = True, 0
        else:
            retryable = str(status) in self._policy.retry.on and may_retry(
                budget_attempt, spec.max_retries
            )
        if retryable and self._stop is None:
            delay = (
                retry_delay(budget_attempt, self._policy.retry, self._rng.random())
                if budget_attempt
                else 0.0
            )
            self._ledger.schedule_retry(self.run.id, spec.key, self._clock() + delay)
            self._emit(
                EventKind.RETRIED,
                Tracked(spec, attempt),
                job_id=job_id,
                status=status,
                reason=reason,
                delay=delay,
            )
            self._schedule_retry(spec, attempt + 1, delay)
            return
        if retryable and not self._abandoning:
            self._release()  # interrupted: resume schedules the retry
            return
        self._settles.append((spec.key, status))  # settled: written at the next flush
        self._emit(
            EventKind.FINISHED, Tracked(spec, attempt), job_id=job_id, status=status, reason=reason
        )
        self._release()
        if self._policy.fail_fast and status not in (JobStatus.DONE, JobStatus.SCHEDULED):
            self._begin_stop(StopReason.FAIL_FAST, cancel=True)

    def _release(self) -> None:
        self._unsettled -= 1
        self._slots.release()
        self._wake.set()

    # -- retries, stops, deadline ---------------------------------------------------------

    def _schedule_retry(self, spec: JobSpec, attempt: int, delay: float) -> None:
        assert self._tg is not None
        scope = anyio.CancelScope()
        self._retry_scopes[spec.key] = scope
        self._tg.start_soon(self._retry_later, spec, attempt, delay, scope)

    async def _retry_later(
        self, spec: JobSpec, attempt: int, delay: float, scope: anyio.CancelScope
    ) -> None:
        with scope:
            await anyio.sleep(delay)
            self._submitter.enqueue(Submission(spec, attempt))
        self._retry_scopes.pop(spec.key, None)
        if scope.cancel_called:
            if self._abandoning:
                self._ledger.settle(self.run.id, [(spec.key, JobStatus.CANCELLED)])
                self._emit(EventKind.CANCELLED, Tracked(spec, attempt), reason=str(self._stop))
                self._release()
            else:
                self._release()  # interrupted: the ledger keeps retry_at for resume
        self._wake.set()

    @property
    def _abandoning(self) -> bool:
        """The run ends for good (deadline, fail-fast, cancel request): whatever was not
        submitted yet is settled as cancelled. An interrupt, even one that cancels the running
        jobs, leaves the rest to ``resume``."""
        return self._cancelling and self._stop not in RESUMABLE_STOPS

    def _begin_stop(self, reason: StopReason, *, cancel: bool) -> None:
        """Stop admitting and retrying; with ``cancel``, cancel what is not final."""
        if self._stop is not None:
            return
        # An interrupt is the user's own doing and the CLI says so in words: logged at info,
        # so its line does not land between the "Interrupted" notice and how to resume.
        level = self._log.info if reason is StopReason.INTERRUPT else self._log.warning
        level("run.stop", reason=str(reason), cancel=cancel)
        self._stop = reason
        self._cancelling = cancel
        self._admission_scope.cancel()
        for scope in list(self._retry_scopes.values()):
            scope.cancel()
        self._wake.set()

    async def _cancel_watched(self) -> None:
        with anyio.CancelScope(shield=True):
            cancelled = await self._poller.cancel_all()
        for job_id, tracked in cancelled:
            self._emit(EventKind.CANCELLED, tracked, job_id=job_id, reason=str(self._stop))

    async def _deadline(self) -> None:
        assert self._policy.deadline_seconds is not None
        deadline_at = self.run.created_at + self._policy.deadline_seconds
        await anyio.sleep(max(0.0, deadline_at - self._clock()))
        self._begin_stop(StopReason.DEADLINE, cancel=True)

    def _on_outage(self, silent: float) -> None:
        """No request succeeded for the outage budget: stop, leaving jobs for ``resume``."""
        self._log.error("run.outage", seconds=round(silent, 1))
        self._begin_stop(StopReason.OUTAGE, cancel=False)

    def fail(self, error: PermanentError) -> None:
        """A permanent API error: stop without cancelling, re-raised by :meth:`drive`.

        A refused token (refused again after a refresh, or no token to be had) is no fault of
        the run: it stops resumably (TOKEN_REFUSED), no job failed, for ``resume`` to go on.
        """
        if isinstance(error, AuthenticationError):
            if self._refused is None:
                self._refused = str(error)
                self._log.info("run.token_refused", error=self._refused)
            self._begin_stop(StopReason.TOKEN_REFUSED, cancel=False)
            return
        self._fatal = error
        self._begin_stop(StopReason.ERROR, cancel=False)

    # -- events --------------------------------------------------------------------------

    def _emit(
        self,
        kind: EventKind,
        source: Tracked | Submission,
        *,
        job_id: str | None = None,
        status: JobStatus | None = None,
        reason: str | None = None,
        delay: float | None = None,
    ) -> None:
        self._log.debug(
            f"job.{kind}",
            job=source.spec.key,
            attempt=source.attempt,
            id=job_id,
            status=str(status) if status else None,
        )
        if self._on_event is None:
            return  # nobody listens: two events per job are not worth building
        self._on_event(
            Event(
                kind=kind,
                run_id=self.run.id,
                key=source.spec.key,
                name=source.spec.name,
                attempt=source.attempt,
                time=self._clock(),
                job_id=job_id,
                status=status,
                reason=reason,
                delay=delay,
                job_name=source.spec.fields.get("jobName"),
            )
        )


_NONE_LOST: frozenset[int] = frozenset()


def _unknown(specs: Iterator[JobSpec], known: set[str]) -> Iterator[JobSpec]:
    return (s for s in specs if s.key not in known)


__all__ = ["Engine", "EngineOptions"]
