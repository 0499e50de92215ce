"""Reading an object's stripes back, healthy or degraded.

Healthy path: one server-streaming ReadShard per data fragment (the codes are systematic, so the
k data fragments' payloads concatenated are the stripe: no decode). When any of those streams
fails, or the stripes do not share one placement, the reader falls back to per-stripe batched
reads that try data fragments first and parity next, and decodes from any k that arrive.
Memory is bounded by a few stripes: streams advance in lockstep, one stripe at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

from grpc import aio

from objectio.common.erasure import DecodeError, decode_stripe, join_data_fragments
from objectio.common.grpcutil import call_metadata
from objectio.common.pools import PoolSpec
from objectio.gateway.storage import hooks
from objectio.gateway.storage.batcher import OsdBatcher
from objectio.protos import meta_pb2, osd_pb2
from objectio.protos import osd_pb2_grpc as osd_grpc

log = logging.getLogger("objectio.gateway.reader")


class StripeUnreadable(Exception):
    """Fewer than k fragments of a stripe could be read."""


StubLookup = Callable[[int], osd_grpc.OsdServiceStub | None]
DegradedReport = Callable[[int, list[int]], None]  # (stripe index, fragments that failed): read-repair


class StripeReader:
    def __init__(
        self,
        *,
        pool: PoolSpec,
        record: meta_pb2.ObjectRecord,
        stubs: StubLookup,
        batcher: OsdBatcher,
        token: str,
        timeout_seconds: float,
        on_degraded: DegradedReport | None = None,
    ) -> None:
        self.batcher = batcher
        self.on_degraded = on_degraded
        self.pool = pool
        self.record = record
        self.stubs = stubs
        self.token = token
        self.timeout_seconds = timeout_seconds
        self.stripe_bytes = pool.stripe_data_bytes

    def stripe_span(self, first_byte: int, last_byte: int) -> tuple[int, int]:
        return first_byte // self.stripe_bytes, last_byte // self.stripe_bytes

    async def read_stripe(self, stripe_index: int) -> bytes:
        """One stripe through batched unary reads (degraded-capable).

        Reads k fragments (data first) and fetches more only for those that fail. Any k
        fragments decode an RS stripe; an LRC stripe is not MDS — some k-fragment sets miss an
        equation (20 of the 220 triple losses of LRC 8+2+2) — so when such a decode fails the
        remaining fragments are fetched and the decode runs again on all of them."""
        placement = self.record.stripes[stripe_index]
        order = [i for i in range(self.pool.fragments) if placement.osd_ids[i]]
        got: dict[int, bytes] = {}
        failed: list[int] = []
        cursor = await self._gather(stripe_index, order, 0, self.pool.k, got, failed)
        if self.on_degraded is not None and (failed or len(order) < self.pool.fragments):
            self.on_degraded(stripe_index, failed)  # meta checks these fragments and queues a repair
        if len(got) < self.pool.k:
            raise StripeUnreadable(
                f"object {self.record.bucket}/{self.record.key} stripe {stripe_index}: "
                f"only {len(got)} of {self.pool.k} needed fragments readable"
            )
        if all(i in got for i in range(self.pool.k)):
            # Systematic code: the data fragments' payloads are the stripe. A join is a copy that
            # holds the GIL anyway, so a thread hop would only add latency.
            return join_data_fragments(self.pool, got, placement.length)
        hooks.observer.degraded_read()
        try:
            return await asyncio.to_thread(_timed_decode, self.pool, got, placement.length)
        except DecodeError as exc:
            if cursor >= len(order):
                raise StripeUnreadable(str(exc)) from exc
            log.warning("decode of stripe %d from %s failed; reading every fragment", stripe_index, sorted(got))
        await self._gather(stripe_index, order, cursor, len(order), got, failed)
        try:
            return await asyncio.to_thread(_timed_decode, self.pool, got, placement.length)
        except DecodeError as exc:
            raise StripeUnreadable(str(exc)) from exc

    async def _gather(
        self, stripe_index: int, order: list[int], cursor: int, want: int, got: dict[int, bytes], failed: list[int]
    ) -> int:
        """Fetch fragments of ``order`` from ``cursor`` on until ``want`` are in ``got`` (or none
        are left); the indices that could not be read go to ``failed``. Returns the new cursor."""
        placement = self.record.stripes[stripe_index]
        while len(got) < want and cursor < len(order):
            batch = order[cursor : cursor + want - len(got)]
            cursor += len(batch)
            results = await asyncio.gather(*(self._fetch(stripe_index, i, placement.osd_ids[i]) for i in batch))
            got.update({i: data for i, data in zip(batch, results, strict=True) if data is not None})
            failed.extend(i for i, data in zip(batch, results, strict=True) if data is None)
        return cursor

    async def _fetch(self, stripe_index: int, fragment_index: int, osd_id: int) -> bytes | None:
        address = osd_pb2.ShardAddress(
            object_id=self.record.object_id, stripe_index=stripe_index, fragment_index=fragment_index
        )
        return await self.batcher.read(osd_id, osd_pb2.ShardRead(address=address))

    def _uniform_placement(self, first: int, last: int) -> list[int] | None:
        osd_ids = list(self.record.stripes[first].osd_ids)
        if any(not osd_ids[i] for i in range(self.pool.k)):
            return None
        for s in range(first + 1, last + 1):
            if list(self.record.stripes[s].osd_ids) != osd_ids:
                return None
        return osd_ids

    async def stream(self, first_byte: int, last_byte: int) -> AsyncIterator[bytes]:
        """Yield the object's bytes [first_byte, last_byte]."""
        first, last = self.stripe_span(first_byte, last_byte)
        stripe = first
        osd_ids = self._uniform_placement(first, last) if last > first else None
        if osd_ids is not None:
            async for index, data in self._stream_healthy(first, last, osd_ids):
                yield _slice(data, index, self.stripe_bytes, first_byte, last_byte)
                stripe = index + 1
        for index in range(stripe, last + 1):
            data = await self.read_stripe(index)
            yield _slice(data, index, self.stripe_bytes, first_byte, last_byte)

    async def _stream_healthy(self, first: int, last: int, osd_ids: list[int]) -> AsyncIterator[tuple[int, bytes]]:
        calls = []
        for i in range(self.pool.k):
            stub = self.stubs(osd_ids[i])
            if stub is None:
                return
            request = osd_pb2.ReadShardRequest(
                object_id=self.record.object_id, fragment_index=i, first_stripe=first, last_stripe=last
            )
            calls.append(stub.ReadShard(request, metadata=call_metadata(self.token), timeout=self.timeout_seconds))
        try:
            for index in range(first, last + 1):
                try:
                    chunks = await asyncio.gather(*(call.read() for call in calls))
                except aio.AioRpcError as exc:
                    log.warning("healthy read of stripe %d failed (%s); degrading", index, exc.code().name)
                    return
                if any(not isinstance(c, osd_pb2.ReadShardChunk) or c.stripe_index != index for c in chunks):
                    log.warning("healthy read of stripe %d ended early; degrading", index)
                    return
                fragments = {i: c.data for i, c in enumerate(chunks)}
                yield index, join_data_fragments(self.pool, fragments, self.record.stripes[index].length)
        finally:
            for call in calls:
                with contextlib.suppress(Exception):
                    call.cancel()


def _timed_decode(pool: PoolSpec, fragments: dict[int, bytes], length: int) -> bytes:
    started = time.perf_counter()
    data = decode_stripe(pool, fragments, length)
    hooks.observer.decoded(time.perf_counter() - started)
    return data


def _slice(data: bytes, index: int, stripe_bytes: int, first_byte: int, last_byte: int) -> bytes:
    start = index * stripe_bytes
    lo = max(first_byte - start, 0)
    hi = min(last_byte - start + 1, len(data))
    if lo == 0 and hi == len(data):
        return data
    return data[lo:hi]
