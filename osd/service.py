"""OsdService: the gRPC face of one disk.

Maps shard addresses onto engine keys (``objectio.common.shardkey``), stores each fragment with
its self-describing ShardMeta, and streams large transfers stripe by stripe with a bounded number
of engine calls in flight. Engine errors become per-shard statuses (reads) or gRPC status codes
(writes) here and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
from grpc import aio

from objectio.common.shardkey import OBJECT_ID_BYTES, parse_shard_key, shard_key
from objectio.native.engine import CorruptionError, EngineError, NoSpaceError, NotFoundError, ShardInfo
from objectio.osd import quarantine
from objectio.osd.scrub import Scrubber
from objectio.osd.store import ShardStore
from objectio.protos import osd_pb2, osd_pb2_grpc

log = logging.getLogger("objectio.osd.service")

LIST_LIMIT_MAX = 10_000
BATCH_SHARDS_MAX = 1024
SCAN_PAGE_SHARDS = 1000  # engine records per scan call of ScanShardMeta


def _address(a: osd_pb2.ShardAddress) -> bytes:
    if len(a.object_id) != OBJECT_ID_BYTES:
        raise ValueError(f"object_id must be {OBJECT_ID_BYTES} bytes")
    return shard_key(a.object_id, a.stripe_index, a.fragment_index)


def _status_of(exc: Exception) -> osd_pb2.ShardStatus:
    if isinstance(exc, NotFoundError):
        return osd_pb2.SHARD_NOT_FOUND
    if isinstance(exc, CorruptionError):
        return osd_pb2.SHARD_CORRUPT
    return osd_pb2.SHARD_IO_ERROR


def _stat_message(info: ShardInfo) -> osd_pb2.ShardStat:
    address = parse_shard_key(info.key)
    meta = osd_pb2.ShardMeta()
    if info.meta:
        meta.ParseFromString(info.meta)
    return osd_pb2.ShardStat(
        address=osd_pb2.ShardAddress(
            object_id=address.object_id, stripe_index=address.stripe_index, fragment_index=address.fragment_index
        ),
        length=info.length,
        crc32c=info.crc32c,
        generation=info.generation,
        meta=meta,
    )


async def _abort_for(context: aio.ServicerContext[Any, Any], exc: Exception, what: str) -> None:
    if isinstance(exc, NoSpaceError):
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, f"{what}: disk full")
    if isinstance(exc, ValueError):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{what}: {exc}")
    log.error("%s failed: %s", what, exc)
    await context.abort(grpc.StatusCode.INTERNAL, f"{what}: {exc}")


class OsdServicer(osd_pb2_grpc.OsdServiceServicer):
    def __init__(
        self,
        store: ShardStore,
        osd_id: int,
        inflight_stripes_max: int,
        readahead_stripes: int,
        scrubber: Scrubber | None = None,
    ) -> None:
        self.scrubber = scrubber
        self.store = store
        self.osd_id = osd_id
        self.inflight_stripes_max = inflight_stripes_max
        self.readahead_stripes = readahead_stripes

    # ---- writes ----------------------------------------------------------------------------------

    async def WriteShard(
        self, request_iterator: AsyncIterator[osd_pb2.WriteShardMessage], context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.WriteShardReply:
        header: osd_pb2.WriteShardHeader | None = None
        pending: set[asyncio.Task[ShardInfo]] = set()
        written = 0
        try:
            async for message in request_iterator:
                if message.HasField("header"):
                    if header is not None:
                        raise ValueError("second header in one WriteShard stream")
                    header = message.header
                    if len(header.object_id) != OBJECT_ID_BYTES:
                        raise ValueError(f"object_id must be {OBJECT_ID_BYTES} bytes")
                    continue
                if header is None:
                    raise ValueError("WriteShard stream must start with a header")
                chunk = message.chunk
                meta = osd_pb2.ShardMeta()
                meta.CopyFrom(header.meta)
                meta.stripe_length = chunk.stripe_length
                key = shard_key(header.object_id, chunk.stripe_index, header.fragment_index)
                pending.add(asyncio.ensure_future(self.store.put(key, chunk.data, meta.SerializeToString())))
                if len(pending) >= self.inflight_stripes_max:
                    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    written += _count_ok(done)
            if pending:
                done, pending = await asyncio.wait(pending)
                written += _count_ok(done)
        except (EngineError, ValueError) as exc:
            await _cancel(pending)
            await _abort_for(context, exc, "WriteShard")
        except BaseException:
            await _cancel(pending)
            raise
        return osd_pb2.WriteShardReply(stripes_written=written)

    async def WriteShards(
        self, request: osd_pb2.WriteShardsRequest, context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.WriteShardsReply:
        if len(request.shards) > BATCH_SHARDS_MAX:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"more than {BATCH_SHARDS_MAX} shards in a batch")
        try:
            items = [(_address(s.address), s.data, s.meta.SerializeToString()) for s in request.shards]
            infos = await self.store.put_many(items)
        except (EngineError, ValueError) as exc:
            await _abort_for(context, exc, "WriteShards")
        return osd_pb2.WriteShardsReply(written=len(infos))

    # ---- reads -----------------------------------------------------------------------------------

    async def ReadShard(
        self, request: osd_pb2.ReadShardRequest, context: aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[osd_pb2.ReadShardChunk]:
        if len(request.object_id) != OBJECT_ID_BYTES or request.last_stripe < request.first_stripe:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad object_id or stripe range")
        stripes = range(request.first_stripe, request.last_stripe + 1)
        ahead: list[asyncio.Future[bytes]] = []
        try:
            for position, stripe in enumerate(stripes):
                while len(ahead) <= self.readahead_stripes and position + len(ahead) < len(stripes):
                    key = shard_key(request.object_id, stripes[position + len(ahead)], request.fragment_index)
                    ahead.append(asyncio.ensure_future(self.store.get(key)))
                data = await ahead.pop(0)
                yield osd_pb2.ReadShardChunk(stripe_index=stripe, data=data)
        except NotFoundError as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except CorruptionError as exc:
            await context.abort(grpc.StatusCode.DATA_LOSS, str(exc))
        except EngineError as exc:
            await context.abort(grpc.StatusCode.INTERNAL, str(exc))
        finally:
            await _cancel(set(ahead))

    async def ReadShards(
        self, request: osd_pb2.ReadShardsRequest, context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.ReadShardsReply:
        if len(request.reads) > BATCH_SHARDS_MAX:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"more than {BATCH_SHARDS_MAX} reads in a batch")

        async def one(key: bytes, read: osd_pb2.ShardRead) -> bytes | osd_pb2.ShardStatus:
            try:
                return await self.store.get(key, read.offset, read.length or None)
            except EngineError as exc:
                return _status_of(exc)

        # Reads the store can answer from memory are served here on the loop (no thread-pool
        # hop); the rest wait for the engine, concurrently.
        outcomes: list[bytes | osd_pb2.ShardStatus] = []
        waits: list[tuple[int, bytes, osd_pb2.ShardRead]] = []  # (position in outcomes, key, read)
        for read in request.reads:
            try:
                key = _address(read.address)
                cached = self.store.get_cached(key, read.offset, read.length or None)
            except (EngineError, ValueError) as exc:
                outcomes.append(_status_of(exc))
                continue
            if cached is None:
                waits.append((len(outcomes), key, read))
                outcomes.append(osd_pb2.SHARD_IO_ERROR)  # placeholder, replaced below
            else:
                outcomes.append(cached)
        if len(waits) == 1:
            position, key, read = waits[0]
            outcomes[position] = await one(key, read)
        elif waits:
            gathered = await asyncio.gather(*(one(key, read) for _, key, read in waits))
            for (position, _, _), outcome in zip(waits, gathered, strict=True):
                outcomes[position] = outcome
        reply = osd_pb2.ReadShardsReply()
        for outcome in outcomes:
            # add() copies the data once; a ShardReadResult built first would be copied again
            if isinstance(outcome, bytes):
                reply.results.add(status=osd_pb2.SHARD_OK, data=outcome)
            else:
                reply.results.add(status=outcome)
        return reply

    # ---- housekeeping ----------------------------------------------------------------------------

    async def DeleteShards(
        self, request: osd_pb2.DeleteShardsRequest, context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.DeleteShardsReply:
        keys: list[bytes] = []
        try:
            keys.extend(_address(a) for a in request.shards)
            for object_id in request.object_ids:
                if len(object_id) != OBJECT_ID_BYTES:
                    raise ValueError(f"object_id must be {OBJECT_ID_BYTES} bytes")
            for found in await asyncio.gather(*(self._all_keys(o) for o in request.object_ids)):
                keys.extend(found)
        except (EngineError, ValueError) as exc:
            await _abort_for(context, exc, "DeleteShards")
        # All at once: concurrent engine deletes share the engine's group commit (one flush).
        outcomes = await asyncio.gather(*(self.store.delete(key) for key in keys), return_exceptions=True)
        deleted = 0
        for outcome in outcomes:
            if isinstance(outcome, NotFoundError):
                continue
            if isinstance(outcome, EngineError):
                await _abort_for(context, outcome, "DeleteShards")
            elif isinstance(outcome, BaseException):
                raise outcome
            deleted += 1
        return osd_pb2.DeleteShardsReply(deleted=deleted)

    async def _all_keys(self, prefix: bytes) -> list[bytes]:
        keys: list[bytes] = []
        start_after = b""
        while True:
            page = await self.store.scan(prefix, start_after, 1000)
            keys.extend(info.key for info in page)
            if len(page) < 1000:
                return keys
            start_after = page[-1].key

    async def StatShard(
        self, request: osd_pb2.ShardAddress, context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.ShardStat:
        try:
            return _stat_message(await self.store.stat(_address(request)))
        except NotFoundError as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except (EngineError, ValueError) as exc:
            await _abort_for(context, exc, "StatShard")
        raise AssertionError("unreachable")  # context.abort raises

    async def ListShards(
        self, request: osd_pb2.ListShardsRequest, context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.ListShardsReply:
        limit = min(request.limit or 1000, LIST_LIMIT_MAX)
        page = await self.store.scan(request.prefix, request.start_after, limit)
        shards = [_stat_message(info) for info in page if quarantine.is_shard_key(info.key)]  # not entries
        reply = osd_pb2.ListShardsReply(shards=shards)
        if len(page) == limit:
            reply.next_start_after = page[-1].key
        return reply

    async def ScanShardMeta(
        self, request: osd_pb2.ScanShardMetaRequest, context: aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[osd_pb2.ShardStat]:
        """Every shard record (fragments and descriptor copies, not quarantine entries) with its
        ShardMeta, in key order; gRPC flow control paces the scan to the reader."""
        start_after = bytes(request.start_after)
        while True:
            try:
                page = await self.store.scan(b"", start_after, SCAN_PAGE_SHARDS)
            except EngineError as exc:
                await _abort_for(context, exc, "ScanShardMeta")
            for info in page:
                if quarantine.is_shard_key(info.key):
                    yield _stat_message(info)
            if len(page) < SCAN_PAGE_SHARDS:
                return
            start_after = page[-1].key

    async def VerifyShards(
        self, request: osd_pb2.VerifyShardsRequest, context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.VerifyShardsReply:
        statuses: list[osd_pb2.ShardStatus] = []
        for address in request.shards:
            try:
                await self.store.verify(_address(address))
                statuses.append(osd_pb2.SHARD_OK)
            except (EngineError, ValueError) as exc:
                statuses.append(_status_of(exc))
        return osd_pb2.VerifyShardsReply(statuses=statuses)

    async def GetStats(
        self, request: osd_pb2.GetStatsRequest, context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.OsdStats:
        s = await self.store.stats()
        return osd_pb2.OsdStats(
            osd_id=self.osd_id,
            capacity_bytes=s.capacity_bytes,
            used_bytes=s.used_bytes,
            free_bytes=s.free_bytes,
            shard_count=s.object_count,
            wal_bytes=s.wal_bytes,
            cache_hits=s.cache_hits,
            cache_misses=s.cache_misses,
        )

    # ---- scrub -----------------------------------------------------------------------------------

    async def StartScrub(
        self, request: osd_pb2.StartScrubRequest, context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.ScrubStatus:
        if self.scrubber is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "this OSD runs without a scrubber")
        assert self.scrubber is not None
        self.scrubber.request_pass()
        return await self.scrubber.status()

    async def GetScrubStatus(
        self, request: osd_pb2.GetScrubStatusRequest, context: aio.ServicerContext[Any, Any]
    ) -> osd_pb2.ScrubStatus:
        if self.scrubber is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "this OSD runs without a scrubber")
        assert self.scrubber is not None
        return await self.scrubber.status()


def _count_ok(done: set[asyncio.Task[ShardInfo]]) -> int:
    for task in done:
        task.result()  # re-raise the first engine error
    return len(done)


async def _cancel(tasks: set[asyncio.Task[Any]] | set[asyncio.Future[Any]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        try:
            await task
        except BaseException:
            continue
