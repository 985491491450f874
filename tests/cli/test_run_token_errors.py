"""A token that cannot be had or is refused: one line on stderr and exit 3, checked before a
run is recorded, the token never shown; two sources typed together: a usage error."""

from __future__ import annotations

import json
import secrets
import subprocess
from pathlib import Path
from typing import Any

import pytest

from orchestrator.engine.events import EXIT_PLATFORM
from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.cli import invoke, write_manifest

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


# one xdist worker runs this module (make test: --dist loadgroup): one shared platform
pytestmark = pytest.mark.xdist_group("run-token-errors")


@pytest.fixture
def platform(shared_platform: LocalPlatform) -> LocalPlatform:
    """One platform for the module: each test finds its jobs by its own run's label."""
    return shared_platform


def stderr_errors(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The error lines (log lines aside), after checking no traceback slipped through."""
    assert "Traceback" not in result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("error")]


def test_failing_token_command_or_missing_file_is_one_line_and_exit_3(
    platform: Any, tmp_path: Path
) -> None:
    manifest = write_manifest(tmp_path, MANIFEST.format(jobs=3))
    failing = f"sh -c 'echo {platform.token}; exit 7'"  # prints a token, yet fails
    cases = [
        (["--token-command", failing], "token command sh failed with exit status 7"),
        (["--token-command", "sh -c 'echo'"], "token command sh printed no token (empty)"),
        (["--token-file", str(tmp_path / "gone")], f"token file {tmp_path / 'gone'} does not"),
    ]
    for number, (source, expected) in enumerate(cases):
        state = tmp_path / f"state-{number}"
        endpoint = ["--endpoint", platform.url, "--state-dir", str(state)]
        result = invoke("run", manifest, *endpoint, *source, "--output", "json")
        assert result.returncode == EXIT_PLATFORM, result.stderr
        (line,) = stderr_errors(result)
        assert line.startswith("error: ") and expected in line
        listed = invoke("runs", "--state-dir", state, "-o", "json")  # checked before recording
        assert listed.returncode == 0 and json.loads(listed.stdout or "[]") == []
        assert platform.token not in result.stdout + result.stderr
        cancel = invoke("cancel", "--where", "a=b", "--yes", *endpoint, *source)
        assert cancel.returncode == EXIT_PLATFORM, cancel.stderr
        (line,) = stderr_errors(cancel)
        assert line.startswith("error: ") and expected in line
        assert platform.token not in cancel.stdout + cancel.stderr


def test_refused_static_token_on_cancel_is_one_line_and_exit_3(
    platform: Any, tmp_path: Path
) -> None:
    wrong = secrets.token_urlsafe(16)
    endpoint = ["--endpoint", platform.url, "--state-dir", str(tmp_path / "state")]
    result = invoke("cancel", "--where", "a=b", "--yes", *endpoint, "--token", wrong)
    assert result.returncode == EXIT_PLATFORM, result.stderr
    (line,) = stderr_errors(result)
    assert "refused the token from --token or ORCHESTRATOR_TOKEN" in line
    assert wrong not in result.stderr + result.stdout


def test_two_sources_of_the_token_are_a_usage_error(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, MANIFEST.format(jobs=1))
    endpoint = ["--endpoint", platform.url, "--state-dir", str(tmp_path / "state")]
    result = invoke("run", manifest, *endpoint, "--token", "x", "--token-command", "get-token")
    assert result.returncode == 2
    assert "choose one source of the token" in result.stderr
