"""``from hyperplane import notebook_common as nc`` inside a local job: a job's Python code
submits, checks and cancels other jobs on the real platform running it (``--auth none``, as
the hosted in-cluster endpoint), with the documented arguments and results."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from job_client import JobClient, write

from orchestrator.platform.process.embedded import LocalPlatform

pytestmark = pytest.mark.integration

PlatformFactory = Callable[..., LocalPlatform]

PARENT = """\
import asyncio, json, os, pathlib
from hyperplane import notebook_common as nc


async def main():
    quick = await nc.submit_pipeline_job(
        jobName="child-quick", pipelineYamlPath="child.yaml", jobType="basic",
        timeout=120, active_timeout=120, max_retries=0, parameters={"MODE": "quick", "N": 1},
    )
    slow = await nc.submit_pipeline_job(
        jobName="child-slow", pipelineYamlPath="child.yaml", max_retries=0,
        parameters={"MODE": "slow"},
    )
    waited = await nc.checkjobs([quick[0]], loop=True, interval=0.1)
    cancelled = await nc.cancel_pipeline_job(slow[0])
    both = await nc.checkjobs([quick[0], slow[0]])
    result = {"quick": quick, "slow": slow, "waited": waited, "cancelled": cancelled,
              "both": both, "module": nc.__file__}
    out = pathlib.Path(os.environ["HYPERPLANE_JOB_PARAMETER_OUT"])
    out.write_text(json.dumps(result))


asyncio.run(main())
"""
CHILD = """\
import os, pathlib, time
if os.environ["MODE"] == "slow":
    time.sleep(600)  # until cancelled
pathlib.Path(os.environ["HYPERPLANE_JOB_PARAMETER_OUT_DIR"], "quick").write_text(os.environ["N"])
"""


def _workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    write(workspace, "parent.py", PARENT)
    write(
        workspace,
        "child.py",
        CHILD.replace('os.environ["HYPERPLANE_JOB_PARAMETER_OUT_DIR"]', repr(str(tmp_path))),
    )
    write(
        workspace,
        "parent.yaml",
        "pipeline: {name: p, tasks: [{name: p, type: python, py_path: parent.py}]}",
    )
    write(
        workspace,
        "child.yaml",
        "pipeline: {name: c, tasks: [{name: c, type: py, py_path: child.py}]}",
    )
    return workspace


def _summary(counts: tuple[int, int, int], ended: str, rows: list[str], progress: str) -> str:
    in_progress, pending, processed = counts
    total = len(rows)
    return "\n".join(
        [
            "#### Jobs summary",
            f"{in_progress} / {total} in progress",
            "",
            f"{pending} / {total} pending",
            "",
            f"{processed} / {total} processed",
            "",
            ended,
            "",
            f"Progress: {progress}%",
            "",
            "#### Dask dashboards",
            *rows,
        ]
    )


def test_a_job_submits_checks_and_cancels_jobs(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    _workspace(tmp_path)
    platform = platform_factory(executor="local", workers=3, auth="none", token=None)
    client = JobClient(platform)
    out = tmp_path / "result.json"
    parent = client.final(client.create("parent.yaml", {"OUT": str(out)}), within=120)
    assert parent["status"] == "done", (parent, client.log(parent))
    result = json.loads(out.read_text())
    quick_id, quick_run = result["quick"]
    slow_id, _ = result["slow"]
    quick = client.call(
        "query ($id: String!) { pipelineJob(where: {id: $id})"
        " { runId status jobType parentJob { id } } }",
        {"id": quick_id},
    )["pipelineJob"]
    assert quick == {
        "runId": quick_run,
        "status": "done",
        "jobType": "basic",
        "parentJob": {"id": parent["id"]},  # a job submitted from a job names its parent
    }
    assert (tmp_path / "quick").read_text() == "1"  # parameters={"N": 1} arrived as "1"
    assert client.final(slow_id)["status"] == "cancelled"
    assert result["cancelled"] == {"id": slow_id, "status": "cancelled"}
    assert result["waited"] == _summary(
        (0, 0, 1),
        "1 done | 0 timed out | 0 cancelled | 0 failed",
        [f"{quick_id} done None"],
        "100.0",
    )
    assert result["both"] == _summary(
        (0, 0, 2),
        "1 done | 0 timed out | 1 cancelled | 0 failed",
        [f"{quick_id} done None", f"{slow_id} cancelled None"],
        "100.0",
    )
    # the helpers came from the executor's folder, put on the job's path for it alone
    assert "/executor/job_sdk/hyperplane/" in result["module"]


def test_a_platform_that_asks_for_a_token_is_refused_with_a_reason(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    _workspace(tmp_path)
    client = JobClient(platform_factory(executor="local", workers=1))  # token auth
    job = client.final(client.create("parent.yaml", {"OUT": str(tmp_path / "r.json")}))
    assert job["status"] == "failed"
    log = client.log(job)
    assert "asks for a token, and a job has none" in log and "--auth none" in log
    assert client.platform.token not in log


def test_the_helpers_are_not_importable_outside_a_job() -> None:
    assert importlib.util.find_spec("hyperplane") is None
