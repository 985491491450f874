"""At most one live process per job: a task never outlives the worker or platform that started it.

The attack: SIGKILL the Dask worker running two long jobs of an orchestrator run (the run
tries lost attempts again), or the platform running local jobs. Without lifelines the tasks
lived on, orphaned, while the retry ran beside them. Each task here records its start and
end, and before starting checks whether an earlier attempt of its job still has a live
process: no overlap is ever seen, the orphans are gone within seconds, and each job ends
``done`` exactly once.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import anyio
import pytest

from orchestrator.api import PlatformClient
from orchestrator.engine.identity import JOB_LABEL, RUN_LABEL
from orchestrator.platform.executor.lifeline import LIFELINE_BOUND_SECONDS, Lifeline
from orchestrator.platform.executor.process_registry import group_alive
from tests.helpers.api import HttpApi, PlatformFactory, write
from tests.helpers.wait import wait_for

pytestmark = pytest.mark.integration

GONE_WITHIN = LIFELINE_BOUND_SECONDS + 27.0  # the bound, and room for a loaded 2-core machine
# (seen: over 10 s at load 11, four test workers and other sessions; an orphan lives forever)

# One attempt of a job: note whether an earlier attempt still lives, then run (the first
# attempt long, with a child of its own, so a worker can be killed under it).
ATTEMPT_PY = """
import os, subprocess, sys, time
from pathlib import Path
from orchestrator.platform.executor.process_registry import group_alive

lines = Path("out") / (os.environ["HYPERPLANE_JOB_PARAMETER_KEY"] + ".lines")
attempt = os.environ["HYPERPLANE_JOB_PARAMETER_ORCHESTRATOR_ATTEMPT"]

def note(line):
    fd = os.open(lines, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, (line + "\\n").encode())
    os.close(fd)

earlier = lines.read_text().splitlines() if lines.exists() else []
for line in earlier:
    if line.startswith("start ") and group_alive(int(line.split()[1])):
        note(f"overlap {line.split()[1]} seen by attempt {attempt}")
note(f"start {os.getpid()} {attempt} {time.time()}")
subprocess.run(["sleep", "60" if attempt == "1" else "0.2"], check=True)
note(f"end {os.getpid()} {attempt} {time.time()}")
"""
ATTEMPT_YAML = "pipeline: {name: a, tasks: [{name: a, type: py, py_path: attempt.py}]}\n"
TWO_JOBS = """\
version: 1
name: lifeline
defaults:
  pipelineYamlPath: attempt.yaml
  maxRetries: 2
jobs:
  - {name: a, parameters: {KEY: a}}
  - {name: b, parameters: {KEY: b}}
policy:
  maxInFlight: 2
  retry: {backoff: 0.05s, maxBackoff: 0.1s}
"""


@pytest.fixture
def platform_factory(platform_factory: PlatformFactory) -> PlatformFactory:
    """Platforms serving the local extensions: the ``HttpApi`` helper reads ``scheduledFrom``."""
    return functools.partial(platform_factory, strict_api=False)


def started(lines: Path) -> list[int]:
    """Pids (and session ids) of the attempts that started, in order."""
    if not lines.exists():
        return []
    return [int(ln.split()[1]) for ln in lines.read_text().splitlines() if ln.startswith("start")]


def test_a_dead_starter_kills_the_task_group_and_a_release_leaves_it_alone(
    tmp_path: Path,
) -> None:
    """The lifeline alone: a starter killed with SIGKILL, then one that ends normally."""
    starter = """
import subprocess, sys, time
from orchestrator.platform.executor.lifeline import Lifeline
lifeline = Lifeline.start(0.5)
task = subprocess.Popen(["bash", "-c", "sleep 60 & wait"], start_new_session=True)
lifeline.hold(task.pid)
print(task.pid, flush=True)
if sys.argv[1] == "release":
    lifeline.release()
    print("released", flush=True)
time.sleep(60)
"""
    victims = []
    try:
        for mode in ("die", "release"):
            process = subprocess.Popen(
                [sys.executable, "-c", starter, mode], stdout=subprocess.PIPE, text=True
            )
            assert process.stdout is not None
            pgid = int(process.stdout.readline())
            victims.append(pgid)
            if mode == "release":
                assert process.stdout.readline() == "released\n"
            wait_for(lambda pgid=pgid: group_alive(pgid), timeout=10)
            process.kill()
            process.wait()
            if mode == "die":
                wait_for(lambda pgid=pgid: not group_alive(pgid), timeout=GONE_WITHIN)
        assert group_alive(victims[1])  # released: its starter's death is not its own
    finally:
        for pgid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)


def test_a_starter_killed_before_it_holds_its_task_never_lets_the_task_run(
    tmp_path: Path,
) -> None:
    """The window between spawning a task and telling the watcher its group: the task waits
    behind its gate, so a starter killed there (CI saw it under load) leaves nothing running;
    one that holds it lets it run, as the same program and pid it was spawned as."""
    starter = """
import os, signal, subprocess, sys
from orchestrator.platform.executor.lifeline import Lifeline
lifeline = Lifeline.start(0.5)
command = ["bash", "-c", "echo $$ > ran; echo $PPID > parent; sleep 60"]
task = subprocess.Popen(
    Lifeline.gated(command, os.environ.get("PATH"), "."), stdin=lifeline.gate,
    start_new_session=True,
)
print(task.pid, flush=True)
if sys.argv[1] == "die":
    os.kill(os.getpid(), signal.SIGKILL)  # before hold(): the gate is never opened
