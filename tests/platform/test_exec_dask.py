"""``--executor dask`` against a real Dask cluster: a ``dask scheduler`` and two ``dask worker``
processes from the project's environment on 127.0.0.1, and the real platform talking to them.

Jobs spread over both workers (each task writes its worker's pid: a task's parent is the
worker), parameters arrive, ``depends_on`` holds and logs come home; a cancel kills the job's
processes on its worker; a worker killed mid-job fails its job with "worker lost" and nothing
runs twice; an orchestrator sweep with retries ends with exact attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from orchestrator.api import PlatformClient
from orchestrator.engine.identity import ATTEMPT_LABEL, JOB_LABEL, RUN_LABEL
from orchestrator.platform.executor.job_environment import pod_name
from orchestrator.platform.executor.process_registry import group_alive as live_group
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HttpApi, PlatformFactory, group_alive, write
from tests.helpers.dask import START_WITHIN, Cluster, start_cluster
from tests.helpers.wait import wait_for

distributed = pytest.importorskip("distributed")

# one xdist worker runs this module (make test: --dist loadgroup), so its module-scoped
# fixture starts once, not once per worker
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("dask-cluster")]


@pytest.fixture
def platform_factory(platform_factory: PlatformFactory) -> PlatformFactory:
    """Platforms serving the local extensions: the ``HttpApi`` helper reads ``scheduledFrom``."""
    return functools.partial(platform_factory, strict_api=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A scheduler and two workers of two job slots each, shared by the tests of this file."""
    started = start_cluster(tmp_path_factory.mktemp("dask"), slots=2)
    yield started
    started.stop()


@dataclass
class DaskPlatform:
    """One platform on the shared cluster, with its workspace (tests use distinct files)."""

    platform: LocalPlatform
    workspace: Path
    api: HttpApi


@pytest.fixture(scope="module")
def shared(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskPlatform]:
    """The platform on the shared cluster, started once for the tests of this file."""
    base = tmp_path_factory.mktemp("dask-platform")
    workspace = base / "workspace"
    (workspace / "out").mkdir(parents=True)
    platform = LocalPlatform(
        db=base / "platform.db",
        state_dir=base / "state",
        workspace=workspace,
        token=secrets.token_urlsafe(16),
        executor="dask",
        dask_scheduler=cluster.address,
    )
    platform.start()
    yield DaskPlatform(platform, workspace, HttpApi(platform))
    platform.stop()


@pytest.fixture
def on_dask(shared: DaskPlatform) -> HttpApi:
    return shared.api


@pytest.fixture
def workspace(shared: DaskPlatform) -> Path:
    return shared.workspace


SPREAD_PIPELINE = """
pipeline:
  name: spread
  tasks:
    - {name: first, type: bash script, bash_script_path: first.sh}
    - {name: side, type: py, py_path: side.py, depends_on: []}
    - {name: second, type: py, py_path: second.py, depends_on: [first, side]}
"""
FIRST_SH = """
echo "$PPID" > "out/$HYPERPLANE_JOB_ID.first"
echo "first saw N=$HYPERPLANE_JOB_PARAMETER_N"
sleep 0.3
"""
SIDE_PY = """
import os
import secrets
open(f"out/{os.environ['HYPERPLANE_JOB_ID']}.side", "w").write(str(os.getppid()))
"""
SECOND_PY = """
import os, sys
job = os.environ["HYPERPLANE_JOB_ID"]
for before in ("first", "side"):  # depends_on: both ran to their end already
    if not os.path.exists(f"out/{job}.{before}"):
        sys.exit(f"{before} has not run")
n = os.environ["HYPERPLANE_JOB_PARAMETER_N"]
open(f"out/{job}.second", "w").write(f"{os.getppid()} {n}")
print(f"second done for N={n}")
from hyperplane import notebook_common  # the hosted helpers, on the worker's task path too
print(f"pod {os.environ['MY_POD_NAME']} yaml {os.environ['HYPERPLANE_JOB_PIPELINE_YAML_PATH']}")
"""


