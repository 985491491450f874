"""The local executor on a real store, in process: lifecycle, cancel, timeouts, reruns."""

from __future__ import annotations

import asyncio
import os
import textwrap
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.model import JobStatus
from orchestrator.platform.executor.job_store import JobStore
from orchestrator.platform.executor.local import SHUTDOWN_REASON, LocalExecutor
from orchestrator.platform.store.model import JobRow, JobSpecInput
from orchestrator.platform.store.store import Store
from tests.helpers.store import set_status
from tests.helpers.wait import wait_for_async


@dataclass
class Harness:
    store: Store
    executor: LocalExecutor
    workspace: Path

    def write(self, name: str, body: str) -> None:
        (self.workspace / name).write_text(textwrap.dedent(body))

    def submit(self, yaml_name: str, **fields: object) -> JobRow:
        job = self.store.create_job(JobSpecInput(yaml_name, **fields))  # type: ignore[arg-type]
        self.executor.notify()
        return job

    async def until(self, job_id: str, check: Callable[[JobRow], bool]) -> JobRow:
        seen: list[JobRow] = []

        def reached() -> bool:
            job = self.store.get_job(job_id)
            assert job is not None
            seen.append(job)
            return check(job)

        await wait_for_async(reached, timeout=10, what=f"job {job_id} in the expected state")
        return seen[-1]

    async def final(self, job_id: str) -> JobRow:
        return await self.until(job_id, lambda j: j.status.is_final)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    store = Store.open(tmp_path / "platform.db")
    executor = LocalExecutor(
        JobStore(store),
        workspace=workspace,
        log_dir=tmp_path / "logs",
        workers=2,
        poll_interval=0.1,
    )
    running = asyncio.create_task(executor.run())
    yield Harness(store, executor, workspace)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    store.close()


def read_log(job: JobRow) -> str:
    assert job.output is not None
    return Path(job.output).read_text()


def one_task(name: str, task_type: str, key: str, path: str) -> str:
    return (
        f"pipeline: {{name: {name}, tasks: [{{name: {name}, type: {task_type}, {key}: {path}}}]}}"
    )


async def test_a_job_runs_to_done_with_its_log(harness: Harness) -> None:
    harness.write("hello.py", "import os; print('hi', os.environ['HYPERPLANE_JOB_PARAMETER_WHO'])")
    harness.write("p.yaml", one_task("hello", "py", "py_path", "hello.py"))
    job = harness.submit("p.yaml", parameters=(("who", "there"),))
    final = await harness.final(job.id)
    assert final.status is JobStatus.DONE, final.status_reason
    assert final.start_time is not None and final.completion_time is not None
    assert final.duration is not None and final.duration >= 0
    assert "hi there" in read_log(final)


async def test_a_bad_pipeline_fails_the_job_not_the_executor(harness: Harness) -> None:
    harness.write("bad.yaml", "pipeline: {name: x, tasks: [{name: a, type: cobol}]}")
    harness.write("ok.py", "")
    harness.write("ok.yaml", one_task("ok", "py", "py_path", "ok.py"))
    bad = harness.submit("bad.yaml")
    assert "unknown type 'cobol'" in ((await harness.final(bad.id)).status_reason or "")
    ok = harness.submit("ok.yaml")
    assert (await harness.final(ok.id)).status is JobStatus.DONE


