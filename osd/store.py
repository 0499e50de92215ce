"""The OSD's storage contract and its two implementations.

:class:`ShardStore` is what the OsdService needs from a disk. :class:`NativeStore` runs the
native engine's blocking calls on a bounded thread pool (the engine releases the GIL and does its
own locking, and concurrent writers are what its group commit batches). :class:`MemoryStore` is
the in-memory model used by unit tests of the service.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol, TypeVar

from objectio.native.engine import (
    CorruptionError,
    Engine,
    EngineStats,
    NotFoundError,
    ShardInfo,
    SuperblockInfo,
)

T = TypeVar("T")

__all__ = [
    "CorruptionError",
    "MemoryStore",
    "NativeStore",
    "NotFoundError",
    "ShardInfo",
    "ShardStore",
    "StoreStats",
]


@dataclass(frozen=True)
class StoreStats:
    capacity_bytes: int
    used_bytes: int
    free_bytes: int
    object_count: int
    wal_bytes: int
    cache_hits: int
    cache_misses: int
    # Engine details for metrics (the in-memory model leaves them 0); counts are since open.
    wal_capacity_bytes: int = 0
    btree_pages: int = 0
    btree_dirty_pages: int = 0
    cache_bytes: int = 0
    cache_evictions: int = 0
    group_commits: int = 0
    group_commit_records: int = 0
    flushes: int = 0
    checkpoints: int = 0


class ShardStore(Protocol):
    async def put(self, key: bytes, data: bytes, meta: bytes) -> ShardInfo: ...
    async def put_many(self, items: Sequence[tuple[bytes, bytes, bytes]]) -> list[ShardInfo]: ...
    async def get(self, key: bytes, offset: int = 0, length: int | None = None) -> bytes: ...
    def get_cached(self, key: bytes, offset: int = 0, length: int | None = None) -> bytes | None:
        """``get``'s bytes if they can be had from memory without blocking, else None; called
        on the event loop, so it must never wait for I/O or a contended lock."""
        ...

    async def stat(self, key: bytes) -> ShardInfo: ...
    async def delete(self, key: bytes) -> None: ...
    async def scan(self, prefix: bytes, start_after: bytes, limit: int) -> list[ShardInfo]: ...
    async def verify(self, key: bytes) -> None: ...
    async def stats(self) -> StoreStats: ...
    async def close(self) -> None: ...


WriteObserver = Callable[[float], None]


class NativeStore:
    """``observe_write(seconds)``, when given, hears how long each durable engine write took."""

    def __init__(self, engine: Engine, io_threads: int, observe_write: WriteObserver | None = None) -> None:
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=io_threads, thread_name_prefix="engine-io")
        self._observe_write = observe_write

    @property
    def superblock(self) -> SuperblockInfo:
        return self.engine.superblock()

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def _timed(self, fn: Callable[..., T]) -> Callable[..., T]:
        observe = self._observe_write
        if observe is None:
            return fn

        def timed(*args: object) -> T:
            started = time.perf_counter()
            try:
                return fn(*args)
            finally:
                observe(time.perf_counter() - started)

        return timed

    async def put(self, key: bytes, data: bytes, meta: bytes) -> ShardInfo:
        return await self._run(self._timed(self.engine.put), key, data, meta)

    async def put_many(self, items: Sequence[tuple[bytes, bytes, bytes]]) -> list[ShardInfo]:
        return await self._run(self._timed(self.engine.put_many), list(items))

    async def get(self, key: bytes, offset: int = 0, length: int | None = None) -> bytes:
        return await self._run(self.engine.get, key, offset, length)

    def get_cached(self, key: bytes, offset: int = 0, length: int | None = None) -> bytes | None:
        # The engine's cache-only read: no device I/O, a trylock on its index; the cost of a
        # thread-pool hop (submit, wake a worker, wake the loop) is saved on every hit.
        return self.engine.get_cached(key, offset, length)

    async def stat(self, key: bytes) -> ShardInfo:
        return await self._run(self.engine.stat, key)

    async def delete(self, key: bytes) -> None:
        await self._run(self.engine.delete, key)

    async def scan(self, prefix: bytes, start_after: bytes, limit: int) -> list[ShardInfo]:
        return await self._run(self.engine.scan, prefix, start_after, limit)

    async def verify(self, key: bytes) -> None:
        await self._run(self.engine.verify, key)

    async def stats(self) -> StoreStats:
        s: EngineStats = await self._run(self.engine.stats)
        return StoreStats(
            s.capacity_bytes,
            s.used_bytes,
            s.free_bytes,
            s.object_count,
            s.wal_bytes,
            s.cache_hits,
            s.cache_misses,
            wal_capacity_bytes=s.wal_capacity_bytes,
            btree_pages=s.btree_pages,
            btree_dirty_pages=s.btree_dirty_pages,
            cache_bytes=s.cache_bytes,
            cache_evictions=s.cache_evictions,
            group_commits=s.group_commits,
            group_commit_records=s.group_commit_records,
            flushes=s.flushes,
            checkpoints=s.checkpoints,
        )

    async def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.engine.close()


class MemoryStore:
    """Dict-backed model of the engine's semantics (tests only)."""

    def __init__(self, capacity_bytes: int = 1 << 30, cached_record_bytes_max: int = 60 << 10) -> None:
        self.records: dict[bytes, tuple[bytes, bytes, int]] = {}
        self.corrupt: set[bytes] = set()
        # Like the engine: records up to this size are "cached" when written; tests may clear
        # the set to model a cold cache. The counters tell which read path served a request.
        self.cached: set[bytes] = set()
        self.cached_record_bytes_max = cached_record_bytes_max
        self.reads_cached = 0
        self.reads_waited = 0
        self.capacity_bytes = capacity_bytes
        self._lock = threading.Lock()

    def _info(self, key: bytes) -> ShardInfo:
        data, meta, generation = self.records[key]
        return ShardInfo(key=key, length=len(data), crc32c=0, generation=generation, flags=0, meta=meta)

    async def put(self, key: bytes, data: bytes, meta: bytes) -> ShardInfo:
        with self._lock:
            generation = self.records.get(key, (b"", b"", 0))[2] + 1
            self.records[key] = (bytes(data), meta, generation)
            self.corrupt.discard(key)
            if len(data) <= self.cached_record_bytes_max:
                self.cached.add(key)
            else:
                self.cached.discard(key)
            return self._info(key)

    async def put_many(self, items: Sequence[tuple[bytes, bytes, bytes]]) -> list[ShardInfo]:
        return [await self.put(*item) for item in items]

    def _check(self, key: bytes) -> None:
        if key not in self.records:
            raise NotFoundError(-1, f"key {key.hex()} not found")
        if key in self.corrupt:
            raise CorruptionError(-2, f"key {key.hex()} corrupt")

    async def get(self, key: bytes, offset: int = 0, length: int | None = None) -> bytes:
        self._check(key)
        self.reads_waited += 1
        data = self.records[key][0]
        return data[offset:] if length is None else data[offset : offset + length]

    def get_cached(self, key: bytes, offset: int = 0, length: int | None = None) -> bytes | None:
        if key not in self.records:
            raise NotFoundError(-1, f"key {key.hex()} not found")
        if key not in self.cached or key in self.corrupt:
            return None  # the regular read decides (and reports corruption)
        self.reads_cached += 1
        data = self.records[key][0]
        return data[offset:] if length is None else data[offset : offset + length]

    async def stat(self, key: bytes) -> ShardInfo:
        if key not in self.records:
            raise NotFoundError(-1, f"key {key.hex()} not found")
        return self._info(key)

    async def delete(self, key: bytes) -> None:
        self.cached.discard(key)
        if self.records.pop(key, None) is None:
            raise NotFoundError(-1, f"key {key.hex()} not found")

    async def scan(self, prefix: bytes, start_after: bytes, limit: int) -> list[ShardInfo]:
        keys = sorted(k for k in self.records if k.startswith(prefix) and k > start_after)
        return [self._info(k) for k in keys[:limit]]

    async def verify(self, key: bytes) -> None:
        self._check(key)

    async def stats(self) -> StoreStats:
        used = sum(len(d) for d, _, _ in self.records.values())
        return StoreStats(self.capacity_bytes, used, self.capacity_bytes - used, len(self.records), 0, 0, 0)

    async def close(self) -> None:
        return None
