"""Runs as the Python API and the CLI see them: start, resume, retry.

Each function opens the state dir's ledger, connects (a given endpoint or the embedded
platform), takes the run's lock and drives the engine. They are coroutines, so they work
inside an already running event loop (``await orchestrator.run_manifest(...)`` in Jupyter).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import anyio

from orchestrator.api import TokenSource
from orchestrator.connect import Endpoint, check_workspace, connect, open_client, preflight
from orchestrator.engine.control import RunControl
from orchestrator.engine.driver import Engine
from orchestrator.engine.events import EventCallback, RunSummary
from orchestrator.engine.options import EngineOptions
from orchestrator.errors import UsageError
from orchestrator.ledger import LEDGER_FILE, Ledger, RunRecord, RunState
from orchestrator.manifest import JobSpec, Manifest, ManifestError, Policy, load_manifest
from orchestrator.model import DEFAULT_STATE_DIR, JobStatus, state_dir_flag
from orchestrator.views.digest import with_failures
from orchestrator.views.jobs import jobs_from_ledger
from orchestrator.views.steps import with_failed_steps


class ResumeError(UsageError, ValueError):
    """The run cannot be resumed as recorded (its manifest changed or vanished)."""


class MissingPipelineError(UsageError, ValueError):
    """Jobs name pipeline files the local platform's workspace does not hold: every one of
    them would fail, attempt after attempt, so the run is refused before it starts."""


MISSING_SHOWN = 5  # missing files named in the message; the rest are counted


def check_local_run(manifest: Manifest, state_dir: Path, executor: str = "local") -> None:
    """What the local platform of ``state_dir`` would make of ``manifest``, checked before
    anything is started or recorded: its workspace is the manifest's folder, so a platform
    serving another folder is refused (:func:`~orchestrator.connect.check_workspace`), and
    every ``pipelineYamlPath`` must be a file there (:class:`MissingPipelineError`) unless
    the jobs are simulated (``executor``, or that of the platform already serving)."""
    workspace = manifest.source_path.resolve().parent
    serving = check_workspace(state_dir, workspace)
    if (serving.executor if serving is not None else executor) == "simulate":
        return  # simulated jobs read no file
    missing = sorted(
        path
        for path in manifest.field_values("pipelineYamlPath")
        if not (workspace / path).is_file()
    )
    if missing:
        named = ", ".join(missing[:MISSING_SHOWN])
        more = f" and {len(missing) - MISSING_SHOWN} more" if len(missing) > MISSING_SHOWN else ""
        raise MissingPipelineError(
            f"pipelineYamlPath names {len(missing)} file(s) not in the workspace {workspace} "
            f"(the manifest's folder): {named}{more}; every job using them would fail"
        )


class DuplicateRunError(UsageError, ValueError):
    """The same manifest (same file, content and ``-p`` values) is being run already."""


def refuse_duplicate(manifest: Manifest, state_dir: Path) -> None:
    """Refuse (:class:`DuplicateRunError`, exit 2) to start a run of ``manifest`` while a run
    of the same file, content and ``-p`` values is live in ``state_dir`` (a process drives
    it): launched twice by mistake, every job would run twice. As ``helm install`` refuses a
    release that exists, rather than ``kubectl create`` making a second one under a new name;
    ``run --duplicate`` starts another on purpose."""
    if not (state_dir / LEDGER_FILE).exists():  # no run yet (and no state dir to create)
        return
    path = str(manifest.source_path.resolve())
    with Ledger(state_dir, read_only=True) as ledger:
        for run in ledger.list_runs():
            same = (run.manifest_path, run.manifest_digest) == (path, manifest.digest)
            same = same and dict(run.variables) == dict(manifest.overrides)
            if same and ledger.effective_state(run) is RunState.RUNNING:
                follow = f"orchestrator watch {run.id}{state_dir_flag(state_dir)}"
                raise DuplicateRunError(
                    f"run {run.id} of {manifest.source_path} is still running; follow it: "
                    f"{follow} (or start another run of it anyway: run --duplicate)"
                )


def record_manifest_run(
    ledger: Ledger, manifest: Manifest, *, endpoint: str | None, run_id: str | None = None
) -> RunRecord:
    """Create the ledger entry of a run of ``manifest`` (``endpoint`` None: embedded)."""
    return ledger.create_run(
        name=manifest.name,
        policy=manifest.policy,
        manifest_path=str(manifest.source_path.resolve()),
        manifest_digest=manifest.digest,
        endpoint=endpoint,
        total_jobs=manifest.count(),
        run_id=run_id,
        variables=manifest.overrides,
    )


async def run_manifest(
    manifest: str | Path | Manifest,
    *,
    endpoint: str | None = None,
    token: str | TokenSource | None = None,
    state_dir: str | Path = DEFAULT_STATE_DIR,
    options: EngineOptions | None = None,
    on_event: EventCallback | None = None,
    control: RunControl | None = None,
    executor: str = "local",
    allow_outside: Iterable[str | Path] = (),
) -> RunSummary:
    """Run every job of a manifest to the end; with no endpoint, on the embedded platform.

    ``allow_outside``: folders beyond the manifest's own its sources may read (a path only)."""
    loaded = (
        manifest
        if isinstance(manifest, Manifest)
        else load_manifest(manifest, allow_outside=allow_outside)
    )
    state = Path(state_dir)
    if not endpoint:  # the local platform: its workspace and the files the jobs need
        check_local_run(loaded, state, executor)
    # The ledger opens first: a state dir that cannot hold the run is said before the
    # network is tried, and nothing is recorded until the platform has answered.
    with Ledger(state) as ledger:
        async with connect(
            endpoint=endpoint,
            token=token,
            state_dir=state,
            workspace=loaded.source_path.resolve().parent,
            executor=executor,
            service=loaded.has_schedules(),
        ) as ep:
            await preflight(ep)
            run = record_manifest_run(ledger, loaded, endpoint=None if ep.embedded else ep.url)
            return await _drive(ledger, run, loaded.jobs(), ep, options, on_event, control)