lifeline.hold(task.pid)
task.wait()
"""
    for mode in ("die", "hold"):
        folder = tmp_path / mode
        folder.mkdir()
        process = subprocess.Popen(
            [sys.executable, "-c", starter, mode], stdout=subprocess.PIPE, text=True, cwd=folder
        )
        assert process.stdout is not None
        pid = int(process.stdout.readline())
        try:
            if mode == "die":
                assert process.wait(30) == -signal.SIGKILL
                wait_for(lambda pid=pid: not group_alive(pid), timeout=GONE_WITHIN)
                assert not (folder / "ran").exists()  # the task itself never started
            else:
                wait_for(lambda folder=folder: (folder / "parent").exists(), timeout=30)
                assert (folder / "ran").read_text().strip() == str(pid)  # exec kept the pid
                assert (folder / "parent").read_text().strip() == str(process.pid)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
            process.kill()
            process.wait()


def test_a_program_that_cannot_run_is_refused_before_the_gate(tmp_path: Path) -> None:
    """Behind the gate a missing program would be the shell's exit 127; it is the error
    spawning it directly gives, so a task still reports it "could not start"."""
    (tmp_path / "plain.txt").write_text("not a program\n")
    with pytest.raises(FileNotFoundError):
        Lifeline.gated(["no-such-program-here"], os.environ.get("PATH"), tmp_path)
    with pytest.raises(FileNotFoundError):
        Lifeline.gated(["./missing.sh"], os.environ.get("PATH"), tmp_path)
    with pytest.raises(PermissionError):
        Lifeline.gated(["./plain.txt"], os.environ.get("PATH"), tmp_path)
    assert Lifeline.gated(["bash", "-c", "true"], os.environ.get("PATH"), tmp_path)[:2] == [
        "/bin/sh",
        "-c",
    ]


def test_a_released_watcher_exits_and_leaves_the_task_alone() -> None:
    lifeline = Lifeline.start(0.5)
    task = subprocess.Popen(["sleep", "60"], start_new_session=True)
    try:
        lifeline.hold(task.pid)
        watcher = lifeline._watcher
        lifeline.release()
        assert watcher.wait(10) == 0
        assert task.poll() is None  # the watcher left it alone
    finally:
        task.kill()
        task.wait()


def test_a_worker_killed_under_two_jobs_never_lets_two_attempts_of_one_job_run_at_once(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    from tests.helpers.dask import start_cluster

    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    write(workspace, "attempt.py", ATTEMPT_PY)
    write(workspace, "attempt.yaml", ATTEMPT_YAML)
    (workspace / "out").mkdir()
    manifest = tmp_path / "two.yaml"
    manifest.write_text(TWO_JOBS)
    cluster = start_cluster(tmp_path / "dask", slots=2, workers=1)
    run = None
    first: list[int] = []
    try:
        platform = platform_factory(executor="dask", dask_scheduler=cluster.address)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_")}
        run = subprocess.Popen(
            [
                *(sys.executable, "-m", "orchestrator", "run", str(manifest)),
                *("--endpoint", platform.url, "--token", platform.token),
                *("--state-dir", str(tmp_path / "state"), "--output", "json"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        lines = {key: workspace / "out" / f"{key}.lines" for key in ("a", "b")}
        wait_for(lambda: all(started(path) for path in lines.values()), timeout=90)
        first = [started(path)[0] for path in lines.values()]
        assert all(group_alive(pgid) for pgid in first)
        cluster.workers["w1"].send_signal(signal.SIGKILL)  # both jobs run on it
        cluster.workers["w1"].wait()
        cluster.start_worker("w2", slots=2)  # where the retries run, as soon as allowed
        for pgid in first:  # the orphans (each a python task and its sleep) die
            wait_for(lambda pgid=pgid: not group_alive(pgid), timeout=GONE_WITHIN)
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        summary = json.loads([ln for ln in out.splitlines() if ln.startswith("{")][-1])
        assert (summary["jobs"], summary["done"], summary["attempts"]) == (2, 2, 4)
        for key, path in lines.items():
            seen = path.read_text().splitlines()
            assert not [ln for ln in seen if ln.startswith("overlap")], seen
            assert [ln.split()[:3:2] for ln in seen] == [
                ["start", "1"],
                ["start", "2"],
                ["end", "2"],
            ], (key, seen)

        async def find() -> list:
            async with PlatformClient(platform.url, platform.token) as client:
                return await client.find_jobs({RUN_LABEL: summary["run"]})

        jobs = anyio.run(find)
        ends = Counter((job.parameters[JOB_LABEL], job.status.value) for job in jobs)
        assert sorted(ends.values()) == [1, 1, 1, 1], ends  # one done and one lost per job
        assert {status for _, status in ends} == {"done", "failed"}
        assert {job.status_reason for job in jobs if job.status.value == "failed"} == {
            "worker lost"
        }
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.communicate()
        cluster.stop()
        for pgid in first:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)


SLEEPER_SH = """
echo "$$" > "out/$HYPERPLANE_JOB_ID.pgid"
sleep 60 &
wait
"""


def test_a_platform_killed_mid_job_takes_its_local_tasks_with_it(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"  # the platform_factory fixture's workspace
    write(workspace, "s.sh", SLEEPER_SH)
    write(
        workspace,
        "s.yaml",
        "pipeline: {name: s, tasks: [{name: s, type: bash script, bash_script_path: s.sh}]}\n",
    )
    (workspace / "out").mkdir()
    platform = platform_factory(executor="local")
    job_id = HttpApi(platform).create("s.yaml")
    pgid_file = workspace / "out" / f"{job_id}.pgid"
    wait_for(lambda: pgid_file.exists() and pgid_file.read_text().strip() != "", timeout=30)
    pgid = int(pgid_file.read_text())
    try:
        assert group_alive(pgid)
        platform.kill()
        wait_for(lambda: not group_alive(pgid), timeout=GONE_WITHIN)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
