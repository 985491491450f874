"""Long runs outlive their tokens: the local platform (``--token-file``) rotates the token it
accepts in the middle of a 2,000-job simulated run; a run fed by ``--token-command`` or
``--token-file`` refreshes and ends with every attempt exactly once on the server (counted by
identity labels); a run with a static token stops resumably (exit 3) and ``resume`` with the
new token finishes it; a detached run keeps the token source typed over an exported token.
No token ever shows in output, logs or the ledger. (Token errors, in process:
tests/cli/test_run_token_errors.py.)"""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path
from typing import Any

import anyio

from orchestrator.api import FileToken, PlatformClient
from orchestrator.engine.events import EXIT_PLATFORM
from orchestrator.model import JobStatus
from tests.helpers.cli import cli, last_json, spawn_cli, write_manifest
from tests.helpers.runs import attempt_counts, only_run_id, server_jobs
from tests.helpers.wait import wait_for

JOBS = 2000
MANIFEST = """\
version: 1
name: rotating
defaults: {{pipelineYamlPath: p.yaml, timeout: 600}}
jobs:
  - name: "j-{{{{ i }}}}"
    matrix: {{i: {{range: [{jobs}]}}}}
    parameters: {{SIM_OUTCOME: done, SIM_DURATION: "0.01"}}
policy:
  maxInFlight: 200
"""


def write_token(path: Path, token: str) -> None:
    """Replace the file's token atomically (a reader never sees half a token)."""
    scratch = path.with_suffix(".tmp")
    scratch.write_text(token + "\n")
    os.chmod(scratch, 0o600)
    os.replace(scratch, path)


def done_on_server(platform: Any, accepted: Path) -> int:
    """Jobs done on the platform, asked with whatever token it accepts right now."""

    async def count() -> int:
        async with PlatformClient(platform.url, FileToken(accepted)) as client:
            return await client.count_jobs(statuses=[JobStatus.DONE])

    return anyio.run(count)


class Rotation:
    """A platform whose accepted token lives in a file, rotated by the test."""

    def __init__(self, platform_factory: Any, tmp_path: Path) -> None:
        self.accepted = tmp_path / "accepted.token"
        self.tokens = [secrets.token_urlsafe(24)]
        write_token(self.accepted, self.tokens[0])
        self.platform = platform_factory(
            token_file=self.accepted, workers=200, sim_duration="0.01:0.02"
        )

    def rotate(self, *client_files: Path) -> str:
        """A new token: the client's source first, then the platform (a client refused
        afterwards always finds the new one)."""
        token = secrets.token_urlsafe(24)
        self.tokens.append(token)
        for path in client_files:
            write_token(path, token)
        write_token(self.accepted, token)
        return token

    def rotate_during(self, process: subprocess.Popen[str], times: int, *files: Path) -> int:
        """Rotate ``times`` times, spread over the run by the count of jobs done."""
        rotated = 0
        for share in range(1, times + 1):
            threshold = JOBS * share // (times + 2)
            wait_for(
                lambda t=threshold: (
                    process.poll() is not None or done_on_server(self.platform, self.accepted) >= t
                ),
                timeout=300,
                what=f"{threshold} jobs done",
            )
            if process.poll() is not None:
                break
            self.rotate(*files)
            rotated += 1
        return rotated

    def assert_secret_free(self, *texts: str, state: Path) -> None:
        blobs = [text.encode() for text in texts]
        blobs += [p.read_bytes() for p in state.rglob("*") if p.is_file()]
        for token in self.tokens:
            assert all(token.encode() not in blob for blob in blobs)


def assert_exact(platform: Any, token: str, run_id: str, jobs: int) -> None:
    found = server_jobs(platform.url, token, run_id)
    counts = attempt_counts(found)
    assert len(found) == jobs
    assert len(counts) == jobs and set(counts.values()) == {1}
    assert {job.status for job in found} == {JobStatus.DONE}


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=600)
    return process.returncode, stdout, stderr