async def run_jobs(
    specs: Iterable[JobSpec],
    policy: Policy,
    *,
    name: str = "jobs",
    endpoint: str | None = None,
    token: str | TokenSource | None = None,
    state_dir: str | Path = DEFAULT_STATE_DIR,
    workspace: str | Path = ".",
    options: EngineOptions | None = None,
    on_event: EventCallback | None = None,
    control: RunControl | None = None,
    executor: str = "local",
) -> RunSummary:
    """Run job specs built in code (no manifest file); resume with the same specs."""
    state = Path(state_dir)
    async with connect(
        endpoint=endpoint,
        token=token,
        state_dir=state,
        workspace=Path(await anyio.Path(workspace).absolute()),
        executor=executor,
    ) as ep:
        await preflight(ep)
        with Ledger(state) as ledger:
            run = ledger.create_run(
                name=name, policy=policy, endpoint=None if ep.embedded else ep.url
            )
            return await _drive(ledger, run, specs, ep, options, on_event, control)


async def resume_run(
    run_id: str,
    *,
    endpoint: str | None = None,
    token: str | TokenSource | None = None,
    state_dir: str | Path = DEFAULT_STATE_DIR,
    specs: Iterable[JobSpec] | None = None,
    options: EngineOptions | None = None,
    on_event: EventCallback | None = None,
    control: RunControl | None = None,
    executor: str = "local",
    retry_failed: bool = False,
    allow_outside: Iterable[str | Path] = (),
) -> RunSummary:
    """Continue a run from its ledger: reconcile, then submit whatever is left, exactly once.

    ``specs`` defaults to the run's manifest, which must be unchanged (same digest). The
    endpoint defaults to the one recorded; a run started on the embedded platform restarts it.
    With ``retry_failed`` the jobs that ended failed or timed out are resubmitted first
    (:func:`reopen_failed`). ``allow_outside`` widens the manifest's sources as ``run`` did.
    """
    state = Path(state_dir)
    with Ledger(state) as ledger:
        run = ledger.get_run(run_id)
        if retry_failed:
            reopen_failed(ledger, run.id)
        stream = specs if specs is not None else _manifest_specs(run, allow_outside)
        workspace = Path(run.manifest_path).parent if run.manifest_path else Path.cwd()
        async with connect(
            endpoint=endpoint or run.endpoint,
            token=token,
            state_dir=state,
            workspace=workspace,
            executor=executor,
            service=_has_schedules(run),
        ) as ep:
            await preflight(ep)
            return await _drive(ledger, run, stream, ep, options, on_event, control)


retry_run = functools.partial(resume_run, retry_failed=True)
"""``orchestrator retry`` as a coroutine: :func:`resume_run` with ``retry_failed=True``."""


def reopen_failed(ledger: Ledger, run_id: str) -> int:
    """Reopen the jobs of a run that ended failed or timed out: each gets a new attempt and a
    fresh retry budget. Refused (RunLockedError) while another process drives the run."""
    with ledger.lock(run_id):
        return ledger.reopen(run_id, [JobStatus.FAILED, JobStatus.TIMED_OUT])


def _has_schedules(run: RunRecord) -> bool:
    """The run's manifest (if it still loads) has cron schedules."""
    if run.manifest_path is None or not Path(run.manifest_path).exists():
        return False
    try:
        return load_manifest(run.manifest_path).has_schedules()
    except ManifestError:
        return False


def _manifest_specs(run: RunRecord, allow_outside: Iterable[str | Path]) -> Iterable[JobSpec]:
    if run.manifest_path is None:
        return ()  # a run of specs built in code: the ledger holds every admitted job
    path = Path(run.manifest_path)
    if not path.exists():
        raise ResumeError(f"run {run.id}: its manifest {path} is gone")
    manifest = load_manifest(path, allow_outside=allow_outside, overrides=run.variables)
    if manifest.digest != run.manifest_digest:
        raise ResumeError(
            f"run {run.id}: {path} changed since the run started; restore it, or start a new"
            " run (jobs already submitted keep running: `orchestrator cancel` stops them)"
        )
    return manifest.jobs()


async def _drive(
    ledger: Ledger,
    run: RunRecord,
    specs: Iterable[JobSpec],
    endpoint: Endpoint,
    options: EngineOptions | None,
    on_event: EventCallback | None,
    control: RunControl | None,
) -> RunSummary:
    with ledger.lock(run.id):
        async with open_client(endpoint, run.policy) as client:
            engine = Engine(
                platform=client, ledger=ledger, run=run, options=options, on_event=on_event
            )
            (control or RunControl()).attach(engine)
            summary = await engine.drive(specs)
            if summary.failed or summary.timed_out:  # name the failed jobs (only when some are)
                views = jobs_from_ledger(ledger, run.id)
                if summary.stopped_by is None:  # not after an outage or a refused token
                    views = await with_failed_steps(client, views)
                summary = with_failures(summary, views)
    return summary