def test_twenty_jobs_spread_over_both_workers_with_parameters_dag_and_logs(
    on_dask: HttpApi, cluster: Cluster, workspace: Path
) -> None:
    write(workspace, "spread.yaml", SPREAD_PIPELINE)
    write(workspace, "first.sh", FIRST_SH)
    write(workspace, "side.py", SIDE_PY)
    write(workspace, "second.py", SECOND_PY)
    ids = {on_dask.create("spread.yaml", [("n", str(n))]): n for n in range(20)}
    jobs = {job_id: on_dask.final(job_id, within=120) for job_id in ids}
    assert {job["status"] for job in jobs.values()} == {"done"}, jobs
    worker_pids = cluster.pids()
    used: Counter[str] = Counter()
    for job_id, n in ids.items():
        pid, seen_n = (workspace / "out" / f"{job_id}.second").read_text().split()
        assert seen_n == str(n)
        assert (workspace / "out" / f"{job_id}.first").read_text().strip() == pid
        assert (workspace / "out" / f"{job_id}.side").read_text() == pid
        used[worker_pids[int(pid)]] += 1  # a KeyError: not a worker of this cluster
        log = Path(jobs[job_id]["output"]).read_text()
        assert f"first saw N={n}" in log
        assert f"second done for N={n}" in log
        assert "task 'second' ended with code 0" in log
        assert f"pod {pod_name(job_id, 1)} yaml spread.yaml" in log  # the hosted environment
    assert set(used) == {"w1", "w2"}, used
    dashboard = on_dask.call(
        "query ($id: String!) { pipelineJob(where: {id: $id}) { daskDashboardUrl } }",
        {"id": next(iter(ids))},
    )["pipelineJob"]["daskDashboardUrl"]
    assert dashboard.startswith("http://127.0.0.1:") and dashboard.endswith("/status")


def test_a_failing_task_fails_the_job_with_its_reason(on_dask: HttpApi, workspace: Path) -> None:
    write(workspace, "bad.sh", "echo doomed >&2\nexit 7\n")
    write(
        workspace,
        "bad.yaml",
        "pipeline: {name: bad, tasks: [{name: b, type: bash script, bash_script_path: bad.sh}]}\n",
    )
    job = on_dask.final(on_dask.create("bad.yaml", maxRetries=0), within=60)
    assert job["status"] == "failed"
    assert job["statusReason"] == "task 'b' (bash script) exited with code 7"
    assert "doomed" in Path(job["output"]).read_text()


SLEEPER_SH = """
echo "$$" > "out/$HYPERPLANE_JOB_ID.pgid"
echo "$PPID" > "out/$HYPERPLANE_JOB_ID.worker"
echo run >> "out/$HYPERPLANE_JOB_ID.runs"
sleep 120
"""
OK_YAML = "pipeline: {name: ok, tasks: [{name: ok, type: bash script, bash_script_path: ok.sh}]}\n"
SLEEPER_YAML = (
    "pipeline: {name: s, tasks: [{name: s, type: bash script, bash_script_path: s.sh}]}\n"
)


def test_cancel_kills_the_running_job_on_its_worker(on_dask: HttpApi, workspace: Path) -> None:
    write(workspace, "s.sh", SLEEPER_SH)
    write(workspace, "s.yaml", SLEEPER_YAML)
    (workspace / "out").mkdir(exist_ok=True)
    job_id = on_dask.create("s.yaml")
    pgid_file = workspace / "out" / f"{job_id}.pgid"
    wait_for(lambda: pgid_file.exists() and pgid_file.read_text().strip() != "", timeout=60)
    pgid = int(pgid_file.read_text())
    assert group_alive(pgid)
    on_dask.call(
        """mutation ($id: String!) { updatePipelineJob(where: {id: $id},
           data: {status: {set: "cancelled"}}) { id } }""",
        {"id": job_id},
    )
    wait_for(lambda: not group_alive(pgid), timeout=30)
    assert on_dask.job(job_id)["status"] == "cancelled"
    log = Path(on_dask.job(job_id)["output"])
    wait_for(lambda: log.exists() and "stopped by the platform" in log.read_text(), timeout=30)