def run_through_rotations(
    rotation: Rotation, tmp_path: Path, source: list[Any], kept_current: Path
) -> None:
    """A run whose token comes from ``source`` (options) while the platform's accepted token
    is rotated three times (``kept_current`` follows it): every attempt exactly once."""
    manifest = write_manifest(tmp_path, MANIFEST.format(jobs=JOBS))
    state = tmp_path / "state"
    process = spawn_cli(
        "run",
        manifest,
        "--endpoint",
        rotation.platform.url,
        *source,
        "--state-dir",
        state,
        "--output",
        "json",
        "--log-level",
        "info",
    )
    rotated = rotation.rotate_during(process, 3, kept_current)
    code, stdout, stderr = finish(process)
    assert rotated == 3, stderr
    assert code == 0, stderr
    summary = last_json(stdout)
    assert (summary["done"], summary["attempts"], summary["retried"]) == (JOBS, JOBS, 0)
    assert "error" not in stderr
    assert "platform_token_refreshed" in stderr  # refused, refreshed, sent again
    assert_exact(rotation.platform, rotation.tokens[-1], summary["run"], JOBS)
    rotation.assert_secret_free(stdout, stderr, state=state)


def test_token_command_survives_three_rotations(platform_factory: Any, tmp_path: Path) -> None:
    rotation = Rotation(platform_factory, tmp_path)
    current = tmp_path / "current.token"
    write_token(current, rotation.tokens[0])
    script = tmp_path / "print-token.sh"
    calls = tmp_path / "calls"
    script.write_text(f'echo call >> "{calls}"\ncat "{current}"\n')
    run_through_rotations(rotation, tmp_path, ["--token-command", f"sh {script}"], current)
    assert len(calls.read_text().splitlines()) >= 1 + 3  # the first token, then each refresh


def test_token_file_kept_current_survives_three_rotations(
    platform_factory: Any, tmp_path: Path
) -> None:
    rotation = Rotation(platform_factory, tmp_path)
    mine = tmp_path / "client.token"
    write_token(mine, rotation.tokens[0])
    run_through_rotations(rotation, tmp_path, ["--token-file", mine], mine)


def test_static_token_stops_resumably_and_resume_with_the_new_one_finishes(
    platform_factory: Any, tmp_path: Path
) -> None:
    jobs = 600
    rotation = Rotation(platform_factory, tmp_path)
    manifest = write_manifest(tmp_path, MANIFEST.format(jobs=jobs))
    state = tmp_path / "state"
    process = spawn_cli(
        "run",
        manifest,
        "--endpoint",
        rotation.platform.url,
        "--token",
        rotation.tokens[0],
        "--state-dir",
        state,
        "--output",
        "json",
    )
    wait_for(
        lambda: (
            process.poll() is not None or done_on_server(rotation.platform, rotation.accepted) >= 50
        ),
        timeout=300,
        what="first jobs done",
    )
    assert process.poll() is None, "the run ended before the rotation"
    new = rotation.rotate()
    code, stdout, stderr = finish(process)
    assert code == EXIT_PLATFORM, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    run_id = only_run_id(state)
    assert "token from --token or ORCHESTRATOR_TOKEN" in errors[0]
    assert f"orchestrator resume {run_id} --state-dir {state}" in errors[0]
    first = last_json(stdout)
    assert first["failed"] == first["retried"] == 0  # no job failed, no retry spent

    resumed = cli(
        "resume",
        run_id,
        "--endpoint",
        rotation.platform.url,
        "--state-dir",
        state,
        "--output",
        "json",
        env={"ORCHESTRATOR_TOKEN": new},
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr
    summary = last_json(resumed.stdout)
    assert (summary["done"], summary["attempts"], summary["retried"]) == (jobs, jobs, 0)
    assert_exact(rotation.platform, new, run_id, jobs)
    rotation.assert_secret_free(stdout, stderr, resumed.stdout, resumed.stderr, state=state)


def test_a_detached_run_keeps_the_source_typed_over_an_exported_token(
    platform: Any, tmp_path: Path
) -> None:
    # the background resume inherits the environment and gets --token-file on its argv:
    # the same precedence must pick the file there too
    good = tmp_path / "token"
    good.write_text(platform.token + "\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "ORCHESTRATOR_TOKEN": "stale"}
    state = tmp_path / "state"
    manifest = write_manifest(tmp_path, MANIFEST.format(jobs=2))
    where = ("--endpoint", platform.url, "--state-dir", state)
    started = cli("run", manifest, *where, "--token-file", good, "--detach", env=env)
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.strip()
    watched = cli("watch", run_id, "--state-dir", state, "-o", "json", env=env)
    assert watched.returncode == 0, watched.stderr
    assert last_json(watched.stdout)["done"] == 2
