"""``orchestrator.Platform``: the whole platform from Python, as the bulk commands use it.

Jobs (select, cancel and wait), services, sessions (list, count, cancel and wait), the
getJobStat grid and job parameters, as typed records, over :class:`PlatformClient` and only
operations of the API document. A coroutine API, so it runs in a notebook's event loop::

    async with orchestrator.Platform(endpoint=url, token=token) as platform:
        report = await platform.cancel(JobQuery(statuses=frozenset({JobStatus.SCHEDULED})))
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

import anyio

from orchestrator.api import PermanentError, PlatformClient
from orchestrator.api.documents import batched
from orchestrator.api.wire import chunks
from orchestrator.model import JobStatus
from orchestrator.ops.job_query import JobQuery
from orchestrator.ops.records import CancelReport, Job, JobStats, Parameter, Session

DEFAULT_WAIT_SECONDS = 60.0
SESSION_PAGE = 200
SESSION_CANCEL_BATCH = 50

Refind = Callable[[], Awaitable[Sequence[Job]]]


class Platform:
    """A connection to one platform for bulk work (``async with Platform(...) as p``).

    ``endpoint``/``token`` default to ORCHESTRATOR_ENDPOINT/ORCHESTRATOR_TOKEN; ``client``
    lends an already configured (unopened) :class:`PlatformClient` instead.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        token: str | None = None,
        *,
        client: PlatformClient | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self.client = client or PlatformClient(endpoint, token)
        self.endpoint = self.client.endpoint
        self.poll_interval = poll_interval

    def __repr__(self) -> str:
        return f"Platform(endpoint={self.endpoint!r})"

    async def __aenter__(self) -> Self:
        await self.client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.client.__aexit__(exc_type, exc, traceback)

    # -- jobs -----------------------------------------------------------------------------

    async def jobs(self, query: JobQuery | None = None) -> list[Job]:
        """Every job the query selects (ordered by id; pages of the client's status batch)."""
        query = query or JobQuery(everyone=True)
        conditions = query.conditions()
        page_size = self.client.status_batch_size
        found: list[Job] = []
        after: str | None = None
        while True:
            page_conditions = [*conditions, *([{"id": {"gt": after}}] if after else [])]
            variables = {"where": {"AND": page_conditions}, "take": page_size}
            page = (await self.client.execute("list_jobs", variables))["pipelineJobs"]
            found.extend(j for j in map(Job.from_api, page) if query.keeps(j))
            if len(page) < page_size:
                return found
            after = str(page[-1]["id"])

    async def services(self, status: JobStatus | None = None) -> list[Job]:
        """Services (jobs with ``timeout == activeTimeout == -1``), whoever made them."""
        statuses = frozenset({status}) if status else frozenset()
        return await self.jobs(JobQuery(statuses=statuses, everyone=True, services=True))

    async def cancel(self, query: JobQuery, *, wait: float = DEFAULT_WAIT_SECONDS) -> CancelReport:
        """Cancel the unfinished jobs ``query`` selects and wait until they are final."""
        selected = await self.jobs(_unfinished(query))
        return await self.cancel_jobs(selected, wait=wait)

    async def cancel_jobs(
        self,
        jobs: Sequence[Job],
        *,
        wait: float = DEFAULT_WAIT_SECONDS,
        refind: Refind | None = None,
        missing: int = 0,
    ) -> CancelReport:
        """Cancel ``jobs`` that are not final, then wait (up to ``wait`` s) until they are.

        ``refind`` is asked on every poll for jobs that belong to the same selection and
        appeared meanwhile (a run's driver finishing a create): they are cancelled too.
        ``missing`` counts jobs the caller knew of and the server did not (not found); so
        do ``jobs`` the server no longer has.
        """
        before = {job.id: job for job in jobs}
        # Statuses as of now (the records may be stale): what is final already is not touched.
        current = {s.id: s.status for s in await self.client.get_jobs(list(before))}
        touched = [i for i, status in current.items() if not status.is_final]
        scheduled = {i for i, status in current.items() if status is JobStatus.SCHEDULED}
        missing += len(set(before) - set(current))
        for gone in set(before) - set(current):
            del before[gone]
        await self.client.cancel_jobs(touched)
        finals: dict[str, JobStatus] = {}
        seen: set[str] = set(touched)

        async def settled() -> bool:
            nonlocal seen
            if refind is not None:
                fresh = [j for j in await refind() if j.id not in before]
                for job in fresh:
                    before[job.id] = job
                    if job.status is JobStatus.SCHEDULED:
                        scheduled.add(job.id)
                new_ids = [j.id for j in fresh if not j.status.is_final]
                await self.client.cancel_jobs(new_ids)
                touched.extend(new_ids)
            states = await self.client.get_jobs([i for i in touched if i not in finals])
            finals.update({s.id: s.status for s in states if s.status.is_final})
            seen = {s.id for s in states} | set(finals)
            return all(i in finals or i not in seen for i in touched)

        await self._poll_until(settled, wait)
        cancelled = [i for i in touched if finals.get(i) is JobStatus.CANCELLED]
        still = tuple(i for i in touched if i not in finals and i in seen)
        return CancelReport(
            matched=len(before) + missing,
            cancelled=len(cancelled),
            already_final=len(before)
            - len(touched)
            + sum(1 for i in touched if i in finals and finals[i] is not JobStatus.CANCELLED),
            not_found=missing + sum(1 for i in touched if i not in seen),
            still_running=still,
            schedules_cancelled=sum(1 for i in cancelled if i in scheduled),
        )

    # -- sessions ---------------------------------------------------------------------------

    async def sessions(
        self,
        *,
        email: str | None = None,
        status: str | None = None,
        image_type: str | None = None,
        idle_for: float | None = None,
    ) -> list[Session]:
        """Sessions (newest first), filtered as the API document's sessions query filters;
        ``idle_for`` keeps those started more than that many seconds ago."""
        base: dict[str, Any] = {"email": email, "status": status, "imageType": image_type}
        variables = {k: v for k, v in base.items() if v is not None}
        found: list[Session] = []
        skip = 0
        while True:
            page_vars = {**variables, "take": SESSION_PAGE, "skip": skip}
            page = (await self.client.execute("list_sessions", page_vars))["hyperHubSessions"]
            found.extend(Session.from_api(item) for item in page)
            if len(page) < SESSION_PAGE:
                break
            skip += len(page)
        unique = list({s.id: s for s in found}.values())
        if idle_for is None:
            return unique
        return [s for s in unique if s.age is not None and s.age > idle_for]

    async def cancel_sessions(
        self,
        sessions: Sequence[Session],
        *,
        wait: float = DEFAULT_WAIT_SECONDS,
        missing: int = 0,
    ) -> CancelReport:
        """Cancel ``sessions`` not yet ended, by aliased single updates (the API document has
        no bulk session mutation), then wait until each is final."""
        touched = [s.id for s in sessions if not s.status.is_final]
        for chunk in chunks(touched, SESSION_CANCEL_BATCH):
            await self._cancel_session_batch(list(chunk))
        emails = {s.email for s in sessions}
        finals: dict[str, JobStatus] = {}
        seen: set[str] = set(touched)

        async def settled() -> bool:
            nonlocal seen, finals
            now = await self._sessions_by_id(emails)
            seen = set(now)
            finals = {i: now[i].status for i in touched if i in now and now[i].status.is_final}
            return all(i in finals or i not in seen for i in touched)

        await self._poll_until(settled, wait)
        cancelled = sum(1 for i in touched if finals.get(i) is JobStatus.CANCELLED)
        still = tuple(i for i in touched if i not in finals and i in seen)
        gone = sum(1 for i in touched if i not in seen)
        return CancelReport(
            matched=len(sessions) + missing,
            cancelled=cancelled,
            already_final=len(sessions) - cancelled - len(still) - gone,
            not_found=missing + gone,
            still_running=still,
        )

    async def _poll_until(self, check: Callable[[], Awaitable[bool]], wait: float) -> None:
        """Call ``check`` until it returns True or ``wait`` seconds passed; at least once,
        so a zero wait still reports what is final already."""
        deadline = anyio.current_time() + wait
        while not await check():
            remaining = deadline - anyio.current_time()
            if remaining <= 0:
                return
            await anyio.sleep(min(self.poll_interval, remaining))

    async def _cancel_session_batch(self, ids: list[str]) -> None:
        variables = {f"id{n}": session_id for n, session_id in enumerate(ids)}
        try:
            await self.client.execute(batched("cancel_session", len(ids)), variables)
        except PermanentError:
            # One session ended meanwhile and refused the change: cancel the rest one by one.
            for session_id in ids:
                try:
                    await self.client.execute(batched("cancel_session", 1), {"id0": session_id})
                except PermanentError:
                    continue  # reported by the wait as already final or not found

    async def _sessions_by_id(self, emails: set[str | None]) -> dict[str, Session]:
        if None in emails or not emails:
            listed = await self.sessions()
        else:
            listed = [s for email in emails for s in await self.sessions(email=email)]
        return {s.id: s for s in listed}

    # -- stats and parameters ---------------------------------------------------------------

    async def stats(self, *, scheduled: bool = False) -> JobStats:
        """The getJobStat grid (status x 10 min / 1 h / 24 h / total) in one request."""
        name = "job_stats_scheduled" if scheduled else "job_stats"
        return JobStats.from_api(await self.client.execute(name, {}), scheduled)

    async def params(self, job_id: str) -> list[Parameter]:
        """A job's parameters; raises KeyError when there is no such job."""
        jobs = (await self.client.execute("job_parameters", {"id": job_id}))["pipelineJobs"]
        if not jobs:
            raise KeyError(job_id)
        return [
            Parameter(str(p["id"]), str(p["key"]), str(p["value"])) for p in jobs[0]["parameters"]
        ]

    async def set_param(self, job_id: str, key: str, value: str) -> Parameter:
        """Set ``key`` to ``value`` on a job: update the parameter, or add it."""
        current = {p.key: p for p in await self.params(job_id)}
        if key in current:
            variables = {"parameterId": current[key].id, "keyValue": key, "valueValue": value}
            await self.client.execute("update_parameter", variables)
        else:
            variables = {"jobId": job_id, "key": key, "value": value}
            await self.client.execute("add_parameter", variables)
        after = {p.key: p for p in await self.params(job_id)}
        return after[key]

    async def remove_param(self, job_id: str, key: str) -> bool:
        """Remove ``key`` from a job; False when the job has no such parameter."""
        current = {p.key: p for p in await self.params(job_id)}
        if key not in current:
            return False
        variables = {"jobId": job_id, "parameterId": current[key].id}
        await self.client.execute("delete_parameter", variables)
        return True


def _unfinished(query: JobQuery) -> JobQuery:
    return replace(query, unfinished=True)


__all__ = ["DEFAULT_WAIT_SECONDS", "Platform"]
