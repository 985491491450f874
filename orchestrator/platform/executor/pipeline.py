"""Pipeline YAML: load, validate and order the tasks of one job.

The format is the hosted platform's: ``pipeline: {name, requirements?, tasks: [...]}``. Every
problem a user can cause (malformed YAML, unknown task type, missing file, unknown or cyclic
``depends_on``) raises :class:`PipelineError` with a message fit for a job's ``statusReason``,
so a bad pipeline fails its job and never stops the executor.

Every path a job names (``pipelineYamlPath``, a task's path, a notebook's output) goes through
:class:`~orchestrator.platform.executor.path_safety.JobFiles`: no control characters, inside
the workspace, never in the platform's own files (state dir, database), and what is run or
read must be a regular file. Client values in messages are quoted on one line.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import yaml

from orchestrator.platform.client_text import one_line, path_problem
from orchestrator.platform.executor.path_safety import JobFiles, PathRefused

Workspace: TypeAlias = Path | JobFiles
"""Where a job's paths resolve: a bare workspace path (nothing in it off limits) or the
executor's :class:`JobFiles`, which also knows the platform's own files."""


class PipelineError(Exception):
    """The pipeline cannot run; ``str()`` is the reason to show the user."""


class TaskType(enum.StrEnum):
    """The task types the platform's pipeline format knows, by their canonical spelling.

    The YAML may spell each the ways the hosted docs list (:data:`TASK_TYPE_SPELLINGS`), in
    any case; :func:`task_type` maps a spelling to its type.
    """

    PY = "py"
    VSCODE_NOTEBOOK = "vscode notebook"
    BASH_SCRIPT = "bash script"
    JS_SCRIPT = "js script"
    JUPYTER_NOTEBOOK = "jupyter notebook"

    @property
    def path_key(self) -> str:
        """The YAML key that holds the file this task runs."""
        return _PATH_KEYS[self]


_PATH_KEYS: dict[TaskType, str] = {
    TaskType.PY: "py_path",
    TaskType.VSCODE_NOTEBOOK: "py_path",
    TaskType.BASH_SCRIPT: "bash_script_path",
    TaskType.JS_SCRIPT: "js_path",
    TaskType.JUPYTER_NOTEBOOK: "notebook_path",
}

TASK_TYPE_SPELLINGS: Mapping[str, TaskType] = {
    "python script": TaskType.PY,
    "python": TaskType.PY,
    "py": TaskType.PY,
    "js script": TaskType.JS_SCRIPT,
    "javascript": TaskType.JS_SCRIPT,
    "js": TaskType.JS_SCRIPT,
    "jupyter notebook": TaskType.JUPYTER_NOTEBOOK,
    "jupyter": TaskType.JUPYTER_NOTEBOOK,
    "notebook": TaskType.JUPYTER_NOTEBOOK,
    "ipynb": TaskType.JUPYTER_NOTEBOOK,
    "vs code notebook": TaskType.VSCODE_NOTEBOOK,
    "vscode notebook": TaskType.VSCODE_NOTEBOOK,
    "bash script": TaskType.BASH_SCRIPT,
    "bash": TaskType.BASH_SCRIPT,
    "sh": TaskType.BASH_SCRIPT,
}
"""Every ``type:`` spelling the hosted docs list (lower case, single spaces)."""


def task_type(spelling: object) -> TaskType | None:
    """The task type ``spelling`` names, in any case and spacing; ``None`` if unknown."""
    if not isinstance(spelling, str):
        return None
    return TASK_TYPE_SPELLINGS.get(" ".join(spelling.split()).lower())


@dataclass(frozen=True, slots=True)
class Task:
    """One step of a pipeline, with its paths already resolved inside the workspace."""

    name: str
    type: TaskType
    path: Path
    depends_on: tuple[str, ...]
    output_path: Path | None = None  # jupyter notebooks only: where the executed copy goes
    working_dir: Path | None = None  # where the task runs (``working_dir``); None: the root


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A validated pipeline: tasks in file order, dependencies known to form a DAG."""

    name: str
    tasks: tuple[Task, ...]
    requirements: str | None = None  # as written in the YAML (shown in reasons)
    requirements_path: Path | None = None  # that file, resolved inside the code root

    def output_notebooks_path(self) -> str | None:
        """Where the executed notebooks go (``outputNotebooksPath``): the one notebook task's
        ``notebook_output_path``, the folder holding them all when there are several, or
        ``None`` without notebook tasks."""
        outputs = [str(t.output_path) for t in self.tasks if t.output_path is not None]
        if len(outputs) <= 1:
            return outputs[0] if outputs else None
        return os.path.commonpath(outputs)

    def task(self, name: str) -> Task:
        """The task called ``name``."""
        for task in self.tasks:
            if task.name == name:
                return task
        raise KeyError(name)


