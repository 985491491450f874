"""``PipelineJob.steps`` and ``workerPodName`` on ``--executor dask``: the steps a worker
reports come home and are recorded by the platform (a real scheduler and worker on
127.0.0.1, the real platform, HTTP)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.model import JobStatus
from orchestrator.platform.executor.dask_job import JobRequest, Outcome, run_attempt
from orchestrator.platform.executor.job_environment import pod_name
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import HttpApi, write
from tests.helpers.dask import start_cluster

distributed = pytest.importorskip("distributed")

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("dask-cluster")]

STEPS = """query ($id: String!) {
  pipelineJob(where: {id: $id}) {
    workerPodName steps { name status startTime completionTime } } }"""
PIPELINE = """
pipeline:
  name: steps
  tasks:
    - {name: prepare, type: bash script, bash_script_path: pod.sh}
    - {name: crunch, type: bash script, bash_script_path: bad.sh}
    - {name: report, type: bash script, bash_script_path: bad.sh}
"""


@pytest.fixture
def on_dask(tmp_path: Path) -> Iterator[tuple[HttpApi, Path]]:
    """A platform on a one-worker cluster of its own, and its workspace."""
    cluster = start_cluster(tmp_path / "dask", slots=1, workers=1)
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    platform = LocalPlatform(
        db=tmp_path / "platform.db",
        state_dir=tmp_path / "state",
        workspace=workspace,
        token=secrets.token_urlsafe(16),
        executor="dask",
        dask_scheduler=cluster.address,
    )
    try:
        platform.start()
        yield HttpApi(platform), workspace
    finally:
        platform.stop()
        cluster.stop()


def test_a_dask_job_records_the_steps_its_worker_reported(
    on_dask: tuple[HttpApi, Path],
) -> None:
    api, workspace = on_dask
    write(workspace, "steps.yaml", PIPELINE)
    write(workspace, "pod.sh", 'printf %s "$MY_POD_NAME" > pod-name\n')
    write(workspace, "bad.sh", "exit 4\n")
    job_id = api.create("steps.yaml", maxRetries=0)
    assert api.final(job_id, within=120)["status"] == "failed"
    answer = api.call(STEPS, {"id": job_id})["pipelineJob"]
    assert [(s["name"], s["status"]) for s in answer["steps"]] == [
        ("prepare", "done"),
        ("crunch", "failed"),
    ]
    assert all(s["startTime"] and s["completionTime"] for s in answer["steps"])
    assert answer["workerPodName"] == (workspace / "pod-name").read_text() == pod_name(job_id, 1)


async def test_a_worker_reports_a_task_its_time_limit_stopped_as_cancelled(tmp_path: Path) -> None:
    """The worker cannot record steps; it reports them, and the stopped task as "cancelled"
    (the platform, told the attempt timed out, records it "timed out")."""
    workspace = tmp_path / "ws"
    write(
        workspace,
        "p.yaml",
        "pipeline: {name: p, tasks: [{name: s, type: bash script, bash_script_path: s.sh}]}",
    )
    write(workspace, "s.sh", "sleep 60\n")
    request = JobRequest(
        token="t-1",
        job_id="job-1",
        run_id="run-1",
        attempt=1,
        parameters=(),
        pipeline_yaml_path="p.yaml",
        workspace=str(workspace),
        seconds_left=0.5,
        timeout_reason="timed out",
    )
    result = await run_attempt(request, lambda: False, tmp_path / "t.log", lambda _chunk: None)
    assert result.outcome is Outcome.TIMED_OUT
    assert [(e.name, e.status) for e in result.steps] == [
        ("s", JobStatus.IN_PROGRESS),
        ("s", JobStatus.CANCELLED),
    ]
    assert result.steps[0].at <= result.steps[1].at
