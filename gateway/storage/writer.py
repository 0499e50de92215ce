"""Writing an object body as erasure-coded stripes.

The body is cut into stripes of ``pool.stripe_data_bytes``; each stripe is encoded into k+m
fragments and fragment i of every stripe goes to the same OSD over one client-streaming
WriteShard call (gRPC flow control bounds the memory: at most a few stripes are buffered).
An OSD that fails mid-object is dropped; the write goes on while at least ``pool.write_quorum``
fragments per stripe remain, and the record marks the missing fragments (osd id 0) for repair.
The fragments are durable when every surviving stream has answered; only then may the caller
commit the object record.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grpc import aio

from objectio.common.erasure import encode_stripe
from objectio.common.grpcutil import call_metadata
from objectio.common.pools import PoolSpec
from objectio.gateway.storage import hooks
from objectio.gateway.storage.batcher import FragmentWriteFailed, OsdBatcher
from objectio.protos import osd_pb2
from objectio.protos import osd_pb2_grpc as osd_grpc

if TYPE_CHECKING:
    from hashlib import _Hash as Hash

log = logging.getLogger("objectio.gateway.writer")

ENCODE_IN_THREAD_BYTES_MIN = 256 << 10  # smaller stripes encode inline: a thread hop costs more


DISK_FULL_MARK = "disk full"  # the OSD's RESOURCE_EXHAUSTED detail (osd/service.py) when its engine has no room


class QuorumLost(Exception):
    """Fewer than the pool's write quorum of fragments could be made durable."""

    @property
    def out_of_space(self) -> bool:
        """An OSD refused a fragment because its disk is full (the PUT answers 507, not 503)."""
        return DISK_FULL_MARK in str(self)


@dataclass
class FragmentStream:
    index: int
    osd_id: int
    call: aio.StreamUnaryCall | None = None  # type: ignore[type-arg]
    failed: bool = False
    error: str = ""


def _timed_encode(pool: PoolSpec, data: bytes) -> list[bytes]:
    started = time.perf_counter()
    fragments = encode_stripe(pool, data)
    hooks.observer.encoded(time.perf_counter() - started)
    return fragments


async def hash_and_encode(pool: PoolSpec, data: bytes, md5: Hash) -> list[bytes]:
    """Feed ``data`` to the object's running ``md5`` and encode it into k+m fragments.

    Large stripes do both in worker threads at once, off the event loop: MD5 releases the GIL
    and is the costlier pass (≈ 6 ms per 4 MiB stripe on a quiet core, against < 1 ms for the
    encode), so the loop keeps reading the next stripe from the client meanwhile. Callers hash
    the stripes of one object in order (each call finishes before the next starts)."""
    if len(data) < ENCODE_IN_THREAD_BYTES_MIN:
        md5.update(data)
        return _timed_encode(pool, data)
    _, fragments = await asyncio.gather(
        asyncio.to_thread(md5.update, data), asyncio.to_thread(_timed_encode, pool, data)
    )
    return fragments