async def test_cancel_kills_the_running_process_group(harness: Harness) -> None:
    harness.write("sleepy.sh", "echo $$ > leader.pid\nsleep 300 &\nwait\n")
    harness.write("p.yaml", one_task("sleepy", '"bash script"', "bash_script_path", "sleepy.sh"))
    job = harness.submit("p.yaml")
    marker = harness.workspace / "leader.pid"
    await harness.until(job.id, lambda _j: marker.exists() and marker.read_text().strip() != "")
    leader = int(marker.read_text())
    set_status(harness.store, job.id, JobStatus.CANCELLED)
    harness.executor.notify()
    for _ in range(250):
        try:
            os.killpg(leader, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the cancelled job's process group is still alive")
    final = harness.store.get_job(job.id)
    assert final is not None and final.status is JobStatus.CANCELLED


async def test_active_timeout_ends_a_sleeping_job_timed_out(harness: Harness) -> None:
    harness.write("sleepy.sh", "sleep 300\n")
    harness.write("p.yaml", one_task("sleepy", '"bash script"', "bash_script_path", "sleepy.sh"))
    job = harness.submit("p.yaml", active_timeout=1, timeout=-1)
    final = await harness.final(job.id)
    assert final.status is JobStatus.TIMED_OUT
    assert "activeTimeout of 1 s" in (final.status_reason or "")


async def test_max_retries_reruns_a_failing_job_in_place(harness: Harness) -> None:
    # fails on the first platform attempt, succeeds on the second
    harness.write(
        "flaky.py",
        "import os, sys; sys.exit(0 if os.environ['HYPERPLANE_JOB_ATTEMPT'] == '2' else 4)",
    )
    harness.write("p.yaml", one_task("flaky", "py", "py_path", "flaky.py"))
    job = harness.submit("p.yaml", max_retries=2)
    final = await harness.final(job.id)
    assert (final.status, final.retries) == (JobStatus.DONE, 1)
    log = read_log(final)
    assert "attempt 1 failed (task 'flaky' (py) exited with code 4); rerunning" in log


async def test_retries_spent_end_failed_with_the_last_reason(harness: Harness) -> None:
    harness.write("bad.sh", "exit 9\n")
    harness.write("p.yaml", one_task("bad", '"bash script"', "bash_script_path", "bad.sh"))
    job = harness.submit("p.yaml", max_retries=1)
    final = await harness.final(job.id)
    assert (final.status, final.retries) == (JobStatus.FAILED, 1)
    assert final.status_reason == "task 'bad' (bash script) exited with code 9 (attempt 2)"


async def test_shutdown_fails_running_jobs(tmp_path: Path) -> None:
    (tmp_path / "sleepy.sh").write_text("sleep 300\n")
    (tmp_path / "p.yaml").write_text(
        one_task("s", '"bash script"', "bash_script_path", "sleepy.sh")
    )
    store = Store.open(tmp_path / "platform.db")
    executor = LocalExecutor(
        JobStore(store),
        workspace=tmp_path,
        log_dir=tmp_path / "logs",
        workers=1,
        poll_interval=0.05,
    )
    job = store.create_job(JobSpecInput("p.yaml"))
    running = asyncio.create_task(executor.run())
    harness = Harness(store, executor, tmp_path)
    await harness.until(job.id, lambda j: j.status is JobStatus.IN_PROGRESS)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    final = store.get_job(job.id)
    assert final is not None
    assert (final.status, final.status_reason) == (JobStatus.FAILED, SHUTDOWN_REASON)
    store.close()


def blocker(harness: Harness) -> None:
    """A pipeline whose job drops ``<job id>.started`` and waits for ``release`` to exist."""
    harness.write(
        "block.py",
        """
        import os, time
        open(os.environ["HYPERPLANE_JOB_ID"] + ".started", "w").close()
        deadline = time.monotonic() + 60
        while not os.path.exists("release") and time.monotonic() < deadline:
            time.sleep(0.02)
        """,
    )
    harness.write("block.yaml", one_task("block", "py", "py_path", "block.py"))


async def test_at_most_workers_jobs_run_at_once(harness: Harness) -> None:
    blocker(harness)
    first, second, third = (harness.submit("block.yaml") for _ in range(3))
    started = [harness.workspace / f"{job.id}.started" for job in (first, second)]
    await harness.until(first.id, lambda _j: all(path.exists() for path in started))
    waiting = harness.store.get_job(third.id)
    assert waiting is not None and waiting.status is JobStatus.PENDING  # workers=2: no slot
    (harness.workspace / "release").touch()
    assert [(await harness.final(j.id)).status for j in (first, second, third)] == [
        JobStatus.DONE
    ] * 3


async def test_timeout_counts_time_spent_pending(harness: Harness) -> None:
    blocker(harness)
    busy = [harness.submit("block.yaml") for _ in range(2)]  # both workers taken
    starved = harness.submit("block.yaml", timeout=1)
    final = await harness.final(starved.id)
    assert final.status is JobStatus.TIMED_OUT
    assert final.start_time is None  # it never ran
    assert "timeout of 1 s since submission" in (final.status_reason or "")
    (harness.workspace / "release").touch()
    for job in busy:
        assert (await harness.final(job.id)).status is JobStatus.DONE


async def test_a_cancelled_pending_job_never_runs(harness: Harness) -> None:
    blocker(harness)
    busy = [harness.submit("block.yaml") for _ in range(2)]
    queued = harness.submit("block.yaml")
    set_status(harness.store, queued.id, JobStatus.CANCELLED)
    (harness.workspace / "release").touch()
    for job in busy:
        await harness.final(job.id)
    final = harness.store.get_job(queued.id)
    assert final is not None and final.status is JobStatus.CANCELLED
    assert not (harness.workspace / f"{queued.id}.started").exists()
