"""The platform client: batched creates, status polls, label look-ups and bulk cancels.

Every request goes through one :class:`RequestSender`: a bound on requests in flight, an
optional requests-per-second cap, and retries of transient failures with exponential backoff
and full jitter, honouring Retry-After. Queries and cancels are idempotent and always retried;
a create is retried only when it certainly did not execute (connection refused, 429), otherwise
its batch raises :class:`SubmitOutcomeUnknown` so the caller reconciles by labels instead of
submitting twice.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from orchestrator.api.concurrency import run_each
from orchestrator.api.creates import BatchCreator
from orchestrator.api.documents import Operation, operation
from orchestrator.api.errors import PlatformError
from orchestrator.api.retry import BackoffPolicy
from orchestrator.api.sender import RequestSender
from orchestrator.api.tokens import TokenSource, resolve_tokens
from orchestrator.api.wire import (
    FINAL_STATUS_VALUES,
    cancellable,
    chunks,
    job_state,
    job_where,
    label_conditions,
)
from orchestrator.model import JobCreate, JobState, JobStatus

FAILED_STEP = frozenset({JobStatus.FAILED.value, JobStatus.TIMED_OUT.value})
"""Step statuses that name the task a job failed (or timed out) in."""

LOOKUP_BATCH_SIZE = 50  # label sets per OR filter: the server checks each against every job


class PlatformClient:
    """An async client of the platform's GraphQL API (``async with PlatformClient(...) as c``).

    ``endpoint``/``token`` default to ORCHESTRATOR_ENDPOINT/ORCHESTRATOR_TOKEN. ``token`` is a
    string, or a :class:`~orchestrator.api.tokens.TokenSource` (a token file or command that
    is asked again when the platform refuses the token). ``backoff``
    (retry budget and backoff window) and ``seed`` (reproducible jitter) are optional extras.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | TokenSource | None = None,
        *,
        create_batch_size: int = 50,
        status_batch_size: int = 500,
        max_concurrent_requests: int = 8,
        requests_per_second: float | None = None,
        request_timeout: float = 30.0,
        backoff: BackoffPolicy | None = None,
        seed: int | None = None,
    ) -> None:
        if create_batch_size < 1 or status_batch_size < 1 or max_concurrent_requests < 1:
            raise ValueError("batch sizes and max_concurrent_requests must be at least 1")
        if requests_per_second is not None and requests_per_second <= 0:
            raise ValueError("requests_per_second must be positive")
        self.endpoint, self.tokens = resolve_tokens(endpoint, token)
        self.status_batch_size = status_batch_size
        self.max_concurrent_requests = max_concurrent_requests
        self.requests_per_second = requests_per_second
        self.request_timeout = request_timeout
        self.backoff = backoff or BackoffPolicy()
        self._create_batch_size = create_batch_size
        self._rng = random.Random(seed)
        self._sender: RequestSender | None = None
        self._creator: BatchCreator | None = None

    def __repr__(self) -> str:
        return f"PlatformClient(endpoint={self.endpoint!r})"

    @property
    def create_batch_size(self) -> int:
        """Creates per request; lowered for good if the server refuses a document's size."""
        return self._creator.batch_size if self._creator else self._create_batch_size

    async def __aenter__(self) -> Self:
        if self._sender is not None:
            raise RuntimeError("PlatformClient is already open; use one 'async with' at a time")
        sender = RequestSender(
            self.endpoint,
            self.tokens,
            max_concurrent_requests=self.max_concurrent_requests,
            requests_per_second=self.requests_per_second,
            request_timeout=self.request_timeout,
            backoff=self.backoff,
            rng=self._rng,
        )
        await sender.open()
        self._sender = sender
        self._creator = BatchCreator(sender, self._create_batch_size)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        sender, self._sender = self._sender, None
        if self._creator is not None:
            self._create_batch_size = self._creator.batch_size
            self._creator = None
        if sender is not None:
            await sender.close()

    def _open(self) -> RequestSender:
        if self._sender is None:
            raise RuntimeError("PlatformClient is not open: use 'async with PlatformClient(...)'")
        return self._sender

    async def execute(self, op: str | Operation, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one idempotent operation (a name in ``operations/`` or a built one) and return
        its data: the way bulk operations reach documents this class has no method for."""
        sender = self._open()
        return await sender.query(operation(op) if isinstance(op, str) else op, variables)

    async def create_jobs(self, jobs: Sequence[JobCreate]) -> list[JobState]:
        """Create ``jobs``; return their states (id, runId, status) in the same order.

        ``create_batch_size`` aliased creates per request, batches concurrently. On failure
        every batch still runs to its end, then the first error is raised with ``.created``
        (aligned with ``jobs``) telling which jobs of this call exist. ``TransientError``
        means the failed jobs certainly were not created; ``SubmitOutcomeUnknown`` (a
        TransientError) that they may have been: look them up by labels before resubmitting.
        ``PermanentError`` says what to fix.
        """
        self._open()
        if not jobs:
            return []
        assert self._creator is not None
        return await self._creator.create(jobs)

    async def get_jobs(self, ids: Sequence[str]) -> list[JobState]:
        """States of the jobs with ``ids`` (in that order, once each); unknown ids are absent.

        A poll's read: id, status, reason, start and completion times (the other JobState
        fields stay None).

        ``status_batch_size`` ids per request, requests concurrently.
        """
        sender = self._open()
        unique = list(dict.fromkeys(ids))
        found: dict[str, JobState] = {}

        async def fetch(chunk: Sequence[str]) -> None:
            variables = {"ids": list(chunk), "take": len(chunk)}
            data = await sender.query(operation("get_jobs"), variables)
            for item in data["pipelineJobs"]:
                state = job_state(item)
                found[state.id] = state

        await run_each(fetch, chunks(unique, self.status_batch_size))
        return [found[job_id] for job_id in unique if job_id in found]

    async def job_links(self, ids: Sequence[str]) -> dict[str, str | None]:
        """Each job's dashboard link (``grafanaLink``, else ``daskDashboardUrl``), None where
        it has none."""
        sender = self._open()
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        data = await sender.query(operation("job_links"), {"ids": unique, "take": len(unique)})
        return {
            str(job["id"]): job.get("grafanaLink") or job.get("daskDashboardUrl") or None
            for job in data["pipelineJobs"]
        }

    async def failed_steps(self, ids: Sequence[str]) -> dict[str, str]:
        """The task (``PipelineJob.steps``) each of the jobs ``ids`` failed or timed out in,
        for the jobs whose steps say so.

        A view's detail, asked only for failed jobs (batched as :meth:`get_jobs` is): a
        platform that answers no ``steps`` (the field is refused), or no answer at all, gives
        ``{}``, and the view shows what it showed before.
        """
        sender = self._open()
        found: dict[str, str] = {}

        async def fetch(chunk: Sequence[str]) -> None:
            variables = {"ids": list(chunk), "take": len(chunk)}
            data = await sender.query(operation("job_steps"), variables)
            for job in data["pipelineJobs"]:
                failed = [s for s in job.get("steps") or () if s.get("status") in FAILED_STEP]
                if failed:
                    found[str(job["id"])] = str(failed[0]["name"])

        try:
            await run_each(fetch, chunks(list(dict.fromkeys(ids)), self.status_batch_size))
        except PlatformError:  # a detail of a view: never the reason a view fails
            return {}
        return found

    async def find_jobs(
        self,
        labels: Mapping[str, str | None],
        statuses: Collection[JobStatus] | None = None,
    ) -> list[JobState]:
        """Every job carrying all ``labels`` (and with one of ``statuses``), parameters filled.

        A label given as None matches any value of that key.

        Pages of ``status_batch_size`` jobs ordered by id (keyset pagination: a job created
        meanwhile never shifts a page).
        """
        sender = self._open()
        found: list[JobState] = []
        async for item in self._pages(sender, labels, statuses):
            found.append(job_state(item))
        return found

    async def find_any(self, label_sets: Sequence[Mapping[str, str]]) -> list[JobState]:
        """Every job carrying all labels of at least one of ``label_sets``, parameters filled.

        One ``OR`` filter per request instead of one look-up each (``LOOKUP_BATCH_SIZE`` sets
        per request at most, requests concurrently; each paged like :meth:`find_jobs`).
        """
        sender = self._open()
        found: dict[str, JobState] = {}

        async def fetch(chunk: Sequence[Mapping[str, str]]) -> None:
            alternatives = {"OR": [{"AND": label_conditions(labels)} for labels in chunk]}
            after: str | None = None
            while True:
                conditions: list[dict[str, Any]] = [alternatives]
                if after is not None:
                    conditions.append({"id": {"gt": after}})
                variables = {"where": {"AND": conditions}, "take": self.status_batch_size}
                page = (await sender.query(operation("find_jobs"), variables))["pipelineJobs"]
                for item in page:
                    state = job_state(item)
                    found[state.id] = state
                if len(page) < self.status_batch_size:
                    return
                after = str(page[-1]["id"])

        await run_each(fetch, chunks(list(label_sets), LOOKUP_BATCH_SIZE))
        return sorted(found.values(), key=lambda state: state.id)

    async def count_jobs(
        self,
        labels: Mapping[str, str] | None = None,
        statuses: Collection[JobStatus] | None = None,
    ) -> int:
        """How many jobs carry all ``labels`` (and have one of ``statuses``); one request."""
        sender = self._open()
        variables = {"where": job_where(labels, statuses)}
        data = await sender.query(operation("count_jobs"), variables)
        return int(data["countJobs"])

    async def _pages(
        self,
        sender: RequestSender,
        labels: Mapping[str, str | None],
        statuses: Collection[JobStatus] | None,
    ) -> AsyncIterator[Mapping[str, Any]]:
        after: str | None = None
        while True:
            variables = {
                "where": job_where(labels, statuses, after_id=after),
                "take": self.status_batch_size,
            }
            page = (await sender.query(operation("find_jobs"), variables))["pipelineJobs"]
            for item in page:
                yield item
            if len(page) < self.status_batch_size:
                return
            after = str(page[-1]["id"])

    async def cancel_jobs(self, ids: Sequence[str]) -> int:
        """Cancel those of ``ids`` that are not final; return how many were cancelled.

        ``status_batch_size`` ids per request; a finished job is never rewritten.
        """
        sender = self._open()
        unique = list(dict.fromkeys(ids))
        counts: list[int] = []

        async def cancel(chunk: Sequence[str]) -> None:
            variables = {"ids": list(chunk), "finalStatuses": list(FINAL_STATUS_VALUES)}
            data = await sender.query(operation("cancel_jobs"), variables)
            counts.append(int(data["updateManyPipelineJob"]["count"]))

        await run_each(cancel, chunks(unique, self.status_batch_size))
        return sum(counts)

    async def cancel_where(
        self,
        labels: Mapping[str, str] | None = None,
        statuses: Collection[JobStatus] | None = None,
    ) -> int:
        """Cancel every non-final job with all ``labels`` and one of ``statuses``; the count.

        Final statuses in ``statuses`` are ignored: a finished job is never rewritten. With
        neither labels nor statuses, every non-final job on the platform is cancelled.
        """
        sender = self._open()
        targets = cancellable(statuses)
        if not targets:
            return 0
        variables = {"where": job_where(labels, targets)}
        data = await sender.query(operation("cancel_where"), variables)
        return int(data["updateManyPipelineJob"]["count"])


__all__ = ["PlatformClient"]
