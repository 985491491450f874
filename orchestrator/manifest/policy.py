"""Validate ``policy:`` into a Policy (how the engine drives the run)."""

from __future__ import annotations

from typing import Any

from orchestrator.manifest.checker import Checker
from orchestrator.manifest.durations import parse_duration
from orchestrator.manifest.errors import did_you_mean
from orchestrator.manifest.fields import POLICY_KEYS, RETRY_KEYS, RETRYABLE_STATUSES
from orchestrator.manifest.model import Policy, RetryPolicy
from orchestrator.manifest.yaml_source import PathKey


def absent_is_empty(value: Any) -> Any:
    """An optional section left empty (``defaults:`` with nothing after it) means none."""
    return {} if value is None else value


def build_policy(check: Checker, raw: Any) -> Policy | None:
    """The Policy of ``policy:`` (defaults for what is absent); None if anything is invalid."""
    spec = check.mapping(raw, ("policy",))
    if spec is None:
        return None
    check.known_keys(spec, ("policy",), POLICY_KEYS)
    defaults = Policy()
    values: dict[str, Any] = {}
    ok = True

    def number(key: str, minimum: int, default: int) -> int:
        nonlocal ok
        if key not in spec:
            return default
        value = check.integer(spec[key], ("policy", key), minimum)
        ok = ok and value is not None
        return value if value is not None else default

    values["max_in_flight"] = number("maxInFlight", 1, defaults.max_in_flight)
    values["max_jobs"] = number("maxJobs", 1, defaults.max_jobs)
    values["max_requests_in_flight"] = number(
        "maxRequestsInFlight", 1, defaults.max_requests_in_flight
    )
    if spec.get("deadline") is not None:
        try:
            values["deadline_seconds"] = parse_duration(spec["deadline"])
        except ValueError as exc:
            check.error(("policy", "deadline"), f"policy.deadline: {exc}")
            ok = False
    if spec.get("outage") is not None:
        try:
            values["outage_seconds"] = parse_duration(spec["outage"])
        except ValueError as exc:
            check.error(("policy", "outage"), f"policy.outage: {exc}")
            ok = False
    if "failFast" in spec:
        if isinstance(spec["failFast"], bool):
            values["fail_fast"] = spec["failFast"]
        else:
            check.error(("policy", "failFast"), "policy.failFast must be true or false")
            ok = False
    rate = spec.get("requestsPerSecond")
    if rate is not None:
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate < 1e9:
            check.error(
                ("policy", "requestsPerSecond"), "policy.requestsPerSecond must be a number > 0"
            )
            ok = False
        else:
            values["requests_per_second"] = float(rate)
    retry = _retry(check, absent_is_empty(spec.get("retry")))
    if retry is None:
        return None
    return Policy(retry=retry, **values) if ok else None


def _retry(check: Checker, raw: Any) -> RetryPolicy | None:
    path: PathKey = ("policy", "retry")
    spec = check.mapping(raw, path)
    if spec is None:
        return None
    check.known_keys(spec, path, RETRY_KEYS)
    defaults = RetryPolicy()
    values: dict[str, Any] = {}
    ok = True
    for key, attribute in (("backoff", "backoff_seconds"), ("maxBackoff", "max_backoff_seconds")):
        if key in spec:
            try:
                values[attribute] = parse_duration(spec[key])
            except ValueError as exc:
                check.error((*path, key), f"policy.retry.{key}: {exc}")
                ok = False
    if values.get("backoff_seconds", defaults.backoff_seconds) > values.get(
        "max_backoff_seconds", defaults.max_backoff_seconds
    ):
        check.error(path, "policy.retry.backoff must not exceed maxBackoff")
        ok = False
    if "on" in spec:
        on = spec["on"]
        if not isinstance(on, list) or not all(isinstance(s, str) for s in on):
            check.error((*path, "on"), "policy.retry.on must be a list of job statuses")
            ok = False
        else:
            for i, status in enumerate(on):
                if status not in RETRYABLE_STATUSES:
                    check.error(
                        (*path, "on", i),
                        f"cannot retry on {status!r}; choose from "
                        f"{', '.join(RETRYABLE_STATUSES)}"
                        f"{did_you_mean(status, RETRYABLE_STATUSES)}",
                    )
                    ok = False
            values["on"] = frozenset(on)
    return RetryPolicy(**values) if ok else None
