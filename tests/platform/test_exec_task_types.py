"""Every task-type spelling the hosted docs list, and ``working_dir`` at pipeline and task
level, on the local executor: real processes on a real platform (HTTP, temp SQLite)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from job_client import JobClient, write

from orchestrator.platform.executor.pipeline import TASK_TYPE_SPELLINGS, TaskType
from orchestrator.platform.process.embedded import LocalPlatform

pytestmark = pytest.mark.integration

PlatformFactory = Callable[..., LocalPlatform]

MARK_PY = """\
import os, pathlib
name = os.environ["MARK"]
pathlib.Path(os.environ["HYPERPLANE_JOB_PARAMETER_ROOT"], "out", name).write_text(os.getcwd())
"""
MARK_SH = 'printf %s "$PWD" > "$HYPERPLANE_JOB_PARAMETER_ROOT/out/$MARK"\n'
MARK_JS = """\
const fs = require("fs");
fs.writeFileSync(process.env.HYPERPLANE_JOB_PARAMETER_ROOT + "/out/" + process.env.MARK,
                 process.cwd());
"""


def _notebook(mark: str) -> str:
    source = (
        "import os, pathlib\n"
        f"pathlib.Path(os.environ['HYPERPLANE_JOB_PARAMETER_ROOT'], 'out', {mark!r})"
        ".write_text(os.getcwd())"
    )
    cell = {"cell_type": "code", "metadata": {}, "source": source, "outputs": []}
    cell["execution_count"] = None
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    metadata = {"kernelspec": kernel, "language_info": {"name": "python"}}
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": [cell]})


def _task(index: int, spelling: str) -> str:
    """One task of the spelling's type, in an odd case; it writes out/<mark>."""
    mark = f"t{index}"
    odd_case = spelling.upper() if index % 2 else spelling.title()
    kind = TASK_TYPE_SPELLINGS[spelling]
    if kind is TaskType.JUPYTER_NOTEBOOK:
        body = f"notebook_path: nb/{mark}.ipynb, notebook_output_path: out/nb/{mark}.ipynb"
    elif kind is TaskType.JS_SCRIPT:
        body = f"js_path: scripts/{mark}.js"
    elif kind is TaskType.BASH_SCRIPT:
        body = f"bash_script_path: scripts/{mark}.sh"
    else:
        body = f"py_path: scripts/{mark}.py"
    return f'    - {{name: {mark}, type: "{odd_case}", {body}}}\n'


def test_every_documented_spelling_runs(platform_factory: PlatformFactory, tmp_path: Path) -> None:
    pytest.importorskip("papermill")
    workspace = tmp_path / "workspace"
    spellings = list(TASK_TYPE_SPELLINGS)
    tasks = ""
    for index, spelling in enumerate(spellings):
        mark = f"t{index}"
        kind = TASK_TYPE_SPELLINGS[spelling]
        if kind is TaskType.JUPYTER_NOTEBOOK:
            write(workspace, f"nb/{mark}.ipynb", _notebook(mark))
        elif kind is TaskType.JS_SCRIPT:
            write(workspace, f"scripts/{mark}.js", MARK_JS.replace("process.env.MARK", f"'{mark}'"))
        elif kind is TaskType.BASH_SCRIPT:
            write(workspace, f"scripts/{mark}.sh", MARK_SH.replace("$MARK", mark))
        else:
            write(
                workspace, f"scripts/{mark}.py", MARK_PY.replace('os.environ["MARK"]', f"{mark!r}")
            )
        tasks += _task(index, spelling)
    write(workspace, "spellings.yaml", "pipeline:\n  name: spellings\n  tasks:\n" + tasks)
    (workspace / "out").mkdir()
    client = JobClient(platform_factory(executor="local", workers=1))
    job = client.final(client.create("spellings.yaml", {"ROOT": str(workspace)}), within=180)
    assert job["status"] == "done", (job, client.log(job)[-3000:])
    for index, spelling in enumerate(spellings):
        ran_in = (workspace / "out" / f"t{index}").read_text()
        assert ran_in == str(workspace.resolve()), spelling  # default: the root


