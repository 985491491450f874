"""orchestrator.testing as its docstring shows it to users: runs of specs and of a manifest
against the in-memory platform, recorded in a real ledger, with scripted outcomes."""

from __future__ import annotations

from pathlib import Path

import orchestrator.testing
from orchestrator.ledger import Ledger
from orchestrator.manifest import Policy
from orchestrator.model import JobStatus

SWEEP = Path(__file__).resolve().parents[2] / "manifests" / "sweep.yaml"


async def test_every_job_is_retried_once(tmp_path: Path) -> None:
    flaky = orchestrator.testing.MemoryPlatform(
        outcome=lambda key, attempt: JobStatus.FAILED if attempt == 1 else JobStatus.DONE
    )
    specs = orchestrator.testing.make_specs(3, retries=1)
    summary = await orchestrator.testing.run_jobs(
        specs, Policy(), platform=flaky, state_dir=tmp_path
    )
    assert (summary.done, summary.failed) == (3, 0)
    assert flaky.attempts_of("job-0000") == [1, 2]
    with Ledger(tmp_path, read_only=True) as ledger:
        (run,) = ledger.list_runs()
    assert run.name == "jobs"


async def test_a_manifest_runs_every_job_once_and_names_failures(tmp_path: Path) -> None:
    platform = orchestrator.testing.MemoryPlatform(
        outcome=lambda key, attempt: JobStatus.FAILED if "flaky" in key else JobStatus.DONE
    )
    summary = await orchestrator.testing.run_manifest(SWEEP, platform=platform, state_dir=tmp_path)
    assert (summary.done, summary.failed) == (6, 1)
    assert len(platform.jobs) == 6 + 3  # the flaky job: its first attempt and two retries
    assert [failure.key for failure in summary.failures] == [
        key
        for key in {j.parameters["ORCHESTRATOR_JOB"] for j in platform.jobs.values()}
        if "flaky" in key
    ]
