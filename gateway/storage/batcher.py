"""Coalescing of small fragment reads, writes and deletes into one RPC per OSD.

Concurrent requests that each need one small fragment written to (or read from, or an object's
records deleted on) the same OSD share one ``WriteShards`` (``ReadShards``, ``DeleteShards``)
call. Each OSD has one lane per kind; a lane keeps a bounded number of calls in flight
(``writes_in_flight_max`` for writes and deletes, ``reads_in_flight_max`` for reads). A request
queued while its lane has room is sent at the end of the current event-loop turn
(``call_soon``) with every request queued in that turn; a request queued while the lane is full
waits for the next call to finish and then goes with everything that queued meanwhile. So an
idle cluster pays no added latency, and under load the batches grow with the queue instead of
the RPC count (the same idea as the OSD's group commit). The OSD makes a ``WriteShards`` batch
durable with one group flush, so a write is still acknowledged only once durable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from grpc import aio

from objectio.common.grpcutil import call_metadata
from objectio.protos import osd_pb2
from objectio.protos import osd_pb2_grpc as osd_grpc

log = logging.getLogger("objectio.gateway.batcher")

T = TypeVar("T")
Item = TypeVar("Item")
Result = TypeVar("Result")

BATCH_SHARDS_MAX = 256  # below the OSD's own per-batch limit (1024)
BATCH_BYTES_MAX = 16 << 20
BATCH_DELETES_MAX = 64  # object ids per DeleteShards (the OSD scans each one's records)


class FragmentWriteFailed(Exception):
    """The OSD did not confirm the fragment durable."""


class DeleteFailed(Exception):
    """The OSD did not confirm the object's records deleted (GC finds them later)."""


Send = Callable[[int, list[Item]], Awaitable[list[Result]]]
ShardParts = tuple[osd_pb2.ShardAddress, bytes, osd_pb2.ShardMeta]  # one shard write: where, data, meta


@dataclass
class _Lane(Generic[Item, Result]):
    """Requests of one kind for one OSD: queued, and the calls in flight."""

    osd_id: int
    send: Send[Item, Result]
    size_of: Callable[[Item], int]
    shards_max: int
    in_flight_max: int
    queued: list[tuple[Item, asyncio.Future[Result]]] = field(default_factory=list)
    flush_scheduled: bool = False
    in_flight: int = 0


