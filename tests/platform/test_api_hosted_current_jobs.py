"""Issue 19, items 2, 3, 7, 8: documents shaped as the hosted platform's current documentation
page shows them, sent verbatim in default and strict mode: getJobStat with the hosted enum
names, git servers and the job relation, podSpec as JSON, deleteParameter, the documented
defaults and the page's PipelineJob fields."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orchestrator.platform.store import catalog
from orchestrator.platform.store.model import JobStatus
from orchestrator.platform.store.steps import record_step
from orchestrator.platform.store.timestamps import to_api
from tests.helpers.api import Api, start_api

GET_JOB_STAT = """
query GetJobStat($stat: StatType!, $timeFrame: TimeFrame!, $status: StatusType) {
  getJobStat(stat: $stat, timeFrame: $timeFrame, status: $status)
}
"""

# One document, several operations: clients pick one with operationName.
PAGE = """
query GitServers($where: HyperplaneVCServerWhereInput) {
  hyperplaneVCServers(where: $where, orderBy: [{name: asc}], take: 10, skip: 0) {
    id name url defaultBranch status serviceUrl
  }
}

mutation CreateGitServer($data: HyperplaneVCServerCreateInput!) {
  createHyperplaneVCServer(data: $data) { id name url defaultBranch status }
}

mutation CreateJob(
  $yamlPath: String!
  $gitServer: HyperplaneVCServerCreateNestedOneWithoutPipelineJobsInput
  $podSpec: JSON!
  $branchName: String
  $commitId: String
  $parameters: ParameterCreateNestedManyWithoutPipelineJobInput
) {
  createPipelineJob(data: {
    pipelineYamlPath: $yamlPath
    hyperplaneVCServer: $gitServer
    podSpec: $podSpec
    branchName: $branchName
    commitId: $commitId
    parameters: $parameters
    priorityClass: "high"
    preemptible: true
    sendNotification: false
  }) {
    id status maxRetries timeout activeTimeout podSpec branchName commitId
    gitServerName hyperplaneVCServerId priorityClass preemptible sendNotification
    workerPodName parentJob { id } childJobs { id }
    hyperplaneVCServer { id name url defaultBranch status pipelineJobs { id } }
    parameters { id key value pipelineJobId PipelineJob { id } }
  }
}

mutation MoveJob(
  $id: String!
  $gitServer: HyperplaneVCServerCreateNestedOneWithoutPipelineJobsInput
) {
  updatePipelineJob(where: {id: $id}, data: {hyperplaneVCServer: $gitServer}) {
    id gitServerName hyperplaneVCServer { name }
  }
}

mutation DeleteParameter($id: String!) {
  deleteParameter(where: {id: $id}) { id key value }
}

