"""A manifest names the git server its jobs run (``hyperplaneVCServer``): sent as the API's
connect by name, with ``branchName``/``commitId`` as given; the example sweep pins a commit."""

from __future__ import annotations

from pathlib import Path

import yaml

from orchestrator.manifest import load_manifest, manifest_json_schema

EXAMPLE = Path(__file__).resolve().parents[2] / "manifests" / "sweep-at-commit.yaml"


def test_the_example_sweep_runs_one_commit_of_a_named_server() -> None:
    jobs = list(load_manifest(EXAMPLE).jobs())
    assert len(jobs) == 12
    assert {job.fields["commitId"] for job in jobs} == {"9fceb02d0ae598e95dc970b74767f19372d61af8"}
    for job in jobs:
        assert job.fields["hyperplaneVCServer"] == {"connect": {"name": "models"}}
        assert job.fields["pipelineYamlPath"] == "pipelines/train.yaml"


def test_the_server_name_may_be_templated_and_the_schema_knows_it(tmp_path: Path) -> None:
    manifest = tmp_path / "m.yaml"
    (tmp_path / "p.yaml").write_text("pipeline: {name: p, tasks: []}\n")
    manifest.write_text(
        "version: 1\nname: t\ndefaults: {pipelineYamlPath: p.yaml}\n"
        "jobs: [{name: 'j{{ s }}', matrix: {s: [a, b]}, hyperplaneVCServer: 'git-{{ s }}'}]\n"
    )
    names = [
        job.fields["hyperplaneVCServer"]["connect"]["name"]
        for job in load_manifest(manifest).jobs()
    ]
    assert names == ["git-a", "git-b"]
    schema = manifest_json_schema()
    doc = yaml.load(EXAMPLE.read_text(), Loader=yaml.BaseLoader)
    assert set(doc["defaults"]) <= set(schema["properties"]["defaults"]["properties"])
    assert "hyperplaneVCServer" in schema["$defs"]["group"]["properties"]
