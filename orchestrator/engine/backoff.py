"""Pure timing rules: retry backoff and the adaptive poll interval.

Kept free of clocks and randomness sources (the caller passes a uniform draw) so they are
unit-tested exactly.
"""

from __future__ import annotations

from orchestrator.manifest.model import RetryPolicy


def retry_delay(failed_attempt: int, retry: RetryPolicy, draw: float) -> float:
    """Seconds to wait before the attempt after ``failed_attempt`` (1-based).

    Exponential (``backoff * 2**(n-1)``), capped at ``max_backoff``, with "equal jitter":
    the result lies in ``[cap/2, cap)`` for ``draw`` in ``[0, 1)``, so retries of many jobs
    that failed together spread out but never come back sooner than half the backoff.
    """
    if failed_attempt < 1:
        raise ValueError("attempts are numbered from 1")
    exponent = min(failed_attempt - 1, 62)
    ceiling = min(retry.max_backoff_seconds, retry.backoff_seconds * (2.0**exponent))
    ceiling = max(ceiling, 0.0)
    return ceiling / 2 + ceiling / 2 * min(max(draw, 0.0), 1.0)


def transient_delay(consecutive_failures: int, base: float = 0.5, cap: float = 30.0) -> float:
    """Wait after a transient API failure the client gave up on (no jitter: one caller)."""
    exponent = min(max(consecutive_failures - 1, 0), 62)
    return float(min(cap, base * (2.0**exponent)))


def next_poll_interval(current: float, changes: int, low: float, high: float) -> float:
    """Poll faster while jobs change, slower while nothing moves.

    Any observed change halves the interval (down to ``low``); a poll with none stretches it
    by half (up to ``high``).
    """
    if changes > 0:
        return max(low, current / 2)
    return min(high, current * 1.5)


def may_retry(attempt: int, max_retries: int) -> bool:
    """True if a job whose attempt ``attempt`` (1-based) failed still has retries left."""
    return attempt - 1 < max_retries
