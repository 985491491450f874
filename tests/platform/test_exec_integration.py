"""The executor through the real server: jobs created over HTTP really run (or are simulated).

Each test starts ``orchestrator platform serve`` on 127.0.0.1 with a temporary database and
workspace (the ``platform_factory`` fixture) and only talks GraphQL to it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.api import LOCAL_FIELDS, HttpApi, PlatformFactory, group_alive, write
from tests.helpers.clock import PlatformClock
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.integration

CANCEL = """mutation ($id: String!) {
  updatePipelineJob(where: {id: $id}, data: {status: {set: "cancelled"}}) { id status } }"""
RUNS_OF = f"""query ($id: String!) {{
  pipelineJobs(where: {{parameters: {{some: {{key: {{equals: "SCHEDULED_JOB_ID"}},
    value: {{equals: $id}}}}}}}}, orderBy: [{{createdAt: asc}}]) {{ {LOCAL_FIELDS} }} }}"""

BY_LABEL = f"""query ($key: String!, $value: String!) {{
  pipelineJobs(where: {{parameters: {{some: {{key: {{equals: $key}},
    value: {{equals: $value}}}}}}}}) {{ {LOCAL_FIELDS} }} }}"""


@pytest.fixture
def platform_factory(platform_factory: PlatformFactory) -> PlatformFactory:
    """These tests read ``scheduledFrom`` and order by ``createdAt``: local extensions."""
    return functools.partial(platform_factory, strict_api=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return tmp_path / "workspace"  # the platform_factory fixture's workspace


@pytest.fixture
def local(platform_factory: PlatformFactory, workspace: Path) -> HttpApi:
    return HttpApi(platform_factory(executor="local", workers=4))


def test_two_task_pipeline_sees_parameters_and_finishes_done_with_log(
    local: HttpApi, workspace: Path
) -> None:
    write(
        workspace,
        "steps/a.py",
        """
        import os
        print("py:", os.environ["HYPERPLANE_JOB_PARAMETER_LEARNING_RATE"])
        print("bare:", os.environ.get("LEARNING_RATE", "absent"))
    """,
    )
    write(
        workspace,
        "steps/b.sh",
        'echo "bash: $HYPERPLANE_JOB_PARAMETER_LEARNING_RATE $HYPERPLANE_JOB_ID"\n',
    )
    write(
        workspace,
        "two.yaml",
        """
        pipeline:
          name: two
          tasks:
            - {name: train, type: py, py_path: steps/a.py}
            - {name: report, type: bash script, bash_script_path: steps/b.sh}
    """,
    )
    job_id = local.create("two.yaml", {"learning_rate": "0.01"}.items())
    job = local.final(job_id)
    assert job["status"] == "done", job["statusReason"]
    assert job["startTime"] and job["completionTime"] and job["duration"] is not None
    assert job["runId"]
    log = Path(job["output"]).read_text()
    assert "py: 0.01" in log
    assert "bare: 0.01" in log  # real job code reads os.getenv("LEARNING_RATE")
    assert f"bash: 0.01 {job_id}" in log


def test_tasks_without_dependencies_run_in_parallel(local: HttpApi, workspace: Path) -> None:
    # each side drops its marker, then waits (bounded) for the other's: only parallel passes
    for me, other in (("left", "right"), ("right", "left")):
        write(
            workspace,
            f"{me}.py",
            f"""
            import os, sys, time
            open("{me}.marker", "w").close()
            deadline = time.monotonic() + 15
            while not os.path.exists("{other}.marker"):
                if time.monotonic() > deadline:
                    sys.exit("{me} never saw {other}")
                time.sleep(0.02)
        """,
        )
    write(
        workspace,
        "par.yaml",
        """
        pipeline:
          name: par
          tasks:
            - {name: left, type: py, py_path: left.py, depends_on: []}
            - {name: right, type: py, py_path: right.py, depends_on: []}
    """,
    )
    job = local.final(local.create("par.yaml"))
    assert job["status"] == "done", job["statusReason"]


def test_failing_task_ends_failed_with_the_reason(local: HttpApi, workspace: Path) -> None:
    write(workspace, "fail.sh", "echo about to fail >&2\nexit 7\n")
    write(
        workspace,
        "fail.yaml",
        """
        pipeline:
          name: fail
          tasks:
            - {name: boom, type: bash script, bash_script_path: fail.sh}
    """,
    )
    job = local.final(local.create("fail.yaml", maxRetries=0))
    assert job["status"] == "failed"
    assert job["statusReason"] == "task 'boom' (bash script) exited with code 7"
    assert "about to fail" in Path(job["output"]).read_text()
    # Without maxRetries a job gets the hosted default, 2: it runs three times.
    job = local.final(local.create("fail.yaml"))
    assert job["statusReason"] == "task 'boom' (bash script) exited with code 7 (attempt 3)"


def test_bad_pipelines_fail_their_job_and_the_executor_goes_on(
    local: HttpApi, workspace: Path
) -> None:
    write(workspace, "ok.sh", "true\n")
    write(
        workspace,
        "cycle.yaml",
        """
        pipeline:
          name: cycle
          tasks:
            - {name: a, type: bash script, bash_script_path: ok.sh, depends_on: [b]}
            - {name: b, type: bash script, bash_script_path: ok.sh, depends_on: [a]}
    """,
    )
    write(workspace, "broken.yaml", "pipeline: {name: [\n")
    write(
        workspace,
        "ok.yaml",
        """
        pipeline: {name: ok, tasks: [{name: ok, type: bash script, bash_script_path: ok.sh}]}
    """,
    )
    expected = {
        "cycle.yaml": "dependency cycle: a -> b -> a",
        "broken.yaml": "malformed pipeline YAML",
        "missing.yaml": "pipeline file not found: missing.yaml",
    }
    ids = {path: local.create(path) for path in expected}
    for path, reason in expected.items():
        job = local.final(ids[path])
        assert job["status"] == "failed"
        assert reason in job["statusReason"]
    assert local.final(local.create("ok.yaml"))["status"] == "done"


def test_sleeping_task_times_out_on_active_timeout(local: HttpApi, workspace: Path) -> None:
    write(workspace, "sleep.sh", "sleep 300\n")
    write(
        workspace,
        "sleep.yaml",
        """
        pipeline: {name: s, tasks: [{name: nap, type: bash script, bash_script_path: sleep.sh}]}
    """,
    )
    job = local.final(local.create("sleep.yaml", timeout=-1, activeTimeout=1))
    assert job["status"] == "timed out"
    assert "activeTimeout of 1 s" in job["statusReason"]


def test_cancelling_a_running_job_kills_its_process_group(local: HttpApi, workspace: Path) -> None:
    write(workspace, "hang.sh", "sleep 300 &\necho $$ > hang.pid\nwait\n")
    write(
        workspace,
        "hang.yaml",
        """
        pipeline: {name: h, tasks: [{name: hang, type: bash script, bash_script_path: hang.sh}]}
    """,
    )
    job_id = local.create("hang.yaml")
    marker = workspace / "hang.pid"
    wait_for(lambda: marker.exists() and marker.read_text().strip() != "")
    pgid = int(marker.read_text())
    assert group_alive(pgid)
    assert local.call(CANCEL, {"id": job_id})["updatePipelineJob"]["status"] == "cancelled"
    wait_for(lambda: not group_alive(pgid), timeout=5)
    assert local.job(job_id)["status"] == "cancelled"


def test_platform_max_retries_reruns_a_failed_job(local: HttpApi, workspace: Path) -> None:
    write(
        workspace,
        "flaky.py",
        """
        import os, sys
        attempt = os.environ["HYPERPLANE_JOB_ATTEMPT"]
        print("platform attempt", attempt)
        sys.exit(0 if attempt == "3" else 1)
    """,
    )
    write(
        workspace,
        "flaky.yaml",
        """
        pipeline: {name: f, tasks: [{name: flaky, type: py, py_path: flaky.py}]}
    """,
    )
    job = local.final(local.create("flaky.yaml", maxRetries=2))
    assert job["status"] == "done", job["statusReason"]
    log = Path(job["output"]).read_text()
    assert [f"platform attempt {n}" in log for n in (1, 2, 3)] == [True] * 3
    failed = local.final(local.create("flaky.yaml", maxRetries=1))
    assert failed["status"] == "failed"
    assert failed["statusReason"].endswith("(attempt 2)")


def test_cron_job_spawns_runs_as_the_clock_moves(
    platform_factory: PlatformFactory, platform_clock: PlatformClock
) -> None:
    platform_clock.set("2025-03-01T10:00:30Z")
    api = HttpApi(platform_factory(sim_duration="0:0"))
    labels = {
        "ORCHESTRATOR_RUN": "r-cron",
        "ORCHESTRATOR_JOB": "nightly",
        "ORCHESTRATOR_ATTEMPT": "1",
    }
    cron_id = api.create(
        "nightly.yaml", {"SIM_OUTCOME": "done", **labels}.items(), schedule="* * * * *"
    )
    witness_id = api.create("witness.yaml", schedule="* * * * *")
    assert api.job(cron_id)["status"] == "scheduled"

    def runs(job_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = api.call(RUNS_OF, {"id": job_id})["pipelineJobs"]
        return found

    def run_times(job_id: str) -> list[str]:
        return [
            {p["key"]: p["value"] for p in r["parameters"]}["SCHEDULED_RUN_TIME"]
            for r in runs(job_id)
        ]

    platform_clock.set("2025-03-01T10:01:00Z")
    wait_for(lambda: len(runs(cron_id)) == 1)
    platform_clock.set("2025-03-01T10:02:05Z")
    wait_for(lambda: len(runs(cron_id)) == 2)
    assert run_times(cron_id) == ["2025-03-01T10:01:00.000Z", "2025-03-01T10:02:00.000Z"]
    first = runs(cron_id)[0]
    assert first["scheduledFrom"] == cron_id
    assert {p["key"]: p["value"] for p in first["parameters"]}["SIM_OUTCOME"] == "done"
    assert api.final(first["id"])["status"] == "done"
    # Runs share the cron job's identity labels; scheduledFrom tells them apart, and only
    # the cron job itself is "scheduled".
    same_run = api.call(BY_LABEL, {"key": "ORCHESTRATOR_RUN", "value": "r-cron"})["pipelineJobs"]
    assert len(same_run) == 3
    for job in same_run:
        assert {p["key"]: p["value"] for p in job["parameters"]}.items() >= labels.items()
        is_cron_job = job["id"] == cron_id
        assert (job["status"] == "scheduled") is is_cron_job
        assert job["scheduledFrom"] == (None if is_cron_job else cron_id)

    api.call(CANCEL, {"id": cron_id})
    platform_clock.set("2025-03-01T10:03:00Z")
    wait_for(lambda: len(runs(witness_id)) == 3)  # the scheduler has seen 10:03
    assert len(runs(cron_id)) == 2
    assert api.job(cron_id)["status"] == "cancelled"


def test_restart_resolves_jobs_a_killed_platform_left_in_progress(
    platform_factory: PlatformFactory, tmp_path: Path, workspace: Path
) -> None:
    write(workspace, "hang.sh", "sleep 300 &\necho $$ > hang.pid\nwait\n")
    write(
        workspace,
        "hang.yaml",
        """
        pipeline: {name: h, tasks: [{name: hang, type: bash script, bash_script_path: hang.sh}]}
    """,
    )
    options = {"db": tmp_path / "shared.db", "state_dir": tmp_path / "shared-state"}
    first = platform_factory(executor="local", **options)
    job_id = HttpApi(first).create("hang.yaml")
    marker = workspace / "hang.pid"
    wait_for(lambda: marker.exists() and marker.read_text().strip() != "")
    pgid = int(marker.read_text())
    first.kill()  # SIGKILL: no chance to clean up
    assert group_alive(pgid)  # the task outlived its platform
    second = HttpApi(platform_factory(executor="local", **options))
    job = second.final(job_id)
    assert job["status"] == "failed"
    assert "orphaned at restart" in job["statusReason"]
    wait_for(lambda: not group_alive(pgid), timeout=5)


def test_simulate_honours_sim_outcome_and_sim_duration(
    platform_factory: PlatformFactory,
) -> None:
    api = HttpApi(platform_factory(sim_duration="30:30", sim_fail_rate=0.0))
    outcomes = {}
    for outcome in ("done", "failed", "timed out"):
        params = {"SIM_OUTCOME": outcome, "SIM_DURATION": "0.1"}
        outcomes[outcome] = api.create("sim.yaml", params.items())
    for outcome, job_id in outcomes.items():
        job = api.final(job_id, within=10)  # 0.1 s each, where the default would be 30 s
        assert job["status"] == outcome
        assert 0.099 <= job["duration"] < 30
    assert api.job(outcomes["failed"])["statusReason"] == "SIM_OUTCOME parameter: failed"