def load_pipeline(yaml_path: str, workspace: Workspace) -> Pipeline:
    """Read and validate the pipeline at ``yaml_path`` (relative to ``workspace``)."""
    files = job_files(workspace)
    path = _regular_file(files, yaml_path, "pipelineYamlPath", "pipeline file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineError(f"cannot read pipeline file {one_line(yaml_path)}: {exc}") from exc
    return parse_pipeline(text, files, source=one_line(yaml_path))


PIPELINE_TYPES = ("YAML", "BASH")
"""``pipelineType`` values: a pipeline YAML file (the default), or one bare script."""


def load_job_pipeline(yaml_path: str, pipeline_type: str | None, workspace: Workspace) -> Pipeline:
    """What a job runs: its pipeline YAML, or (``pipelineType`` "BASH", any case) the bare
    script ``yaml_path`` names, as the hosted platform runs it from the repository root."""
    kind = (pipeline_type or "YAML").upper()
    if kind == "YAML":
        return load_pipeline(yaml_path, workspace)
    if kind == "BASH":
        return bare_script_pipeline(yaml_path, workspace)
    known = ", ".join(f'"{name}"' for name in PIPELINE_TYPES)
    raise PipelineError(f"unknown pipelineType {pipeline_type!r} (known: {known})")


def bare_script_pipeline(script_path: str, workspace: Workspace) -> Pipeline:
    """A one-task pipeline running ``script_path``: the platform's Python for ``.py``,
    bash for anything else (``.sh``). Only a regular file inside the workspace runs."""
    files = job_files(workspace)
    path = _regular_file(files, script_path, "pipelineYamlPath", "script not found")
    task_type = TaskType.PY if path.suffix == ".py" else TaskType.BASH_SCRIPT
    return Pipeline(name=script_path, tasks=(Task("script", task_type, path, ()),))


def job_files(workspace: Workspace) -> JobFiles:
    """``workspace`` as :class:`JobFiles` (a bare path: nothing in it is off limits)."""
    return workspace if isinstance(workspace, JobFiles) else JobFiles.of(workspace)


def parse_pipeline(text: str, workspace: Workspace, *, source: str = "<pipeline>") -> Pipeline:
    """Validate pipeline YAML ``text``; task paths are resolved against ``workspace``."""
    files = job_files(workspace)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PipelineError(f"malformed pipeline YAML in {source}: {one_line(str(exc))}") from exc
    if not isinstance(document, Mapping) or not isinstance(document.get("pipeline"), Mapping):
        raise PipelineError(f"{source}: expected a mapping with a 'pipeline' key at the top")
    body = document["pipeline"]
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise PipelineError(f"{source}: pipeline.name must be a non-empty string")
    _check_name(name, f"{source}: pipeline.name")
    requirements = body.get("requirements")
    if requirements is not None and not isinstance(requirements, str):
        raise PipelineError(f"{source}: pipeline.requirements must be a string path")
    requirements_path = None
    if requirements is not None:
        _check_name(requirements, f"{source}: pipeline.requirements")
        what = f"{source}: pipeline.requirements"
        requirements_path = _regular_file(files, requirements, what, "requirements file not found")
    pipeline_dir = _working_dir(files, body, f"{source}: pipeline")
    raw_tasks = body.get("tasks")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        raise PipelineError(f"{source}: pipeline.tasks must be a non-empty list")
    tasks: list[Task] = []
    for position, raw in enumerate(raw_tasks):
        previous = tasks[-1].name if tasks else None
        tasks.append(_parse_task(raw, position, previous, files, source, pipeline_dir))
    _check_names_and_dependencies(tasks, source)
    topological_order(tasks)  # raises on cycles
    return Pipeline(name, tuple(tasks), requirements, requirements_path)


def _parse_task(
    raw: Any,
    position: int,
    previous: str | None,
    files: JobFiles,
    source: str,
    pipeline_dir: Path | None,
) -> Task:
    where = f"{source}: task #{position + 1}"
    if not isinstance(raw, Mapping):
        raise PipelineError(f"{where} must be a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise PipelineError(f"{where} needs a non-empty 'name'")
    _check_name(name, f"{where} name")
    where = f"{source}: task '{name}'"
    raw_type = raw.get("type")
    kind = task_type(raw_type)
    if kind is None:
        known = ", ".join(f'"{spelling}"' for spelling in TASK_TYPE_SPELLINGS)
        shown_type = one_line(str(raw_type))
        raise PipelineError(f"{where} has unknown type '{shown_type}' (known: {known})")
    path_value = raw.get(kind.path_key)
    if not isinstance(path_value, str) or not path_value:
        raise PipelineError(f"{where} of type \"{kind}\" needs '{kind.path_key}'")
    path = _regular_file(files, path_value, where, f"{where}: file not found")
    output_path = None
    if kind is TaskType.JUPYTER_NOTEBOOK:
        raw_output = raw.get("notebook_output_path")
        if not isinstance(raw_output, str) or not raw_output:
            raise PipelineError(f"{where} needs 'notebook_output_path'")
        output_path = _resolve(files, raw_output, f"{where}: notebook_output_path")
    depends_on = _parse_depends_on(raw, previous, where)
    working_dir = _working_dir(files, raw, where) or pipeline_dir
    return Task(name, kind, path, depends_on, output_path, working_dir)


def _working_dir(files: JobFiles, raw: Mapping[str, Any], where: str) -> Path | None:
    """A ``working_dir`` key: the directory a task runs in, relative to the code root (not
    to the pipeline's ``working_dir``), confined to it like every other path. Absent: None
    (the task runs at the root, or in its pipeline's ``working_dir``)."""
    if raw.get("working_dir") is None:
        return None
    value = raw["working_dir"]
    if not isinstance(value, str) or not value:
        raise PipelineError(f"{where}: working_dir must be a non-empty string path")
    try:
        return files.directory(value, what=f"{where}: working_dir")
    except PathRefused as exc:
        raise PipelineError(str(exc)) from None


def _check_name(name: str, what: str) -> None:
    """Names reach logs and status reasons: one line of visible text, like a path."""
    problem = path_problem(what, name)
    if problem is not None:
        raise PipelineError(problem)


def _parse_depends_on(raw: Mapping[str, Any], previous: str | None, where: str) -> tuple[str, ...]:
    """Without ``depends_on`` a task follows the one before it: tasks run in sequence."""
    if "depends_on" not in raw:
        return (previous,) if previous is not None else ()
    value = raw["depends_on"]
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise PipelineError(f"{where}: depends_on must be a list of task names")


def _check_names_and_dependencies(tasks: Sequence[Task], source: str) -> None:
    names: set[str] = set()
    for task in tasks:
        if task.name in names:
            raise PipelineError(f"{source}: duplicate task name '{task.name}'")
        names.add(task.name)
    for task in tasks:
        for dependency in task.depends_on:
            if dependency not in names:
                raise PipelineError(
                    f"{source}: task '{task.name}' depends on unknown task '{one_line(dependency)}'"
                )
            if dependency == task.name:
                raise PipelineError(f"{source}: task '{task.name}' depends on itself")


def topological_order(tasks: Sequence[Task]) -> list[Task]:
    """Tasks ordered so each comes after its dependencies (file order breaks ties).

    Raises :class:`PipelineError` naming the tasks on a cycle.
    """
    remaining = {task.name: set(task.depends_on) for task in tasks}
    ordered: list[Task] = []
    while remaining:
        ready = [task for task in tasks if remaining.get(task.name) == set()]
        if not ready:
            raise PipelineError("dependency cycle: " + " -> ".join(_find_cycle(remaining)))
        for task in ready:
            del remaining[task.name]
            ordered.append(task)
        for waiting in remaining.values():
            waiting.difference_update(task.name for task in ready)
    return ordered


def _find_cycle(remaining: Mapping[str, set[str]]) -> list[str]:
    """Walk dependencies among tasks that can never start until a name repeats."""
    path = [next(iter(remaining))]
    while True:
        step = next(iter(sorted(remaining[path[-1]])))
        if step in path:
            return [*path[path.index(step) :], step]
        path.append(step)


def _resolve(files: JobFiles, relative: str, what: str) -> Path:
    try:
        return files.resolve(relative, what=what)
    except PathRefused as exc:
        raise PipelineError(str(exc)) from None


def _regular_file(files: JobFiles, relative: str, what: str, missing: str) -> Path:
    try:
        return files.regular_file(relative, what=what, missing=missing)
    except PathRefused as exc:
        raise PipelineError(str(exc)) from None
