"""Benchmark: validation is linear in the manifest's size.

Two shapes that used to be slow, each loaded at a size and at 10x that size, in fresh
processes (CPU time of ``load_manifest``, steadier than wall time on a shared machine, with
the wall time beside it, and the process's peak RSS):

* many one-job groups (5,000 and 50,000): reported as seconds per 10,000 groups;
* many inline items (20,000 and 200,000, over ``maxJobs`` so the load ends in that error, as
  it did when it took 21 s and 660 MB): reported as seconds per 100,000 items.

The growth ratio is (time at 10x) / (time at 1x): 10 means linear, 100 quadratic. Memory is
shown next to a bare ``import orchestrator.manifest`` process (the floor).

Run: ``python -m bench.bench_validate [--groups N] [--items N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bench.bench_expand import run_measured

_LOAD = """\
import json, sys, time
from orchestrator.manifest import ManifestError, load_manifest
started, cpu = time.perf_counter(), time.process_time()
try:
    load_manifest(sys.argv[1])
    outcome = "loaded"
except ManifestError as exc:
    outcome = exc.issues[0].message[:60]
print(json.dumps({
    "seconds": time.process_time() - cpu, "wall": time.perf_counter() - started, "outcome": outcome
}))
"""


def groups_manifest(count: int) -> str:
    """``count`` job groups of one job each."""
    lines = ["name: groups", "defaults: {pipelineYamlPath: p.yaml}", "jobs:"]
    lines += [f"  - {{group: g{i}, parameters: {{X: '{i}'}}}}" for i in range(count)]
    return "\n".join(lines) + f"\npolicy: {{maxJobs: {count}}}\n"


def items_manifest(count: int) -> str:
    """One group of ``count`` inline items, more than its ``maxJobs``."""
    lines = ["name: items", "defaults: {pipelineYamlPath: p.yaml}", "jobs:", "  - items:"]
    lines += [f"      - {{x: {i}, y: v{i}}}" for i in range(count)]
    return "\n".join(lines) + f"\npolicy: {{maxJobs: {count // 2}}}\n"


def measure(folder: Path, name: str, text: str) -> tuple[float, int, str]:
    """(load CPU seconds, peak RSS MiB, outcome) of loading ``text`` in a fresh process."""
    path = folder / name
    path.write_text(text)
    _, rss, out = run_measured([sys.executable, "-c", _LOAD, str(path)])
    result = json.loads(out)
    return result["seconds"], rss, f"{result['wall']:.2f} s wall; {result['outcome']}"


def report(label: str, unit: int, small: int, sizes: dict[int, tuple[float, int, str]]) -> None:
    (n1, (t1, m1, _)), (n2, (t2, m2, outcome)) = sorted(sizes.items())
    print(f"  {label}: {n1:,} in {t1:.2f} s CPU ({m1} MiB), {n2:,} in {t2:.2f} s ({m2} MiB)")
    print(
        f"    {t2 / n2 * unit:.2f} s per {unit:,} at {n2:,}; growth x{t2 / t1:.1f} for x{n2 // n1}"
    )
    print(f"    memory over the floor: {m1 - small} MiB -> {m2 - small} MiB; ended: {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=50_000, help="groups at the large size")
    parser.add_argument("--items", type=int, default=200_000, help="items at the large size")
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    _, floor, _ = run_measured([sys.executable, "-c", "import orchestrator.manifest"])
    print(f"  floor: import orchestrator.manifest, {floor} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        groups = {
            n: measure(folder, f"groups-{n}.yaml", groups_manifest(n))
            for n in (args.groups // 10, args.groups)
        }
        report("one-job groups", 10_000, floor, groups)
        items = {
            n: measure(folder, f"items-{n}.yaml", items_manifest(n))
            for n in (args.items // 10, args.items)
        }
        report("inline items", 100_000, floor, items)


if __name__ == "__main__":
    main()
