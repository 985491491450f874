"""Run one pipeline's tasks as local processes, each in its own process group.

Why process groups: a task is often a shell script that starts children of its own; killing
only the direct child would leave them running after a cancel or a timeout. Every task gets a
new session (``start_new_session``), and stopping it signals the whole group. A lifeline
(:mod:`lifeline`) kills the group if the process that started it dies.

Cancellation is structured: cancelling the coroutine that runs :func:`run_pipeline` (a user
cancel, a ``timeout``/``activeTimeout`` expiry around it, a shutdown) kills every running
task's group before the cancellation propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import shutil
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from orchestrator.model import JobStatus
from orchestrator.platform.client_text import one_line, shown
from orchestrator.platform.executor.job_sdk import SDK_PATH
from orchestrator.platform.executor.lifeline import Lifeline
from orchestrator.platform.executor.parameter_names import (
    bare_name,
    bare_name_allowed,
    withheld_reason,
)
from orchestrator.platform.executor.pipeline import Pipeline, PipelineError, Task, TaskType
from orchestrator.platform.executor.process_registry import ProcessRegistry
from orchestrator.platform.executor.requirements import requirements_failure
from orchestrator.state_files import open_private, private_dir

PARAMETER_PREFIX = "HYPERPLANE_JOB_PARAMETER_"
JOB_ID_VARIABLE = "HYPERPLANE_JOB_ID"
RUN_ID_VARIABLE = "HYPERPLANE_JOB_RUN_ID"
ATTEMPT_VARIABLE = "HYPERPLANE_JOB_ATTEMPT"  # local platform: 1 + reruns done by maxRetries
# The orchestrator's identity labels (parameters), spelled here too: the platform shares no
# code with the orchestrator, it only knows the parameter names.
JOB_KEY_LABEL = "ORCHESTRATOR_JOB"
ATTEMPT_LABEL = "ORCHESTRATOR_ATTEMPT"

KILL_GRACE_SECONDS = 0.5  # SIGTERM first, SIGKILL after this: a cancel lands within a second


@dataclass(frozen=True, slots=True)
class JobContext:
    """Who is running: what the tasks see of their job."""

    job_id: str
    run_id: str
    attempt: int
    parameters: Mapping[str, str]
    variables: Mapping[str, str] = field(default_factory=dict)
    """The platform's other variables (the hosted job environment, :mod:`job_environment`):
    written after the parameters, like ``HYPERPLANE_JOB_ID``."""
    pod_env: Mapping[str, str] = field(default_factory=dict)
    """The job's ``podSpec`` ``env`` entries that apply (:mod:`job_secrets`): after the
    parameters, before the platform's variables."""
    pod_env_withheld: tuple[str, ...] = ()
    """``podSpec`` ``env`` names not applied, each with why (said in the job's log)."""


@dataclass(frozen=True, slots=True)
class PipelineResult:
    """How a pipeline run ended on its own: ``failure`` is None when every task succeeded."""

    failure: str | None = None

    @property
    def succeeded(self) -> bool:
        """True when every task exited 0."""
        return self.failure is None


@dataclass(frozen=True, slots=True)
class StepEvent:
    """A task of the pipeline started (``in progress``) or ended (``done``, ``failed``,
    ``cancelled``: stopped by a cancel, a sibling's failure or the job's time limit) at ``at``.

    The hosted ``PipelineJob.steps``: the executor turns these into the job's steps.
    """

    name: str
    status: JobStatus
    at: datetime


StepListener = Callable[[StepEvent], None]
"""Told of every :class:`StepEvent` as it happens; it must not raise."""


def ignore_steps(_event: StepEvent) -> None:
    """A :data:`StepListener` for runs nobody records steps of."""


def parameter_variable(key: str) -> str:
    """The environment variable a parameter reaches tasks under.

    The key is upper-cased, as on the hosted platform; characters a shell cannot use in a
    variable name become ``_`` so every parameter stays reachable.
    """
    return PARAMETER_PREFIX + bare_name(key)


