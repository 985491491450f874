"""An in-memory job platform for tests: yours (of code that runs jobs through orchestrator)
and ours (of the engine). No server, no process, no network: a run of a thousand jobs takes
milliseconds, and whatever the platform does is scripted by the test.

``MemoryPlatform`` is the engine's platform port in memory: jobs advance one status step per
poll (``steps`` polls), each attempt's final status is scripted (``outcome``), creates can be
made to fail before executing (``refuse_creates``), after executing (``lose_replies``) or late
(``late_creates``), and the whole platform can go ``down``. A job created with a ``schedule``
stays "scheduled" and spawns ``spawns`` runs that copy its parameters, like a cron job.

:func:`run_jobs` and :func:`run_manifest` are :func:`orchestrator.run_jobs` and
:func:`orchestrator.run_manifest` driven against such a platform: the same specs, policy,
ledger (``state_dir``), events and summary, with ``platform=`` in place of ``endpoint=`` and
``token=``, polling as fast as memory answers (:data:`FAST_OPTIONS`) and, unless told
``quick_retries=False``, retrying after 1 ms rather than after the policy's backoff. A test
of code that launches jobs::

    import orchestrator.testing
    from orchestrator.model import JobStatus
    from orchestrator.manifest import Policy

    async def test_every_job_is_retried_once(tmp_path):
        flaky = orchestrator.testing.MemoryPlatform(
            outcome=lambda key, attempt: JobStatus.FAILED if attempt == 1 else JobStatus.DONE
        )
        specs = orchestrator.testing.make_specs(3, retries=1)
        summary = await orchestrator.testing.run_jobs(
            specs, Policy(), platform=flaky, state_dir=tmp_path
        )
        assert summary.done == 3
        assert flaky.attempts_of("job-0000") == [1, 2]

    async def test_the_sweep_manifest_plans_what_i_expect(tmp_path):
        platform = orchestrator.testing.MemoryPlatform()
        summary = await orchestrator.testing.run_manifest(
            "manifests/sweep.yaml", platform=platform, state_dir=tmp_path
        )
        assert summary.failed == 0 and len(platform.jobs) == summary.done

A resume of such a run (``orchestrator.resume_run``) needs a real platform: the in-memory one
lives only as long as the test holds it.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.api.errors import SubmitOutcomeUnknown, TransientError
from orchestrator.engine.driver import Engine
from orchestrator.engine.events import EventCallback, RunSummary
from orchestrator.engine.identity import ATTEMPT_LABEL, JOB_LABEL
from orchestrator.engine.options import EngineOptions
from orchestrator.ledger import Ledger, RunRecord
from orchestrator.manifest import Manifest, load_manifest
from orchestrator.manifest.model import JobSpec, Policy, RetryPolicy
from orchestrator.model import JobCreate, JobState, JobStatus
from orchestrator.runs import record_manifest_run
from orchestrator.views.digest import with_failures
from orchestrator.views.jobs import jobs_from_ledger

__all__ = [
    "FAST_OPTIONS",
    "MemoryPlatform",
    "Outcome",
    "StoredJob",
    "make_specs",
    "run_jobs",
    "run_manifest",
]

FAST_OPTIONS = EngineOptions(poll_min_interval=0.001, poll_max_interval=0.01, linger=0)
"""The options :func:`run_jobs` and :func:`run_manifest` default to: an in-memory platform
answers at once, so the engine polls it every millisecond rather than every 0.1-5 s."""

QUICK_BACKOFF_SECONDS = 0.001


def _quick(policy: Policy) -> Policy:
    """``policy`` with failed jobs resubmitted after 1 ms instead of its backoff (seconds to
    minutes): which jobs are retried and how often stays the policy's."""
    retry = RetryPolicy(QUICK_BACKOFF_SECONDS, QUICK_BACKOFF_SECONDS, policy.retry.on)
    return dataclasses.replace(policy, retry=retry)


Outcome = Callable[[str, int], JobStatus]  # (job key, attempt) -> final status


def always_done(key: str, attempt: int) -> JobStatus:
    """The default outcome: every attempt of every job ends done."""
    return JobStatus.DONE


