"""Submit-time overrides of a manifest's policy: ``run M --max-in-flight N --deadline 2h
--fail-fast``, as ``argo submit`` takes them.

The overridden policy is the one recorded in the ledger with the run, so ``resume`` and
``retry`` (and a ``--detach``ed run) drive it the same way without repeating the flags.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import click

from orchestrator.manifest import Manifest
from orchestrator.manifest.durations import parse_duration

OVERRIDE_KEYS = ("max_in_flight", "deadline", "fail_fast")


def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def override_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--max-in-flight, --deadline and --fail-fast (each overrides the manifest's policy)."""
    for option in reversed(
        [
            click.option(
                "--max-in-flight",
                type=click.IntRange(min=1),
                help="Override policy.maxInFlight: jobs submitted and not final at once.",
            ),
            click.option(
                "--deadline",
                callback=_duration,
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
    """``manifest`` with the given overrides in its policy; pops them from ``options``."""
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