class OsdBatcher:
    def __init__(
        self,
        stubs: Callable[[int], osd_grpc.OsdServiceStub | None],
        token: str,
        timeout_seconds: float,
        *,
        writes_in_flight_max: int = 1,
        reads_in_flight_max: int = 2,
    ) -> None:
        if writes_in_flight_max < 1 or reads_in_flight_max < 1:
            raise ValueError(
                f"writes_in_flight_max={writes_in_flight_max}, reads_in_flight_max={reads_in_flight_max}: "
                "a lane needs room for at least one call"
            )
        self._stubs = stubs
        self._token = token
        self._timeout = timeout_seconds
        self._writes_max = writes_in_flight_max
        self._reads_max = reads_in_flight_max
        self._writes: dict[int, _Lane[ShardParts, None]] = {}
        self._reads: dict[int, _Lane[osd_pb2.ShardRead, bytes | None]] = {}
        self._deletes: dict[int, _Lane[bytes, None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.rpcs = 0
        self.fragments = 0

    # ---- the public operations -------------------------------------------------------------------

    async def write(self, osd_id: int, address: osd_pb2.ShardAddress, data: bytes, meta: osd_pb2.ShardMeta) -> None:
        """Once the OSD confirmed the shard durable; FragmentWriteFailed otherwise. The parts go
        straight into the batch's request (a ShardWrite built first would copy ``data`` twice)."""
        lane = self._writes.get(osd_id)
        if lane is None:
            lane = self._writes[osd_id] = _Lane(
                osd_id, self._send_writes, lambda w: len(w[1]), BATCH_SHARDS_MAX, self._writes_max
            )
        await self._enqueue(lane, (address, data, meta))

    async def read(self, osd_id: int, read: osd_pb2.ShardRead) -> bytes | None:
        """The fragment's bytes, or None when it is missing, corrupt or the OSD unreachable."""
        lane = self._reads.get(osd_id)
        if lane is None:
            lane = self._reads[osd_id] = _Lane(
                osd_id, self._send_reads, lambda r: r.length or 0, BATCH_SHARDS_MAX, self._reads_max
            )
        return await self._enqueue(lane, read)

    async def delete_object(self, osd_id: int, object_id: bytes) -> None:
        """Once the OSD deleted every record of ``object_id`` it holds; DeleteFailed otherwise."""
        lane = self._deletes.get(osd_id)
        if lane is None:
            lane = self._deletes[osd_id] = _Lane(
                osd_id, self._send_deletes, lambda _: 0, BATCH_DELETES_MAX, self._writes_max
            )
        await self._enqueue(lane, object_id)

    # ---- lanes -----------------------------------------------------------------------------------

    def _enqueue(self, lane: _Lane[Item, Result], item: Item) -> asyncio.Future[Result]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        lane.queued.append((item, future))
        if not lane.flush_scheduled and lane.in_flight < lane.in_flight_max:
            lane.flush_scheduled = True
            loop.call_soon(self._flush, lane)
        return future

    def _flush(self, lane: _Lane[Item, Result]) -> None:
        lane.flush_scheduled = False
        while lane.queued and lane.in_flight < lane.in_flight_max:
            batch = _take(lane.queued, lane.size_of, lane.shards_max)
            lane.in_flight += 1
            task = asyncio.ensure_future(self._call(lane, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _call(self, lane: _Lane[Item, Result], batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results: list[Result] | BaseException = await lane.send(lane.osd_id, [item for item, _ in batch])
        except Exception as exc:
            results = exc
        finally:
            lane.in_flight -= 1
            if lane.queued and not lane.flush_scheduled:
                lane.flush_scheduled = True
                asyncio.get_running_loop().call_soon(self._flush, lane)
        for index, (_, future) in enumerate(batch):
            if future.done():
                continue  # its request was cancelled
            if isinstance(results, BaseException):
                future.set_exception(results)
            else:
                future.set_result(results[index])

    # ---- the calls -------------------------------------------------------------------------------

    async def _send_writes(self, osd_id: int, shards: list[ShardParts]) -> list[None]:
        stub = self._stubs(osd_id)
        if stub is None:
            raise FragmentWriteFailed(f"osd {osd_id}: osd unknown")
        self.rpcs += 1
        self.fragments += len(shards)
        request = osd_pb2.WriteShardsRequest()
        for address, data, meta in shards:
            request.shards.add(address=address, data=data, meta=meta)
        try:
            await stub.WriteShards(request, metadata=call_metadata(self._token), timeout=self._timeout)
        except aio.AioRpcError as exc:
            raise FragmentWriteFailed(f"osd {osd_id}: {exc.code().name}: {exc.details()}") from exc
        return [None] * len(shards)

    async def _send_reads(self, osd_id: int, reads: list[osd_pb2.ShardRead]) -> list[bytes | None]:
        stub = self._stubs(osd_id)
        results: list[bytes | None] = [None] * len(reads)
        if stub is None:
            return results
        self.rpcs += 1
        self.fragments += len(reads)
        try:
            reply = await stub.ReadShards(
                osd_pb2.ReadShardsRequest(reads=reads), metadata=call_metadata(self._token), timeout=self._timeout
            )
        except aio.AioRpcError as exc:
            log.warning("batched read on osd %d failed: %s", osd_id, exc.code().name)
            return results
        for i, result in enumerate(reply.results):
            if result.status == osd_pb2.SHARD_OK:
                results[i] = result.data
            else:
                log.warning("fragment read on osd %d: status %d", osd_id, result.status)
        return results

    async def _send_deletes(self, osd_id: int, object_ids: list[bytes]) -> list[None]:
        stub = self._stubs(osd_id)
        if stub is None:
            raise DeleteFailed(f"osd {osd_id}: osd unknown")
        self.rpcs += 1
        try:
            await stub.DeleteShards(
                osd_pb2.DeleteShardsRequest(object_ids=object_ids),
                metadata=call_metadata(self._token),
                timeout=self._timeout,
            )
        except aio.AioRpcError as exc:
            raise DeleteFailed(f"osd {osd_id}: {exc.code().name}: {exc.details()}") from exc
        return [None] * len(object_ids)


def _take(items: list[tuple[Item, T]], size_of: Callable[[Item], int], count_max: int) -> list[tuple[Item, T]]:
    """Pop the head of ``items`` (item, future) up to the batch limits (at least one item)."""
    taken = 0
    total = 0
    while taken < len(items) and taken < count_max:
        total += size_of(items[taken][0])
        if taken and total > BATCH_BYTES_MAX:
            break
        taken += 1
    batch = items[:taken]
    del items[:taken]
    return batch
