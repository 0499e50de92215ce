"""The token bucket that limits repair and scrub bandwidth."""

from __future__ import annotations

import time

import pytest

from objectio.common.ratelimit import TokenBucket


async def test_the_rate_holds_after_the_first_second_of_burst() -> None:
    bucket = TokenBucket(1_000_000)
    started = time.monotonic()
    for _ in range(15):
        await bucket.acquire(100_000)  # 1.5 MB: the first 1 MB is the full bucket
    assert 0.4 <= time.monotonic() - started < 2.0


async def test_a_request_larger_than_the_bucket_passes_and_leaves_debt() -> None:
    bucket = TokenBucket(1_000_000)
    await bucket.acquire(3_000_000)  # a full bucket lets it through
    started = time.monotonic()
    await bucket.acquire(1)  # then 2 MB of debt must be paid back first
    assert time.monotonic() - started >= 1.5


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        TokenBucket(0)
