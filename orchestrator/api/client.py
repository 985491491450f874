"""The platform client: batched creates, status polls, label look-ups and bulk cancels.

Every request goes through one path (:meth:`PlatformClient._request`): a bound on requests in
flight, an optional requests-per-second limit, and retries of transient failures with
exponential backoff and full jitter, honouring Retry-After. Queries and cancels are idempotent
and always retried; a create is retried only when it certainly did not execute (the connection
was refused, or the server throttled it with 429), otherwise its batch raises
:class:`SubmitOutcomeUnknown` so that the caller reconciles by labels instead of duplicating.
"""

from __future__ import annotations

import math
import random
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Mapping,
    Sequence,
)
from types import TracebackType
from typing import Any, Self, TypeVar

import anyio
import structlog

from orchestrator.api.classify import Failure, FailureKind
from orchestrator.api.documents import Operation, alias_name, batched, operation
from orchestrator.api.errors import (
    AuthenticationError,
    PermanentError,
    PlatformError,
    SubmitOutcomeUnknown,
    TransientError,
    redact,
)
from orchestrator.api.limits import RateLimiter
from orchestrator.api.model import JobCreate, JobState, JobStatus
from orchestrator.api.retry import BackoffPolicy, backoff_delay, should_retry
from orchestrator.api.settings import TOKEN_VARIABLE, resolve_connection
from orchestrator.api.transport import GraphQLTransport, RequestFailed
from orchestrator.api.wire import (
    FINAL_STATUS_VALUES,
    cancellable,
    chunks,
    create_input,
    job_state,
    job_where,
)

log = structlog.get_logger(__name__)

_CREATE = "create_job"

T = TypeVar("T")


