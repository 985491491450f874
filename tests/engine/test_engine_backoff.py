"""Pure timing rules: retry backoff, transient waits, adaptive poll interval."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.engine.backoff import (
    may_retry,
    next_poll_interval,
    retry_delay,
    transient_delay,
)
from orchestrator.manifest.model import RetryPolicy

POLICY = RetryPolicy(backoff_seconds=10, max_backoff_seconds=300)


def test_retry_delay_doubles_per_attempt_within_jitter_bounds() -> None:
    assert retry_delay(1, POLICY, 0.0) == 5.0
    assert retry_delay(1, POLICY, 1.0) == 10.0
    assert retry_delay(2, POLICY, 0.0) == 10.0
    assert retry_delay(3, POLICY, 0.5) == 30.0


def test_retry_delay_is_capped() -> None:
    assert retry_delay(50, POLICY, 1.0) == 300.0
    assert retry_delay(10_000, POLICY, 0.0) == 150.0


def test_retry_delay_rejects_attempt_zero() -> None:
    with pytest.raises(ValueError):
        retry_delay(0, POLICY, 0.5)


@given(st.integers(1, 200), st.floats(0, 1), st.floats(0, 100), st.floats(0, 1000))
def test_retry_delay_stays_between_half_cap_and_cap(
    attempt: int, draw: float, base: float, cap: float
) -> None:
    policy = RetryPolicy(backoff_seconds=base, max_backoff_seconds=cap)
    ceiling = min(cap, base * 2.0 ** min(attempt - 1, 62))
    delay = retry_delay(attempt, policy, draw)
    assert ceiling / 2 - 1e-9 <= delay <= ceiling + 1e-9


def test_transient_delay_grows_and_caps() -> None:
    assert [transient_delay(n, 1.0, 5.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


def test_poll_interval_halves_on_change_and_stretches_when_idle() -> None:
    assert next_poll_interval(1.0, changes=3, low=0.1, high=5) == 0.5
    assert next_poll_interval(0.15, changes=1, low=0.1, high=5) == 0.1
    assert next_poll_interval(1.0, changes=0, low=0.1, high=5) == 1.5
    assert next_poll_interval(4.0, changes=0, low=0.1, high=5) == 5


def test_may_retry_counts_attempts_against_budget() -> None:
    assert may_retry(1, 1)
    assert not may_retry(2, 1)
    assert not may_retry(1, 0)
