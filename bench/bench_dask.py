"""Benchmark: the Dask executor against the local executor on the same one-second jobs.

Run: ``python -m bench.bench_dask [--jobs N] [--seconds S]``. Both platforms run N jobs whose
pipeline is one bash task sleeping S seconds, with four jobs at once: the local executor with
``--workers 4``; the Dask executor on a real ``dask scheduler`` and two ``dask worker``
processes of two job slots each, all on 127.0.0.1. Reports the wall time from the first
create to the last job done, and dask/local as a ratio (goal: within 1.3x; 1.0 = no cost).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from orchestrator.platform.process.embedded import LocalPlatform

BIN = Path(sys.executable).parent
CREATE = """mutation ($data: PipelineJobCreateInput!) { createPipelineJob(data: $data) { id } }"""
STATUSES = """query ($ids: [String!]) { pipelineJobs(where: {id: {in: $ids}}, take: 100000) {
  status } }"""
FINAL = {"done", "failed", "cancelled", "timed out"}


def call(platform: LocalPlatform, document: str, variables: dict[str, Any]) -> Any:
    """One GraphQL request."""
    request = urllib.request.Request(
        platform.url,
        data=json.dumps({"query": document, "variables": variables}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {platform.token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    if body.get("errors"):
        raise RuntimeError(body["errors"])
    return body["data"]


def run_jobs(platform: LocalPlatform, count: int) -> float:
    """Create ``count`` jobs, wait until all are done; seconds from first create to last end.

    A first round of four jobs, not measured, makes sure the executor is up (the Dask
    executor connects to its scheduler after the platform announced itself ready).
    """
    _run_jobs(platform, 4)
    return _run_jobs(platform, count)


def _run_jobs(platform: LocalPlatform, count: int) -> float:
    started = time.perf_counter()
    ids = [
        call(platform, CREATE, {"data": {"pipelineYamlPath": "sleep.yaml"}})["createPipelineJob"][
            "id"
        ]
        for _ in range(count)
    ]
    while True:
        jobs = call(platform, STATUSES, {"ids": ids})["pipelineJobs"]
        if all(job["status"] in FINAL for job in jobs):
            elapsed = time.perf_counter() - started
            break
        time.sleep(0.2)
    failed = [job for job in jobs if job["status"] != "done"]
    if failed:
        raise RuntimeError(f"{len(failed)} jobs did not end done: {failed[:3]}")
    return elapsed


def start_cluster(directory: Path, workers: int, slots: int) -> list[subprocess.Popen[bytes]]:
    """A scheduler and ``workers`` workers of ``slots`` job slots (subprocesses)."""
    scheduler_file = directory / "scheduler.json"
    log = (directory / "cluster.log").open("ab")
    processes = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(scheduler_file)],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL,
        )
    ]  # fmt: skip
    deadline = time.monotonic() + 60
    while not (scheduler_file.exists() and scheduler_file.read_text().strip()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the scheduler did not start; see {directory / 'cluster.log'}")
        time.sleep(0.1)
    address = json.loads(scheduler_file.read_text())["address"]
    for number in range(workers):
        processes.append(
            subprocess.Popen(
                [str(BIN / "dask"), "worker", address, "--host", "127.0.0.1", "--no-dashboard",
                 "--nthreads", str(slots), "--resources", f"job-slots={slots}",
                 "--name", f"bench-{number}", "--local-directory", str(directory / f"w{number}")],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            )
        )  # fmt: skip
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=60)
    return processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Terminate and reap what :func:`start_cluster` started."""
    for process in reversed(processes):
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    """Run the same jobs on both executors and print the ratio."""
    parser = argparse.ArgumentParser(description="Dask executor vs local executor")
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=1.0)
    args, _ = parser.parse_known_args()
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as tmp:
        directory = Path(tmp)
        workspace = directory / "workspace"
        workspace.mkdir()
        (workspace / "sleep.sh").write_text(f"sleep {args.seconds}\n")
        (workspace / "sleep.yaml").write_text(
            "pipeline: {name: s, tasks: [{name: s, type: bash script, "
            "bash_script_path: sleep.sh}]}\n"
        )
        common = {"workspace": workspace, "token": "bench-token"}
        with LocalPlatform(
            state_dir=directory / "local", executor="local", workers=4, **common
        ) as p:
            local = run_jobs(p, args.jobs)
        processes = start_cluster(directory, workers=2, slots=2)
        try:
            with LocalPlatform(
                state_dir=directory / "dask",
                executor="dask",
                dask_scheduler=json.loads((directory / "scheduler.json").read_text())["address"],
                **common,
            ) as p:
                dask = run_jobs(p, args.jobs)
        finally:
            stop(processes)
    ideal = args.jobs * args.seconds / 4
    print(f"{args.jobs} jobs of {args.seconds:g} s, 4 at a time (ideal {ideal:.1f} s):")
    print(f"  local executor, --workers 4:         {local:6.1f} s")
    print(f"  dask executor, 2 workers x 2 slots:  {dask:6.1f} s")
    print(f"  dask/local ratio: {dask / local:.2f} (goal: <= 1.3)")


if __name__ == "__main__":
    main()
