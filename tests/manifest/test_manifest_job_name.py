"""jobName (default: the rendered name made valid; a template overrides) and the other
fields real clients of the hosted platform send, as manifest fields."""

from __future__ import annotations

import re
from collections.abc import Callable

from orchestrator.manifest import Manifest
from orchestrator.manifest.job_name import MAX_LENGTH, is_valid_job_name, valid_job_name

Load = Callable[[str], Manifest]
Errors = Callable[[str], list[str]]

BASE = """\
name: Scan_Run
defaults:
  pipelineYamlPath: run.sh
"""
_VALID = re.compile(r"^[a-z0-9-]{1,63}$")


def test_names_are_made_lower_case_dashes_only() -> None:
    assert valid_job_name("LR-Sweep_train.0.01") == "lr-sweep-train-0-01"
    assert valid_job_name("--a  b--") == "a-b"
    assert valid_job_name("__") == "job"
    assert is_valid_job_name("scanner-1") and not is_valid_job_name("Scanner 1")


def test_long_names_are_cut_with_a_stable_hash_that_keeps_sweeps_apart() -> None:
    prefix = "a-very-long-sweep-name-" * 4
    names = [valid_job_name(f"{prefix}{n}") for n in range(1000)]
    assert all(len(n) <= MAX_LENGTH and _VALID.fullmatch(n) for n in names)
    assert len(set(names)) == 1000
    assert names[7] == valid_job_name(f"{prefix}7")  # stable
    assert names[7].startswith(prefix[:40])


def test_every_job_gets_a_valid_job_name_from_its_name(load: Load) -> None:
    manifest = load(BASE + "jobs:\n  - name: 'File {{ f }}'\n    matrix: {f: [A_1, b.2]}\n")
    assert [j.fields["jobName"] for j in manifest.jobs()] == [
        "scan-run-file-a-1",
        "scan-run-file-b-2",
    ]


def test_a_job_name_template_overrides_and_is_made_valid(load: Load) -> None:
    manifest = load(BASE + "jobs:\n  - jobName: 'scanner-{{ f }}'\n    matrix: {f: [One, two]}\n")
    assert [j.fields["jobName"] for j in manifest.jobs()] == ["scanner-one", "scanner-two"]


def test_an_invalid_literal_job_name_is_refused_with_the_valid_one(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - jobName: 'My Job'\n")
    assert any(
        line.startswith("5:14:") and "not a valid job name" in line and "'my-job'" in line
        for line in found
    ), found
    found = errors(BASE + "jobs:\n  - jobName: " + "x" * 64 + "\n")
    assert any("at most 63" in line for line in found)


def test_hosted_fields_are_manifest_fields(load: Load) -> None:
    manifest = load(
        BASE
        + """\
  workingDir: repo
  pipelineType: bash
  hyperplaneUserEmail: ada@example.com
jobs:
  - platformGroup: research
    noGitInit: true
    branchName: main
    imageHash: sha256:1
"""
    )
    fields = next(iter(manifest.jobs())).fields
    assert fields["group"] == "research" and "platformGroup" not in fields
    assert (fields["workingDir"], fields["pipelineType"]) == ("repo", "bash")
    assert fields["hyperplaneUserEmail"] == "ada@example.com"
    assert fields["noGitInit"] is True and fields["branchName"] == "main"


def test_bad_hosted_fields_are_refused_at_their_line(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - pipelineType: DOCKER\n    noGitInit: 'yes'\n")
    assert any(line.startswith("5:19:") and "use one of YAML, BASH" in line for line in found)
    assert any(line.startswith("6:16:") and "true or false" in line for line in found)
    found = errors(BASE + "jobs:\n  - jobNmae: x\n")
    assert any("jobName" in line for line in found)