class PlatformClient:
    """An async client of the platform's GraphQL API (``async with PlatformClient(...) as c``).

    ``endpoint``/``token`` default to ORCHESTRATOR_ENDPOINT/ORCHESTRATOR_TOKEN. ``backoff``
    and ``seed`` (jitter) are optional extras beyond the team contract.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
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
        connection = resolve_connection(endpoint, token)
        self.endpoint = connection.endpoint
        self._token = connection.token
        self.create_batch_size = create_batch_size
        self.status_batch_size = status_batch_size
        self.max_concurrent_requests = max_concurrent_requests
        self.requests_per_second = requests_per_second
        self.request_timeout = request_timeout
        self.backoff = backoff or BackoffPolicy()
        self._rng = random.Random(seed)
        self._transport: GraphQLTransport | None = None
        self._slots: anyio.CapacityLimiter | None = None
        self._rate: RateLimiter | None = None

    def __repr__(self) -> str:
        return f"PlatformClient(endpoint={self.endpoint!r})"

    async def __aenter__(self) -> Self:
        transport = GraphQLTransport(
            self.endpoint, self._token, request_timeout=self.request_timeout
        )
        await transport.connect()
        self._transport = transport
        self._slots = anyio.CapacityLimiter(self.max_concurrent_requests)
        if self.requests_per_second is not None:
            self._rate = RateLimiter(self.requests_per_second)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            with anyio.CancelScope(shield=True):
                await transport.close()

    # ----------------------------------------------------------------------------- creates

    async def create_jobs(self, jobs: Sequence[JobCreate]) -> list[JobState]:
        """Create ``jobs``; return their states in the same order.

        Sends ``create_batch_size`` aliased creates per request, batches concurrently. If the
        server refuses a document as too large, the batch is split and the smaller size kept.
        On failure every batch still runs to its end, then the first error is raised with
        ``.created`` telling which jobs of this call exist. ``TransientError`` means the
        failed jobs certainly were not created; ``SubmitOutcomeUnknown`` that they may be.
        """
        pending = list(jobs)
        created: list[JobState | None] = [None] * len(pending)
        errors: list[PlatformError] = []
        size = self.create_batch_size
        starts = range(0, len(pending), size)
        await _each(
            lambda start: self._create_range(start, pending[start : start + size], created, errors),
            starts,
        )
        if errors:
            error = errors[0]
            error.created = tuple(created)
            raise error
        return [state for state in created if state is not None]

    async def _create_range(
        self,
        start: int,
        batch: Sequence[JobCreate],
        created: list[JobState | None],
        errors: list[PlatformError],
    ) -> None:
        """Create one batch into ``created[start:]``; record a failure instead of raising."""
        document = batched(_CREATE, len(batch))
        variables = {f"d{index}": create_input(job) for index, job in enumerate(batch)}
        try:
            data = await self._request(document, variables, idempotent=False)
        except RequestFailed as failed:
            if failed.failure.kind is FailureKind.TOO_LARGE and len(batch) > 1:
                await self._split_and_retry(start, batch, created, errors, failed.failure)
                return
            if failed.data:
                self._collect_created(start, batch, failed.data, created)
            errors.append(self._create_error(failed.failure, batch, created, start))
            return
        except PlatformError as error:
            errors.append(error)
            return
        self._collect_created(start, batch, data, created)
        missing = [job for offset, job in enumerate(batch) if created[start + offset] is None]
        if missing:  # a success without every alias answered: do not guess
            errors.append(
                SubmitOutcomeUnknown(
                    f"the platform answered a create batch without {len(missing)} of its jobs",
                    missing,
                )
            )

    async def _split_and_retry(
        self,
        start: int,
        batch: Sequence[JobCreate],
        created: list[JobState | None],
        errors: list[PlatformError],
        failure: Failure,
    ) -> None:
        """Halve a batch the server refused as too large (nothing ran) and keep the size."""
        half = math.ceil(len(batch) / 2)
        self.create_batch_size = min(self.create_batch_size, half)
        log.warning(
            "platform_create_batch_split",
            refused_size=len(batch),
            new_size=half,
            reason=redact(failure.message, self._token),
        )
        await _each(
            lambda part: self._create_range(part[0], part[1], created, errors),
            [(start, batch[:half]), (start + half, batch[half:])],
        )

    @staticmethod
    def _collect_created(
        start: int,
        batch: Sequence[JobCreate],
        data: Mapping[str, Any],
        created: list[JobState | None],
    ) -> None:
        for offset in range(len(batch)):
            answer = data.get(alias_name(_CREATE, offset))
            if isinstance(answer, Mapping):
                created[start + offset] = job_state(answer)

    def _create_error(
        self,
        failure: Failure,
        batch: Sequence[JobCreate],
        created: list[JobState | None],
        start: int,
    ) -> PlatformError:
        failed_jobs = [job for offset, job in enumerate(batch) if created[start + offset] is None]
        if failure.kind is FailureKind.TRANSIENT and failure.executed_possibly:
            message = redact(
                f"no reliable answer to a create of {len(failed_jobs)} job(s) "
                f"({failure.message}); they may or may not exist: look them up by labels",
                self._token,
            )
            return SubmitOutcomeUnknown(message, failed_jobs)
        return self._public_error(failure, "createPipelineJob")

    # ----------------------------------------------------------------------------- queries

    async def get_jobs(self, ids: Sequence[str]) -> list[JobState]:
        """States of the jobs with ``ids`` (in that order, once each); unknown ids are absent."""
        unique = list(dict.fromkeys(ids))
        found: dict[str, JobState] = {}

        async def fetch(chunk: Sequence[str]) -> None:
            variables = {"ids": list(chunk), "take": len(chunk)}
            data = await self._query(operation("get_jobs"), variables)
            for item in data["pipelineJobs"]:
                state = job_state(item)
                found[state.id] = state

        await _each(fetch, chunks(unique, self.status_batch_size))
        return [found[job_id] for job_id in unique if job_id in found]

    async def find_jobs(
        self,
        labels: Mapping[str, str],
        statuses: Collection[JobStatus] | None = None,
    ) -> list[JobState]:
        """Every job carrying all ``labels`` (and one of ``statuses``), parameters filled."""
        return [
            job_state(item) async for item in self._pages(operation("find_jobs"), labels, statuses)
        ]

    async def count_jobs(
        self,
        labels: Mapping[str, str] | None = None,
        statuses: Collection[JobStatus] | None = None,
    ) -> int:
        """How many jobs carry all ``labels`` (and have one of ``statuses``)."""
        count = 0
        async for _item in self._pages(operation("list_job_ids"), labels or {}, statuses):
            count += 1
        return count

    async def _pages(
        self,
        document: Operation,
        labels: Mapping[str, str],
        statuses: Collection[JobStatus] | None,
    ) -> AsyncIterator[Mapping[str, Any]]:
        """Items of every page of ``document`` (keyset pagination ordered by id)."""
        after: str | None = None
        while True:
            variables = {
                "where": job_where(labels, statuses, after_id=after),
                "take": self.status_batch_size,
            }
            page = (await self._query(document, variables))["pipelineJobs"]
            for item in page:
                yield item
            if len(page) < self.status_batch_size:
                return
            after = str(page[-1]["id"])

    # ----------------------------------------------------------------------------- cancels

    async def cancel_jobs(self, ids: Sequence[str]) -> int:
        """Cancel those of ``ids`` that are not final; return how many were cancelled."""
        unique = list(dict.fromkeys(ids))
        counts: list[int] = []

        async def cancel(chunk: Sequence[str]) -> None:
            variables = {"ids": list(chunk), "finalStatuses": list(FINAL_STATUS_VALUES)}
            data = await self._query(operation("cancel_jobs"), variables)
            counts.append(int(data["updateManyPipelineJob"]["count"]))

        await _each(cancel, chunks(unique, self.status_batch_size))
        return sum(counts)

    async def cancel_where(
        self,
        labels: Mapping[str, str] | None = None,
        statuses: Collection[JobStatus] | None = None,
    ) -> int:
        """Cancel every non-final job with all ``labels`` and one of ``statuses``; the count.

        Final statuses in ``statuses`` are ignored: a finished job is never rewritten.
        """
        targets = cancellable(statuses)
        if not targets:
            return 0
        variables = {"where": job_where(labels, targets)}
        data = await self._query(operation("cancel_where"), variables)
        return int(data["updateManyPipelineJob"]["count"])

    # ----------------------------------------------------------------------------- requests

    async def _query(self, document: Operation, variables: dict[str, Any]) -> dict[str, Any]:
        """An idempotent request: retried on transient failures, public errors otherwise."""
        try:
            return await self._request(document, variables, idempotent=True)
        except RequestFailed as failed:
            raise self._public_error(failed.failure, document.name) from None

    async def _request(
        self, document: Operation, variables: dict[str, Any], *, idempotent: bool
    ) -> dict[str, Any]:
        """Send one request within the limits, retrying what may safely be retried."""
        if self._transport is None or self._slots is None:
            raise RuntimeError("PlatformClient is not open: use 'async with PlatformClient(...)'")
        tries = 0
        while True:
            tries += 1
            try:
                async with self._slots:
                    if self._rate is not None:
                        await self._rate.acquire()
                    return await self._transport.send(document, variables)
            except RequestFailed as failed:
                failure = failed.failure
                safe = idempotent or not failure.executed_possibly
                if not (failure.retryable and safe):
                    raise
                if not should_retry(self.backoff, tries, failure.retry_after):
                    raise
                delay = backoff_delay(self.backoff, tries, failure.retry_after, self._rng)
                log.info(
                    "platform_request_retry",
                    operation=document.name,
                    attempt=tries,
                    delay=round(delay, 3),
                    retry_after=failure.retry_after,
                    status=failure.status,
                    reason=redact(failure.message, self._token),
                )
                await anyio.sleep(delay)

    def _public_error(self, failure: Failure, what: str) -> PlatformError:
        """The public error for a classified failure, its message free of the token."""
        status = f"HTTP {failure.status}: " if failure.status else ""
        text = redact(failure.message, self._token)
        if failure.kind is FailureKind.AUTHENTICATION:
            return AuthenticationError(
                f"the platform at {self.endpoint} refused the token ({status}{text}); "
                f"check --token or {TOKEN_VARIABLE}"
            )
        if failure.kind is FailureKind.TRANSIENT:
            return TransientError(
                f"{what}: the platform kept failing, retries exhausted ({status}{text})"
            )
        if failure.kind is FailureKind.TOO_LARGE:
            return PermanentError(f"{what}: the platform refused the request as too large: {text}")
        return PermanentError(f"{what}: the platform rejected the request: {status}{text}")


async def _each(work: Callable[[T], Awaitable[None]], items: Iterable[T]) -> None:
    """Run ``work`` on every item concurrently (inline when there is only one).

    The first PlatformError cancels the siblings and is raised as is, not wrapped in an
    exception group, so callers catch exactly the error types the client documents.
    """
    pending = list(items)
    if len(pending) == 1:
        await work(pending[0])
        return
    failures: list[PlatformError] = []
    async with anyio.create_task_group() as group:

        async def run(item: T) -> None:
            try:
                await work(item)
            except PlatformError as error:
                failures.append(error)
                group.cancel_scope.cancel()

        for item in pending:
            group.start_soon(run, item)
    if failures:
        raise failures[0]


__all__ = ["PlatformClient"]
