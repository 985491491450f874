"""Overrides given to a detached run (``-p``) are recorded with it and used by the background
resume that drives it: a real background process, watched to its end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.ledger import Ledger
from tests.helpers.cli import cli, connection, last_json, write_manifest

BODY = """\
version: 1
name: small
defaults: {pipelineYamlPath: p.yaml, timeout: 60}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.05"}
policy: {maxInFlight: 50}
"""

VARIABLES = BODY.replace("name: small\n", "name: small\nvariables: {outcome: failed}\n").replace(
    "SIM_OUTCOME: done", 'SIM_OUTCOME: "{{ outcome }}"'
)


def test_params_are_recorded_and_a_detached_resume_uses_them(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, VARIABLES)
    state = tmp_path / "state"
    detached = cli("run", manifest, *connection(platform, state), "-p", "outcome=done", "--detach")
    assert detached.returncode == 0, detached.stderr
    run_id = detached.stdout.strip()
    watched = cli("watch", run_id, "--state-dir", state, "-o", "json")
    assert watched.returncode == 0, watched.stdout + watched.stderr  # every job done, not failed
    assert last_json(watched.stdout)["done"] == 2
    with Ledger(state) as ledger:
        assert ledger.get_run(run_id).variables == {"outcome": "done"}
    unknown = cli("run", manifest, "--state-dir", tmp_path / "s2", "-p", "outcome2=x")
    assert unknown.returncode == 2
    assert "no variable 'outcome2'" in unknown.stderr
