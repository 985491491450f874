"""Bare-script jobs (``pipelineType: "BASH"``) on the local executor, created as real clients
create them, through a real ``--strict-api`` platform: the script runs from the workspace
root, reads parameters by bare name, and sees nothing of the platform's ORCHESTRATOR_*
variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.api import HOSTED_FIELDS, HttpApi, PlatformFactory, write

pytestmark = pytest.mark.integration

HOSTED_TOKEN = "hosted-token-must-not-leak"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "workspace"  # the platform_factory fixture's workspace


@pytest.fixture
def client(
    platform_factory: PlatformFactory, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> HttpApi:
    monkeypatch.setenv("ORCHESTRATOR_TOKEN", HOSTED_TOKEN)
    monkeypatch.setenv("ORCHESTRATOR_ENDPOINT", "https://hosted.example/graphql")
    return HttpApi(platform_factory(executor="local", workers=2), HOSTED_FIELDS)


def test_bare_script_changes_into_its_folder_runs_python_and_reads_bare_names(
    client: HttpApi, workspace: Path
) -> None:
    write(
        workspace,
        "example-batch-job/run.sh",
        """\
        set -e
        cd example-batch-job
        python process.py
        """,
    )
    write(
        workspace,
        "example-batch-job/process.py",
        """\
        import os, pathlib
        file_id = os.getenv("FILE_ID")
        pathlib.Path("out").mkdir(exist_ok=True)
        pathlib.Path("out", f"{file_id}.txt").write_text(f"processed {file_id}")
        """,
    )
    job = client.final(
        client.launch("example-batch-job/run.sh", file_id="42", pipeline_type="bash")
    )
    assert job["status"] == "done", job
    assert (job["workingDir"], job["pipelineType"]) == ("example-batch-job", "bash")
    out = workspace / "example-batch-job" / "out" / "42.txt"
    assert out.read_text() == "processed 42"
    log = Path(job["output"]).read_text()
    assert log.count("parameters PATH reach tasks only as HYPERPLANE_JOB_PARAMETER_") == 1


def test_a_bare_python_script_runs_with_the_platform_python(
    client: HttpApi, workspace: Path
) -> None:
    write(
        workspace,
        "jobs/dump_env.py",
        """\
        import json, os
        with open("env.json", "w") as handle:
            json.dump(dict(os.environ), handle)
        """,
    )
    job = client.final(client.launch("jobs/dump_env.py"))
    assert job["status"] == "done", job
    env = json.loads((workspace / "env.json").read_text())
    assert env["FILE_ID"] == "7" and env["HYPERPLANE_JOB_PARAMETER_FILE_ID"] == "7"
    assert env["HYPERPLANE_JOB_PARAMETER_PATH"] == "/nowhere" and env["PATH"] != "/nowhere"
    assert [k for k in env if k.upper().startswith("ORCHESTRATOR_")] == []
    assert HOSTED_TOKEN not in json.dumps(env)


def test_yaml_pipeline_jobs_see_no_orchestrator_variables_either(
    client: HttpApi, workspace: Path
) -> None:
    write(workspace, "dump.sh", "env > env.txt\n")
    write(
        workspace,
        "pipeline.yaml",
        "pipeline: {name: p, tasks: [{name: dump, type: bash script, bash_script_path: dump.sh}]}",
    )
    job = client.final(client.launch("pipeline.yaml", pipeline_type=None))
    assert job["status"] == "done", job
    dumped = (workspace / "env.txt").read_text()
    assert "ORCHESTRATOR_" not in dumped.replace("PARAMETER_ORCHESTRATOR_", "")
    assert HOSTED_TOKEN not in dumped


@pytest.mark.parametrize(
    ("script", "pipeline_type", "reason"),
    [
        ("run.sh", "DOCKER", 'unknown pipelineType \'DOCKER\' (known: "YAML", "BASH")'),
        ("missing.sh", "BASH", "script not found: missing.sh"),
        ("../outside.sh", "BASH", "leaves the workspace"),
    ],
)
def test_bad_bare_scripts_fail_the_job_with_a_reason(
    client: HttpApi, workspace: Path, script: str, pipeline_type: str, reason: str
) -> None:
    write(workspace, "run.sh", "exit 0\n")
    (workspace.parent / "outside.sh").write_text("exit 0\n")
    job = client.final(client.launch(script, pipeline_type=pipeline_type))
    assert job["status"] == "failed"
    assert reason in job["statusReason"]
