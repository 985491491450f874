"""Top-level ``variables``: values every template may use, overridable with ``run -p``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.manifest import ManifestError, load_manifest

BODY = """\
version: 1
name: vv
variables: {lr: "0.1", epochs: 3}
defaults: {pipelineYamlPath: p.yaml}
jobs:
  - name: "train-{{ model }}-{{ lr }}"
    matrix: {model: [a, b]}
    parameters: {LR: "{{ lr }}", EPOCHS: "{{ epochs }}"}
"""


def test_variables_reach_every_template_and_overrides_replace_them(
    write: Callable[..., Path],
) -> None:
    path = write(BODY)
    plain = list(load_manifest(path).jobs())
    assert [(j.name, j.parameters["LR"], j.parameters["EPOCHS"]) for j in plain] == [
        ("vv-train-a-0.1", "0.1", "3"),
        ("vv-train-b-0.1", "0.1", "3"),
    ]
    changed = load_manifest(path, overrides={"lr": "0.5"})
    jobs = list(changed.jobs())
    assert [j.parameters["LR"] for j in jobs] == ["0.5", "0.5"]
    assert [j.key for j in jobs] == [j.key for j in plain]  # keys come from the matrix only
    assert changed.overrides == {"lr": "0.5"}
    assert changed.digest == load_manifest(path).digest


def test_an_override_must_name_a_declared_variable(write: Callable[..., Path]) -> None:
    with pytest.raises(ManifestError, match=r"no variable 'lrr' .*did you mean lr"):
        load_manifest(write(BODY), overrides={"lrr": "1"})


def test_variable_names_and_values_are_checked(write: Callable[..., Path]) -> None:
    body = BODY.replace('{lr: "0.1", epochs: 3}', "{index: 1, lr: [1, 2], epochs: 3}")
    with pytest.raises(ManifestError) as error:
        load_manifest(write(body))
    text = str(error.value)
    assert "'index' is a built-in variable" in text
    assert "variables.lr must be a string, number or boolean" in text
