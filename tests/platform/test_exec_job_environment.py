"""The hosted job environment on the local executor: what a job's code finds set, that no
parameter forges it, and ``MY_POD_NAME`` per attempt (real platform, real processes)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from job_client import JobClient, write

from orchestrator.platform.executor.job_environment import pod_name
from orchestrator.platform.executor.task_runner import JobContext, task_environment
from orchestrator.platform.process.embedded import LocalPlatform

pytestmark = pytest.mark.integration

PlatformFactory = Callable[..., LocalPlatform]

HOSTED = (
    "HYPERPLANE_JOB_PIPELINE_YAML_PATH",
    "HYPERPLANE_JOB_CHECKED_BRANCH_NAME",
    "HYPERPLANE_JOB_CHECKED_COMMIT_ID",
    "HYPERPLANE_JOB_DEBUGGABLE",
    "USER_EMAIL",
    "PIPELINES_USER",
    "MY_POD_NAME",
    "HYPERPLANE_GRAPHQL_URL",
    "HYPERPLANE_JOB_ID",
    "HYPERPLANE_JOB_ATTEMPT",
)
DUMP = f"""\
import json, os, pathlib, sys
names = {list(HOSTED)!r}
seen = {{name: os.environ.get(name) for name in names}}
out = pathlib.Path(os.environ["HYPERPLANE_JOB_PARAMETER_OUT"])
out.mkdir(exist_ok=True)
(out / os.environ["HYPERPLANE_JOB_ATTEMPT"]).write_text(json.dumps(seen))
sys.exit(int(os.environ.get("HYPERPLANE_JOB_PARAMETER_FAIL_FIRST", "0"))
         if os.environ["HYPERPLANE_JOB_ATTEMPT"] == "1" else 0)
"""


def test_a_job_sees_the_hosted_environment(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "jobs/dump.py", DUMP)
    write(
        workspace,
        "jobs/env.yaml",
        "pipeline: {name: env, tasks: [{name: a, type: python, py_path: jobs/dump.py}]}",
    )
    platform = platform_factory(executor="local", workers=1)
    client = JobClient(platform)
    out = tmp_path / "seen"
    forged = {"USER_EMAIL": "forged", "PIPELINES_USER": "forged", "MY_POD_NAME": "forged"}
    job_id = client.create(
        "jobs/env.yaml",
        {"OUT": str(out), "FAIL_FIRST": "3", **forged},
        email="ada@example.com",
        debuggable=True,
        branch="main",
        commit="0123abc",
        retries=1,
    )
    job = client.final(job_id)
    assert job["status"] == "done", (job, client.log(job))
    first, second = (json.loads((out / n).read_text()) for n in ("1", "2"))
    assert first["HYPERPLANE_JOB_PIPELINE_YAML_PATH"] == "jobs/env.yaml"
    assert first["HYPERPLANE_JOB_CHECKED_BRANCH_NAME"] == "main"
    assert first["HYPERPLANE_JOB_CHECKED_COMMIT_ID"] == "0123abc"
    assert first["HYPERPLANE_JOB_DEBUGGABLE"] == "true"
    assert first["USER_EMAIL"] == first["PIPELINES_USER"] == "ada@example.com"
    assert first["HYPERPLANE_GRAPHQL_URL"] == platform.url
    # stable per attempt, new on the platform's rerun; never a parameter's
    assert first["MY_POD_NAME"] == pod_name(job_id, 1) != second["MY_POD_NAME"]
    assert second["MY_POD_NAME"] == pod_name(job_id, 2)


def test_without_email_branch_or_commit_they_are_empty(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "dump.py", DUMP)
    write(
        workspace,
        "env.yaml",
        "pipeline: {name: env, tasks: [{name: a, type: py, py_path: dump.py}]}",
    )
    client = JobClient(platform_factory(executor="local", workers=1))
    out = tmp_path / "seen"
    job = client.final(client.create("env.yaml", {"OUT": str(out)}))
    assert job["status"] == "done", (job, client.log(job))
    seen = json.loads((out / "1").read_text())
    assert seen["HYPERPLANE_JOB_CHECKED_BRANCH_NAME"] == ""
    assert seen["HYPERPLANE_JOB_CHECKED_COMMIT_ID"] == ""
    assert seen["HYPERPLANE_JOB_DEBUGGABLE"] == "false"
    assert seen["USER_EMAIL"] == seen["PIPELINES_USER"] == ""


@pytest.mark.parametrize("name", ["USER_EMAIL", "PIPELINES_USER", "MY_POD_NAME"])
def test_hosted_names_are_never_a_bare_parameter(name: str) -> None:
    base = {name: "inherited"}
    env = task_environment(base, JobContext("j", "r", 1, {name.lower(): "forged"}))
    assert env[name] == "inherited"  # the platform's own value (the executor always sets it)
    assert env[f"HYPERPLANE_JOB_PARAMETER_{name}"] == "forged"
    env = task_environment(base, JobContext("j", "r", 1, {name: "forged"}, {name: "platform"}))
    assert env[name] == "platform"
