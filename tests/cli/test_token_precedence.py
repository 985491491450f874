"""Where the token comes from when several sources are set, as gh and kubectl decide: the
command line beats ORCHESTRATOR_TOKEN, which beats a context's token_*; two sources typed on
the command line together stay a usage error (exit 2, one line). No token is ever shown.
(A detached run keeps the source typed: tests/acceptance/test_run_tokens.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.core import ParameterSource

from orchestrator.cli.options import prevailing_tokens
from tests.helpers.cli import invoke, write_manifest

COMMANDLINE, ENVIRONMENT, DEFAULT_MAP = (
    ParameterSource.COMMANDLINE,
    ParameterSource.ENVIRONMENT,
    ParameterSource.DEFAULT_MAP,
)
EMPTY = {"token": None, "token_file": None, "token_command": None}
MANIFEST = """\
version: 1
name: det
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2]}
    parameters: {SIM_DURATION: "0"}
"""


@pytest.mark.parametrize(
    ("given", "sources", "kept"),
    [
        ({"token": "env", "token_file": "f"}, {"token": ENVIRONMENT, "token_file": COMMANDLINE},
         {"token_file": "f"}),
        ({"token": "env", "token_command": "c"},
         {"token": ENVIRONMENT, "token_command": DEFAULT_MAP}, {"token": "env"}),
        ({"token_file": "f", "token_command": "c"},
         {"token_file": COMMANDLINE, "token_command": DEFAULT_MAP}, {"token_file": "f"}),
        ({"token": "t", "token_file": "f"}, {"token": COMMANDLINE, "token_file": COMMANDLINE},
         {"token": "t", "token_file": "f"}),  # both kept: token_source refuses the pair
        ({"token_command": "c"}, {"token_command": DEFAULT_MAP}, {"token_command": "c"}),
        ({}, {}, {}),
    ],
)  # fmt: skip
def test_the_highest_level_set_prevails(
    given: dict[str, str], sources: dict[str, ParameterSource], kept: dict[str, str]
) -> None:
    values = {**EMPTY, **given, "state_dir": "s"}
    assert prevailing_tokens(values, sources) == {**EMPTY, **kept, "state_dir": "s"}


def stats(*args: str | Path, env: dict[str, str]) -> Any:
    return invoke("stats", "-o", "json", *args, env=env)


def assert_counted(result: Any) -> None:
    assert result.returncode == 0, result.stderr
    assert "TOTAL" in json.dumps(json.loads(result.stdout)["counts"])


def test_the_command_line_beats_the_environment_which_beats_the_context(
    platform: Any, tmp_path: Path
) -> None:
    good = tmp_path / "token"
    good.write_text(platform.token + "\n")
    wrong = "wrong-token-in-the-shell"
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "ORCHESTRATOR_TOKEN": wrong}
    endpoint = ("--endpoint", platform.url)

    # an exported token left in the shell: the source typed now wins
    assert_counted(stats(*endpoint, "--token-file", good, env=env))
    assert_counted(stats(*endpoint, "--token-command", f"cat {good}", env=env))
    assert_counted(stats(*endpoint, "--token", platform.token, env=env))
    refused = stats(*endpoint, env=env)  # nothing typed: the exported one is used
    assert refused.returncode == 3 and wrong not in refused.stdout + refused.stderr

    # a context's token source loses to the environment and to the command line
    made = invoke("config", "set-context", "ctx", *endpoint, "--token-command", "false", env=env)
    assert made.returncode == 0, made.stderr
    assert_counted(stats(env={**env, "ORCHESTRATOR_TOKEN": platform.token}))
    assert_counted(stats("--token-file", good, env=env))
    failing = stats(env={k: v for k, v in env.items() if k != "ORCHESTRATOR_TOKEN"})
    assert failing.returncode == 3 and "token command false failed" in failing.stderr

    # a view reading the server follows the same order
    runs = invoke("runs", *endpoint, "--token-file", good, "-o", "json", env=env)
    assert runs.returncode == 0, runs.stderr
    assert json.loads(runs.stdout) == []


def test_two_sources_typed_together_are_one_usage_error_line(platform: Any, tmp_path: Path) -> None:
    secret = "typed-secret-token"
    good = tmp_path / "token"
    good.write_text(platform.token + "\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    for command in (
        ["stats", "--endpoint", platform.url],
        ["status", "some-run", "--endpoint", platform.url],
    ):
        result = invoke(*command, "--token", secret, "--token-file", good, env=env)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith("error: ") and "choose one source of the token" in line
        assert secret not in result.stdout + result.stderr
    # --detach checks before a run is recorded (the background process would pick one)
    state = tmp_path / "state"
    manifest = write_manifest(tmp_path, MANIFEST)
    detached = invoke("run", manifest, "--endpoint", platform.url, "--state-dir", state, "--token",
                   secret, "--token-file", good, "--detach", env=env)  # fmt: skip
    assert detached.returncode == 2, detached.stderr
    assert "choose one source of the token" in detached.stderr
    listed = invoke("runs", "--state-dir", state, "-o", "json", env=env)
    assert listed.returncode == 0 and json.loads(listed.stdout or "[]") == []
    # with no endpoint, the error comes before an embedded platform is started for the run
    embedded = invoke("run", manifest, "--state-dir", state, "--token", secret, "--token-file",
                   good, env=env)  # fmt: skip
    assert embedded.returncode == 2, embedded.stderr
    (line,) = embedded.stderr.splitlines()
    assert "choose one source of the token" in line
