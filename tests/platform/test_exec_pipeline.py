"""Pipeline YAML loading and validation: what runs, in which order, and the reasons for refusing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.platform.executor.pipeline import (
    PipelineError,
    Task,
    TaskType,
    load_pipeline,
    parse_pipeline,
    topological_order,
)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    for name in ("a.py", "b.sh", "c.js", "d.ipynb", "requirements.txt"):
        (tmp_path / name).write_text("")
    return tmp_path


def test_tasks_without_depends_on_run_in_sequence(workspace: Path) -> None:
    pipeline = parse_pipeline(
        """
pipeline:
  name: seq
  tasks:
    - {name: one, type: py, py_path: a.py}
    - {name: two, type: "bash script", bash_script_path: b.sh}
    - {name: three, type: "js script", js_path: c.js}
""",
        workspace,
    )
    assert [t.depends_on for t in pipeline.tasks] == [(), ("one",), ("two",)]
    assert pipeline.task("two").type is TaskType.BASH_SCRIPT
    assert pipeline.task("one").path == (workspace / "a.py").resolve()


def test_empty_depends_on_starts_at_once_and_lists_wait(workspace: Path) -> None:
    pipeline = parse_pipeline(
        """
pipeline:
  name: dag
  requirements: requirements.txt
  tasks:
    - {name: left, type: "vscode notebook", py_path: a.py, depends_on: []}
    - {name: right, type: py, py_path: a.py, depends_on: []}
    - {name: join, type: py, py_path: a.py, depends_on: [left, right]}
""",
        workspace,
    )
    assert [t.depends_on for t in pipeline.tasks] == [(), (), ("left", "right")]
    assert pipeline.requirements == "requirements.txt"
    assert [t.name for t in topological_order(pipeline.tasks)] == ["left", "right", "join"]


def test_jupyter_task_needs_an_output_path(workspace: Path) -> None:
    with pytest.raises(PipelineError, match="notebook_output_path"):
        parse_pipeline(
            "pipeline: {name: n, tasks: [{name: nb, type: jupyter notebook,"
            " notebook_path: d.ipynb}]}",
            workspace,
        )
    pipeline = parse_pipeline(
        "pipeline: {name: n, tasks: [{name: nb, type: jupyter notebook,"
        " notebook_path: d.ipynb, notebook_output_path: out/d.ipynb}]}",
        workspace,
    )
    assert pipeline.tasks[0].output_path == (workspace / "out/d.ipynb").resolve()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("pipeline: [", "malformed pipeline YAML"),
        ("tasks: []", "'pipeline' key"),
        ("pipeline: {tasks: [{name: a, type: py, py_path: a.py}]}", "pipeline.name"),
        ("pipeline: {name: n, tasks: []}", "non-empty list"),
        ("pipeline: {name: n, tasks: [{name: a, type: rust, py_path: a.py}]}", "unknown type"),
        ("pipeline: {name: n, tasks: [{name: a, type: py}]}", "needs 'py_path'"),
        ("pipeline: {name: n, tasks: [{name: a, type: py, py_path: nope.py}]}", "not found"),
        ("pipeline: {name: n, tasks: [{name: a, type: py, py_path: ../x.py}]}", "leaves"),
        ("pipeline: {name: n, tasks: [{type: py, py_path: a.py}]}", "needs a non-empty 'name'"),
        (
            "pipeline: {name: n, tasks: [{name: a, type: py, py_path: a.py},"
            " {name: a, type: py, py_path: a.py}]}",
            "duplicate task name 'a'",
        ),
        (
            "pipeline: {name: n, tasks: [{name: a, type: py, py_path: a.py, depends_on: [zz]}]}",
            "unknown task 'zz'",
        ),
        (
            "pipeline: {name: n, tasks: [{name: a, type: py, py_path: a.py, depends_on: [a]}]}",
            "depends on itself",
        ),
        (
            "pipeline: {name: n, tasks: [{name: a, type: py, py_path: a.py, depends_on: 3}]}",
            "list of task names",
        ),
    ],
)
def test_bad_pipelines_are_refused_with_a_reason(workspace: Path, text: str, reason: str) -> None:
    with pytest.raises(PipelineError, match=reason):
        parse_pipeline(text, workspace)


def test_cycle_is_reported_with_its_tasks(workspace: Path) -> None:
    text = """
pipeline:
  name: loop
  tasks:
    - {name: start, type: py, py_path: a.py, depends_on: []}
    - {name: a, type: py, py_path: a.py, depends_on: [start, c]}
    - {name: b, type: py, py_path: a.py, depends_on: [a]}
    - {name: c, type: py, py_path: a.py, depends_on: [b]}
"""
    with pytest.raises(PipelineError, match="dependency cycle") as caught:
        parse_pipeline(text, workspace)
    cycle = str(caught.value).removeprefix("dependency cycle: ").split(" -> ")
    assert cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}


def test_load_pipeline_reports_a_missing_file(workspace: Path) -> None:
    with pytest.raises(PipelineError, match=r"pipeline file not found: nope\.yaml"):
        load_pipeline("nope.yaml", workspace)


def test_load_pipeline_reads_from_the_workspace(workspace: Path) -> None:
    (workspace / "p.yaml").write_text(
        "pipeline: {name: n, tasks: [{name: a, type: py, py_path: a.py}]}"
    )
    assert load_pipeline("p.yaml", workspace).name == "n"


@st.composite
def dags(draw: st.DrawFn) -> list[Task]:
    """Random DAGs: each task may depend on any earlier one; then the list is shuffled."""
    count = draw(st.integers(min_value=1, max_value=12))
    tasks = []
    for index in range(count):
        earlier = [f"t{i}" for i in range(index)]
        deps = draw(st.lists(st.sampled_from(earlier), unique=True)) if earlier else []
        tasks.append(Task(f"t{index}", TaskType.PY, Path("x.py"), tuple(deps)))
    return draw(st.permutations(tasks))


@settings(max_examples=80, deadline=None)
@given(dags())
def test_topological_order_puts_every_task_after_its_dependencies(tasks: list[Task]) -> None:
    ordered = topological_order(tasks)
    position = {task.name: index for index, task in enumerate(ordered)}
    assert sorted(position) == sorted(task.name for task in tasks)
    for task in tasks:
        assert all(position[dep] < position[task.name] for dep in task.depends_on)
