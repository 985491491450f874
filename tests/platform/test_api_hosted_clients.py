"""Documents shaped as real clients of the hosted platform send them, sent verbatim:
createPipelineJobWithAlerting with inline inputs and variables, relation connects with null
variables, countJobs(whereOveride:), jobName filters, schedule "immediate", hyperplaneUsers."""

from __future__ import annotations

import json
from typing import Any

from tests.helpers.api import Api
from tests.helpers.hosted import (
    COUNT_JOBS,
    COUNT_JOBS_INLINE,
    CREATE_INLINE,
    CREATE_VC_SERVER,
    CREATE_WITH_VARIABLES,
    JOBS_BY_NAME,
    USERS,
)


async def _create(api: Api, **variables: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"yamlPath": "pipelines/train.yaml", "secret": {"id": "secret-1"}}
    data = await api.query(CREATE_WITH_VARIABLES, {**base, **variables})
    job: dict[str, Any] = data["createPipelineJobWithAlerting"]
    return job


async def _vc_server(api: Api, name: str) -> str:
    """A git server's id (a connect to an unknown one is NOT_FOUND, issue 19)."""
    data = await api.query(CREATE_VC_SERVER, {"data": {"name": name, "url": "https://git/x"}})
    server_id: str = data["createHyperplaneVCServer"]["id"]
    return server_id


async def _user(api: Api, email: str) -> str:
    """A user's id: a user exists once a job names the email."""
    await api.query(
        'mutation($e: String) { createPipelineJob(data: {pipelineYamlPath: "p.yaml",'
        " hyperplaneUserEmail: $e}) { id } }",
        {"e": email},
    )
    users = (await api.query(USERS, {"email": email}))["hyperplaneUsers"]
    user_id: str = users[0]["id"]
    return user_id


async def test_inline_input_creates_a_job_with_every_field_stored(api: Api) -> None:
    server_id = await _vc_server(api, "github-main")
    job = (await api.query(CREATE_INLINE))["createPipelineJobWithAlerting"]
    assert job["jobName"] == "scanner-batch-1"
    assert (job["pipelineType"], job["workingDir"]) == ("BASH", "example-batch-job")
    assert (job["status"], job["schedule"]) == ("pending", "immediate")
    assert job["noGitInit"] is True and job["notificationsEnabled"] is False
    assert job["noHyperplaneCommands"] is False and job["runParallel"] is False
    assert json.loads(job["podSpec"]) == {"nodeSelector": {"pool": "cpu"}}
    assert (job["hyperplaneVCServerId"], job["billingProjectId"]) == (server_id, None)
    assert job["gitServerName"] == "github-main"
    assert job["notificationTargets"] == [{"notificationTarget": {"email": None}}]
    assert job["parameters"] == [{"key": "FILE_ID", "value": "42"}]
    stored = api.store.get_job(job["id"])
    assert stored is not None and stored.spec.extra_value("hyperplaneSecretIds") is None
    assert api.executor.notified == 1


async def test_variables_fill_scalars_and_relations(api: Api) -> None:
    server_id = await _vc_server(api, "vc")
    user_id = await _user(api, "ada@example.com")
    job = await _create(
        api,
        jobName="train-1",
        workingDir="repo",
        branch="main",
        commit="abc123",
        email="ada@example.com",
        group="research",
        imageHash="sha256:1",
        vcServerId=server_id,
        billingProjectId="default",
        serviceAccountId="sa-1",
        user={"id": user_id},
    )
    assert job["jobName"] == "train-1" and job["workingDir"] == "repo"
    assert job["branchNameOrCommit"] == "abc123"
    assert job["displayedOwner"] == job["hyperplaneUserEmail"] == "ada@example.com"
    assert (job["group"], job["imageHash"], job["timezone"]) == ("research", "sha256:1", "UTC")
    assert job["hyperplaneVCServerId"] == server_id and job["billingProjectId"] == "default"
    assert job["hyperplaneServiceAccountId"] == "sa-1" and job["hyperplaneUserId"] == user_id
    assert job["pipelineType"] == "YAML"
    for link in ("grafanaLink", "userServiceSubdomain", "dashboardPrefix", "sshCommand"):
        assert job[link] is None
    assert job["noVSRewrite"] is False and job["minReplicas"] is None
    stored = api.store.get_job(job["id"])
    assert stored is not None
    assert json.loads(stored.spec.extra_value("hyperplaneSecretIds")) == ["secret-1"]


async def test_connects_with_null_or_unset_variables_mean_no_relation(api: Api) -> None:
    job = await _create(api, vcServerId=None, user=None)  # billingProjectId left unset
    assert job["hyperplaneVCServerId"] is None
    assert job["billingProjectId"] is None
    assert job["hyperplaneServiceAccountId"] is None and job["hyperplaneUserId"] is None
    assert job["jobName"] is None and job["schedule"] == "immediate"


