"""The local platform a benchmark measures: simulated jobs, a temporary state dir, gone after."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orchestrator.manifest.model import JobSpec
from orchestrator.platform.process.embedded import LocalPlatform

INSTANT_FIELDS = {"pipelineYamlPath": "p.yaml", "timeout": 600, "maxRetries": 0}


def instant_specs(n: int, tag: str = "job") -> list[JobSpec]:
    """``n`` simulated jobs that succeed at once, keyed ``TAG-00000``... (a distinct ``tag``
    per round makes each round a distinct sweep)."""
    return [
        JobSpec(
            key=f"{tag}-{i:05d}",
            index=i,
            group="bench",
            name=f"bench {i}",
            matrix={"i": i},
            fields=INSTANT_FIELDS,
            parameters={"SIM_OUTCOME": "done", "SIM_DURATION": "0", "I": str(i)},
        )
        for i in range(n)
    ]


@contextmanager
def simulated_platform(**options: Any) -> Iterator[LocalPlatform]:
    """A started local platform on the simulate executor whose jobs last an hour (they stay
    put while measured) unless ``options`` say otherwise; ``options`` as for LocalPlatform."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        root = Path(tmp)
        settings: dict[str, Any] = {
            "state_dir": root / "state",
            "db": root / "platform.db",
            "workspace": root,
            "executor": "simulate",
            "sim_duration": "3600:3600",
            **options,
        }
        with LocalPlatform(**settings) as platform:
            yield platform