@dataclass
class StoredJob:
    """A job as the in-memory platform holds it (``final``: the status it will end in)."""

    id: str
    fields: Mapping[str, Any]
    parameters: Mapping[str, str]
    final: JobStatus
    status: JobStatus = JobStatus.PENDING
    steps_left: int = 2
    reason: str | None = None  # the final status's reason


@dataclass
class MemoryPlatform:
    """The engine's platform port (:class:`orchestrator.engine.port.JobPlatform`) in memory.

    The fields after ``spawns`` are its state, for tests to read: ``jobs`` by id,
    ``create_calls`` made and the most jobs ever active at once (``max_active``)."""

    outcome: Outcome = always_done
    reason: Callable[[str, int], str | None] = lambda key, attempt: None  # of the final status
    down: bool = False  # every call fails as if the platform were unreachable
    steps: int = 2  # polls a job spends pending/in progress before its final status
    lose_replies: int = 0  # next N create calls execute but raise SubmitOutcomeUnknown
    refuse_creates: int = 0  # next N create calls raise TransientError without executing
    late_creates: int = 0  # next N create calls time out; they execute at the first poll
    spawns: int = 0  # runs each cron job spawns when created (ids sort before created ones)
    _late: list[Sequence[JobCreate]] = field(default_factory=list)  # after a look-up
    _looked_up: bool = False
    hold: Callable[[str], bool] = lambda key: False  # keys that stay in progress forever
    jobs: dict[str, StoredJob] = field(default_factory=dict)
    create_calls: int = 0
    max_active: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def _reachable(self) -> None:
        if self.down:
            raise TransientError("connection refused")

    async def create_jobs(self, jobs: Sequence[JobCreate]) -> list[JobState]:
        """Create the jobs (or fail as scripted); their states, in order."""
        self._reachable()
        self.create_calls += 1
        if self.late_creates:
            self.late_creates -= 1
            self._late.append(jobs)
            raise SubmitOutcomeUnknown("request timed out", jobs)
        if self.refuse_creates:
            self.refuse_creates -= 1
            raise TransientError("connection refused")
        states = []
        for job in jobs:
            job_id = f"j{next(self._ids)}"
            key = job.parameters[JOB_LABEL]
            attempt = int(job.parameters[ATTEMPT_LABEL])
            stored = StoredJob(job_id, job.fields, job.parameters, self.outcome(key, attempt))
            stored.steps_left = self.steps
            stored.reason = self.reason(key, attempt)
            self.jobs[job_id] = stored
            if job.fields.get("schedule"):
                stored.status = JobStatus.SCHEDULED
                for _ in range(self.spawns):
                    spawned_id = f"a-spawn-{next(self._ids)}"
                    spawned = StoredJob(
                        spawned_id, {}, {**job.parameters, "SPAWNED": "1"}, stored.final
                    )
                    self.jobs[spawned_id] = spawned
            states.append(JobState(id=job_id, status=stored.status))
        active = sum(1 for j in self.jobs.values() if not j.status.is_final)
        self.max_active = max(self.max_active, active)
        if self.lose_replies:
            self.lose_replies -= 1
            raise SubmitOutcomeUnknown("reply lost", jobs)
        return states

    async def get_jobs(self, ids: Sequence[str]) -> list[JobState]:
        """The jobs' states, each advanced one step (unknown ids are left out)."""
        self._reachable()
        if self._looked_up:  # the server gets to timed-out creates only after a look-up
            late, self._late, self._looked_up = self._late, [], False
            for jobs in late:
                await self.create_jobs(jobs)
        out = []
        for job_id in ids:
            job = self.jobs.get(job_id)
            if job is None:
                continue
            self._advance(job)
            reason = job.reason if job.status.is_final else None
            out.append(JobState(id=job.id, status=job.status, status_reason=reason))
        return out

    def _advance(self, job: StoredJob) -> None:
        if job.status.is_final or job.status is JobStatus.SCHEDULED:
            return
        if job.steps_left > 1 or self.hold(job.parameters[JOB_LABEL]):
            job.steps_left -= 1
            job.status = JobStatus.IN_PROGRESS
        else:
            job.status = job.final

    async def find_jobs(
        self, labels: Mapping[str, str], statuses: Collection[JobStatus] | None = None
    ) -> list[JobState]:
        """The jobs carrying every label of ``labels`` (and in ``statuses``, if given)."""
        self._reachable()
        self._looked_up = bool(self._late)
        return [
            JobState(id=j.id, status=j.status, parameters=j.parameters)
            for j in self.jobs.values()
            if all(j.parameters.get(k) == v for k, v in labels.items())
            and (statuses is None or j.status in statuses)
        ]

    async def find_any(self, label_sets: Sequence[Mapping[str, str]]) -> list[JobState]:
        """The jobs carrying every label of any one of ``label_sets``."""
        self._reachable()
        self._looked_up = bool(self._late)
        return [
            JobState(id=j.id, status=j.status, parameters=j.parameters)
            for j in self.jobs.values()
            if any(all(j.parameters.get(k) == v for k, v in s.items()) for s in label_sets)
        ]

    async def cancel_jobs(self, ids: Sequence[str]) -> int:
        """Cancel the jobs not final yet; how many were."""
        self._reachable()
        n = 0
        for job_id in ids:
            job = self.jobs.get(job_id)
            if job is not None and not job.status.is_final:
                job.status = JobStatus.CANCELLED
                n += 1
        return n

    def attempts_of(self, key: str) -> list[int]:
        """The attempt numbers created of job ``key``, sorted (``[1]``: never retried)."""
        return sorted(
            int(j.parameters[ATTEMPT_LABEL])
            for j in self.jobs.values()
            if j.parameters[JOB_LABEL] == key
        )