async def test_count_jobs_with_misspelt_where_overide(api: Api) -> None:
    await _create(api, jobName="Scanner-a")
    await _create(api, jobName="scanner-b")
    await _create(api, jobName="trainer")
    await api.query(
        'mutation { createPipelineJob(data: {pipelineYamlPath: "p.yaml",'
        ' schedule: "*/5 * * * *"}) { id } }'
    )
    scanners = {"jobName": {"startsWith": "scanner", "mode": "insensitive"}}
    data = await api.query(COUNT_JOBS, {"whereOveride": scanners})
    assert data["countJobs"] == 2
    assert (await api.query(COUNT_JOBS))["countJobs"] == 4
    counts = await api.query(COUNT_JOBS_INLINE)
    assert counts == {"scanners": 2, "oneOff": 3, "all": 4}


async def test_job_name_filters_and_orders(api: Api) -> None:
    for name in ("scanner-b", "Scanner-a", "other"):
        await _create(api, jobName=name)
    jobs = (await api.query(JOBS_BY_NAME, {"name": "scanner"}))["pipelineJobs"]
    assert [j["jobName"] for j in jobs] == ["Scanner-a", "scanner-b"]
    assert {j["schedule"] for j in jobs} == {"immediate"}


async def test_immediate_schedule_given_explicitly_is_a_one_off_job(api: Api) -> None:
    data = await api.query(
        'mutation { createPipelineJob(data: {pipelineYamlPath: "p.yaml", schedule: "immediate"})'
        " { status schedule } }"
    )
    assert data["createPipelineJob"] == {"status": "pending", "schedule": "immediate"}


async def test_users_exist_once_a_job_or_session_names_them(api: Api) -> None:
    assert (await api.query(USERS, {"email": "ada@example.com"}))["hyperplaneUsers"] == []
    await _create(api, email="ada@example.com")
    await _create(api, email="ada@example.com")
    await api.query(
        'mutation { createHyperHubSession(data: {hyperplaneUserEmail: "bob@example.com"}) { id } }'
    )
    ada = (await api.query(USERS, {"email": "ada@example.com"}))["hyperplaneUsers"]
    assert len(ada) == 1 and ada[0]["email"] == "ada@example.com" and ada[0]["id"]
    bob = (await api.query(USERS, {"email": "bob@example.com"}))["hyperplaneUsers"]
    assert [u["email"] for u in bob] == ["bob@example.com"]
    everyone = await api.query("{ hyperplaneUsers { email } }")
    assert [u["email"] for u in everyone["hyperplaneUsers"]] == [
        "ada@example.com",
        "bob@example.com",
    ]


async def _refused(api: Api, document: str, variables: dict[str, Any] | None = None) -> str:
    body = await api.errors(document, variables)
    assert body.get("data") is None, body
    messages = " | ".join(e["message"] for e in body["errors"])
    assert all(e["extensions"]["code"] for e in body["errors"]), body
    return messages


async def test_unknown_input_field_is_a_validation_error(api: Api) -> None:
    message = await _refused(
        api,
        'mutation { createPipelineJobWithAlerting(input: {pipelineYamlPath: "p", jobNmae: "x"})'
        " { id } }",
    )
    assert "jobNmae" in message
    assert api.store.count_jobs(None) == 0


async def test_wrong_types_are_validation_errors(api: Api) -> None:
    message = await _refused(
        api,
        'mutation { createPipelineJobWithAlerting(input: {pipelineYamlPath: "p",'
        ' noGitInit: "yes"}) { id } }',
    )
    assert "noGitInit" in message or "Boolean" in message
    message = await _refused(api, COUNT_JOBS, {"whereOveride": {"jobName": {"equals": 3}}})
    assert "jobName" in message or "String" in message
    message = await _refused(
        api,
        'mutation { createPipelineJobWithAlerting(input: {pipelineYamlPath: "p",'
        ' billingProject: {connect: {id: "b", colour: "red"}}}) { id } }',
    )
    assert "colour" in message
    message = await _refused(api, "{ countJobs(where: {}) }")  # the hosted spelling only
    assert "where" in message


async def test_bad_job_names_and_pod_specs_are_refused_with_a_message(api: Api) -> None:
    for variables, words in (
        ({"jobName": ""}, "must not be empty"),
        ({"jobName": "x" * 64}, "at most 63"),
    ):
        status, body = await api.post(
            {
                "query": CREATE_WITH_VARIABLES,
                "variables": {"yamlPath": "p", **variables, "secret": {"id": "s"}},
            }
        )
        assert status == 200 and body["data"] is None
        assert words in body["errors"][0]["message"]
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    message = await _refused(
        api,
        'mutation { createPipelineJobWithAlerting(input: {pipelineYamlPath: "p",'
        ' podSpec: "not json"}) { id } }',
    )
    assert "podSpec" in message
    assert api.store.count_jobs(None) == 0
