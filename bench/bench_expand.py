"""Benchmark: counting and expanding a 1,000,000-job matrix.

Reports, all measured in this run:

* ``orchestrator plan FILE --count`` in a fresh process: wall time and peak RSS, next to a
  bare ``python -c "import orchestrator.cli"`` (the floor: interpreter + imports), as a ratio.
* expansion throughput of ``Manifest.jobs()`` (rendered JobSpecs with keys) against the raw
  ``itertools.product`` of the same axes building plain dicts, as a ratio (how much the
  rendering, templates and keys cost on top of the bare product).
* with ``--full``: peak RSS of a process that expands all 1,000,000 jobs (bounded memory
  means it stays close to the count-only process).

Run: ``python -m bench.bench_expand [--jobs N] [--sample N] [--full]``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orchestrator.manifest import load_manifest

MANIFEST = """\
name: bench
defaults: {{pipelineYamlPath: pipelines/train.yaml, timeout: 600, maxRetries: 1}}
jobs:
  - name: "train-{{{{ a }}}}-{{{{ b }}}}"
    matrix:
      a: {{range: [{side}]}}
      b: {{range: [{side}]}}
    parameters: {{A: "{{{{ a }}}}", B: "{{{{ b }}}}", DATA: "s3://bucket/{{{{ a }}}}.csv"}}
policy: {{maxJobs: {jobs}}}
"""


def run_measured(command: list[str]) -> tuple[float, int, str]:
    """Run a child process; return (wall seconds, peak RSS in MiB, stdout)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{command} failed ({proc.returncode}): {err}")
    return elapsed, usage.ru_maxrss // 1024, out  # ru_maxrss is KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000, help="matrix size (a square)")
    parser.add_argument("--sample", type=int, default=200_000, help="jobs expanded in-process")
    parser.add_argument("--full", action="store_true", help="also expand every job in a child")
    args = parser.parse_args()
    side = int(args.jobs**0.5)
    jobs = side * side
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.yaml"
        path.write_text(MANIFEST.format(side=side, jobs=jobs))

        floor_s, floor_mb, _ = run_measured([sys.executable, "-c", "import orchestrator.cli"])
        count_s, count_mb, out = run_measured(
            [sys.executable, "-m", "orchestrator", "plan", str(path), "--count"]
        )
        assert int(out) == jobs, out
        print(f"plan --count of {jobs:,} jobs: {count_s:.3f} s, peak RSS {count_mb} MiB")
        print(
            f"  floor (python -c 'import orchestrator.cli'): {floor_s:.3f} s, {floor_mb} MiB; "
            f"ratio {count_s / floor_s:.2f}x time, {count_mb / max(floor_mb, 1):.2f}x memory"
        )

        manifest = load_manifest(path)
        sample = min(args.sample, jobs)
        started = time.perf_counter()
        produced = sum(1 for _ in itertools.islice(manifest.jobs(), sample))
        ours = time.perf_counter() - started

        started = time.perf_counter()
        names = ("a", "b")
        raw = sum(
            1
            for combo in itertools.islice(itertools.product(range(side), range(side)), sample)
            if dict(zip(names, combo, strict=True))
        )
        baseline = time.perf_counter() - started
        assert produced == raw == sample
        print(
            f"expansion: {sample / ours:,.0f} jobs/s (rendered JobSpecs with keys) vs "
            f"{sample / baseline:,.0f} combos/s (raw itertools.product -> dict); "
            f"ratio {ours / baseline:.1f}x slower than the bare product"
        )

        if args.full:
            code = (
                "import sys; from orchestrator.manifest import load_manifest; "
                "print(sum(1 for _ in load_manifest(sys.argv[1]).jobs()))"
            )
            full_s, full_mb, out = run_measured([sys.executable, "-c", code, str(path)])
            assert int(out) == jobs, out
            print(
                f"full expansion of {jobs:,} jobs: {full_s:.1f} s, peak RSS {full_mb} MiB "
                f"({full_mb / max(count_mb, 1):.2f}x the count-only process)"
            )


if __name__ == "__main__":
    main()
