"""Every validation rule reports `path:line:col: message`, all issues at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.manifest import ManifestError, ManifestIssue, load_manifest

Errors = Callable[[str], list[str]]

BASE = """\
name: t
defaults:
  pipelineYamlPath: p.yaml
"""


def test_misspelt_top_level_key_suggests_the_right_one(errors: Errors) -> None:
    found = errors(BASE + "jbos:\n  - name: a\n")
    assert "4:1: unknown key 'jbos' in the document (did you mean jobs?)" in found


def test_every_error_is_reported_not_just_the_first(errors: Errors) -> None:
    found = errors(
        BASE
        + """
jobs:
  - name: a
    timeout: -5
    maxRetries: -1
    pinned: "yes"
    schedul: "0 2 * * *"
policy:
  maxInFlight: 0
"""
    )
    assert any(line.startswith("7:14:") and "-1 means never" in line for line in found)
    assert any(line.startswith("8:17:") and "maxRetries must be >= 0" in line for line in found)
    assert any(line.startswith("9:13:") and "true or false" in line for line in found)
    assert any(line.startswith("10:5:") and "did you mean schedule?" in line for line in found)
    assert any(line.startswith("12:16:") and "maxInFlight must be >= 1" in line for line in found)


def test_missing_file_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path / "nope.yaml")
    assert caught.value.issues == [ManifestIssue(str(tmp_path / "nope.yaml"), 1, 1, "no such file")]


def test_non_utf8_file_points_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_bytes(b"name: t\njobs:\n  - name: caf\xe9\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    (issue,) = caught.value.issues
    assert (issue.line, issue.column) == (3, 14)
    assert "not UTF-8" in issue.message


def test_invalid_yaml_points_at_the_problem(errors: Errors) -> None:
    (line,) = errors("name: t\njobs: [\n  - a: b\n")
    assert line.startswith("3:") and "invalid YAML" in line


def test_python_tags_are_refused(errors: Errors) -> None:
    found = errors("name: !!python/object/apply:os.system ['true']\njobs: []\n")
    assert any(
        line.startswith("1:7:")
        and "'tag:yaml.org,2002:python/object/apply:os.system' is not allowed" in line
        for line in found
    )


def test_yaml_bomb_is_refused_quickly(errors: Errors) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        prev = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    (line,) = errors("\n".join(lines) + "\n")
    assert "refused" in line and "YAML bomb" in line


def test_recursive_alias_is_refused(errors: Errors) -> None:
    (line,) = errors("a: &a [1, *a]\n")
    assert "refused" in line


def test_a_list_where_a_mapping_belongs(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - [a, b]\n")
    assert "5:5: jobs[0] must be a mapping, got a list" in found


def test_jobs_must_be_a_non_empty_list(errors: Errors) -> None:
    assert any("jobs is empty" in line for line in errors(BASE + "jobs: []\n"))
    assert any("must be a list" in line for line in errors(BASE + "jobs: {a: 1}\n"))
    assert any("no 'jobs' list" in line for line in errors(BASE))


def test_empty_document_and_scalar_document(errors: Errors) -> None:
    assert any("empty" in line for line in errors(""))
    assert any("must be a mapping, got a string" in line for line in errors("hello\n"))


def test_empty_group_is_an_error(errors: Errors) -> None:
    assert any("job group 1 is empty" in line for line in errors(BASE + "jobs:\n  - {}\n"))


def test_unknown_template_variable_suggests_close_name(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - matrix: {lr: [1, 2]}\n    parameters: {LR: '{{ lrr }}'}\n")
    assert any(
        line.startswith("6:22:") and "unknown variable 'lrr'" in line and "did you mean lr?" in line
        for line in found
    )


def test_templates_cannot_hold_expressions(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - name: \"{{ __import__('os') }}\"\n")
    assert any("must name a variable" in line for line in found)


def test_invalid_cron_expression(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - schedule: '61 2 * * *'\n")
    assert any(line.startswith("5:15:") and "not a valid" in line for line in found)


def test_templated_schedule_is_checked_for_each_job(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - matrix: {h: [1, 99]}\n    schedule: '0 {{ h }} * * *'\n")
    assert any("renders to '0 99 * * *'" in line for line in found)


def test_pipeline_yaml_path_is_required(errors: Errors) -> None:
    found = errors("name: t\njobs:\n  - name: a\n")
    assert any("pipelineYamlPath is required" in line for line in found)


def test_exclude_must_name_axes(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - matrix:\n      model: [a]\n      exclude: [{modle: a}]\n")
    assert any(
        "'modle', which is not a matrix axis (did you mean model?)" in line for line in found
    )


def test_empty_axis_and_empty_matrix(errors: Errors) -> None:
    assert any("has no values" in line for line in errors(BASE + "jobs:\n  - matrix: {a: []}\n"))
    assert any("no axes" in line for line in errors(BASE + "jobs:\n  - matrix: {}\n"))


def test_duplicate_axis_values_would_make_duplicate_jobs(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - matrix: {a: [1, 2, 1]}\n")
    assert any("lists '1' twice" in line for line in found)


def test_all_excluded_group_is_an_error(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - matrix: {a: [1], exclude: [{a: 1}]}\n")
    assert any("makes no jobs" in line for line in found)


def test_builtin_variable_names_cannot_be_axes(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - matrix: {index: [1]}\n")
    assert any("'index' is a built-in variable" in line for line in found)


def test_max_jobs_is_checked_by_arithmetic(errors: Errors) -> None:
    found = errors(
        BASE
        + "jobs:\n  - matrix: {a: {range: [1000000]}, b: {range: [1000000]}}\n"
        + "policy: {maxJobs: 1000}\n"
    )
    assert any(
        "makes 1000000000000 jobs, more than policy.maxJobs (1000)" in line for line in found
    )


def test_default_max_jobs_is_100000(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - matrix: {a: {range: [100001]}}\n")
    assert any("more than policy.maxJobs (100000)" in line for line in found)


def test_bad_durations_and_retry_statuses(errors: Errors) -> None:
    found = errors(
        BASE + "jobs:\n  - name: a\npolicy:\n  deadline: 2 hours\n"
        "  retry: {backoff: 1x, on: [faild]}\n"
    )
    assert any("policy.deadline" in line for line in found)
    assert any("policy.retry.backoff" in line for line in found)
    assert any("did you mean failed?" in line for line in found)


def test_parameters_must_be_scalars_and_not_reserved(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - parameters: {A: [1], B: , ORCHESTRATOR_JOB: x}\n")
    assert any("parameter A must be a string, number or boolean" in line for line in found)
    assert any('write "" for an empty value' in line for line in found)
    assert any("ORCHESTRATOR_JOB is set by the orchestrator" in line for line in found)


def test_duplicate_keys_are_reported(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - name: a\n    name: b\n")
    assert any(line.startswith("6:5:") and "duplicate key 'name'" in line for line in found)


def test_duplicate_group_ids_are_reported(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - name: a\n  - name: a\n")
    assert any("already used" in line for line in found)


def test_missing_input_file_is_reported(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - items: {file: nope.csv}\n")
    assert any("nope.csv not found" in line for line in found)


def test_items_and_matrix_cannot_share_a_variable(errors: Errors) -> None:
    found = errors(BASE + "jobs:\n  - items: [{a: 1}]\n    matrix: {a: [2]}\n")
    assert any("both define 'a'" in line for line in found)


def test_version_must_be_1(errors: Errors) -> None:
    assert any("version must be 1" in line for line in errors("version: 2\n" + BASE + "jobs: [{}]"))


def test_error_str_is_the_formatted_lines(tmp_path: Path) -> None:
    issue = ManifestIssue("m.yaml", 3, 4, "bad")
    assert str(ManifestError([issue])) == "m.yaml:3:4: bad"


def test_unknown_variable_in_defaults_names_the_group(errors: Errors) -> None:
    found = errors(
        "name: t\ndefaults:\n  pipelineYamlPath: 'p/{{ kind }}.yaml'\n"
        "jobs:\n  - matrix: {kind: [a]}\n  - name: other\n"
    )
    assert found == [
        "3:21: unknown variable 'kind' in 'p/{{ kind }}.yaml' (did you mean index?); "
        "known: group, index (in job group 2)"
    ]


def test_exposed_port_and_empty_pipeline_path(errors: Errors) -> None:
    found = errors("name: t\njobs:\n  - {pipelineYamlPath: '', exposedPort: web}\n")
    assert any("pipelineYamlPath must not be empty" in line for line in found)
    assert any("exposedPort must be a port number 1-65535, got 'web'" in line for line in found)
