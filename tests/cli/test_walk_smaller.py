"""The smaller things a first week of use met (issue 22, item 7), each as a user sees it:
``plan -p``, ``jobs --status`` typos, the short ids ``jobs`` prints taken by ``params``,
``--where 'I in 20,21'`` without parentheses, a glob or file that names itself and its
folder, a hint to quote an unquoted cron schedule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.ops.where_terms import Op, parse_term
from tests.helpers.cli import cli, connection, write_manifest
from tests.helpers.runs import only_run_id

VARIABLES = """\
version: 1
name: v
variables: {lr: "0.1"}
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: "train-{{ lr }}"
    parameters: {LR: "{{ lr }}", SIM_OUTCOME: done, SIM_DURATION: "0.05"}
"""


def test_plan_takes_p_as_run_does(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, VARIABLES)
    (job,) = json.loads(cli("plan", manifest, "-p", "lr=0.5", "-o", "json").stdout)
    assert job["parameters"]["LR"] == "0.5"
    wrong = cli("plan", manifest, "--param", "nope=1")
    assert wrong.returncode == 2
    assert "the manifest declares no variable 'nope' (declared: lr)" in wrong.stderr


def test_jobs_refuses_an_unknown_status_and_suggests(tmp_path: Path) -> None:
    result = cli("jobs", "RUN", "--status", "faild", "--state-dir", tmp_path)
    assert result.returncode == 2
    assert "unknown status 'faild': did you mean 'failed'?" in result.stderr


@pytest.mark.integration
def test_params_take_the_short_id_jobs_prints(platform: Any, tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, VARIABLES)
    state = tmp_path / "state"
    assert cli("run", manifest, *connection(platform, state)).returncode == 0
    table = cli("jobs", only_run_id(state), "--state-dir", state).stdout.splitlines()
    short = table[1].split()[5]
    assert len(short) == 8
    listed = cli("params", "list", short, *connection(platform, state), "-o", "json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert data["job"].endswith(short) and len(data["job"]) == 36
    assert ("LR", "0.1") in [(p["key"], p["value"]) for p in data["parameters"]]


def test_where_in_takes_a_list_with_or_without_parentheses() -> None:
    assert parse_term("I in 20,21,22") == parse_term("I in (20,21,22)")
    assert parse_term("I in 20, 21").values == ("20", "21")
    assert parse_term("I in 20").op is Op.IN


BAD_SOURCES = """\
version: 1
name: s
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: "a-{{ f }}"
    matrix: {f: {glob: "data/*.csv"}}
  - name: "b-{{ g }}"
    matrix: {g: {file: "ids.txt"}}
"""


def test_a_glob_or_file_that_finds_nothing_names_itself_and_the_folder(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, BAD_SOURCES)
    result = cli("plan", manifest)
    assert result.returncode == 2
    folder = tmp_path.resolve()
    assert (
        f"glob 'data/*.csv' matches no file (patterns are relative to the manifest's folder,"
        f" {folder})" in result.stderr
    )
    assert (
        f"file ids.txt not found (paths are relative to the manifest's folder, {folder})"
        in result.stderr
    )


def test_an_unquoted_cron_schedule_gets_a_hint_to_quote_it(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        "version: 1\nname: c\ndefaults: {pipelineYamlPath: p.yaml}\n"
        "jobs:\n  - name: a\n    schedule: */5 * * * *\n",
    )
    result = cli("plan", manifest)
    assert result.returncode == 2
    assert "a value starting with '*' must be quoted: '*/5 * * * *'" in result.stderr
