"""Expansion: sources, items, templates, built-in variables, keys, defaults."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from orchestrator.manifest import Manifest, Policy, RetryPolicy

Load = Callable[[str], Manifest]
Write = Callable[..., Path]

BASE = """\
name: run
defaults:
  pipelineYamlPath: p.yaml
"""


def test_issue_example_expands_as_documented(load: Load) -> None:
    m = load(
        """\
version: 1
name: lr-sweep
defaults:
  jobType: basic
  timeout: 1500
  activeTimeout: 1000
  maxRetries: 2
  pipelineYamlPath: pipelines/train.yaml
  parameters: {DATASET: s3://bucket/data}
jobs:
  - name: "train-{{ model }}-{{ lr }}"
    matrix:
      model: [resnet, vit]
      lr: [0.1, 0.01]
      exclude: [{model: vit, lr: 0.1}]
      include: [{model: vit, lr: 0.001, batch: 16}]
    parameters: {MODEL: "{{ model }}", LR: "{{ lr }}"}
  - name: nightly-report
    pipelineYamlPath: pipelines/report.yaml
    schedule: "0 2 * * *"
policy:
  maxInFlight: 50
  deadline: 2h
  failFast: false
  retry: {backoff: 10s, maxBackoff: 5m, on: [failed, timed out]}
"""
    )
    jobs = list(m.jobs())
    assert m.count() == len(jobs) == 5
    assert [j.name for j in jobs] == [
        "lr-sweep-train-resnet-0.1",
        "lr-sweep-train-resnet-0.01",
        "lr-sweep-train-vit-0.01",
        "lr-sweep-train-vit-0.001",
        "lr-sweep-nightly-report",
    ]
    assert jobs[3].matrix == {"model": "vit", "lr": 0.001, "batch": 16}
    assert jobs[0].parameters == {"DATASET": "s3://bucket/data", "MODEL": "resnet", "LR": "0.1"}
    assert jobs[0].fields == {
        "jobType": "basic",
        "timeout": 1500,
        "activeTimeout": 1000,
        "maxRetries": 2,
        "pipelineYamlPath": "pipelines/train.yaml",
        "jobName": "lr-sweep-train-resnet-0-1",
    }
    assert jobs[0].max_retries == 2
    assert jobs[4].fields["schedule"] == "0 2 * * *"
    assert jobs[4].fields["pipelineYamlPath"] == "pipelines/report.yaml"
    assert [j.index for j in jobs] == [0, 1, 2, 3, 4]
    assert [j.group for j in jobs] == ["train"] * 4 + ["nightly-report"]
    assert m.policy == Policy(
        max_in_flight=50,
        deadline_seconds=7200.0,
        fail_fast=False,
        retry=RetryPolicy(10.0, 300.0, frozenset({"failed", "timed out"})),
    )
    assert m.name == "lr-sweep"
    assert len(m.digest) == 64


def test_defaults_when_policy_is_absent(load: Load) -> None:
    m = load(BASE + "jobs: [{name: a}]\n")
    assert m.policy == Policy()
    assert m.policy.max_requests_in_flight == 8 and m.policy.requests_per_second is None


def test_policy_request_limits(load: Load) -> None:
    m = load(BASE + "jobs: [{name: a}]\npolicy: {maxRequestsInFlight: 3, requestsPerSecond: 20}\n")
    assert m.policy.max_requests_in_flight == 3 and m.policy.requests_per_second == 20.0


def test_default_job_name_is_run_name_and_index(load: Load) -> None:
    m = load(BASE + "jobs:\n  - matrix: {a: [x, y]}\n")
    assert [j.name for j in m.jobs()] == ["run-0", "run-1"]


def test_index_and_group_variables(load: Load) -> None:
    m = load(
        BASE
        + "jobs:\n  - name: first\n  - group: sweep\n    matrix: {a: [x, y]}\n"
        + "    parameters: {WHERE: '{{ group }}/{{ index }}/{{ a }}'}\n"
    )
    jobs = list(m.jobs())
    assert [j.group for j in jobs] == ["first", "sweep", "sweep"]
    assert [j.parameters.get("WHERE") for j in jobs] == [None, "sweep/1/x", "sweep/2/y"]


def test_parameter_values_become_strings(load: Load) -> None:
    m = load(BASE + "jobs:\n  - parameters: {I: 3, F: 0.5, B: true, S: 'x', E: ''}\n")
    (job,) = m.jobs()
    assert job.parameters == {"I": "3", "F": "0.5", "B": "true", "S": "x", "E": ""}


def test_group_parameters_override_defaults(load: Load) -> None:
    m = load(
        "name: r\ndefaults:\n  pipelineYamlPath: p.yaml\n  parameters: {A: '1', B: '2'}\n"
        "jobs:\n  - parameters: {B: '3'}\n"
    )
    (job,) = m.jobs()
    assert job.parameters == {"A": "1", "B": "3"}


def test_templates_work_in_fields_and_defaults(load: Load) -> None:
    m = load(
        "name: r\ndefaults:\n  pipelineYamlPath: 'pipelines/{{ kind }}.yaml'\n"
        "jobs:\n  - matrix: {kind: [train, eval], hour: [1]}\n    schedule: '0 {{ hour }} * * *'\n"
    )
    jobs = list(m.jobs())
    assert [j.fields["pipelineYamlPath"] for j in jobs] == [
        "pipelines/train.yaml",
        "pipelines/eval.yaml",
    ]
    assert jobs[0].fields["schedule"] == "0 1 * * *"


def test_include_only_keys_render_empty_where_absent(load: Load) -> None:
    m = load(
        BASE
        + "jobs:\n  - matrix: {a: [1, 2], include: [{a: 2, extra: big}]}\n"
        + "    parameters: {X: '{{ extra }}'}\n"
    )
    assert [j.parameters["X"] for j in m.jobs()] == ["", "big"]


def test_range_axis(load: Load) -> None:
    m = load(BASE + "jobs:\n  - matrix: {i: {range: [0, 10, 3]}, f: {range: [0.1, 0.4, 0.1]}}\n")
    assert [(j.matrix["i"], j.matrix["f"]) for j in m.jobs()][:4] == [
        (0, 0.1),
        (0, 0.2),
        (0, 0.3),
        (3, 0.1),
    ]
    assert m.count() == 12


def test_file_axis_from_text_lines(load: Load, write: Write) -> None:
    write("# inputs\na.txt\n\nb.txt\n", "inputs.txt")
    m = load(BASE + "jobs:\n  - matrix: {input: {file: inputs.txt}}\n")
    assert [j.matrix["input"] for j in m.jobs()] == ["a.txt", "b.txt"]


def test_csv_rows_as_items_make_columns_variables(load: Load, write: Write) -> None:
    write("path,size\na,1\nb,2\n", "rows.csv")
    m = load(BASE + "jobs:\n  - items: {file: rows.csv}\n    parameters: {P: '{{ path }}'}\n")
    assert [j.parameters["P"] for j in m.jobs()] == ["a", "b"]


def test_glob_axis_is_sorted_and_relative(load: Load, write: Write) -> None:
    for name in ("data/b.parquet", "data/a.parquet", "data/skip.txt"):
        write("x", name)
    m = load(BASE + "jobs:\n  - matrix: {f: {glob: 'data/*.parquet'}}\n")
    assert [j.matrix["f"] for j in m.jobs()] == ["data/a.parquet", "data/b.parquet"]


def test_items_inline_and_times_matrix(load: Load) -> None:
    m = load(
        BASE
        + "jobs:\n  - items: [{city: paris}, {city: oslo}]\n    matrix: {year: [2020, 2021]}\n"
        + "    name: '{{ city }}-{{ year }}'\n"
    )
    assert [j.name for j in m.jobs()] == [
        "run-paris-2020",
        "run-paris-2021",
        "run-oslo-2020",
        "run-oslo-2021",
    ]
    assert m.count() == 4


def test_items_from_csv_jsonl_and_yaml(load: Load, write: Write) -> None:
    write("a,b\n1,x\n2,y\n", "rows.csv")
    write('{"a": 1, "b": "x"}\n\n{"a": 2, "b": "y"}\n', "rows.jsonl")
    write("- {a: 1, b: x}\n- {a: 2, b: y}\n", "rows.yaml")
    for name in ("rows.csv", "rows.jsonl", "rows.yaml"):
        m = load(
            BASE + f"jobs:\n  - items: {{file: {name}}}\n    parameters: {{B: '{{{{ b }}}}'}}\n"
        )
        assert [j.parameters["B"] for j in m.jobs()] == ["x", "y"], name


def test_keys_are_unique_bounded_and_stable(load: Load) -> None:
    text = BASE + "jobs:\n  - matrix: {a: [1, '1x', 'a b'], b: [true, null]}\n  - name: solo\n"
    first = [j.key for j in load(text).jobs()]
    second = [j.key for j in load(text).jobs()]
    assert first == second
    assert len(set(first)) == len(first) == 7
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,100}", key) for key in first)
    assert first[-1] == "solo"


def test_keys_do_not_depend_on_position(load: Load) -> None:
    before = {j.matrix["a"]: j.key for j in load(BASE + "jobs:\n  - matrix: {a: [1, 2]}\n").jobs()}
    after = {j.matrix["a"]: j.key for j in load(BASE + "jobs:\n  - matrix: {a: [0, 2]}\n").jobs()}
    assert before[2] == after[2]


def test_jobs_is_a_lazy_generator(load: Load) -> None:
    m = load(
        BASE
        + "jobs:\n  - matrix: {a: {range: [1000]}, b: {range: [1000]}}\n"
        + "policy: {maxJobs: 1000000}\n"
    )
    jobs = m.jobs()
    assert next(jobs).matrix == {"a": 0, "b": 0}
    assert m.count() == 1_000_000


def test_yaml_anchors_and_merge_keys_work(load: Load) -> None:
    m = load(BASE + "jobs:\n  - &g {name: a, timeout: 10}\n  - {<<: *g, name: b}\n")
    assert [(j.name, j.fields["timeout"]) for j in m.jobs()] == [("run-a", 10), ("run-b", 10)]


def test_exposed_port_becomes_a_string(load: Load) -> None:
    (job,) = load(BASE + "jobs:\n  - exposedPort: 8080\n").jobs()
    assert job.fields["exposedPort"] == "8080"


def test_empty_optional_sections_mean_none(load: Load) -> None:
    m = load("name: r\ndefaults:\npolicy:\njobs:\n  - pipelineYamlPath: p.yaml\n    parameters:\n")
    (job,) = m.jobs()
    assert job.parameters == {} and m.policy == Policy()
