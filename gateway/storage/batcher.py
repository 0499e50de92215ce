"""Coalescing of small fragment reads and writes into one RPC per OSD.

Concurrent requests that each need one small fragment written to (or read from) the same OSD in
the same event-loop turn share one ``WriteShards`` (``ReadShards``) call: the first request of a
turn schedules a flush with ``call_soon``, and every request queued before it runs rides along.
The OSD makes a ``WriteShards`` batch durable with one group flush, so batching saves RPCs on
the gateway and flushes on the disk without changing when a write is acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from grpc import aio

from objectio.common.grpcutil import call_metadata
from objectio.protos import osd_pb2
from objectio.protos import osd_pb2_grpc as osd_grpc

log = logging.getLogger("objectio.gateway.batcher")

T = TypeVar("T")

BATCH_SHARDS_MAX = 256  # below the OSD's own per-batch limit (1024)
BATCH_BYTES_MAX = 16 << 20


class FragmentWriteFailed(Exception):
    """The OSD did not confirm the fragment durable."""


@dataclass
class _Queue:
    writes: list[tuple[osd_pb2.ShardWrite, asyncio.Future[None]]] = field(default_factory=list)
    reads: list[tuple[osd_pb2.ShardRead, asyncio.Future[bytes | None]]] = field(default_factory=list)
    write_flush_scheduled: bool = False
    read_flush_scheduled: bool = False


class OsdBatcher:
    def __init__(
        self, stubs: Callable[[int], osd_grpc.OsdServiceStub | None], token: str, timeout_seconds: float
    ) -> None:
        self._stubs = stubs
        self._token = token
        self._timeout = timeout_seconds
        self._queues: dict[int, _Queue] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.rpcs = 0
        self.fragments = 0

    def _queue(self, osd_id: int) -> _Queue:
        queue = self._queues.get(osd_id)
        if queue is None:
            queue = self._queues[osd_id] = _Queue()
        return queue

    def _spawn(self, coro: object) -> None:
        task = asyncio.ensure_future(coro)  # type: ignore[call-overload]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- writes ----------------------------------------------------------------------------------

    async def write(self, osd_id: int, shard: osd_pb2.ShardWrite) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queue(osd_id)
        queue.writes.append((shard, future))
        if not queue.write_flush_scheduled:
            queue.write_flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._spawn, self._flush_writes(osd_id))
        await future

    async def _flush_writes(self, osd_id: int) -> None:
        queue = self._queue(osd_id)
        queue.write_flush_scheduled = False
        while queue.writes:
            batch = _take(queue.writes, lambda item: len(item[0].data))
            self._spawn(self._send_writes(osd_id, batch))

    async def _send_writes(self, osd_id: int, batch: list[tuple[osd_pb2.ShardWrite, asyncio.Future[None]]]) -> None:
        stub = self._stubs(osd_id)
        error: str | None = "osd unknown" if stub is None else None
        if stub is not None:
            self.rpcs += 1
            self.fragments += len(batch)
            try:
                await stub.WriteShards(
                    osd_pb2.WriteShardsRequest(shards=[shard for shard, _ in batch]),
                    metadata=call_metadata(self._token),
                    timeout=self._timeout,
                )
            except aio.AioRpcError as exc:
                error = f"{exc.code().name}: {exc.details()}"
        for _, future in batch:
            if future.done():
                continue
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(FragmentWriteFailed(f"osd {osd_id}: {error}"))

    # ---- reads -----------------------------------------------------------------------------------

    async def read(self, osd_id: int, read: osd_pb2.ShardRead) -> bytes | None:
        """The fragment's bytes, or None when it is missing, corrupt or the OSD unreachable."""
        future: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        queue = self._queue(osd_id)
        queue.reads.append((read, future))
        if not queue.read_flush_scheduled:
            queue.read_flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._spawn, self._flush_reads(osd_id))
        return await future

    async def _flush_reads(self, osd_id: int) -> None:
        queue = self._queue(osd_id)
        queue.read_flush_scheduled = False
        while queue.reads:
            batch = _take(queue.reads, lambda item: item[0].length or 0)
            self._spawn(self._send_reads(osd_id, batch))

    async def _send_reads(
        self, osd_id: int, batch: list[tuple[osd_pb2.ShardRead, asyncio.Future[bytes | None]]]
    ) -> None:
        stub = self._stubs(osd_id)
        results: list[bytes | None] = [None] * len(batch)
        if stub is not None:
            self.rpcs += 1
            self.fragments += len(batch)
            try:
                reply = await stub.ReadShards(
                    osd_pb2.ReadShardsRequest(reads=[read for read, _ in batch]),
                    metadata=call_metadata(self._token),
                    timeout=self._timeout,
                )
                for i, result in enumerate(reply.results):
                    if result.status == osd_pb2.SHARD_OK:
                        results[i] = result.data
                    else:
                        log.warning("fragment read on osd %d: status %d", osd_id, result.status)
            except aio.AioRpcError as exc:
                log.warning("batched read on osd %d failed: %s", osd_id, exc.code().name)
        for (_, future), data in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(data)


def _take(items: list[T], size_of: Callable[[T], int]) -> list[T]:
    """Pop the head of ``items`` up to the batch limits (at least one item)."""
    taken = 0
    total = 0
    while taken < len(items) and taken < BATCH_SHARDS_MAX:
        total += size_of(items[taken])
        if taken and total > BATCH_BYTES_MAX:
            break
        taken += 1
    batch = items[:taken]
    del items[:taken]
    return batch
