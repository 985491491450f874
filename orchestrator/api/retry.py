"""When to try a failed request again: exponential backoff with full jitter, honouring Retry-After.

Full jitter (a uniform draw between 0 and the exponential ceiling) spreads many clients that
failed together over the whole window instead of making them retry in lock-step. The server's
Retry-After is a floor: we never come back sooner than it asked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """How many times and how patiently the client retries a transient failure."""

    attempts: int = 6  # total tries of one request, the first included
    base_seconds: float = 0.1  # ceiling of the first backoff window
    max_seconds: float = 10.0  # cap of the backoff window
    max_retry_after_seconds: float = 120.0  # a Retry-After beyond this is not waited for

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.base_seconds < 0 or self.max_seconds < 0:
            raise ValueError("backoff seconds must not be negative")


def backoff_ceiling(policy: BackoffPolicy, retry_number: int) -> float:
    """The upper bound of the backoff window before retry number ``retry_number`` (1-based)."""
    exponent = min(retry_number - 1, 62)  # 2**62 already dwarfs any cap; avoid huge ints
    return min(policy.max_seconds, policy.base_seconds * float(2**exponent))


def backoff_delay(
    policy: BackoffPolicy,
    retry_number: int,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry ``retry_number``: full jitter, at least ``retry_after``."""
    draw = (rng or random).uniform(0.0, backoff_ceiling(policy, retry_number))
    if retry_after is None:
        return draw
    return max(draw, retry_after)


def should_retry(policy: BackoffPolicy, tries_so_far: int, retry_after: float | None) -> bool:
    """Whether another try is allowed after ``tries_so_far`` failed tries."""
    if tries_so_far >= policy.attempts:
        return False
    return retry_after is None or retry_after <= policy.max_retry_after_seconds


__all__ = ["BackoffPolicy", "backoff_ceiling", "backoff_delay", "should_retry"]
