"""Service commands take the token like every other command (--token, --token-file,
--token-command, a context), and ``platform status|stop`` find the token of a platform they
started themselves, in its state dir."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.platform.process.instance import running_platform
from orchestrator.platform.process.service import stop_platform
from tests.helpers.cli import cli


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """A state dir whose local platform, if one is left running, is stopped at teardown."""
    path = tmp_path / "state"
    yield path
    info = running_platform(path)
    if info is not None:
        stop_platform(info)


def start(state: Path, *token: str | Path) -> None:
    result = cli("platform", "start", "--state-dir", state, "--executor", "simulate", *token)
    assert result.returncode == 0, result.stderr


def test_a_platform_started_with_a_token_file_is_checked_and_stopped_without_one(
    tmp_path: Path, state: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("rotating-secret-1\n")
    start(state, "--token-file", token_file)

    status = cli("platform", "status", "--state-dir", state, "-o", "json")

    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["endpoint"] == running_platform(state).url  # type: ignore[union-attr]
    wrong = cli("platform", "status", "--state-dir", state, "--token", "not-it")
    assert wrong.returncode == 3
    assert "refused the token given" in wrong.stderr
    assert "not-it" not in wrong.stderr
    stopped = cli("platform", "stop", "--state-dir", state)
    assert stopped.returncode == 0, stopped.stderr
    assert running_platform(state) is None


def test_a_platform_started_with_a_token_keeps_it_in_its_state_dir(state: Path) -> None:
    start(state, "--token", "given-secret")

    assert cli("platform", "status", "--state-dir", state).returncode == 0
    by_command = f"{shlex.quote(sys.executable)} -c \"print('given-secret')\""
    checked = cli("platform", "status", "--state-dir", state, "--token-command", by_command)
    assert checked.returncode == 0, checked.stderr
    assert (state / "platform.token").stat().st_mode & 0o777 == 0o600
    assert cli("platform", "stop", "--state-dir", state).returncode == 0


def test_service_commands_take_the_token_of_a_context(tmp_path: Path, state: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("context-secret\n")
    start(state, "--token-file", token_file)
    (state / "platform.json").write_text(  # as a platform that did not say where its token is
        json.dumps({**json.loads((state / "platform.json").read_text()), "token_file": ""})
    )
    config = tmp_path / "config"
    (config / "orchestrator").mkdir(parents=True)
    (config / "orchestrator" / "config.yaml").write_text(
        f"current: local\ncontexts:\n  local: {{token_file: {token_file}}}\n"
    )
    env = {"XDG_CONFIG_HOME": str(config)}

    without = cli(
        "platform", "status", "--state-dir", state, env={"XDG_CONFIG_HOME": "/nonexistent"}
    )
    assert without.returncode == 3  # the state dir's own token is not the one it serves with
    status = cli("platform", "status", "--state-dir", state, env=env)
    assert status.returncode == 0, status.stderr
    stopped = cli("platform", "stop", "--state-dir", state, env=env)
    assert stopped.returncode == 0, stopped.stderr
