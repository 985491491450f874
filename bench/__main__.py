"""Run every ``bench_*`` module of this package, in name order; exit 1 if one fails."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
import traceback

import bench


def main() -> int:
    """Import each bench module and call its ``main()``."""
    failed = []
    names = sorted(
        m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("bench_")
    )
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        try:
            importlib.import_module(f"bench.{name}").main()
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
