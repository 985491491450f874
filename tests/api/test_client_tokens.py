"""The client against a local platform whose token rotates (``platform serve --token-file``):
a refused request is sent again once with a refreshed token, creates included (a refused
create never executed), and a token refused after the refresh is one AuthenticationError that
names the token's source and shows no token."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.api import (
    AuthenticationError,
    CommandToken,
    FileToken,
    JobCreate,
    PlatformClient,
)
from orchestrator.platform.process.embedded import LocalPlatform

pytestmark = pytest.mark.integration


def write_token(path: Path, token: str) -> None:
    scratch = path.with_suffix(".tmp")
    scratch.write_text(token + "\n")
    os.replace(scratch, path)


def job(run: str, key: str) -> JobCreate:
    return JobCreate(
        fields={"pipelineYamlPath": "p.yaml", "maxRetries": 0},
        parameters={"ORCHESTRATOR_RUN": run, "ORCHESTRATOR_JOB": key},
    )


@pytest.fixture
def accepted(tmp_path: Path) -> Path:
    path = tmp_path / "accepted.token"
    write_token(path, secrets.token_urlsafe(16))
    return path


@pytest.fixture
def rotating(platform_factory: Callable[..., LocalPlatform], accepted: Path) -> LocalPlatform:
    return platform_factory(token_file=accepted, workers=1, sim_duration="60:60")


async def test_a_rotated_token_is_refreshed_and_a_refused_create_runs_once(
    rotating: LocalPlatform, accepted: Path
) -> None:
    run = f"run-{uuid.uuid4().hex[:8]}"
    source = FileToken(accepted)  # the same file the platform reads: always current
    async with PlatformClient(rotating.url, source) as client:
        await client.create_jobs([job(run, "before")])
        write_token(accepted, secrets.token_urlsafe(16))
        await client.create_jobs([job(run, "after")])  # refused, refreshed, sent again
        write_token(accepted, secrets.token_urlsafe(16))
        found = await client.find_jobs({"ORCHESTRATOR_RUN": run})
    keys = sorted(state.parameters["ORCHESTRATOR_JOB"] for state in found if state.parameters)
    assert keys == ["after", "before"]
    assert len(source.seen()) == 3


async def test_refused_after_refresh_names_the_source_and_hides_every_token(
    rotating: LocalPlatform, accepted: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "client.token"
    old, new = rotating.token, secrets.token_urlsafe(16)  # token: the file's at start
    write_token(mine, old)
    async with PlatformClient(rotating.url, FileToken(mine)) as client:
        await client.get_jobs(["x"])
        write_token(accepted, new)  # the platform moved on,
        stale = secrets.token_urlsafe(16)
        write_token(mine, stale)  # and the client's refresher got it wrong
        with pytest.raises(AuthenticationError) as caught:
            await client.get_jobs(["x"])
    message = str(caught.value)
    assert f"refused the token file {mine}, also after reading it again" in message
    for token in (old, stale, new):
        assert token not in message


async def test_a_source_caught_between_two_rotations_is_asked_again(
    rotating: LocalPlatform, accepted: Path, tmp_path: Path
) -> None:
    """The platform's token rotated twice in a row: the first refresh hands out the token of
    the rotation in between (refused too); while the source gives new tokens it is asked
    again, so the request goes through with the third."""
    old, between, new = rotating.token, secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    queue = tmp_path / "queue"  # the tokens the command prints, one per call; the last stays
    queue.write_text(f"{old}\n{between}\n{new}\n")
    script = tmp_path / "next-token.sh"
    script.write_text(
        f'head -n 1 "{queue}"\n'
        f'rest=$(tail -n +2 "{queue}")\n'
        f'if [ -n "$rest" ]; then printf "%s\\n" "$rest" > "{queue}"; fi\n'
    )
    source = CommandToken(f"sh {script}")
    async with PlatformClient(rotating.url, source) as client:
        await client.get_jobs(["x"])  # the first token: accepted
        write_token(accepted, new)  # rotated twice: between, then new
        await client.get_jobs(["x"])  # old refused, between refused, new accepted
    assert source.seen() == (old, between, new)


async def test_a_vanished_token_file_is_one_clear_error(
    rotating: LocalPlatform, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.token"
    async with PlatformClient(rotating.url, FileToken(missing)) as client:
        with pytest.raises(AuthenticationError, match=f"token file {missing} does not exist"):
            await client.create_jobs([job("r", "k")])
