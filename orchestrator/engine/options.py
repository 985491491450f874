"""Knobs of the engine itself; the run's policy (in flight, retries, deadline) comes from the
manifest."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Knobs of the engine itself (the run's policy comes from the manifest)."""

    poll_min_interval: float = 0.1
    poll_max_interval: float = 5.0
    poll_group: int = 5_000  # ids a poll reads and applies per step: bounds its memory
    submit_workers: int | None = None  # creates in flight; None: policy.max_requests_in_flight
    create_batch_size: int = 50
    cancel_on_interrupt: bool = False
    linger: float = 0.002  # seconds a submit worker waits for its batch to fill
    transient_backoff: float = 0.5  # first wait after an API failure the client gave up on
    outage: float | None = None  # seconds without a successful request; None: policy.outage
