"""Run every ``bench_*`` module of this package, in name order; exit 1 if one fails.

``python -m bench naive engine`` runs only ``bench_naive`` and ``bench_engine``. The run ends
with one summary table of the performance issue's figures (:mod:`bench.summary`).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback

import bench
from bench.summary import Row, table


def main(only: list[str]) -> int:
    """Import each bench module and call its ``main()``; then print the summary table."""
    failed = []
    rows: list[Row] = []
    names = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    if only:
        names = [n for n in names if n.removeprefix("bench_") in only or n in only]
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            module.main()
            if hasattr(module, "summary"):
                rows.extend(module.summary())
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    print("== summary (issue 13's figures, measured in this run)")
    print(table(rows))
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    selected = sys.argv[1:]
    del sys.argv[1:]  # the modules parse their own (default) options
    sys.exit(main(selected))
