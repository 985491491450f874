"""Code from a git server: a job connected to one runs a checkout of its branch or commit
(real platform, real git, a repository in a temporary folder; no network)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from job_client import JobClient, write

from orchestrator.manifest import load_manifest
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.cli import cli, connection

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]

PlatformFactory = Callable[..., LocalPlatform]

CREATE_SERVER = """
mutation ($data: HyperplaneVCServerCreateInput!) { createHyperplaneVCServer(data: $data) { id } }
"""
CREATE = """
mutation ($path: String!, $server: String!, $branch: String, $commit: String, $retries: Int,
          $parameters: [ParameterCreateWithoutPipelineJobInput!]!) {
  createPipelineJobWithAlerting(input: {
    pipelineYamlPath: $path, branchName: $branch, commitId: $commit, maxRetries: $retries,
    hyperplaneVCServer: {connect: {id: $server}}, parameters: {create: $parameters}
  }) { id }
}
"""
GET = """query ($id: String!) { pipelineJob(where: {id: $id}) { commitId branchNameOrCommit } }"""
PIPELINE = "pipeline: {name: v, tasks: [{name: a, type: python, py_path: jobs/version.py}]}"
VERSION = """\
import json, os, pathlib
out = pathlib.Path(os.environ["HYPERPLANE_JOB_PARAMETER_OUT"])
out.write_text(json.dumps({{
    "version": {version!r},
    "cwd": os.getcwd(),
    "branch": os.environ["HYPERPLANE_JOB_CHECKED_BRANCH_NAME"],
    "commit": os.environ["HYPERPLANE_JOB_CHECKED_COMMIT_ID"],
}}))
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def commit_version(repo: Path, version: str) -> str:
    write(repo, "jobs/version.py", VERSION.format(version=version))
    write(repo, "jobs/v.yaml", PIPELINE)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", version)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> dict[str, str]:
    """A repository with ``main`` (version one) and ``feature`` (version two)."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    first = commit_version(path, "one")
    git(path, "checkout", "-q", "-b", "feature")
    second = commit_version(path, "two")
    git(path, "checkout", "-q", "main")
    return {"path": str(path), "one": first, "two": second}


class GitJobs:
    """Jobs of one git server on a local platform."""

    def __init__(self, platform: LocalPlatform, url: str, default_branch: str) -> None:
        self.client = JobClient(platform)
        data = {"name": "repo", "url": url, "defaultBranch": default_branch}
        self.server = self.client.call(CREATE_SERVER, {"data": data})["createHyperplaneVCServer"][
            "id"
        ]

    def run(self, out: Path, **fields: Any) -> str:
        variables = {
            "path": "jobs/v.yaml",
            "server": self.server,
            "retries": 0,
            "parameters": [{"key": "OUT", "value": str(out)}],
            **fields,
        }
        return str(self.client.call(CREATE, variables)["createPipelineJobWithAlerting"]["id"])

    def stored(self, job_id: str) -> dict[str, Any]:
        return dict(self.client.call(GET, {"id": job_id})["pipelineJob"])


def test_a_job_runs_its_branch_its_commit_or_the_default_branch(
    platform_factory: PlatformFactory, repo: dict[str, str], tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "jobs/version.py", VERSION.format(version="workspace"))
    write(workspace, "jobs/v.yaml", PIPELINE)
    before = sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*"))
    platform = platform_factory(executor="local", workers=2)
    jobs = GitJobs(platform, f"file://{repo['path']}", "main")
    outs = {name: tmp_path / f"{name}.json" for name in ("branch", "pinned", "default")}
    ids = {
        "branch": jobs.run(outs["branch"], branch="feature"),
        "pinned": jobs.run(outs["pinned"], branch="feature", commit=repo["one"][:10]),
        "default": jobs.run(outs["default"]),
    }
    for job_id in ids.values():
        job = jobs.client.final(job_id)
        assert job["status"] == "done", (job, jobs.client.log(job))
    seen = {name: json.loads(out.read_text()) for name, out in outs.items()}
    assert (seen["branch"]["version"], seen["branch"]["commit"]) == ("two", repo["two"])
    assert (seen["pinned"]["version"], seen["pinned"]["commit"]) == ("one", repo["one"])
    assert (seen["default"]["version"], seen["default"]["commit"]) == ("one", repo["one"])
    assert [seen[n]["branch"] for n in ("branch", "pinned", "default")] == [
        "feature",
        "feature",
        "main",
    ]
    checkouts = (platform.state_dir / "checkouts").resolve()
    for name in ("branch", "default"):  # each ran in its commit's checkout, not the workspace
        assert Path(seen[name]["cwd"]) == checkouts / seen[name]["commit"]
    # the commit run is recorded when none was given; a given one is kept as given
    assert jobs.stored(ids["branch"])["commitId"] == repo["two"]
    assert jobs.stored(ids["default"])["branchNameOrCommit"] == repo["one"]
    assert jobs.stored(ids["pinned"])["commitId"] == repo["one"][:10]
    after = sorted(str(p.relative_to(workspace)) for p in workspace.rglob("*"))
    assert after == before


def test_a_sweep_on_one_commit_clones_it_once(
    platform_factory: PlatformFactory, repo: dict[str, str], tmp_path: Path
) -> None:
    platform = platform_factory(executor="local", workers=4)
    jobs = GitJobs(platform, repo["path"], "main")
    outs = [tmp_path / f"out-{n}.json" for n in range(20)]
    ids = [jobs.run(out, commit=repo["two"]) for out in outs]
    for job_id in ids:
        job = jobs.client.final(job_id)
        assert job["status"] == "done", (job, jobs.client.log(job))
    assert {json.loads(out.read_text())["version"] for out in outs} == {"two"}
    log = platform.log_path().read_text()
    assert log.count("checkout.cloned") == 1, log
    entries = sorted(p.name for p in (platform.state_dir / "checkouts").iterdir())
    assert [e for e in entries if not e.startswith(".")] == [repo["two"]]
    assert not [e for e in entries if e.startswith((".tmp-", ".trash-"))]


def test_an_unknown_branch_fails_the_job_once_naming_it(
    platform_factory: PlatformFactory, repo: dict[str, str], tmp_path: Path
) -> None:
    platform = platform_factory(executor="local", workers=1)
    jobs = GitJobs(platform, repo["path"], "main")
    out = tmp_path / "out.json"
    branch_job = jobs.run(out, branch="no-such-branch", retries=2)
    commit_job = jobs.run(out, commit="abcdef1234", retries=2)
    for job_id, named in ((branch_job, "no-such-branch"), (commit_job, "abcdef1234")):
        job = jobs.client.final(job_id)
        assert job["status"] == "failed"
        assert named in job["statusReason"]
        log = jobs.client.log(job)
        assert log.count("checkout failed") == 1, log  # no rerun despite maxRetries
        assert "rerunning" not in log
    assert not out.exists()


def test_a_branch_that_reads_as_an_option_is_refused(
    platform_factory: PlatformFactory, repo: dict[str, str], tmp_path: Path
) -> None:
    platform = platform_factory(executor="local", workers=1)
    jobs = GitJobs(platform, repo["path"], "main")
    marker = tmp_path / "x"
    out = tmp_path / "out.json"
    job = jobs.client.final(jobs.run(out, branch=f"--upload-pack=touch {marker}"))
    assert job["status"] == "failed"
    assert "starts with '-'" in job["statusReason"]
    assert not marker.exists() and not out.exists()
    pinned = jobs.client.final(jobs.run(out, commit="--output=/tmp/x"))
    assert pinned["status"] == "failed"
    assert "is not a commit id" in pinned["statusReason"]


def test_a_job_without_a_git_server_runs_the_workspace(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "jobs/version.py", VERSION.format(version="workspace"))
    write(workspace, "jobs/v.yaml", PIPELINE)
    platform = platform_factory(executor="local", workers=1)
    client = JobClient(platform)
    out = tmp_path / "out.json"
    job = client.final(client.create("jobs/v.yaml", {"OUT": str(out)}))
    assert job["status"] == "done", (job, client.log(job))
    assert json.loads(out.read_text())["version"] == "workspace"
    assert not (platform.state_dir / "checkouts").exists()


@pytest.mark.xdist_group("dask-cluster")
def test_dask_workers_check_out_for_themselves(
    platform_factory: PlatformFactory, repo: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    platform = platform_factory(executor="dask", dask_scheduler="local:2")
    jobs = GitJobs(platform, repo["path"], "main")
    outs = [tmp_path / f"out-{n}.json" for n in range(6)]
    ids = [jobs.run(out, branch="feature") for out in outs]
    ids.append(jobs.run(tmp_path / "never.json", branch="gone", retries=2))
    for job_id in ids[:-1]:
        job = jobs.client.final(job_id, within=120)
        assert job["status"] == "done", (job, jobs.client.log(job))
        assert jobs.stored(job_id)["commitId"] == repo["two"]
    seen = [json.loads(out.read_text()) for out in outs]
    assert {(s["version"], s["branch"], s["commit"]) for s in seen} == {
        ("two", "feature", repo["two"])
    }
    gone = jobs.client.final(ids[-1], within=120)
    assert gone["status"] == "failed" and "'gone' not found" in gone["statusReason"]
    assert jobs.client.log(gone).count("checkout failed") == 1


MANIFEST = """\
version: 1
name: pinned
defaults:
  hyperplaneVCServer: repo
  commitId: "{commit}"
  pipelineYamlPath: jobs/v.yaml
jobs:
  - name: "n{{{{ n }}}}"
    matrix: {{n: [1, 2, 3]}}
    parameters: {{OUT: "{out}/{{{{ n }}}}.json"}}
"""


def test_a_manifest_sweep_pinned_to_a_commit_runs_that_commit(
    platform_factory: PlatformFactory, repo: dict[str, str], tmp_path: Path
) -> None:
    platform = platform_factory(executor="local", workers=2)  # strict API, as hosted
    GitJobs(platform, repo["path"], "main")
    out = tmp_path / "out"
    out.mkdir()
    manifest = tmp_path / "pinned.yaml"
    manifest.write_text(MANIFEST.format(commit=repo["two"], out=out))
    fields = next(iter(load_manifest(manifest).jobs())).fields
    assert fields["hyperplaneVCServer"] == {"connect": {"name": "repo"}}
    result = cli("run", manifest, *connection(platform, tmp_path / "state"))
    assert result.returncode == 0, result.stderr
    seen = [json.loads((out / f"{n}.json").read_text()) for n in (1, 2, 3)]
    assert {(s["version"], s["commit"]) for s in seen} == {("two", repo["two"])}
