"""Creating jobs in aliased batches without ever losing track of one that may exist.

A batch is one document of N aliased ``createPipelineJob`` fields. If the server refuses the
document as too large (nothing executed), the batch is halved and the smaller size kept for
the rest of the client's life. Every batch runs to its end even when a sibling fails, so that
the states of created jobs reach the caller (on the raised error's ``.created``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from orchestrator.api.classify import Failure, FailureKind, batch_indices
from orchestrator.api.concurrency import run_each
from orchestrator.api.documents import alias_name, batched
from orchestrator.api.errors import PermanentError, PlatformError, SubmitOutcomeUnknown
from orchestrator.api.sender import RequestSender
from orchestrator.api.tokens import TokenError
from orchestrator.api.transport import RequestFailed
from orchestrator.api.wire import create_input, job_state
from orchestrator.library_logging import get_logger
from orchestrator.model import JobCreate, JobState

log = get_logger(__name__)

TEMPLATE = "create_job"


class BatchCreator:
    """Creates jobs ``batch_size`` per request; remembers a size the server refused."""

    def __init__(self, sender: RequestSender, batch_size: int) -> None:
        self.sender = sender
        self.batch_size = batch_size

    async def create(self, jobs: Sequence[JobCreate]) -> list[JobState]:
        """States of the created jobs, in order; or one error for the call, with ``.created``."""
        pending = list(jobs)
        for job in pending:  # a bad input fails the call before anything is sent
            create_input(job)
        created: list[JobState | None] = [None] * len(pending)
        errors: list[PlatformError] = []
        size = self.batch_size

        async def create_batch(start: int) -> None:
            await self._create_range(start, pending[start : start + size], created, errors)

        await run_each(create_batch, range(0, len(pending), size))
        if errors:
            raise combine(errors, created)
        return [state for state in created if state is not None]

    async def _create_range(
        self,
        start: int,
        batch: Sequence[JobCreate],
        created: list[JobState | None],
        errors: list[PlatformError],
    ) -> None:
        """Create one batch into ``created[start:]``; record a failure instead of raising."""
        document = batched(TEMPLATE, len(batch))
        variables = {f"d{index}": create_input(job) for index, job in enumerate(batch)}
        try:
            data = await self.sender.send(document, variables, idempotent=False)
        except TokenError as exc:  # no token to send: nothing was sent
            errors.append(exc)
            return
        except RequestFailed as failed:
            if failed.failure.kind is FailureKind.TOO_LARGE and len(batch) > 1:
                await self._split(start, batch, created, errors, failed.failure)
                return
            if failed.data:
                _collect(start, batch, failed.data, created)
            errors.append(self._error(failed.failure, batch, created, start))
            return
        _collect(start, batch, data, created)
        missing = [job for offset, job in enumerate(batch) if created[start + offset] is None]
        if missing:  # a success without every alias answered: do not guess
            errors.append(
                SubmitOutcomeUnknown(
                    f"the platform answered a create batch without {len(missing)} of its jobs",
                    missing,
                )
            )

    async def _split(
        self,
        start: int,
        batch: Sequence[JobCreate],
        created: list[JobState | None],
        errors: list[PlatformError],
        failure: Failure,
    ) -> None:
        """Halve a batch the server refused as too large (nothing ran) and keep the size."""
        half = math.ceil(len(batch) / 2)
        self.batch_size = min(self.batch_size, half)
        log.warning(
            "platform_create_batch_split",
            refused_size=len(batch),
            new_size=half,
            reason=self.sender.redact(failure.message),
        )
        parts = [(start, batch[:half]), (start + half, batch[half:])]

        async def create_part(part: tuple[int, Sequence[JobCreate]]) -> None:
            await self._create_range(part[0], part[1], created, errors)

        await run_each(create_part, parts)

    def _error(
        self,
        failure: Failure,
        batch: Sequence[JobCreate],
        created: list[JobState | None],
        start: int,
    ) -> PlatformError:
        failed_jobs = [job for offset, job in enumerate(batch) if created[start + offset] is None]
        if failure.kind is FailureKind.TRANSIENT and failure.executed_possibly:
            return SubmitOutcomeUnknown(
                self.sender.redact(
                    f"no reliable answer to a create of {len(failed_jobs)} job(s) "
                    f"({failure.message}); they may or may not exist: look them up by labels"
                ),
                failed_jobs,
            )
        error = self.sender.public_error(failure, "createPipelineJob")
        culprits = batch_indices(failure.errors, len(batch))
        if not culprits:
            return error
        named = ", ".join(describe_job(start + index, batch[index]) for index in culprits)
        return type(error)(f"{error.message} [failing: {self.sender.redact(named)}]")


def combine(errors: Sequence[PlatformError], created: Sequence[JobState | None]) -> PlatformError:
    """One error for a call whose batches failed in different ways, ``.created`` filled.

    Any unknown outcome wins, covering every unknown job of the call: a caller that saw a
    plain TransientError would take the uncreated jobs as certainly absent and resubmit them.
    Then a permanent error (the input needs fixing), then a transient one.
    """
    unknown = [error for error in errors if isinstance(error, SubmitOutcomeUnknown)]
    if unknown:
        jobs = [job for error in unknown for job in error.jobs]
        others = [error.message for error in errors if error not in unknown]
        message = unknown[0].message
        if len(unknown) > 1:
            message = f"{message} (and {len(unknown) - 1} more batch(es) like it)"
        if others:
            message = f"{message}; other batches: {'; '.join(others)}"
        return SubmitOutcomeUnknown(message, jobs, created=created)
    chosen = next((error for error in errors if isinstance(error, PermanentError)), errors[0])
    chosen.created = tuple(created)
    return chosen


def describe_job(position: int, job: JobCreate, max_labels: int = 3) -> str:
    """A job as a person recognises it: its position in the call and its first labels."""
    labels = list(job.parameters.items())
    shown = ", ".join(f"{key}={value}" for key, value in labels[:max_labels])
    more = ", ..." if len(labels) > max_labels else ""
    return f"job #{position} {{{shown}{more}}}" if labels else f"job #{position}"


def _collect(
    start: int,
    batch: Sequence[JobCreate],
    data: Mapping[str, Any],
    created: list[JobState | None],
) -> None:
    """Record the state of every alias the server answered."""
    for offset in range(len(batch)):
        answer = data.get(alias_name(TEMPLATE, offset))
        if isinstance(answer, Mapping):
            created[start + offset] = job_state(answer)


__all__ = ["BatchCreator"]
