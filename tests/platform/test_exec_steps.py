"""``PipelineJob.steps`` and ``workerPodName`` on the local executor: each pipeline task is a
step with its status and times, a failed task's step is failed (its running siblings
cancelled), a time limit's stop is "timed out", and the pod name is the ``MY_POD_NAME`` the
job saw (real platform, real processes, HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from job_client import JobClient, write

from orchestrator.platform.executor.job_environment import pod_name
from orchestrator.platform.process.embedded import LocalPlatform

pytestmark = pytest.mark.integration

PlatformFactory = Callable[..., LocalPlatform]

STEPS = """query ($id: String!) {
  pipelineJob(where: {id: $id}) {
    status workerPodName steps { name status startTime completionTime } } }"""
CREATE_LIMITED = """
mutation ($path: String!, $active: Int) {
  createPipelineJobWithAlerting(input: {pipelineYamlPath: $path, activeTimeout: $active,
                                        maxRetries: 0}) { id } }"""


def steps(client: JobClient, job_id: str) -> list[dict[str, Any]]:
    """The job's steps as the API answers them."""
    return list(client.call(STEPS, {"id": job_id})["pipelineJob"]["steps"])


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_two_task_job_has_two_done_steps_in_order_with_times(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "jobs/pod.sh", 'printf %s "$MY_POD_NAME" > "$HYPERPLANE_JOB_PARAMETER_OUT"\n')
    write(workspace, "jobs/ok.sh", "exit 0\n")
    write(
        workspace,
        "jobs/two.yaml",
        "pipeline: {name: two, tasks: ["
        "{name: fetch, type: bash script, bash_script_path: jobs/pod.sh},"
        "{name: train, type: bash script, bash_script_path: jobs/ok.sh}]}",
    )
    client = JobClient(platform_factory(executor="local", workers=1))
    seen = tmp_path / "pod-name"
    job_id = client.create("jobs/two.yaml", {"OUT": str(seen)})
    job = client.final(job_id)
    assert job["status"] == "done", (job, client.log(job))
    answer = client.call(STEPS, {"id": job_id})["pipelineJob"]
    assert [(s["name"], s["status"]) for s in answer["steps"]] == [
        ("fetch", "done"),
        ("train", "done"),
    ]
    fetch, train = answer["steps"]
    for step in (fetch, train):
        assert moment(step["startTime"]) <= moment(step["completionTime"])
    assert moment(fetch["completionTime"]) <= moment(train["startTime"])  # it follows fetch
    # workerPodName is the MY_POD_NAME the job's tasks saw
    assert answer["workerPodName"] == seen.read_text() == pod_name(job_id, 1)


def test_a_failing_task_is_a_failed_step_and_its_running_sibling_cancelled(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "jobs/ok.sh", "exit 0\n")
    # the sibling writes a file once it runs; the failing task waits for it, so the
    # sibling is running (its step "in progress") when the failure stops it
    write(workspace, "jobs/side.sh", 'touch "$0.running"\nsleep 60\n')
    write(
        workspace,
        "jobs/bad.sh",
        "while [ ! -e jobs/side.sh.running ]; do sleep 0.05; done\necho broken\nexit 3\n",
    )
    write(
        workspace,
        "jobs/fails.yaml",
        "pipeline: {name: fails, tasks: ["
        "{name: prepare, type: bash script, bash_script_path: jobs/ok.sh},"
        "{name: side, type: bash script, bash_script_path: jobs/side.sh, depends_on: [prepare]},"
        "{name: crunch, type: bash script, bash_script_path: jobs/bad.sh, depends_on: [prepare]},"
        "{name: report, type: bash script, bash_script_path: jobs/ok.sh, depends_on: [crunch]}"
        "]}",
    )
    client = JobClient(platform_factory(executor="local", workers=1))
    job_id = client.create("jobs/fails.yaml")
    job = client.final(job_id)
    assert job["status"] == "failed", (job, client.log(job))
    by_name = {s["name"]: s for s in steps(client, job_id)}
    assert {name: s["status"] for name, s in by_name.items()} == {
        "prepare": "done",
        "side": "cancelled",
        "crunch": "failed",
    }  # "report" never started: no step
    assert all(s["completionTime"] is not None for s in by_name.values())


def test_tasks_stopped_by_the_time_limit_are_timed_out_steps(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "jobs/ok.sh", "exit 0\n")
    write(workspace, "jobs/slow.sh", "sleep 60\n")
    write(
        workspace,
        "jobs/slow.yaml",
        "pipeline: {name: slow, tasks: ["
        "{name: quick, type: bash script, bash_script_path: jobs/ok.sh},"
        "{name: forever, type: bash script, bash_script_path: jobs/slow.sh}]}",
    )
    client = JobClient(platform_factory(executor="local", workers=1))
    created = client.call(CREATE_LIMITED, {"path": "jobs/slow.yaml", "active": 1})
    job_id = created["createPipelineJobWithAlerting"]["id"]
    job = client.final(job_id)
    assert job["status"] == "timed out", (job, client.log(job))
    assert [(s["name"], s["status"]) for s in steps(client, job_id)] == [
        ("quick", "done"),
        ("forever", "timed out"),
    ]
