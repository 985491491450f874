"""A run never runs another project's code: joining a local platform that serves another
folder is refused (exit 2) naming both folders and the ways out, and a pipeline file the
workspace does not hold is named before anything starts or is recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.platform.process.instance import running_platform
from orchestrator.platform.process.service import stop_platform
from tests.helpers.cli import cli, write_manifest
from tests.helpers.runs import run_recorded

MANIFEST = """\
version: 1
name: ws
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: "j-{{ i }}"
    matrix: {i: [1, 2]}
    parameters: {SIM_OUTCOME: done, SIM_DURATION: "0.01"}
"""


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """A state dir whose local platform, if one is left running, is stopped at teardown."""
    path = tmp_path / "state"
    yield path
    info = running_platform(path)
    if info is not None:
        stop_platform(info)


def test_a_run_joining_a_platform_of_another_folder_exits_2_naming_both(
    tmp_path: Path, state: Path
) -> None:
    first, second = tmp_path / "project-a", tmp_path / "project-b"
    first.mkdir()
    second.mkdir()
    started = cli("platform", "start", "--state-dir", state, "--workspace", first)
    assert started.returncode == 0, started.stderr
    manifest = write_manifest(second, MANIFEST)

    for extra in ((), ("--detach",)):
        result = cli("run", manifest, "--state-dir", state, *extra)
        assert result.returncode == 2, result.stderr
        error = result.stderr.strip().splitlines()[-1]
        assert str(first.resolve()) in error
        assert str(second.resolve()) in error
        assert "state dir of its own" in error
        assert f"--workspace {second.resolve()}" in error
        assert "Traceback" not in result.stderr
        assert not run_recorded(state)  # nothing recorded, nothing submitted


def test_a_run_joining_a_platform_of_its_own_folder_uses_it(tmp_path: Path, state: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    started = cli("platform", "start", "--state-dir", state, "--workspace", project, "-o", "json")
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["workspace"] == str(project.resolve())
    status = cli("platform", "status", "--state-dir", state)
    assert f"workspace {project.resolve()}" in status.stdout
    manifest = write_manifest(project, MANIFEST.replace("SIM_OUTCOME: done, ", ""))
    (project / "ok.py").write_text("print('ok')\n")
    (project / "p.yaml").write_text(
        "pipeline: {name: p, tasks: [{name: t, type: py, py_path: ok.py}]}\n"
    )

    result = cli("run", manifest, "--state-dir", state, "-o", "json")

    assert result.returncode == 0, result.stderr
    assert "using the background service" in result.stderr


def test_a_pipeline_file_missing_from_the_workspace_is_named_before_anything_starts(
    tmp_path: Path, state: Path
) -> None:
    manifest = write_manifest(
        tmp_path,
        MANIFEST.replace("p.yaml}", "'pipelines/{{ i }}.yaml'}").replace(
            "i: [1, 2]", "i: [trian, train]"
        ),
    )
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "train.yaml").write_text("pipeline: {name: p, tasks: []}\n")

    result = cli("run", manifest, "--state-dir", state)

    assert result.returncode == 2, result.stderr
    error = result.stderr.strip().splitlines()[-1]
    assert "pipelines/trian.yaml" in error
    assert "pipelines/train.yaml" not in error
    assert str(tmp_path.resolve()) in error
    assert running_platform(state) is None  # no platform was started for it
    assert not run_recorded(state)
