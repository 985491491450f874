"""The example pipelines under manifests/pipelines load and behave as their comments promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.manifest import load_manifest
from orchestrator.platform.executor.pipeline import load_job_pipeline, load_pipeline
from orchestrator.platform.executor.task_runner import JobContext, run_pipeline

# the workspace `orchestrator run` gives the embedded platform: the manifests' folder
WORKSPACE = Path(__file__).resolve().parents[2] / "manifests"
EXAMPLES = sorted((WORKSPACE / "pipelines").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
async def test_example_pipeline_runs_done(path: Path, tmp_path: Path) -> None:
    pipeline = load_pipeline(str(path.relative_to(WORKSPACE)), WORKSPACE)
    job = JobContext("job-x", "run-x", 1, {"WORK_SECONDS": "0", "LEARNING_RATE": "0.3"})
    result = await run_pipeline(pipeline, job, workspace=WORKSPACE, log_path=tmp_path / "job.log")
    assert result.succeeded, result.failure


async def test_flaky_train_fails_on_attempt_one_and_succeeds_on_two(tmp_path: Path) -> None:
    pipeline = load_pipeline("pipelines/train.yaml", WORKSPACE)
    outcomes = []
    for attempt in ("1", "2"):
        parameters = {"WORK_SECONDS": "0", "FLAKY": "1", "ORCHESTRATOR_ATTEMPT": attempt}
        job = JobContext("job-f", "run-f", 1, parameters)
        result = await run_pipeline(pipeline, job, workspace=WORKSPACE, log_path=tmp_path / "f.log")
        outcomes.append(result.failure)
    assert outcomes == ["task 'train' (py) exited with code 75", None]


async def test_batch_example_bare_script_runs_done_reading_its_bare_parameter(
    tmp_path: Path,
) -> None:
    job_spec = next(iter(load_manifest(WORKSPACE / "batch.yaml").jobs()))
    fields = job_spec.fields
    pipeline = load_job_pipeline(fields["pipelineYamlPath"], fields["pipelineType"], WORKSPACE)
    job = JobContext("job-b", "run-b", 1, {**job_spec.parameters, "WORK_SECONDS": "0"})
    log = tmp_path / "b.log"
    result = await run_pipeline(pipeline, job, workspace=WORKSPACE, log_path=log)
    assert result.succeeded, result.failure
    folder = WORKSPACE / "example-batch-job"
    assert f"processed file {job_spec.parameters['FILE_ID']} in {folder}" in log.read_text()
