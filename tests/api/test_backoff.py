"""Exponential backoff with full jitter, at least the server's Retry-After."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orchestrator.api.retry import BackoffPolicy, backoff_ceiling, backoff_delay, should_retry


def test_ceiling_doubles_until_the_cap() -> None:
    policy = BackoffPolicy(base_seconds=0.5, max_seconds=3.0)
    assert [backoff_ceiling(policy, n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


@given(
    retry_number=st.integers(min_value=1, max_value=200),
    retry_after=st.none() | st.floats(min_value=0, max_value=100),
    seed=st.integers(),
)
def test_delay_lies_in_the_jitter_window_and_honours_retry_after(
    retry_number: int, retry_after: float | None, seed: int
) -> None:
    policy = BackoffPolicy(base_seconds=0.1, max_seconds=5.0)
    delay = backoff_delay(policy, retry_number, retry_after, random.Random(seed))
    ceiling = backoff_ceiling(policy, retry_number)
    assert delay >= (retry_after or 0.0)
    assert delay <= max(ceiling, retry_after or 0.0)


def test_full_jitter_spreads_delays_over_the_window() -> None:
    policy = BackoffPolicy(base_seconds=1.0, max_seconds=8.0)
    rng = random.Random(7)
    delays = [backoff_delay(policy, 4, None, rng) for _ in range(200)]
    assert min(delays) < 2.0 and max(delays) > 6.0


def test_retries_stop_after_the_attempt_budget() -> None:
    policy = BackoffPolicy(attempts=3)
    assert should_retry(policy, 1, None)
    assert should_retry(policy, 2, None)
    assert not should_retry(policy, 3, None)


def test_an_unreasonable_retry_after_is_not_waited_for() -> None:
    policy = BackoffPolicy(max_retry_after_seconds=60)
    assert should_retry(policy, 1, 60)
    assert not should_retry(policy, 1, 61)


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        BackoffPolicy(attempts=0)
    with pytest.raises(ValueError):
        BackoffPolicy(base_seconds=-1)