def test_an_unknown_type_fails_the_job_naming_the_known_ones(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "a.py", "")
    write(
        workspace, "p.yaml", "pipeline: {name: p, tasks: [{name: a, type: cobol, py_path: a.py}]}"
    )
    client = JobClient(platform_factory(executor="local", workers=1))
    job = client.final(client.create("p.yaml"))
    assert job["status"] == "failed"
    assert "unknown type 'cobol'" in job["statusReason"]
    for spelling in ("python script", "javascript", "ipynb", "vs code notebook", "sh"):
        assert f'"{spelling}"' in job["statusReason"]


WORKING_DIRS = """\
pipeline:
  name: dirs
  working_dir: data/in
  tasks:
    - {name: inherits, type: python, py_path: tools/cwd.py}
    - {name: own, type: python, py_path: tools/cwd.py, working_dir: data/out}
    - {name: root, type: bash, bash_script_path: tools/cwd.sh, working_dir: .}
"""


def test_working_dir_at_pipeline_and_task_level(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "tools/cwd.py", "import os\nprint('cwd of', os.environ['T'], os.getcwd())\n")
    write(workspace, "tools/cwd.sh", 'echo "cwd of sh $PWD"\n')
    (workspace / "data" / "in").mkdir(parents=True)
    (workspace / "data" / "out").mkdir(parents=True)
    write(workspace, "dirs.yaml", WORKING_DIRS)
    client = JobClient(platform_factory(executor="local", workers=1))
    job = client.final(client.create("dirs.yaml", {"T": "task"}))
    log = client.log(job)
    assert job["status"] == "done", (job, log)
    root = workspace.resolve()
    lines = [line for line in log.splitlines() if line.startswith("cwd of")]
    assert lines == [
        f"cwd of task {root / 'data' / 'in'}",
        f"cwd of task {root / 'data' / 'out'}",
        f"cwd of sh {root}",
    ]


@pytest.mark.parametrize(
    ("working_dir", "reason"),
    [
        ("/etc", "leaves the workspace"),
        ("../..", "leaves the workspace"),
        ("escape", "leaves the workspace"),  # a symlink to a folder outside
        ("missing", "not found"),
        ("tools/cwd.py", "not a directory"),
    ],
)
def test_a_working_dir_outside_the_code_root_fails_the_job(
    platform_factory: PlatformFactory, tmp_path: Path, working_dir: str, reason: str
) -> None:
    workspace = tmp_path / "workspace"
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    write(outside, "flag.py", "")
    if not (workspace / "escape").is_symlink():
        workspace.mkdir(exist_ok=True)
        os.symlink(outside, workspace / "escape")
    write(workspace, "tools/cwd.py", "open('ran', 'w')\n")
    task = f'{{name: a, type: py, py_path: tools/cwd.py, working_dir: "{working_dir}"}}'
    pipeline = f"pipeline: {{name: p, tasks: [{task}]}}"
    write(workspace, "p.yaml", pipeline)
    client = JobClient(platform_factory(executor="local", workers=1))
    job = client.final(client.create("p.yaml"))
    assert job["status"] == "failed"
    assert "working_dir" in job["statusReason"] and reason in job["statusReason"]
    assert not list(tmp_path.rglob("ran"))


def test_the_platforms_own_files_are_no_working_dir(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    write(workspace, "a.py", "")
    state = workspace / ".state"
    write(
        workspace,
        "p.yaml",
        "pipeline: {name: p, working_dir: .state/logs,"
        " tasks: [{name: a, type: py, py_path: a.py}]}",
    )
    platform = platform_factory(executor="local", workers=1, state_dir=state)
    client = JobClient(platform)
    job = client.final(client.create("p.yaml"))
    assert job["status"] == "failed"
    assert "platform's own files" in job["statusReason"]
