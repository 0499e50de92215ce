"""A byte-rate limit for background work (repair, scrub): an asyncio token bucket.

The bucket holds at most one second of tokens, so a pause never turns into a burst longer than
a second. A request larger than that is let through once the bucket is full and leaves it in
debt: the long-run rate still holds, and a fragment bigger than the per-second budget cannot
wait forever.
"""

from __future__ import annotations

import asyncio
import time


class TokenBucket:
    def __init__(self, bytes_per_s: int) -> None:
        if bytes_per_s <= 0:
            raise ValueError(f"bytes_per_s must be positive, got {bytes_per_s}")
        self.rate = float(bytes_per_s)
        self.capacity = float(bytes_per_s)
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, nbytes: int) -> None:
        """Wait until ``nbytes`` may be moved (callers queue in order)."""
        assert nbytes >= 0, "negative byte count"
        async with self._lock:
            self._refill()
            need = min(float(nbytes), self.capacity)
            while self._tokens < need:
                await asyncio.sleep((need - self._tokens) / self.rate)
                self._refill()
            self._tokens -= nbytes