mutation DetachParameter($jobId: String!, $parameterId: String!) {
  updatePipelineJob(where: {id: $jobId}, data: {parameters: {disconnect: {id: $parameterId}}}) {
    id parameters { id key }
  }
}
"""

POD_SPEC = {
    "containers": [
        {
            "name": "main",
            "image": "python:3.11",
            "env": [
                {"name": "MODE", "value": "fast"},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "t"}}},
            ],
        }
    ]
}


@pytest.fixture(params=["default", "strict"])
async def api_mode(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    async for running in start_api(tmp_path, strict_api=request.param == "strict"):
        yield running


async def _run(api: Api, operation: str, variables: dict[str, Any]) -> Any:
    status, body = await api.post(
        {"query": PAGE, "operationName": operation, "variables": variables}
    )
    assert status == 200, body
    assert "errors" not in body, body["errors"]
    return body["data"]


async def _fails(api: Api, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
    status, body = await api.post(
        {"query": PAGE, "operationName": operation, "variables": variables}
    )
    assert status == 200, body
    assert body.get("errors"), body
    error: dict[str, Any] = body["errors"][0]
    return error


async def test_get_job_stat_takes_variables_typed_with_the_hosted_enum_names(
    api_mode: Api,
) -> None:
    for _ in range(2):
        await api_mode.query('mutation { createPipelineJob(data: {pipelineYamlPath: "a"}) { id } }')
    await api_mode.query(
        'mutation { createPipelineJob(data: {pipelineYamlPath: "c", schedule: "0 * * * *"})'
        " { id } }"
    )
    counts = {
        (stat, frame, status): (
            await api_mode.query(GET_JOB_STAT, {"stat": stat, "timeFrame": frame, "status": status})
        )["getJobStat"]
        for stat, frame, status in [
            ("COUNT_ALL", "TOTAL", None),
            ("COUNT_PENDING", "T_10M", None),
            ("COUNT_SCHEDULED", "T_24H", None),
            ("COUNT_ALL", "T_1H", "SCHEDULED"),
        ]
    }
    assert counts == {
        ("COUNT_ALL", "TOTAL", None): 3,
        ("COUNT_PENDING", "T_10M", None): 2,
        ("COUNT_SCHEDULED", "T_24H", None): 1,
        ("COUNT_ALL", "T_1H", "SCHEDULED"): 1,
    }


async def test_git_servers_jobs_connect_to_them_and_the_store_keeps_the_relation(
    api_mode: Api,
) -> None:
    created = (
        await _run(
            api_mode,
            "CreateGitServer",
            {
                "data": {
                    "name": "github",
                    "url": "https://git.example/r.git",
                    "defaultBranch": "main",
                }
            },
        )
    )["createHyperplaneVCServer"]
    assert created["status"] == "READY" and created["defaultBranch"] == "main"
    other = (await _run(api_mode, "CreateGitServer", {"data": {"name": "a-mirror"}}))[
        "createHyperplaneVCServer"
    ]
    servers = (await _run(api_mode, "GitServers", {}))["hyperplaneVCServers"]
    assert [s["name"] for s in servers] == ["a-mirror", "github"]
    only = await _run(api_mode, "GitServers", {"where": {"name": {"equals": "github"}}})
    assert [s["id"] for s in only["hyperplaneVCServers"]] == [created["id"]]

    job = (
        await _run(
            api_mode,
            "CreateJob",
            {
                "yamlPath": "pipelines/train.yaml",
                "gitServer": {"connect": {"name": "github"}},
                "podSpec": POD_SPEC,
                "branchName": "feature",
                "commitId": "abc123",
                "parameters": {"create": [{"key": "A", "value": "1"}]},
            },
        )
    )["createPipelineJob"]
    assert job["hyperplaneVCServerId"] == created["id"] and job["gitServerName"] == "github"
    server = job["hyperplaneVCServer"]
    assert (server["name"], server["url"], server["defaultBranch"]) == (
        "github",
        "https://git.example/r.git",
        "main",
    )
    assert server["pipelineJobs"] == [{"id": job["id"]}]
    # Documented defaults and the page's fields.
    assert (job["maxRetries"], job["timeout"], job["activeTimeout"]) == (2, -1, -1)
    assert (job["priorityClass"], job["preemptible"], job["sendNotification"]) == (
        "high",
        True,
        False,
    )
    assert job["workerPodName"] is None and job["parentJob"] is None and job["childJobs"] == []
    assert json.loads(job["podSpec"]) == POD_SPEC
    # What the executor reads: the job row names its server, the server its url and branch.
    stored = api_mode.store.get_job(job["id"])
    assert stored is not None
    assert (stored.spec.branch_name, stored.spec.commit_id) == ("feature", "abc123")
    row = catalog.get(
        api_mode.store, catalog.VC_SERVERS, stored.spec.extra_value("hyperplaneVCServerId")
    )
    assert row is not None and row["url"] == "https://git.example/r.git"

    moved = (
        await _run(
            api_mode, "MoveJob", {"id": job["id"], "gitServer": {"connect": {"id": other["id"]}}}
        )
    )["updatePipelineJob"]
    assert moved["gitServerName"] == "a-mirror"
    assert moved["hyperplaneVCServer"] == {"name": "a-mirror"}


async def test_parameters_delete_detach_and_point_to_their_job(api_mode: Api) -> None:
    job = (
        await _run(
            api_mode,
            "CreateJob",
            {
                "yamlPath": "p.yaml",
                "podSpec": {},
                "parameters": {"create": [{"key": "A", "value": "1"}, {"key": "B", "value": "2"}]},
            },
        )
    )["createPipelineJob"]
    first, second = job["parameters"]
    assert first["PipelineJob"] == {"id": job["id"]} and first["pipelineJobId"] == job["id"]
    deleted = (await _run(api_mode, "DeleteParameter", {"id": first["id"]}))["deleteParameter"]
    assert deleted == {"id": first["id"], "key": "A", "value": "1"}
    detached = (
        await _run(api_mode, "DetachParameter", {"jobId": job["id"], "parameterId": second["id"]})
    )["updatePipelineJob"]
    assert detached["parameters"] == []
    error = await _fails(api_mode, "DeleteParameter", {"id": first["id"]})
    assert error["extensions"]["code"] == "NOT_FOUND" and first["id"] in error["message"]


async def test_bad_connects_and_pod_specs_are_refused_naming_the_problem(api_mode: Api) -> None:
    base = {"yamlPath": "p.yaml", "podSpec": {}}
    error = await _fails(
        api_mode, "CreateJob", {**base, "gitServer": {"connect": {"name": "nowhere"}}}
    )
    assert error["extensions"]["code"] == "NOT_FOUND" and "nowhere" in error["message"]
    error = await _fails(api_mode, "CreateJob", {**base, "gitServer": {"connect": {"id": "x1"}}})
    assert error["extensions"]["code"] == "NOT_FOUND" and "x1" in error["message"]
    bad_specs = [
        [1, 2],
        "not json",
        {"containers": {"env": []}},
        {"containers": [{"env": [{"value": "no name"}]}]},
        {"containers": [{"env": [{"name": "A", "value": 3}]}]},
        {"containers": [{"env": [{"name": "A", "valueFrom": {"configMapKeyRef": {}}}]}]},
    ]
    for spec in bad_specs:
        error = await _fails(api_mode, "CreateJob", {**base, "podSpec": spec})
        assert error["extensions"]["code"] == "BAD_USER_INPUT", spec
        assert "podSpec" in error["message"], spec
    assert api_mode.store.count_jobs() == 0
    await _run(api_mode, "CreateGitServer", {"data": {"name": "g"}})
    error = await _fails(api_mode, "CreateGitServer", {"data": {"name": "g"}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "'g'" in error["message"]


async def test_an_update_of_schedule_or_path_sets_what_was_sent(api_mode: Api) -> None:
    job_id = (
        await api_mode.query(
            'mutation { createPipelineJob(data: {pipelineYamlPath: "a", schedule: "0 1 * * *"})'
            " { id } }"
        )
    )["createPipelineJob"]["id"]
    updated = await api_mode.query(
        "mutation($id: String!) { updatePipelineJob(where: {id: $id}, data: {"
        ' pipelineYamlPath: {set: "b.yaml"}, schedule: {set: "*/5 * * * *"}})'
        " { pipelineYamlPath schedule } }",
        {"id": job_id},
    )
    assert updated["updatePipelineJob"] == {"pipelineYamlPath": "b.yaml", "schedule": "*/5 * * * *"}


async def test_a_pending_job_has_its_submission_time_as_start_time(api_mode: Api) -> None:
    created = (
        await api_mode.query(
            'mutation { createPipelineJob(data: {pipelineYamlPath: "a"}) { id startTime } }'
        )
    )["createPipelineJob"]
    stored = api_mode.store.get_job(created["id"])
    assert stored is not None and stored.start_time is None
    assert created["startTime"] == to_api(stored.created_at)
    # Filters and ordering see the same startTime the answer shows.
    found = await api_mode.query(
        "query($t: DateTime) { pipelineJobs(where: {startTime: {gte: $t}},"
        " orderBy: [{startTime: desc}]) { id startTime } }",
        {"t": created["startTime"]},
    )
    assert found["pipelineJobs"] == [created]
    (claimed,) = api_mode.store.claim_pending(1)
    assert claimed.start_time is not None
    started = await api_mode.query(
        "query($id: String!) { pipelineJob(where: {id: $id}) { startTime } }", {"id": created["id"]}
    )
    assert started["pipelineJob"]["startTime"] == to_api(claimed.start_time)


async def test_steps_are_the_tasks_the_executor_recorded(api_mode: Api) -> None:
    job_id = (
        await api_mode.query('mutation { createPipelineJob(data: {pipelineYamlPath: "a"}) { id } }')
    )["createPipelineJob"]["id"]
    document = (
        "query($id: String!) { pipelineJob(where: {id: $id}) {"
        " steps { name status startTime completionTime } } }"
    )
    assert (await api_mode.query(document, {"id": job_id}))["pipelineJob"]["steps"] == []
    start = api_mode.store.now()
    end = start + timedelta(seconds=2)
    record_step(api_mode.store, job_id, "prepare", JobStatus.IN_PROGRESS, start)
    record_step(api_mode.store, job_id, "train", JobStatus.IN_PROGRESS, start)
    record_step(api_mode.store, job_id, "prepare", JobStatus.DONE, end_time=end)
    record_step(api_mode.store, job_id, "train", JobStatus.FAILED, end_time=end)
    steps = (await api_mode.query(document, {"id": job_id}))["pipelineJob"]["steps"]
    assert steps == [
        {
            "name": "prepare",
            "status": "done",
            "startTime": to_api(start),
            "completionTime": to_api(end),
        },
        {
            "name": "train",
            "status": "failed",
            "startTime": to_api(start),
            "completionTime": to_api(end),
        },
    ]