class StripeWriter:
    """Streams one object's fragments to the OSDs chosen for it."""

    def __init__(
        self,
        *,
        pool: PoolSpec,
        object_id: bytes,
        osd_ids: list[int],
        stubs: dict[int, osd_grpc.OsdServiceStub | None],
        meta: osd_pb2.ShardMeta,
        token: str,
        timeout_seconds: float,
    ) -> None:
        self.pool = pool
        self.object_id = object_id
        self.meta = meta
        self.token = token
        self.timeout_seconds = timeout_seconds
        self.streams = [FragmentStream(i, osd_id) for i, osd_id in enumerate(osd_ids)]
        self.stubs = stubs

    def _alive(self) -> list[FragmentStream]:
        return [s for s in self.streams if not s.failed]

    def _fail(self, stream: FragmentStream, error: str) -> None:
        if not stream.failed:
            log.warning("fragment %d to osd %d failed: %s", stream.index, stream.osd_id, error)
        stream.failed = True
        stream.error = error
        if stream.call is not None:
            stream.call.cancel()
        if len(self._alive()) < self.pool.write_quorum:
            errors = "; ".join(f"osd {s.osd_id}: {s.error}" for s in self.streams if s.failed)
            raise QuorumLost(f"only {len(self._alive())} of {self.pool.fragments} fragments writable ({errors})")

    async def _open(self, stream: FragmentStream) -> None:
        stub = self.stubs.get(stream.osd_id)
        if stub is None:
            self._fail(stream, "osd unknown or down")
            return
        stream.call = stub.WriteShard(metadata=call_metadata(self.token), timeout=self.timeout_seconds)
        header = osd_pb2.WriteShardHeader(object_id=self.object_id, fragment_index=stream.index, meta=self.meta)
        await self._send(stream, osd_pb2.WriteShardMessage(header=header))

    async def _send(self, stream: FragmentStream, message: osd_pb2.WriteShardMessage) -> None:
        if stream.failed or stream.call is None:
            return
        try:
            await stream.call.write(message)
        except (aio.AioRpcError, asyncio.InvalidStateError) as exc:
            self._fail(stream, _describe(exc))

    async def open(self) -> None:
        await asyncio.gather(*(self._open(s) for s in self.streams))

    async def write_stripe(self, stripe_index: int, data: bytes, md5: Hash) -> None:
        """Hash (into ``md5``), encode and send one stripe; returns once gRPC took every fragment."""
        fragments = await hash_and_encode(self.pool, data, md5)
        sends = []
        for stream in self._alive():
            message = osd_pb2.WriteShardMessage()  # filled in place: a chunk built first is copied again
            message.chunk.stripe_index = stripe_index
            message.chunk.data = fragments[stream.index]
            message.chunk.stripe_length = len(data)
            sends.append(self._send(stream, message))
        await asyncio.gather(*sends)

    async def finish(self) -> list[int]:
        """Close every stream and wait for durability; the OSD id per fragment (0 = failed)."""

        async def close(stream: FragmentStream) -> None:
            if stream.failed or stream.call is None:
                return
            try:
                await stream.call.done_writing()
                await stream.call
            except (aio.AioRpcError, asyncio.InvalidStateError) as exc:
                self._fail(stream, _describe(exc))

        await asyncio.gather(*(close(s) for s in self.streams), return_exceptions=False)
        return [0 if s.failed else s.osd_id for s in self.streams]

    def abort(self) -> None:
        for stream in self.streams:
            if stream.call is not None and not stream.call.done():
                stream.call.cancel()


async def write_one_stripe(
    batcher: OsdBatcher,
    *,
    pool: PoolSpec,
    object_id: bytes,
    osd_ids: list[int],
    fragments: list[bytes],
    stripe_length: int,
    meta: osd_pb2.ShardMeta,
) -> list[int]:
    """Write one encoded stripe's fragments through the batcher; OSD id per fragment (0 = failed)."""
    meta.stripe_length = stripe_length

    errors: list[str] = []

    async def one(index: int) -> int:
        address = osd_pb2.ShardAddress(object_id=object_id, stripe_index=0, fragment_index=index)
        try:
            await batcher.write(osd_ids[index], address, fragments[index], meta)
        except FragmentWriteFailed as exc:
            log.warning("fragment %d: %s", index, exc)
            errors.append(str(exc))
            return 0
        return osd_ids[index]

    written = list(await asyncio.gather(*(one(i) for i in range(pool.fragments))))
    alive = sum(1 for osd_id in written if osd_id)
    if alive < pool.write_quorum:
        raise QuorumLost(f"only {alive} of {pool.fragments} fragments written ({'; '.join(errors)})")
    return written


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aio.AioRpcError):
        return f"{exc.code().name}: {exc.details()}"
    return type(exc).__name__


async def read_stripe(body: AsyncIterator[bytes], want: int, pending: list[bytes]) -> tuple[bytes, bool]:
    """Up to ``want`` bytes from ``pending`` leftovers (a stack: the last is next) then ``body``,
    copied once into one ``bytes``; and False once the body ended (True: ``want`` bytes were read,
    more may follow)."""
    pieces: list[bytes | memoryview] = []
    have = 0
    while have < want:
        if pending:
            piece = pending.pop()
        else:
            try:
                piece = await anext(body)
            except StopAsyncIteration:
                return b"".join(pieces), False
        room = want - have
        if len(piece) > room:
            pieces.append(memoryview(piece)[:room])
            pending.append(piece[room:])  # one piece per stripe boundary is copied
            have = want
        else:
            pieces.append(piece)
            have += len(piece)
    return b"".join(pieces), True


async def read_exactly(body: AsyncIterator[bytes], buffer: bytearray, want: int, pending: list[bytes]) -> bool:
    """Fill ``buffer`` up to ``want`` bytes from ``pending`` leftovers then ``body``; False at EOF."""
    while len(buffer) < want:
        if pending:
            piece = pending.pop()
        else:
            try:
                piece = await anext(body)
            except StopAsyncIteration:
                return False
        room = want - len(buffer)
        if len(piece) > room:
            buffer += piece[:room]
            pending.append(piece[room:])
        else:
            buffer += piece
    return True
