"""Named contexts: a token file, --context / ORCHESTRATOR_CONTEXT / config use, the token
masked in config view and never written to the file."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from orchestrator.cli.contexts import Context, context_defaults
from tests.helpers.cli import invoke


def stats_total(result: Any) -> int:
    assert result.returncode == 0, result.stderr
    return int(json.loads(result.stdout)["counts"]["ALL"]["TOTAL"])


def test_contexts_with_a_token_file_reach_the_platform(platform: Any, tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    token_file = tmp_path / "token"
    token_file.write_text(platform.token + "\n")
    bad_file = tmp_path / "bad-token"
    bad_file.write_text("wrong\n")
    state = tmp_path / "state"
    made = invoke("config", "set-context", "local", "--endpoint", platform.url, "--token-file",
               token_file, "--state-dir", state, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    invoke("config", "set-context", "bad", "--endpoint", platform.url, "--token-file", bad_file,
        env=env)  # fmt: skip
    path = tmp_path / "config" / "orchestrator" / "config.yaml"
    assert platform.token not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    assert stats_total(invoke("stats", "--context", "local", "-o", "json", env=env)) == 0
    by_env = invoke("stats", "-o", "json", env={**env, "ORCHESTRATOR_CONTEXT": "local"})
    assert stats_total(by_env) == 0
    refused = invoke("stats", "--context", "bad", env=env)
    assert refused.returncode == 3 and refused.stderr.count("\n") == 1
    assert "wrong" not in refused.stderr

    current = invoke("stats", "-o", "json", env=env)  # the first context saved is current
    assert stats_total(current) == 0
    assert invoke("config", "use", "bad", env=env).returncode == 0
    assert invoke("stats", env=env).returncode == 3
    assert invoke("config", "use", "nope", env=env).returncode == 2

    view = invoke("config", "view", "-o", "json", env=env)
    assert platform.token not in view.stdout and "wrong" not in view.stdout
    body = json.loads(view.stdout)
    assert body["current"] == "bad"
    assert body["contexts"]["local"]["token"].startswith("***")
    assert body["contexts"]["local"]["state_dir"] == str(state)
    unknown = invoke("stats", "--context", "nope", env=env)
    assert unknown.returncode == 2 and "no context 'nope'" in unknown.stderr


def test_a_config_file_holding_a_token_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orchestrator" / "config.yaml"
    path.parent.mkdir()
    path.write_text("contexts:\n  x: {endpoint: 'http://h/graphql', token: s3cret}\n")
    result = invoke("stats", "--context", "x", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert result.returncode == 2 and "holds a token" in result.stderr
    assert "s3cret" not in result.stderr


def test_context_defaults_hand_token_files_and_commands_to_the_token_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tmp_path / "t"
    token.write_text("abc\n")
    context = Context(endpoint="http://h/graphql", token_file=str(token), state_dir="/s")
    options = {"endpoint", "token", "token_file", "token_command", "state_dir"}
    defaults = context_defaults(context, options)
    assert defaults == {
        "endpoint": "http://h/graphql",
        "token_file": token,
        "state_dir": Path("/s"),
    }
    assert "abc" not in repr(defaults)  # the file is read by the token source, when needed
    command = context_defaults(Context(token_command="my-idp token"), options)
    assert command == {"token_command": "my-idp token"}
    monkeypatch.setenv("MY_TOKEN", "from-env")
    assert context_defaults(Context(token_env="MY_TOKEN"), options) == {"token": "from-env"}