def test_active_timeout_is_enforced_on_the_worker(on_dask: HttpApi, workspace: Path) -> None:
    write(workspace, "s.sh", SLEEPER_SH)
    write(workspace, "s.yaml", SLEEPER_YAML)
    job_id = on_dask.create("s.yaml", activeTimeout=2)
    job = on_dask.final(job_id, within=60)
    assert job["status"] == "timed out"
    assert job["statusReason"] == "timed out: activeTimeout of 2 s since the job started ran out"
    wait_for(lambda: not group_alive(int((workspace / "out" / f"{job_id}.pgid").read_text())))
    assert "activeTimeout of 2 s" in Path(job["output"]).read_text()


def test_local_n_starts_its_own_workers(platform_factory: PlatformFactory, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    write(workspace, "ok.sh", 'echo "on $PPID"\n')
    write(workspace, "ok.yaml", OK_YAML)
    api = HttpApi(platform_factory(executor="dask", dask_scheduler="local:1"))
    job = api.final(api.create("ok.yaml"), within=90)
    assert job["status"] == "done", job
    worker_pid = int(Path(job["output"]).read_text().split("on ")[1].split()[0])
    assert worker_pid != os.getpid()  # a worker process of the platform's LocalCluster


def test_a_worker_killed_mid_job_fails_it_as_worker_lost_and_nothing_runs_twice(
    on_dask: HttpApi, cluster: Cluster, workspace: Path
) -> None:
    write(workspace, "s.sh", SLEEPER_SH)
    write(workspace, "s.yaml", SLEEPER_YAML)
    write(workspace, "ok.sh", "echo fine\n")
    write(workspace, "ok.yaml", OK_YAML)
    out = workspace / "out"
    job_id = on_dask.create("s.yaml")
    worker_file = out / f"{job_id}.worker"
    wait_for(lambda: worker_file.exists() and worker_file.read_text().strip() != "", timeout=60)
    orphan = int((out / f"{job_id}.pgid").read_text())
    worker_pid = int(worker_file.read_text())
    victim = cluster.pids()[worker_pid]
    try:
        os.kill(worker_pid, signal.SIGKILL)
        cluster.workers[victim].wait()
        # its lifeline kills it within about a second; 30 s leaves room for a loaded 2-core CI
        # machine (10 s ran out once, at four test workers plus a Dask cluster)
        wait_for(lambda: not live_group(orphan), timeout=30)
        job = on_dask.final(job_id, within=60)
        assert (job["status"], job["statusReason"]) == ("failed", "worker lost")
        assert "worker lost" in Path(job["output"]).read_text()
        # the cluster goes on with the surviving worker; the lost attempt never comes back
        survivor = on_dask.final(on_dask.create("ok.yaml"), within=60)
        assert survivor["status"] == "done", survivor
        assert (out / f"{job_id}.runs").read_text() == "run\n"
    finally:
        with contextlib.suppress(ProcessLookupError):  # if its lifeline failed
            os.killpg(orphan, signal.SIGKILL)
        cluster.start_worker(victim, slots=2)  # the other tests of this file expect two
        cluster.wait_for_workers(2)


def test_a_worker_that_closes_kills_its_jobs_processes_even_with_no_platform_left(
    platform_factory: PlatformFactory, cluster: Cluster, tmp_path: Path
) -> None:
    """The worker plugin: no stop event can come (the platform is gone), the worker closes."""
    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    write(workspace, "s.sh", SLEEPER_SH)
    write(workspace, "s.yaml", SLEEPER_YAML)
    (workspace / "out").mkdir()
    platform = platform_factory(executor="dask", dask_scheduler=cluster.address)
    job_id = HttpApi(platform).create("s.yaml")
    worker_file = workspace / "out" / f"{job_id}.worker"
    wait_for(lambda: worker_file.exists() and worker_file.read_text().strip() != "", timeout=60)
    pgid = int((workspace / "out" / f"{job_id}.pgid").read_text())
    victim = cluster.pids()[int(worker_file.read_text())]
    platform.kill()
    try:
        cluster.workers[victim].terminate()  # SIGTERM: the worker closes, its plugin runs
        wait_for(lambda: not group_alive(pgid), timeout=30)
        cluster.workers[victim].wait(30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        cluster.start_worker(victim, slots=2)  # the other tests of this file expect two
        cluster.wait_for_workers(2)


def test_a_second_run_of_one_attempt_finds_no_ticket_and_runs_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    """What Dask does after a worker loss (run the task again), done by hand: it must not run."""
    from orchestrator.platform.executor.dask_job import JobRequest, Outcome, run_job

    workspace = tmp_path / "claim"
    write(workspace, "count.sh", "echo run >> runs.txt\n")
    write(
        workspace,
        "count.yaml",
        "pipeline: {name: c, tasks: [{name: c, type: bash script, bash_script_path: count.sh}]}\n",
    )
    request = JobRequest(
        token="claim-test-1",
        job_id="job-1",
        run_id="run-1",
        attempt=1,
        parameters=(),
        pipeline_yaml_path="count.yaml",
        workspace=str(workspace),
        seconds_left=None,
    )
    with distributed.Client(cluster.address, timeout=START_WITHIN) as client:
        queue = distributed.Queue(request.claim_queue, client=client)
        queue.put(request.token)
        first = client.submit(run_job, request, pure=False).result(timeout=60)
        second = client.submit(run_job, request, pure=False).result(timeout=60)
        queue.close()
    assert first.outcome is Outcome.DONE
    assert second.outcome is Outcome.UNCLAIMED
    assert (workspace / "runs.txt").read_text() == "run\n"


SWEEP = """\
version: 1
name: dask-sweep
defaults:
  pipelineYamlPath: flaky.yaml
  timeout: 120
jobs:
  - name: "third-time-{{ i }}"
    matrix: {i: [1, 2, 3]}
    maxRetries: 3
  - name: never
    maxRetries: 1
    parameters: {NEVER: "yes"}
policy:
  maxInFlight: 4
  retry: {backoff: 0.05s, maxBackoff: 0.1s}
"""
FLAKY_SH = """
echo "attempt $HYPERPLANE_JOB_PARAMETER_ORCHESTRATOR_ATTEMPT"
[ -n "$HYPERPLANE_JOB_PARAMETER_NEVER" ] && exit 3
[ "$HYPERPLANE_JOB_PARAMETER_ORCHESTRATOR_ATTEMPT" -ge 3 ] || exit 1
"""


def test_an_orchestrator_sweep_with_retries_ends_with_exact_attempts(
    shared: DaskPlatform, workspace: Path, tmp_path: Path
) -> None:
    platform = shared.platform
    write(workspace, "flaky.sh", FLAKY_SH)
    write(
        workspace,
        "flaky.yaml",
        "pipeline: {name: f, tasks: [{name: f, type: bash script, bash_script_path: flaky.sh}]}\n",
    )
    manifest = tmp_path / "sweep.yaml"
    manifest.write_text(SWEEP)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestrator",
            "run",
            str(manifest),
            "--endpoint",
            platform.url,
            "--token",
            platform.token,
            "--state-dir",
            str(tmp_path / "state"),
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    summary = json.loads([ln for ln in result.stdout.splitlines() if ln.startswith("{")][-1])
    assert (summary["jobs"], summary["done"], summary["failed"]) == (4, 3, 1)
    assert summary["attempts"] == 3 * 3 + 2

    async def find() -> list:
        async with PlatformClient(platform.url, platform.token) as client:
            return await client.find_jobs({RUN_LABEL: summary["run"]})

    jobs = anyio.run(find)
    counts = Counter((j.parameters[JOB_LABEL], j.parameters[ATTEMPT_LABEL]) for j in jobs)
    assert len(jobs) == 11 and set(counts.values()) == {1}  # no attempt ran twice
    never = sorted(attempt for key, attempt in counts if "never" in key)
    assert never == ["1", "2"]


def test_a_platform_shutdown_stops_its_jobs_on_the_workers(
    platform_factory: PlatformFactory, cluster: Cluster, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    write(workspace, "s.sh", SLEEPER_SH)
    write(workspace, "s.yaml", SLEEPER_YAML)
    (workspace / "out").mkdir()
    platform = platform_factory(executor="dask", dask_scheduler=cluster.address)
    api = HttpApi(platform)
    job_id = api.create("s.yaml")
    pgid_file = workspace / "out" / f"{job_id}.pgid"
    wait_for(lambda: pgid_file.exists() and pgid_file.read_text().strip() != "", timeout=60)
    platform.stop()
    wait_for(lambda: not group_alive(int(pgid_file.read_text())), timeout=30)
    restarted = HttpApi(platform_factory(db=platform.db, state_dir=platform.state_dir))
    job = restarted.job(job_id)
    assert job["status"] == "failed"
    assert "shut down" in job["statusReason"]


def test_a_lost_scheduler_fails_running_jobs_with_a_one_line_reason(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    write(workspace, "s.sh", SLEEPER_SH)
    write(workspace, "s.yaml", SLEEPER_YAML)
    (workspace / "out").mkdir()
    cluster = start_cluster(tmp_path / "doomed", slots=1, workers=1)
    orphan = None
    try:
        api = HttpApi(platform_factory(executor="dask", dask_scheduler=cluster.address))
        job_id = api.create("s.yaml")
        pgid_file = workspace / "out" / f"{job_id}.pgid"
        wait_for(lambda: pgid_file.exists() and pgid_file.read_text().strip() != "", timeout=60)
        orphan = int(pgid_file.read_text())
        scheduler = cluster.processes[0]
        scheduler.kill()
        scheduler.wait()
        job = api.final(job_id, within=60)
        assert job["status"] == "failed"
        assert job["statusReason"] == (
            "worker lost: the platform lost its connection to the Dask scheduler"
        )
    finally:
        cluster.stop()
        if orphan is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(orphan, signal.SIGKILL)


async def test_status_shows_the_workers_their_slots_and_the_dashboard(
    cluster: Cluster, tmp_path: Path
) -> None:
    from orchestrator.platform.config import ExecutorKind, PlatformConfig
    from orchestrator.platform.executor import make_executor
    from orchestrator.platform.store.store import Store

    config = PlatformConfig(
        state_dir=tmp_path, executor=ExecutorKind.DASK, dask_scheduler=cluster.address
    )
    store = Store.open(tmp_path / "platform.db")
    executor = make_executor(config, store)
    running = asyncio.create_task(executor.run())
    try:
        deadline = time.monotonic() + START_WITHIN
        while executor.status()["slots"] < 4:
            assert time.monotonic() < deadline, executor.status()
            await asyncio.sleep(0.05)
        status = executor.status()
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        store.close()
    assert (status["kind"], status["connected"], status["running"]) == ("dask", True, 0)
    assert sorted((w["name"], w["slots"]) for w in status["workers"]) == [("w1", 2), ("w2", 2)]
    assert status["dashboard"].startswith("http://127.0.0.1:")


def test_a_job_log_in_the_workspace_never_runs_on_a_worker(
    platform_factory: PlatformFactory, cluster: Cluster, tmp_path: Path
) -> None:
    """Issue 21: the state dir inside the workspace (the default) stays off limits on Dask."""
    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    api = HttpApi(
        platform_factory(
            executor="dask", dask_scheduler=cluster.address, state_dir=workspace / ".orchestrator"
        )
    )
    first = api.final(api.create("missing.yaml"), within=60)
    log = Path(first["output"])
    assert first["status"] == "failed" and log.is_relative_to(workspace), first
    with log.open("a") as handle:  # what an attack would have written into the log
        handle.write("touch pwned\n")
    relative = str(log.relative_to(workspace))
    for pipeline_type in ("BASH", "YAML"):
        job = api.final(api.create(relative, pipelineType=pipeline_type), within=60)
        assert job["status"] == "failed", job
        assert "the platform's own files" in job["statusReason"], job
    assert not list(tmp_path.rglob("pwned"))