PRIVATE_PREFIX = "ORCHESTRATOR_"
"""The orchestrator's and the platform's own variables (tokens among them): never in a job."""

IDENTITY_LABEL_PREFIX = "ORCHESTRATOR_"  # ORCHESTRATOR_RUN/JOB/ATTEMPT on every attempt


def withheld_bare_names(parameters: Mapping[str, str]) -> list[str]:
    """The parameters' bare names that are not exported (they keep only the prefixed one)."""
    names = {bare_name(key) for key in parameters}
    return sorted(name for name in names if not bare_name_allowed(name))


def task_environment(base: Mapping[str, str], job: JobContext) -> dict[str, str]:
    """The environment of every task of ``job``: ``base`` plus the job's variables.

    ``ORCHESTRATOR_*`` variables of ``base`` (the orchestrator's token, the platform's own
    settings) never reach a job, nor do parameter variables inherited from it. Each parameter
    is exported as ``HYPERPLANE_JOB_PARAMETER_<KEY>`` and, as real job code reads it
    (``os.getenv("FILE_ID")``), under its bare name too when the allow-list rule of
    :mod:`~orchestrator.platform.executor.parameter_names` lets it. The platform's own
    variables (its ``variables``, then the job's id, run id and attempt) are written last, so
    no parameter nor ``podSpec`` ``env`` entry (``pod_env``, written before them) replaces
    them. The platform's Python comes
    first on ``PATH``, so ``python`` in a script is the Python that runs ``py`` tasks, and the
    hosted helpers (:mod:`~orchestrator.platform.executor.job_sdk`) first on ``PYTHONPATH``.
    """
    env = {
        k: v
        for k, v in base.items()
        if not k.startswith(PARAMETER_PREFIX) and not k.upper().startswith(PRIVATE_PREFIX)
    }
    for key, value in job.parameters.items():
        name = bare_name(key)
        if bare_name_allowed(name):
            env[name] = value
    for key, value in job.parameters.items():
        env[parameter_variable(key)] = value
    python_dir = str(Path(sys.executable).parent)
    path = base.get("PATH") or os.defpath
    env["PATH"] = os.pathsep.join([python_dir, *path.split(os.pathsep)])
    python_path = [str(SDK_PATH), *filter(None, base.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(python_path)  # ``from hyperplane import ...``
    env.update(job.pod_env)
    env.update(job.variables)
    env[JOB_ID_VARIABLE] = job.job_id
    env[RUN_ID_VARIABLE] = job.run_id
    env[ATTEMPT_VARIABLE] = str(job.attempt)
    return env


def log_header(job: JobContext, pipeline_name: str) -> str:
    """The first line of a job's log: which job and which attempt it is.

    A job an orchestrator run created carries its own attempt number (each attempt is a
    job of its own, so the platform's rerun count alone would always say 1): the header
    names the job key and that attempt, then the platform's rerun count if it reran.
    """
    key, attempt = job.parameters.get(JOB_KEY_LABEL), job.parameters.get(ATTEMPT_LABEL)
    if key is not None and attempt is not None:
        rerun = f", platform rerun {job.attempt}" if job.attempt > 1 else ""
        who = f"job {job.job_id} ({one_line(key)}, attempt {one_line(attempt)}{rerun})"
    else:
        who = f"job {job.job_id} attempt {job.attempt}"
    return f"{who}: pipeline {shown(pipeline_name)}"


def task_command(task: Task, parameters: Mapping[str, str]) -> list[str]:
    """The argv that runs ``task``; raises PipelineError when its runner is not installed."""
    if task.type in (TaskType.PY, TaskType.VSCODE_NOTEBOOK):
        return [sys.executable, str(task.path)]
    if task.type is TaskType.BASH_SCRIPT:
        bash = shutil.which("bash")
        if bash is None:
            raise PipelineError(f"task '{task.name}' needs bash, which is not on PATH")
        return [bash, str(task.path)]
    if task.type is TaskType.JS_SCRIPT:
        node = shutil.which("node")
        if node is None:
            raise PipelineError(
                f"task '{task.name}' is a js script: install Node.js (no 'node' on PATH)"
            )
        return [node, str(task.path)]
    if importlib.util.find_spec("papermill") is None:
        raise PipelineError(
            f"task '{task.name}' is a jupyter notebook: install papermill "
            "(pip install papermill ipykernel) to run notebooks on the local platform"
        )
    assert task.output_path is not None  # guaranteed by the pipeline loader
    command = [sys.executable, "-m", "papermill", str(task.path), str(task.output_path)]
    for key, value in parameters.items():
        command += ["-r", key, value]  # raw: parameters stay strings, as in the environment
    return command


async def run_pipeline(
    pipeline: Pipeline,
    job: JobContext,
    *,
    workspace: Path,
    log_path: Path,
    registry: ProcessRegistry | None = None,
    on_step: StepListener = ignore_steps,
) -> PipelineResult:
    """Run ``pipeline``'s DAG for ``job``, appending all output to ``log_path``.

    Returns when every task ended or one failed (then the others are killed). Cancelling
    the caller kills every running task's process group first. ``on_step`` hears each
    task start and end.
    """
    try:
        commands = {task.name: task_command(task, job.parameters) for task in pipeline.tasks}
    except PipelineError as exc:
        return PipelineResult(str(exc))
    env = task_environment(os.environ, job)
    private_dir(log_path.parent)  # job logs are the platform's state: 0700 folder, 0600 files
    for task in pipeline.tasks:
        if task.output_path is not None:
            task.output_path.parent.mkdir(parents=True, exist_ok=True)
    with open_private(log_path, buffering=0) as log:
        _note(log, log_header(job, pipeline.name))
        # The orchestrator's identity labels are withheld on every job it submits, by design:
        # a note says only what the job's author may not expect.
        withheld = [
            name
            for name in withheld_bare_names(job.parameters)
            if not name.startswith(IDENTITY_LABEL_PREFIX)
        ]
        if withheld:
            reasons = "; ".join(f"{name}: {withheld_reason(name)}" for name in withheld)
            _note(
                log,
                f"parameters {', '.join(withheld)} reach tasks only as "
                f"{PARAMETER_PREFIX}<KEY>, not under their bare names ({reasons})",
            )
        if job.pod_env_withheld:
            _note(log, f"podSpec env not applied: {'; '.join(job.pod_env_withheld)}")
        if pipeline.requirements and pipeline.requirements_path is not None:
            unmet = requirements_failure(
                pipeline.requirements, pipeline.requirements_path, sys.executable
            )
            if unmet is not None:
                _note(log, unmet)
                return PipelineResult(unmet)
            _note(log, f"requirements {shown(pipeline.requirements)} met by the tasks' Python")
        spawn = _Spawner(env, workspace, log, registry, on_step)
        return await _run_dag(pipeline, commands, spawn)


async def _run_dag(
    pipeline: Pipeline, commands: Mapping[str, list[str]], spawn: _Spawner
) -> PipelineResult:
    log = spawn.log
    finished: set[str] = set()
    waiting = list(pipeline.tasks)
    running: dict[asyncio.Task[int], Task] = {}
    try:
        while True:
            for task in [t for t in waiting if finished.issuperset(t.depends_on)]:
                waiting.remove(task)
                runner = spawn.run_task(task, commands[task.name])
                running[asyncio.create_task(runner, name=f"task:{task.name}")] = task
            if not running:
                return PipelineResult()
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                failure = _describe_failure(task, future)
                if failure is not None:
                    _note(log, failure)
                    return PipelineResult(failure)
                finished.add(task.name)
    finally:
        await _cancel_all(running)


def _describe_failure(task: Task, future: asyncio.Task[int]) -> str | None:
    error = future.exception()
    if isinstance(error, (OSError, ValueError)):  # missing interpreter, NUL in a value...
        return f"task '{task.name}' could not start: {error}"
    if error is not None:
        raise error
    code = future.result()
    if code == 0:
        return None
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"task '{task.name}' ({task.type}) was killed by {name}"
    return f"task '{task.name}' ({task.type}) exited with code {code}"


async def _cancel_all(running: Mapping[asyncio.Task[int], Task]) -> None:
    """Cancel sibling tasks and wait until their process groups are gone."""
    for future in running:
        future.cancel()
    if running:
        await asyncio.wait(running)


@dataclass(frozen=True, slots=True)
class _Spawner:
    """What every task of one pipeline run shares: environment, directory, log, registry."""

    env: Mapping[str, str]
    workspace: Path
    log: IO[bytes]
    registry: ProcessRegistry | None
    on_step: StepListener

    async def run_task(self, task: Task, command: list[str]) -> int:
        """Run ``task`` and tell ``on_step`` when it starts and how it ends."""
        self._step(task, JobStatus.IN_PROGRESS)
        try:
            code = await self._run_process(task, command)
        except asyncio.CancelledError:
            self._step(task, JobStatus.CANCELLED)
            raise
        except BaseException:
            self._step(task, JobStatus.FAILED)  # it could not start
            raise
        self._step(task, JobStatus.DONE if code == 0 else JobStatus.FAILED)
        return code

    def _step(self, task: Task, status: JobStatus) -> None:
        self.on_step(StepEvent(task.name, status, datetime.now(UTC)))

    async def _run_process(self, task: Task, command: list[str]) -> int:
        """Run ``command`` in a new process group; its exit code (negative: signal)."""
        _note(self.log, f"task '{task.name}' started: {' '.join(command)}")
        lifeline = Lifeline.start(KILL_GRACE_SECONDS)  # our death kills the task
        cwd = task.working_dir or self.workspace
        try:
            process = await asyncio.create_subprocess_exec(
                *Lifeline.gated(command, self.env.get("PATH"), cwd),
                stdin=lifeline.gate,  # it runs once held; its stdin is then /dev/null
                stdout=self.log,
                stderr=asyncio.subprocess.STDOUT,
                cwd=cwd,
                env=dict(self.env),
                start_new_session=True,
            )
        except BaseException:
            lifeline.release()
            raise
        lifeline.hold(process.pid)  # and opens the gate
        if self.registry is not None:
            self.registry.record(process.pid)
        try:
            code = await process.wait()
        except asyncio.CancelledError:
            _note(self.log, f"task '{task.name}' stopped")
            await _stop_group(process)
            raise
        finally:
            _signal_group(process.pid, signal.SIGKILL)  # children it left behind
            if self.registry is not None:
                self.registry.forget(process.pid)
            lifeline.release()
        _note(self.log, f"task '{task.name}' ended with code {code}")
        return code


async def _stop_group(process: asyncio.subprocess.Process) -> None:
    """SIGTERM the group, then SIGKILL what is left after a short grace period."""
    _signal_group(process.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.shield(process.wait()), KILL_GRACE_SECONDS)
    except TimeoutError:
        _signal_group(process.pid, signal.SIGKILL)
        await process.wait()


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    # the group may already be empty, which is the outcome we want
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def append_note(log_path: Path, message: str) -> None:
    """Add a ``[platform <time>]`` line to a job's log (outside a pipeline run)."""
    private_dir(log_path.parent)  # job logs are the platform's state: 0700 folder, 0600 files
    with open_private(log_path, buffering=0) as log:
        _note(log, message)


def _note(log: IO[bytes], message: str) -> None:
    """One line of the platform's own in a job's log. Messages quote client values with
    :func:`~orchestrator.platform.client_text.shown`; escaping the whole line again makes
    sure nothing a client sent (a parameter in a command line) starts a line of its own."""
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    log.write(f"[platform {stamp}] {one_line(message)}\n".encode())
