"""The view commands (`runs`, `status`, `jobs`, `watch`, `logs`) and run-id completion honour a
context as `run` does: its state dir and its token source, never its endpoint (a view reads
the ledger unless --endpoint / ORCHESTRATOR_VIEW_ENDPOINT says otherwise)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers.cli import invoke, last_json, write_manifest

MANIFEST = """\
version: 1
name: ctx
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2]}
    parameters: {SIM_DURATION: "0"}
"""
UNREACHABLE = "http://127.0.0.1:9/graphql"  # the discard port: nothing answers there


def one_error_line(result: Any) -> str:
    """The only line on stderr, after checking no traceback slipped through."""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    return str(line)


def test_view_commands_read_the_state_dir_of_the_context_that_ran(
    platform: Any, tmp_path: Path
) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    token_file = tmp_path / "token"
    token_file.write_text(platform.token + "\n")
    state = tmp_path / "state"
    made = invoke("config", "set-context", "served", "--endpoint", platform.url, "--token-file",
               token_file, "--state-dir", state, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    ran = invoke("run", write_manifest(tmp_path, MANIFEST), "-o", "json", env=env)
    assert ran.returncode == 0, ran.stderr
    run_id = last_json(ran.stdout)["run"]

    listed = invoke("runs", "-o", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [r["run"] for r in json.loads(listed.stdout)] == [run_id]
    status = invoke("status", run_id[:15], "-o", "json", env=env)
    assert status.returncode == 0, status.stderr
    shown = last_json(status.stdout)
    assert shown["done"] == 2 and shown["manifest"] is not None  # the ledger's view
    jobs = invoke("jobs", run_id, "-o", "json", env=env)
    assert jobs.returncode == 0, jobs.stderr
    assert sorted(j["status"] for j in json.loads(jobs.stdout)) == ["done", "done"]
    watched = invoke("watch", run_id, "-o", "json", env=env)
    assert watched.returncode == 0, watched.stderr
    assert last_json(watched.stdout)["done"] == 2

    # logs reads from the endpoint the run recorded, with the context's token file
    key = json.loads(jobs.stdout)[0]["key"]
    logs = invoke("logs", run_id, key, env=env)
    assert logs.returncode in (0, 1), logs.stderr  # a simulated job may have no log
    assert "Traceback" not in logs.stderr and "refused" not in logs.stderr


def test_a_context_endpoint_never_turns_a_view_into_a_server_read(
    platform: Any, tmp_path: Path
) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    token_file = tmp_path / "token"
    token_file.write_text(platform.token + "\n")
    bad_file = tmp_path / "bad-token"
    bad_file.write_text("wrong\n")
    state = tmp_path / "state"
    ran = invoke("run", write_manifest(tmp_path, MANIFEST), "--endpoint", platform.url,
              "--token-file", token_file, "--state-dir", state, "-o", "json", env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    run_id = last_json(ran.stdout)["run"]
    for name, endpoint, source in (
        ("away", UNREACHABLE, token_file),
        ("good", platform.url, token_file),
        ("bad", platform.url, bad_file),
    ):
        made = invoke("config", "set-context", name, "--endpoint", endpoint, "--token-file",
                   source, "--state-dir", state, env=env)  # fmt: skip
        assert made.returncode == 0, made.stderr

    # the current context ("away", saved first) points at nothing: views read the ledger
    assert invoke("status", run_id, env=env).returncode == 0
    by_name = invoke("runs", "--context", "away", "-o", "json", env=env)
    assert [r["run"] for r in json.loads(by_name.stdout)] == [run_id]
    by_env = invoke("jobs", run_id, "-o", "json", env={**env, "ORCHESTRATOR_CONTEXT": "away"})
    assert by_env.returncode == 0, by_env.stderr

    # --endpoint reads the server, with the context's token source
    served = invoke("status", run_id, "--endpoint", platform.url, "--context", "good", "-o",
                 "json", env=env)  # fmt: skip
    assert served.returncode == 0, served.stderr
    assert last_json(served.stdout)["manifest"] is None  # rebuilt from the server's labels
    refused = invoke("status", run_id, "--endpoint", platform.url, "--context", "bad", env=env)
    assert refused.returncode == 3
    assert one_error_line(refused).startswith("error: ") and "wrong" not in refused.stderr
    # logs asks the run's recorded endpoint, with the chosen context's token
    key = json.loads(by_env.stdout)[0]["key"]
    logs = invoke("logs", run_id, key, "--context", "bad", env=env)
    assert logs.returncode == 3, logs.stderr
    assert "wrong" not in logs.stdout + logs.stderr and platform.token not in logs.stderr

    unknown = invoke("status", run_id, "--context", "nope", env=env)
    assert unknown.returncode == 2 and "no context 'nope'" in unknown.stderr


def test_run_ids_complete_from_the_state_dir_of_the_context(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    state = tmp_path / "state"
    made = invoke("config", "set-context", "here", "--state-dir", state, env=env)
    assert made.returncode == 0, made.stderr
    ran = invoke("run", write_manifest(tmp_path, MANIFEST), "--executor", "simulate", "-o", "json",
              env=env)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    run_id = last_json(ran.stdout)["run"]
    for command in ("status", "logs", "resume"):
        completing = {
            **env,
            "_ORCHESTRATOR_COMPLETE": "bash_complete",
            "COMP_WORDS": f"orchestrator {command} {run_id[:4]}",
            "COMP_CWORD": "2",
        }
        offered = invoke(env=completing)
        assert f"plain,{run_id}" in offered.stdout.splitlines(), (command, offered.stderr)
