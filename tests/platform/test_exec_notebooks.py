"""A "jupyter notebook" task for real: papermill runs the notebook on an ipykernel, the
job's parameters injected after the cell tagged ``parameters``, the executed copy written to
``notebook_output_path``, and ``outputNotebooksPath`` returned."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from orchestrator.platform.process.embedded import LocalPlatform
from tests.helpers.api import PlatformFactory

pytest.importorskip("papermill")
pytest.importorskip("ipykernel")
pytestmark = pytest.mark.integration


CREATE = """
mutation ($fileId: String!) {
  createPipelineJob(data: {
    pipelineYamlPath: "notebook.yaml"
    parameters: {create: [{key: "FILE_ID", value: $fileId}]}
  }) { id }
}
"""
GET = """query ($id: String!) {
  pipelineJob(where: {id: $id}) { status statusReason output outputNotebooksPath } }"""
PIPELINE = """\
pipeline:
  name: notebook
  tasks:
    - name: analysis
      type: jupyter notebook
      notebook_path: nb/analysis.ipynb
      notebook_output_path: out/analysis.ipynb
"""


def _cell(source: str, tags: list[str] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": tags or []},
        "outputs": [],
        "source": source,
    }


NOTEBOOK = {
    "nbformat": 4,
    "nbformat_minor": 5,
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    },
    "cells": [
        _cell('FILE_ID = "0"', ["parameters"]),
        _cell(
            "import pathlib\n"
            'pathlib.Path("nb-result.txt").write_text(f"file {FILE_ID}")\n'
            'print("processed", FILE_ID)'
        ),
    ],
}


def _call(platform: LocalPlatform, document: str, variables: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        platform.url,
        data=json.dumps({"query": document, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {platform.token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.load(response)
    assert not body.get("errors"), body["errors"]
    return body["data"]


def test_a_notebook_task_runs_end_to_end(platform_factory: PlatformFactory, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    (workspace / "nb").mkdir(parents=True)
    (workspace / "nb" / "analysis.ipynb").write_text(json.dumps(NOTEBOOK))
    (workspace / "notebook.yaml").write_text(PIPELINE)
    platform = platform_factory(executor="local", workers=1)
    job_id = _call(platform, CREATE, {"fileId": "42"})["createPipelineJob"]["id"]
    deadline = time.monotonic() + 110
    while True:
        job = _call(platform, GET, {"id": job_id})["pipelineJob"]
        if job["status"] not in ("pending", "in progress"):
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
    log = Path(job["output"]).read_text() if job["output"] else ""
    assert job["status"] == "done", (job, log[-3000:])
    output = workspace / "out" / "analysis.ipynb"
    assert job["outputNotebooksPath"] == str(output.resolve())
    assert (workspace / "nb-result.txt").read_text() == "file 42"
    cells = json.loads(output.read_text())["cells"]
    tags = [cell["metadata"].get("tags", []) for cell in cells]
    assert tags[0] == ["parameters"] and tags[1] == ["injected-parameters"]
    assert 'FILE_ID = "42"' in "".join(cells[1]["source"])
    printed = "".join(
        "".join(out.get("text", "")) for cell in cells for out in cell.get("outputs", [])
    )
    assert "processed 42" in printed