def make_specs(n: int, retries: int = 0, **fields: Any) -> list[JobSpec]:
    """``n`` job specs keyed ``job-0000``... with parameter ``I``, ``retries`` retries each and
    ``fields`` added to their job fields."""
    return [
        JobSpec(
            key=f"job-{i:04d}",
            index=i,
            group="g",
            name=f"job {i}",
            matrix={"i": i},
            fields={"pipelineYamlPath": "p.yaml", "maxRetries": retries, **fields},
            parameters={"I": str(i)},
        )
        for i in range(n)
    ]


async def run_jobs(
    specs: Iterable[JobSpec],
    policy: Policy,
    *,
    platform: MemoryPlatform,
    name: str = "jobs",
    state_dir: str | Path,
    options: EngineOptions | None = None,
    on_event: EventCallback | None = None,
    quick_retries: bool = True,
) -> RunSummary:
    """:func:`orchestrator.run_jobs` against ``platform``: the run is recorded in the ledger
    of ``state_dir`` as any other, and driven to the end."""
    if quick_retries:
        policy = _quick(policy)
    with Ledger(Path(state_dir)) as ledger:
        run = ledger.create_run(name=name, policy=policy, endpoint=None)
        return await _drive(platform, ledger, run, specs, options or FAST_OPTIONS, on_event)


async def run_manifest(
    manifest: str | Path | Manifest,
    *,
    platform: MemoryPlatform,
    state_dir: str | Path,
    options: EngineOptions | None = None,
    on_event: EventCallback | None = None,
    quick_retries: bool = True,
) -> RunSummary:
    """:func:`orchestrator.run_manifest` against ``platform`` (a path or a loaded manifest)."""
    loaded = manifest if isinstance(manifest, Manifest) else load_manifest(manifest)
    if quick_retries:
        loaded = dataclasses.replace(loaded, policy=_quick(loaded.policy))
    with Ledger(Path(state_dir)) as ledger:
        run = record_manifest_run(ledger, loaded, endpoint=None)
        return await _drive(platform, ledger, run, loaded.jobs(), options or FAST_OPTIONS, on_event)


async def _drive(
    platform: MemoryPlatform,
    ledger: Ledger,
    run: RunRecord,
    specs: Iterable[JobSpec],
    options: EngineOptions,
    on_event: EventCallback | None,
) -> RunSummary:
    """Drive ``run`` as the library does, failed jobs named in the summary."""
    with ledger.lock(run.id):
        engine = Engine(
            platform=platform, ledger=ledger, run=run, options=options, on_event=on_event
        )
        summary = await engine.drive(specs)
    if summary.failed or summary.timed_out:
        summary = with_failures(summary, jobs_from_ledger(ledger, run.id))
    return summary
