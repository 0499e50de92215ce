"""ARC cache: bounded in bytes, counts hits/misses/evictions, adapts without losing data."""

from __future__ import annotations

import os

from objectio.native.engine import CACHE_BYTES_MIN, Engine


def test_hits_after_first_read(image: str) -> None:
    with Engine.open(image, cache_bytes=1 << 20) as eng:
        eng.put(b"k", b"v" * 1000)
        eng.get(b"k")
        s1 = eng.stats()
        for _ in range(10):
            eng.get(b"k")
        s2 = eng.stats()
        assert s2.cache_hits >= s1.cache_hits + 10
        assert s2.cache_capacity_bytes == 1 << 20


def test_cache_stays_bounded_and_evicts(image: str) -> None:
    cap = CACHE_BYTES_MIN
    with Engine.open(image, cache_bytes=cap) as eng:
        data = {b"c%03d" % i: os.urandom(20000) for i in range(100)}
        for k, v in data.items():
            eng.put(k, v)
        for _ in range(2):
            for k, v in data.items():
                assert eng.get(k) == v
                assert eng.stats().cache_bytes <= cap
        s = eng.stats()
        assert s.cache_evictions > 0 and s.cache_misses > 0
        # a small hot set gets hits even while a scan-like stream passes through
        hot = list(data)[:3]
        before = eng.stats().cache_hits
        for k in list(data)[3:]:
            eng.get(k)
            for h in hot:
                assert eng.get(h) == data[h]
        assert eng.stats().cache_hits - before > len(hot) * 80
