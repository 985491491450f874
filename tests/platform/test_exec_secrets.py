"""Secrets and podSpec env on the local executor (real platform, real processes): a job reads
a secret as ``HYPERPLANE_CUSTOM_SECRET_KEY_{KEY}`` and as a file under
``HYPERPLANE_SECRETS_DIR``, a podSpec env value reaches it, a missing secret fails the job
naming it, and the value is in no log, no API answer and no process's argv."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from job_client import JobClient, write

from orchestrator.platform.process.embedded import LocalPlatform
from orchestrator.platform.secrets import SecretStore
from tests.helpers.cli import invoke

pytestmark = pytest.mark.integration

PlatformFactory = Callable[..., LocalPlatform]
PASSWORD = "pw-9d3e71c4b0"
PREFIX = "HYPERPLANE_CUSTOM_SECRET_KEY_"

DUMP = f"""\
import json, os, pathlib, stat
out = pathlib.Path(os.environ["HYPERPLANE_JOB_PARAMETER_OUT"])
names = ("DB_PASS", "GREETING", "PATH", "HYPERPLANE_JOB_ID", "LD_PRELOAD", "lower_case")
seen = {{
    "env": {{k: v for k, v in os.environ.items() if k.startswith("{PREFIX}") or k in names}},
    "dir": os.environ.get("HYPERPLANE_SECRETS_DIR"),
}}
if seen["dir"]:
    root = pathlib.Path(seen["dir"])
    seen["dir_mode"] = stat.S_IMODE(root.stat().st_mode)
    files = sorted(root.glob("*/*"))
    seen["files"] = {{f"{{p.parent.name}}/{{p.name}}": p.read_text() for p in files}}
    seen["file_modes"] = sorted({{stat.S_IMODE(p.stat().st_mode) for p in files}})
secret = os.environ.get("{PREFIX}PASSWORD", "")
hits = []
for proc in pathlib.Path("/proc").iterdir():
    try:
        argv = (proc / "cmdline").read_bytes()
    except OSError:
        continue
    if secret and secret.encode() in argv:
        hits.append(proc.name)
seen["argv_hits"] = hits
out.write_text(json.dumps(seen))
print("job ran")
"""

WITH_ALERTING = """
mutation ($path: String!, $out: String!, $secrets: [HyperplaneSecretWhereUniqueInput!],
          $podSpec: String) {
  createPipelineJobWithAlerting(input: {
    pipelineYamlPath: $path, maxRetries: 0, podSpec: $podSpec,
    hyperplaneSecrets: {connect: $secrets},
    parameters: {create: [{key: "OUT", value: $out}]}
  }) { id }
}
"""
CREATE = """
mutation ($path: String!, $out: String!, $secrets: [HyperplaneSecretWhereUniqueInput!],
          $podSpec: JSON) {
  createPipelineJob(data: {
    pipelineYamlPath: $path, maxRetries: 0, podSpec: $podSpec,
    hyperplaneSecrets: {connect: $secrets},
    parameters: {create: [{key: "OUT", value: $out}]}
  }) { id }
}
"""


def _env(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"containers": [{"name": "job", "env": list(entries)}]}


def _setup(platform_factory: PlatformFactory, tmp_path: Path) -> tuple[JobClient, Path]:
    workspace = tmp_path / "workspace"
    write(workspace, "jobs/dump.py", DUMP)
    write(
        workspace,
        "jobs/dump.yaml",
        "pipeline: {name: dump, tasks: [{name: a, type: python, py_path: jobs/dump.py}]}",
    )
    platform = platform_factory(executor="local", workers=1)
    return JobClient(platform), platform.state_dir


def _set(state: Path, name: str, *pairs: str, stdin: str | None = None) -> None:
    done = invoke("platform", "secrets", "set", "--state-dir", state, name, *pairs, input=stdin)
    assert done.returncode == 0, done.stderr


def _launch(
    client: JobClient,
    out: Path,
    secrets: list[dict[str, str]] | None,
    pod_spec: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create the dump job as a real launch script does (``createPipelineJobWithAlerting``,
    secrets connected, a pod spec as a JSON string) and wait until it is final."""
    variables = {
        "path": "jobs/dump.yaml",
        "out": str(out),
        "secrets": secrets,
        "podSpec": None if pod_spec is None else json.dumps(pod_spec),
    }
    job_id = client.call(WITH_ALERTING, variables)["createPipelineJobWithAlerting"]["id"]
    job: dict[str, Any] = client.final(job_id)
    return job


