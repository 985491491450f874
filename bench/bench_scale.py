"""Benchmark: cost per job must not grow with the size of the sweep or of the platform's tables.

Two figures of the performance issue, both from the real CLI (``orchestrator run`` as a
subprocess) against one local platform (simulate executor):

- **Scale.** A 20,000-job run, then a 200,000-job run on the *same* platform (its tables hold
  the first run's jobs too), both ``--max-in-flight 5000`` with instant jobs; the figure is
  the throughput of the big run over the small one (goal >= 0.9).
- **Memory in flight.** A run that holds 20,000 long jobs in flight at once (stopped by a
  short ``--deadline``), against a 100-job run as the baseline: the orchestrator process's
  peak resident memory above the baseline's, per job in flight (goal <= 2 KiB). The peak is
  sampled from ``/proc/PID/status`` while the run goes.

Run: ``python -m bench.bench_scale [--small 20000] [--big 200000] [--in-flight 20000]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.summary import Row
from orchestrator.platform.process.embedded import LocalPlatform

ORCHESTRATOR = Path(sys.executable).with_name("orchestrator")
SAMPLE_SECONDS = 0.1


@dataclass(frozen=True)
class Figures:
    """What one run of this benchmark measured."""

    small_jobs: int
    big_jobs: int
    small_rate: float  # jobs per second
    big_rate: float
    in_flight: int
    bytes_per_job_in_flight: float


@dataclass(frozen=True)
class RunResult:
    """One ``orchestrator run``: wall time and the process's peak resident memory."""

    seconds: float
    peak_rss_bytes: int
    exit_code: int


def write_manifest(directory: Path, name: str, jobs: int, duration: str) -> Path:
    """``jobs`` simulated jobs lasting ``duration`` seconds each (a range axis: never a list)."""
    (directory / "p.yaml").write_text("pipeline: {name: p, tasks: []}\n")
    manifest = directory / f"{name}.yaml"
    manifest.write_text(
        "version: 1\n"
        f"name: {name}\n"
        "defaults: {pipelineYamlPath: p.yaml, timeout: 3600, maxRetries: 0}\n"
        f"policy: {{maxJobs: {max(jobs, 1)}}}\n"
        "jobs:\n"
        '  - name: "j-{{ i }}"\n'
        f"    matrix: {{i: {{range: [{jobs}]}}}}\n"
        f'    parameters: {{SIM_DURATION: "{duration}"}}\n'
    )
    return manifest


def peak_rss(pid: int) -> int:
    """The process's resident memory high-water mark so far (bytes; 0 once it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def orchestrator_run(platform: LocalPlatform, manifest: Path, *options: str) -> RunResult:
    """``orchestrator run MANIFEST`` against ``platform``, sampling its peak memory."""
    env = {**os.environ, "ORCHESTRATOR_TOKEN": platform.token}
    argv = [
        str(ORCHESTRATOR),
        "run",
        str(manifest),
        "--endpoint",
        platform.url,
        "--state-dir",
        str(manifest.parent / f"state-{manifest.stem}"),
        "-o",
        "json",
        *options,
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, peak_rss(process.pid))
        time.sleep(SAMPLE_SECONDS)  # sampling a process we only watch
    seconds = time.perf_counter() - started
    stderr = process.stderr.read() if process.stderr else ""
    if process.returncode not in (0, 1):  # 1: the deadline cancelled what was in flight
        raise RuntimeError(f"orchestrator run failed ({process.returncode}): {stderr[-500:]}")
    return RunResult(seconds, peak, process.returncode)


def measure(small: int, big: int, in_flight: int) -> Figures:
    """Run the three sweeps and the baseline on one platform; see the module docstring."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = Path(tmp)
        with LocalPlatform(
            state_dir=root / "platform",
            db=root / "platform.db",
            workspace=root,
            executor="simulate",
            sim_duration="0:0",
            port=0,
        ) as platform:
            limit = ("--max-in-flight", "5000")
            small_run = orchestrator_run(
                platform, write_manifest(root, "small", small, "0"), *limit
            )
            big_run = orchestrator_run(platform, write_manifest(root, "big", big, "0"), *limit)
            baseline = orchestrator_run(platform, write_manifest(root, "base", 100, "0"))
            held = orchestrator_run(
                platform,
                write_manifest(root, "held", in_flight, "600"),
                "--max-in-flight",
                str(in_flight),
                "--deadline",
                "30s",
            )
    return Figures(
        small_jobs=small,
        big_jobs=big,
        small_rate=small / small_run.seconds,
        big_rate=big / big_run.seconds,
        in_flight=in_flight,
        bytes_per_job_in_flight=(held.peak_rss_bytes - baseline.peak_rss_bytes) / in_flight,
    )


_LAST: Figures | None = None


def summary() -> list[Row]:
    """This run's figures for the closing table (``bench.summary``)."""
    f = _LAST
    if f is None:
        return []
    ratio = f.big_rate / f.small_rate
    kib = f.bytes_per_job_in_flight / 1024
    return [
        Row(
            f"orchestrator RSS per job in flight ({f.in_flight:,} in flight)",
            f"{kib:.2f} KiB",
            "<= 2 KiB",
            kib <= 2,
        ),
        Row(
            f"throughput {f.big_jobs:,}-job run vs {f.small_jobs:,}-job run",
            f"{ratio:.2f} ({f.big_rate:,.0f} vs {f.small_rate:,.0f} jobs/s)",
            ">= 0.9",
            ratio >= 0.9,
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    """Measure and print the figures."""
    global _LAST
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--big", type=int, default=200_000)
    parser.add_argument("--in-flight", type=int, default=20_000)
    args = parser.parse_args(argv if argv is not None else [])
    _LAST = figures = measure(args.small, args.big, args.in_flight)
    print(f"{figures.small_jobs:>8,} jobs   {figures.small_rate:8,.0f} jobs/s")
    print(f"{figures.big_jobs:>8,} jobs   {figures.big_rate:8,.0f} jobs/s (same platform)")
    print(f"ratio big/small          {figures.big_rate / figures.small_rate:.2f}")
    print(
        f"RSS per job in flight ({figures.in_flight:,} in flight): "
        f"{figures.bytes_per_job_in_flight / 1024:.2f} KiB"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
