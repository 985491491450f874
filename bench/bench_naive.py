"""Benchmark: ``orchestrator run`` against the naive loop people script by hand today.

The naive loop: one keep-alive aiohttp connection; one ``createPipelineJob`` per request,
sequentially; then one ``pipelineJob(where: {id})`` read per pending job, over and over, until
every job is final. ``orchestrator run``: the real CLI (a subprocess, start-up included) on a
manifest of the same instant simulated jobs (``SIM_DURATION: "0"``), ``--max-in-flight`` the
whole sweep. Both talk to one local platform (simulate executor) per setting, measured in the
same run, first at loopback, then with ``--chaos latency_ms=20`` on the platform (every request
waits 20 ms: a laptop talking to a cloud API). At 20 ms the naive loop needs ~40 ms per job,
so its rate is measured on fewer jobs (``--naive-jobs-latency``); a rate is a rate.

Also measured here: the orchestrator's CPU per job in the loopback run (user + system time of
the CLI process, start-up included), and the start-up wall time of ``orchestrator --help`` and
``plan --count``. :func:`figures` returns them for ``bench.summary``.

Run: ``python -m bench.bench_naive [--jobs 3000] [--naive-jobs-latency 200] [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.summary import Row
from orchestrator.platform.process.embedded import LocalPlatform

CREATE = """mutation Create($data: PipelineJobCreateInput!) {
  createPipelineJob(data: $data) { id status }
}"""
READ = """query Read($id: String) {
  pipelineJob(where: {id: $id}) { id status statusReason }
}"""
FINAL = {"done", "failed", "cancelled", "timed out", "timed_out"}
ORCHESTRATOR = Path(sys.executable).with_name("orchestrator")


@dataclass(frozen=True)
class Figures:
    """What one run of this benchmark measured (rates in jobs per second)."""

    naive_loopback: float
    run_loopback: float
    naive_latency: float
    run_latency: float
    cpu_us_per_job: float
    help_seconds: float
    plan_count_seconds: float


def job_data(n: int) -> dict[str, object]:
    return {
        "pipelineYamlPath": "p.yaml",
        "timeout": 600,
        "maxRetries": 0,
        "parameters": {
            "create": [{"key": "SIM_DURATION", "value": "0"}, {"key": "I", "value": str(n)}]
        },
    }


async def naive(url: str, token: str, jobs: int) -> float:
    """The hand-written loop; jobs per second from the first create to the last final."""
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=1)  # one keep-alive connection
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def post(query: str, variables: dict[str, object]) -> dict[str, Any]:
            payload = {"query": query, "variables": variables}
            async with session.post(url, json=payload) as response:
                body: dict[str, Any] = await response.json()
            if "errors" in body or not isinstance(body.get("data"), dict):
                raise RuntimeError(f"naive loop refused: {body}")
            data = body["data"]
            assert isinstance(data, dict)
            return data

        started = time.perf_counter()
        pending = []
        for n in range(jobs):
            created = (await post(CREATE, {"data": job_data(n)}))["createPipelineJob"]
            pending.append(created["id"])
        while pending:
            still = []
            for job_id in pending:
                job = (await post(READ, {"id": job_id}))["pipelineJob"]
                if job is None or job["status"] not in FINAL:
                    still.append(job_id)
            pending = still
        return jobs / (time.perf_counter() - started)


def write_manifest(directory: Path, jobs: int, name: str) -> Path:
    """A manifest of ``jobs`` instant simulated jobs."""
    (directory / "p.yaml").write_text("pipeline: {name: p, tasks: []}\n")
    indices = ", ".join(str(i) for i in range(jobs))
    manifest = directory / f"{name}.yaml"
    manifest.write_text(
        "version: 1\n"
        f"name: {name}\n"
        "defaults: {pipelineYamlPath: p.yaml, timeout: 600, maxRetries: 0}\n"
        "jobs:\n"
        '  - name: "j-{{ i }}"\n'
        f"    matrix: {{i: [{indices}]}}\n"
        '    parameters: {SIM_DURATION: "0"}\n'
    )
    return manifest


def orchestrator_run(url: str, token: str, manifest: Path, jobs: int) -> tuple[float, float]:
    """``orchestrator run`` as a user types it; (jobs per second, CPU seconds of the CLI)."""
    env = {**os.environ, "ORCHESTRATOR_TOKEN": token}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(ORCHESTRATOR),
            "run",
            str(manifest),
            "--endpoint",
            url,
            "--state-dir",
            str(manifest.parent / f"state-{manifest.stem}"),
            "--max-in-flight",
            str(jobs),
            "-o",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"orchestrator run failed ({done.returncode}): {done.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return jobs / elapsed, cpu


def start_up(*argv: str, rounds: int = 5) -> float:
    """Best wall time of ``orchestrator ARGV`` over a few rounds (seconds)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([str(ORCHESTRATOR), *argv], capture_output=True, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def measure(jobs: int, naive_jobs_latency: int, rounds: int) -> Figures:
    """Every figure of this benchmark, in one run; each rate is the best of ``rounds``
    (naive and orchestrator alike: the machine is shared, and the best is the least
    disturbed), each round on a fresh state dir; the CPU figure is the least of the rounds."""
    with tempfile.TemporaryDirectory(prefix="bench-naive-") as tmp:
        root = Path(tmp)
        rates: dict[str, float] = {}
        cpu_per_job = 0.0
        for setting, chaos, naive_jobs in (
            ("loopback", None, jobs),
            ("latency", "latency_ms=20", naive_jobs_latency),
        ):
            with LocalPlatform(
                state_dir=root / f"platform-{setting}",
                workspace=root,
                executor="simulate",
                sim_duration="0:0",
                chaos=chaos,
            ) as platform:
                naive_rates, runs = [], []
                for round_ in range(rounds):
                    naive_rates.append(asyncio.run(naive(platform.url, platform.token, naive_jobs)))
                    manifest = write_manifest(root, jobs, f"sweep-{setting}-{round_}")
                    runs.append(orchestrator_run(platform.url, platform.token, manifest, jobs))
                rates[f"naive_{setting}"] = max(naive_rates)
                rates[f"run_{setting}"] = max(rate for rate, _ in runs)
                if setting == "loopback":
                    cpu_per_job = min(c for _, c in runs) / jobs * 1e6
        count_manifest = write_manifest(root, jobs, "count")
        return Figures(
            naive_loopback=rates["naive_loopback"],
            run_loopback=rates["run_loopback"],
            naive_latency=rates["naive_latency"],
            run_latency=rates["run_latency"],
            cpu_us_per_job=cpu_per_job,
            help_seconds=start_up("--help"),
            plan_count_seconds=start_up("plan", "--count", str(count_manifest)),
        )


_LAST: Figures | None = None


def figures() -> Figures | None:
    """The figures of the last :func:`main` in this process (for ``bench.summary``)."""
    return _LAST


def summary() -> list[Row]:
    """This run's figures for the closing table (``bench.summary``)."""
    f = _LAST
    if f is None:
        return []
    loopback = f.run_loopback / f.naive_loopback
    latency = f.run_latency / f.naive_latency
    return [
        Row(
            "orchestrator run vs naive loop, loopback",
            f"{loopback:.1f}x ({f.run_loopback:,.0f} vs {f.naive_loopback:,.0f} jobs/s)",
            ">= 4x",
            loopback >= 4,
        ),
        Row(
            "orchestrator run vs naive loop, latency_ms=20",
            f"{latency:.0f}x ({f.run_latency:,.0f} vs {f.naive_latency:,.1f} jobs/s)",
            ">= 100x",
            latency >= 100,
        ),
        Row(
            "orchestrator CPU per job (3,000-job run, start-up included)",
            f"{f.cpu_us_per_job:.0f} us",
            "<= 150 us",
            f.cpu_us_per_job <= 150,
        ),
        Row(
            "orchestrator --help start-up",
            f"{f.help_seconds:.2f} s",
            "<= 0.25 s",
            f.help_seconds <= 0.25,
        ),
        Row(
            "orchestrator plan --count start-up",
            f"{f.plan_count_seconds:.2f} s",
            "<= 0.25 s",
            f.plan_count_seconds <= 0.25,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    global _LAST
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--naive-jobs-latency", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv if argv is not None else [])
    result = measure(args.jobs, args.naive_jobs_latency, args.rounds)
    _LAST = result
    print(
        f"jobs: {args.jobs} (naive loop at 20 ms: {args.naive_jobs_latency});"
        f" best of {args.rounds} rounds each"
    )
    for setting, naive_rate, run_rate in (
        ("loopback", result.naive_loopback, result.run_loopback),
        ("latency_ms=20", result.naive_latency, result.run_latency),
    ):
        print(
            f"{setting:14} naive {naive_rate:8.1f} jobs/s   orchestrator run {run_rate:8.1f} jobs/s"
            f"   ratio {run_rate / naive_rate:6.1f}x"
        )
    cpu = result.cpu_us_per_job
    print(f"orchestrator CPU per job (loopback run, start-up included): {cpu:.0f} us")
    help_s, count_s = result.help_seconds, result.plan_count_seconds
    print(f"start-up: --help {help_s:.2f} s, plan --count {count_s:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