def _seen(out: Path) -> dict[str, Any]:
    seen: dict[str, Any] = json.loads(out.read_text())
    return seen


def test_a_connected_secret_reaches_the_job_as_variables_and_files(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    client, state = _setup(platform_factory, tmp_path)
    _set(state, "db", "PASSWORD=-", "USER=bob", stdin=PASSWORD)  # with the platform running
    out = tmp_path / "seen.json"
    pod_spec = _env(
        {"name": "DB_PASS", "valueFrom": {"secretKeyRef": {"name": "db", "key": "PASSWORD"}}},
        {"name": "GREETING", "value": "hello from the pod spec"},
    )
    job = _launch(client, out, [{"name": "db"}], pod_spec)
    assert job["status"] == "done", (job, client.log(job))
    seen = _seen(out)
    assert seen["env"][f"{PREFIX}PASSWORD"] == PASSWORD
    assert seen["env"][f"{PREFIX}USER"] == "bob"
    assert seen["env"]["DB_PASS"] == PASSWORD  # podSpec valueFrom.secretKeyRef
    assert seen["env"]["GREETING"] == "hello from the pod spec"  # podSpec plain value
    assert seen["files"] == {"db/PASSWORD": PASSWORD, "db/USER": "bob"}
    assert seen["dir_mode"] == 0o700 and seen["file_modes"] == [0o400]
    assert seen["argv_hits"] == []  # no process on the machine has it in its argv
    assert not Path(seen["dir"]).exists()  # removed when the attempt ended
    assert list(SecretStore(state).mounts.iterdir()) == []


def test_a_secret_connected_by_id_and_named_only_in_the_pod_spec(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    client, state = _setup(platform_factory, tmp_path)
    _set(state, "api", "TOKEN=t-1")
    _set(state, "db", "PASSWORD=-", "USER=bob", stdin=PASSWORD)
    api = SecretStore(state).find("api")
    assert api is not None
    out = tmp_path / "seen.json"
    pod_spec = _env(
        {"name": "DB_PASS", "valueFrom": {"secretKeyRef": {"name": "db", "key": "PASSWORD"}}}
    )
    variables = {
        "path": "jobs/dump.yaml",
        "out": str(out),
        "secrets": [{"id": api.id}],
        "podSpec": pod_spec,
    }
    job = client.final(client.call(CREATE, variables)["createPipelineJob"]["id"])
    assert job["status"] == "done", (job, client.log(job))
    seen = _seen(out)
    assert seen["env"][f"{PREFIX}TOKEN"] == "t-1"
    assert seen["env"]["DB_PASS"] == seen["env"][f"{PREFIX}PASSWORD"] == PASSWORD
    assert f"{PREFIX}USER" not in seen["env"]  # a pod spec reference gives its key only
    assert seen["files"] == {"api/TOKEN": "t-1", "db/PASSWORD": PASSWORD}


def test_a_job_without_secrets_has_no_secrets_dir(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    client, _ = _setup(platform_factory, tmp_path)
    out = tmp_path / "seen.json"
    job = client.final(client.create("jobs/dump.yaml", {"OUT": str(out)}))
    assert job["status"] == "done", (job, client.log(job))
    seen = _seen(out)
    assert seen["dir"] is None
    assert not any(name.startswith(PREFIX) for name in seen["env"])


@pytest.mark.parametrize(
    ("secrets", "pod_spec", "named"),
    [
        ([{"name": "nope"}], None, "'nope'"),
        ([{"id": "0000-missing"}], None, "'0000-missing'"),
        (
            [],
            _env({"name": "X", "valueFrom": {"secretKeyRef": {"name": "ghost", "key": "K"}}}),
            "'ghost'",
        ),
        (
            [],
            _env({"name": "X", "valueFrom": {"secretKeyRef": {"name": "db", "key": "NOKEY"}}}),
            "'NOKEY'",
        ),
    ],
)
def test_a_missing_secret_fails_the_job_naming_it(
    platform_factory: PlatformFactory,
    tmp_path: Path,
    secrets: list[dict[str, str]],
    pod_spec: dict[str, Any] | None,
    named: str,
) -> None:
    client, state = _setup(platform_factory, tmp_path)
    _set(state, "db", "PASSWORD=x")
    out = tmp_path / "seen.json"
    job = _launch(client, out, secrets, pod_spec)
    assert job["status"] == "failed"
    assert named in job["statusReason"], job
    assert "job refused" in client.log(job)
    assert not out.exists()  # nothing ran


def test_pod_spec_env_never_replaces_what_the_platform_sets(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    client, _ = _setup(platform_factory, tmp_path)
    out = tmp_path / "seen.json"
    pod_spec = _env(
        {"name": "PATH", "value": "/evil"},
        {"name": "HYPERPLANE_JOB_ID", "value": "forged"},
        {"name": "LD_PRELOAD", "value": "/evil.so"},
        {"name": "lower_case", "value": "kept"},
        {"name": "GREETING", "value": "hi"},
    )
    job = _launch(client, out, None, pod_spec)
    job_id = job["id"]
    assert job["status"] == "done", (job, client.log(job))
    env = _seen(out)["env"]
    assert env["GREETING"] == "hi" and env["lower_case"] == "kept"
    assert env["HYPERPLANE_JOB_ID"] == job_id
    assert not env["PATH"].startswith("/evil") and "LD_PRELOAD" not in env
    log = client.log(job)
    assert "podSpec env not applied" in log
    assert all(name in log for name in ("'PATH'", "'HYPERPLANE_JOB_ID'", "'LD_PRELOAD'"))


SCALARS = """{ __type(name: "PipelineJob") { fields { name type { kind ofType { kind } } } } }"""


def test_the_value_is_in_no_log_and_no_api_answer(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    client, state = _setup(platform_factory, tmp_path)
    _set(state, "db", "PASSWORD=-", stdin=PASSWORD)
    out = tmp_path / "seen.json"
    pod_spec = _env(
        {"name": "DB_PASS", "valueFrom": {"secretKeyRef": {"name": "db", "key": "PASSWORD"}}}
    )
    job = _launch(client, out, [{"name": "db"}], pod_spec)
    job_id = job["id"]
    assert job["status"] == "done", (job, client.log(job))
    assert _seen(out)["env"]["DB_PASS"] == PASSWORD  # the job had it...
    fields = client.call(SCALARS, {})["__type"]["fields"]
    leaves = [
        f["name"]
        for f in fields
        if "SCALAR" in (f["type"]["kind"], (f["type"]["ofType"] or {}).get("kind"))
        or "ENUM" in (f["type"]["kind"], (f["type"]["ofType"] or {}).get("kind"))
    ]
    assert "podSpec" in leaves and len(leaves) > 20
    answer = client.call(
        f"query ($id: String!) {{ pipelineJob(where: {{id: $id}}) {{ {' '.join(leaves)} }} }}",
        {"id": job_id},
    )
    listed = client.call(f"{{ pipelineJobs {{ {' '.join(leaves)} }} }}", {})
    texts = {
        "job log": client.log(job),
        "platform log": client.platform.log_path().read_text(),
        "API answer": json.dumps(answer) + json.dumps(listed),
    }
    assert "job ran" in texts["job log"]
    for what, text in texts.items():
        assert PASSWORD not in text, what
