"""Issue 19, items 4, 5, 6: users, billing projects and volumes looked up, sessions created as
the hosted platform's current documentation page creates them, their timeout enforced,
countHyperHubSessions(whereOveride:), and the pod spec queries; default and strict mode."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.platform.store import catalog
from tests.helpers.api import Api, start_api

LOOK_UP = """
query LookUp($email: String!, $project: String!, $volume: String!) {
  hyperplaneUsers(where: {email: {equals: $email}}) { id email }
  billingProjects(where: {name: {equals: $project}}) { id name }
  userPvcs(where: {pvcName: {equals: $volume}}) { id pvcName displayName }
}
"""

CREATE_SESSION = """
mutation CreateSession(
  $userId: String!
  $billingProjectId: String!
  $volume: String
  $timeout: Int
  $podSpec: JSON
) {
  createHyperHubSession(data: {
    imageType: "basic"
    imageHash: "sha256:abc"
    timeout: $timeout
    collaborative: false
    group: "research"
    hyperplaneUser: {connect: {id: $userId}}
    billingProject: {connect: {id: $billingProjectId}}
    userPvcName: $volume
    podSpec: $podSpec
  }) {
    id status timeout collaborative imageHash group owner statusReason duration podSpec
    userPvcName billingProjectId hyperplaneUserId hyperplaneUserEmail department
    completionTime sshCommand workerPodName runId startTime
  }
}
"""

SESSION = """
query Session($id: String!) {
  hyperHubSessions(where: {id: {equals: $id}}) { id status statusReason completionTime duration }
}
"""

COUNT = """
query Count($where: HyperHubSessionWhereInput) { countHyperHubSessions(whereOveride: $where) }
"""

POD_SPECS = """
query JobPodSpec($parameters: ParametersInput, $email: String!) {
  getPipelineJobPodSpec(parameters: $parameters, userEmail: $email,
                        pipelineYamlPath: "pipelines/train.yaml", imageUrl: "python:3.11",
                        gitServerName: "github", branchName: "main")
}
query ServicePodSpec($email: String!) {
  getUserServicePodSpec(userEmail: $email, pipelineYamlPath: "serve.yaml", exposedPort: "8787")
}
query SessionPodSpec($email: String!) {
  getHyperhubSessionPodSpec(imageType: "basic", userPvcName: "ada-home", userEmail: $email)
}
"""


@pytest.fixture(params=["default", "strict"])
async def api_mode(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Api]:
    async for running in start_api(tmp_path, strict_api=request.param == "strict"):
        yield running


async def _user(api: Api, email: str) -> None:
    """A user exists once a job names the email."""
    await api.query(
        'mutation($e: String) { createPipelineJob(data: {pipelineYamlPath: "p.yaml",'
        " hyperplaneUserEmail: $e}) { id } }",
        {"e": email},
    )


async def test_a_session_created_as_the_page_does_it(api_mode: Api) -> None:
    await _user(api_mode, "ada@example.com")
    found = await api_mode.query(
        LOOK_UP, {"email": "ada@example.com", "project": "default", "volume": "ada-home"}
    )
    (user,) = found["hyperplaneUsers"]
    (project,) = found["billingProjects"]
    assert project == {"id": "default", "name": "default"}
    assert found["userPvcs"] == []
    spec = {"containers": [{"name": "nb", "env": [{"name": "A", "value": "1"}]}]}
    session = (
        await api_mode.query(
            CREATE_SESSION,
            {
                "userId": user["id"],
                "billingProjectId": project["id"],
                "volume": "ada-home",
                "podSpec": spec,
            },
        )
    )["createHyperHubSession"]
    assert session["status"] == "in progress" and session["timeout"] == -1
    assert (session["imageHash"], session["group"], session["collaborative"]) == (
        "sha256:abc",
        "research",
        False,
    )
    assert session["hyperplaneUserId"] == user["id"]
    assert session["hyperplaneUserEmail"] == session["owner"] == "ada@example.com"
    assert session["billingProjectId"] == "default" and session["userPvcName"] == "ada-home"
    assert json.loads(session["podSpec"]) == spec
    assert session["runId"] == session["id"] and session["duration"] is None
    assert session["sshCommand"] is None and session["workerPodName"] is None
    # The volume was made; the page's next look-up finds it.
    again = await api_mode.query(
        LOOK_UP, {"email": "ada@example.com", "project": "default", "volume": "ada-home"}
    )
    assert [v["pvcName"] for v in again["userPvcs"]] == ["ada-home"]
    assert (await api_mode.query(COUNT, {"where": {"group": {"equals": "research"}}})) == {
        "countHyperHubSessions": 1
    }
    assert (await api_mode.query(COUNT, {"where": {"group": {"equals": "other"}}})) == {
        "countHyperHubSessions": 0
    }
    assert (await api_mode.query(COUNT)) == {"countHyperHubSessions": 1}


async def test_a_session_past_its_timeout_ends_cancelled_with_a_reason(api_mode: Api) -> None:
    await _user(api_mode, "ada@example.com")
    users = await api_mode.query(
        LOOK_UP, {"email": "ada@example.com", "project": "default", "volume": "v"}
    )
    session = (
        await api_mode.query(
            CREATE_SESSION,
            {
                "userId": users["hyperplaneUsers"][0]["id"],
                "billingProjectId": "default",
                "timeout": 1,
            },
        )
    )["createHyperHubSession"]
    assert session["timeout"] == 1 and session["status"] == "in progress"
    ended: dict[str, Any] = {}
    async with asyncio.timeout(15):
        while True:
            (ended,) = (await api_mode.query(SESSION, {"id": session["id"]}))["hyperHubSessions"]
            if ended["status"] != "in progress":
                break
            await asyncio.sleep(0.1)  # polling, with the timeout above
    assert ended["status"] == "cancelled"
    assert "timeout of 1 s" in ended["statusReason"]
    assert ended["duration"] == 1.0


async def test_bad_connects_are_not_found_naming_what_was_missing(api_mode: Api) -> None:
    await _user(api_mode, "ada@example.com")
    user_id = (
        await api_mode.query(LOOK_UP, {"email": "ada@example.com", "project": "x", "volume": "x"})
    )["hyperplaneUsers"][0]["id"]
    cases = [
        ({"userId": "no-such-user", "billingProjectId": "default"}, "no-such-user"),
        ({"userId": user_id, "billingProjectId": "no-such-project"}, "no-such-project"),
    ]
    for variables, missing in cases:
        body = await api_mode.errors(CREATE_SESSION, variables)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "NOT_FOUND" and missing in error["message"]
    volume = await api_mode.errors(
        'mutation { createHyperHubSession(data: {userPvc: {connect: {pvcName: "gone"}}}) { id } }'
    )
    assert volume["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "gone" in volume["errors"][0]["message"]
    body = await api_mode.errors(
        CREATE_SESSION, {"userId": user_id, "billingProjectId": "default", "podSpec": "text"}
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert (await api_mode.query(COUNT)) == {"countHyperHubSessions": 0}
    job = await api_mode.errors(
        'mutation { createPipelineJob(data: {pipelineYamlPath: "p",'
        ' billingProject: {connect: {id: "nope"}}}) { id } }'
    )
    assert job["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "billing project" in job["errors"][0]["message"]


async def test_pod_spec_queries_say_how_the_local_platform_runs_it(api_mode: Api) -> None:
    async def run(operation: str, variables: dict[str, Any]) -> Any:
        status, body = await api_mode.post(
            {"query": POD_SPECS, "operationName": operation, "variables": variables}
        )
        assert status == 200 and "errors" not in body, body
        return body["data"]

    email = {"email": "ada@example.com"}
    job = (
        await run(
            "JobPodSpec",
            {**email, "parameters": {"create": [{"key": "file_id", "value": "42"}]}},
        )
    )["getPipelineJobPodSpec"]
    container = job["containers"][0]
    assert container["image"] == "python:3.11"
    assert container["args"] == ["pipelines/train.yaml"] and container["workingDir"] == "."
    assert {"name": "HYPERPLANE_JOB_PARAMETER_FILE_ID", "value": "42"} in container["env"]
    assert {"name": "FILE_ID", "value": "42"} in container["env"]
    assert "local processes" in job["metadata"]["annotations"]["orchestrator.local/runs-as"]
    service = (await run("ServicePodSpec", email))["getUserServicePodSpec"]
    assert service["containers"][0]["ports"] == [{"containerPort": 8787}]
    session = (await run("SessionPodSpec", email))["getHyperhubSessionPodSpec"]
    assert session["volumes"][0]["persistentVolumeClaim"] == {"claimName": "ada-home"}
    assert session["containers"][0]["image"] == "basic"


async def test_billing_projects_are_a_local_extension_to_create(tmp_path: Path) -> None:
    document = 'mutation { createBillingProject(data: {name: "lab"}) { id name } }'
    for name in ("d", "s"):
        (tmp_path / name).mkdir()
    async for default in start_api(tmp_path / "d"):
        created = (await default.query(document))["createBillingProject"]
        assert created["name"] == "lab"
        rows = catalog.find(default.store, catalog.BILLING_PROJECTS)
        assert [r["name"] for r in rows] == ["default", "lab"]
    async for strict in start_api(tmp_path / "s", strict_api=True):
        refused = await strict.errors(document)
        assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        where = await strict.errors("{ countHyperHubSessions(where: {}) }")
        assert where["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
