"""Secrets and podSpec env on the Dask executor (a real scheduler and worker on loopback): a
pod spec's plain ``env`` value reaches the job on the worker; a job with secrets fails,
saying the Dask executor does not hand secrets to workers, and nothing runs."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from job_client import JobClient, write

from orchestrator.platform.executor.dask_executor import DASK_NO_SECRETS
from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.secrets import SecretStore
from tests.helpers.dask import start_cluster

distributed = pytest.importorskip("distributed")

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("dask-cluster")]

CREATE = """
mutation ($out: String!, $secrets: [HyperplaneSecretWhereUniqueInput!], $podSpec: String) {
  createPipelineJobWithAlerting(input: {
    pipelineYamlPath: "show.yaml", maxRetries: 0, podSpec: $podSpec,
    hyperplaneSecrets: {connect: $secrets},
    parameters: {create: [{key: "OUT", value: $out}]}
  }) { id }
}
"""
SHOW = """
import os, pathlib
pathlib.Path(os.environ["HYPERPLANE_JOB_PARAMETER_OUT"]).write_text(os.environ.get("GREETING", ""))
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JobClient]:
    base = tmp_path_factory.mktemp("dask-secrets")
    cluster = start_cluster(base / "cluster", slots=1, workers=1)
    workspace = base / "workspace"
    write(workspace, "show.py", SHOW)
    write(
        workspace,
        "show.yaml",
        "pipeline: {name: s, tasks: [{name: a, type: py, py_path: show.py}]}",
    )
    platform = LocalPlatform(
        db=base / "platform.db",
        state_dir=base / "state",
        workspace=workspace,
        token=secrets.token_urlsafe(16),
        executor="dask",
        dask_scheduler=cluster.address,
    )
    try:
        platform.start()
        SecretStore(platform.state_dir).set("db", {"PASSWORD": "p"})
        yield JobClient(platform)
    finally:
        platform.stop()
        cluster.stop()


def _env(entry: dict[str, object]) -> str:
    return json.dumps({"containers": [{"env": [entry]}]})


def test_a_plain_pod_spec_value_reaches_a_job_on_a_worker(
    client: JobClient, tmp_path: Path
) -> None:
    out = tmp_path / "greeting"
    variables = {
        "out": str(out),
        "secrets": None,
        "podSpec": _env({"name": "GREETING", "value": "hi"}),
    }
    job = client.final(client.call(CREATE, variables)["createPipelineJobWithAlerting"]["id"], 120)
    assert job["status"] == "done", (job, client.log(job))
    assert out.read_text() == "hi"


@pytest.mark.parametrize(
    ("connect", "pod_spec"),
    [
        ([{"name": "db"}], None),
        (
            None,
            _env({"name": "X", "valueFrom": {"secretKeyRef": {"name": "db", "key": "PASSWORD"}}}),
        ),
    ],
)
def test_a_job_with_secrets_fails_on_dask_saying_why(
    client: JobClient, tmp_path: Path, connect: object, pod_spec: str | None
) -> None:
    out = tmp_path / "greeting"
    variables = {"out": str(out), "secrets": connect, "podSpec": pod_spec}
    job = client.final(client.call(CREATE, variables)["createPipelineJobWithAlerting"]["id"], 120)
    assert job["status"] == "failed"
    assert job["statusReason"] == DASK_NO_SECRETS
    assert not out.exists()
