"""Submit-time overrides, as ``argo submit`` takes them: ``run M -p KEY=VALUE`` (a value of
the manifest's ``variables``), ``--max-in-flight N``, ``--deadline 2h``, ``--fail-fast``.

Both are recorded in the ledger with the run (the ``-p`` values, and the overridden policy),
so ``resume`` and ``retry`` (and a ``--detach``ed run) expand and drive it the same way
without repeating the flags.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import click

from orchestrator.cli.manifest import PARAM_OPTION
from orchestrator.cli.options import duration_value
from orchestrator.manifest import Manifest

OVERRIDE_KEYS = ("params", "max_in_flight", "deadline", "fail_fast")


def override_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """-p/--param, --max-in-flight, --deadline and --fail-fast."""
    for option in reversed(
        [
            PARAM_OPTION,
            click.option(
                "--max-in-flight",
                type=click.IntRange(min=1),
                help="Override policy.maxInFlight: jobs submitted and not final at once.",
            ),
            click.option(
                "--deadline",
                callback=duration_value,
                metavar="DURATION",
                help="Override policy.deadline (10s, 5m, 2h, 1h30m): then cancel what is left.",
            ),
            click.option(
                "--fail-fast",
                is_flag=True,
                default=None,
                help="Override policy.failFast: stop at the first job that finally fails.",
            ),
        ]
    ):
        func = option(func)
    return func


def apply_overrides(manifest: Manifest, options: dict[str, Any]) -> Manifest:
    """``manifest`` with the policy overrides of ``options`` (``-p`` values are given to
    :func:`load_manifest` instead: they change the jobs)."""
    max_in_flight = options.pop("max_in_flight", None)
    deadline = options.pop("deadline", None)
    fail_fast = options.pop("fail_fast", None)
    changes: dict[str, Any] = {}
    if max_in_flight is not None:
        changes["max_in_flight"] = max_in_flight
    if deadline is not None:
        changes["deadline_seconds"] = deadline
    if fail_fast:
        changes["fail_fast"] = True
    if not changes:
        return manifest
    return dataclasses.replace(manifest, policy=dataclasses.replace(manifest.policy, **changes))
