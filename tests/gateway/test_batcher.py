"""OsdBatcher against a real OsdServicer (in-memory store) over grpc.aio on 127.0.0.1: batched
writes, reads and deletes arrive intact, and a lane never has more calls in flight than allowed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest
from grpc import aio

from objectio.common.grpcutil import ClusterAuthInterceptor
from objectio.common.shardkey import new_object_id, shard_key
from objectio.gateway.storage.batcher import DeleteFailed, FragmentWriteFailed, OsdBatcher, ShardParts
from objectio.native.engine import ShardInfo
from objectio.osd.service import OsdServicer
from objectio.osd.store import MemoryStore
from objectio.protos import osd_pb2, osd_pb2_grpc

TOKEN = "batcher-token"


class CountingStore(MemoryStore):
    """Counts batched puts and the most that ran at once (each one takes a little while)."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.running = 0
        self.running_max = 0

    async def put_many(self, items: Sequence[tuple[bytes, bytes, bytes]]) -> list[ShardInfo]:
        self.running += 1
        self.running_max = max(self.running_max, self.running)
        try:
            await asyncio.sleep(0.02)
            self.batches.append(len(items))
            return await super().put_many(items)
        finally:
            self.running -= 1


@pytest.fixture()
async def osd() -> AsyncIterator[tuple[osd_pb2_grpc.OsdServiceStub, CountingStore]]:
    store = CountingStore()
    server = aio.server(interceptors=[ClusterAuthInterceptor(TOKEN)])
    osd_pb2_grpc.add_OsdServiceServicer_to_server(OsdServicer(store, 3, 2, 1), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    yield osd_pb2_grpc.OsdServiceStub(channel), store
    await channel.close(None)
    await server.stop(None)


def _write(object_id: bytes, fragment: int, data: bytes) -> ShardParts:
    address = osd_pb2.ShardAddress(object_id=object_id, stripe_index=0, fragment_index=fragment)
    return address, data, osd_pb2.ShardMeta(bucket="b", key="k")


def _read(object_id: bytes, fragment: int) -> osd_pb2.ShardRead:
    return osd_pb2.ShardRead(address=osd_pb2.ShardAddress(object_id=object_id, fragment_index=fragment))


@pytest.mark.parametrize("in_flight_max", [1, 2])
async def test_queued_writes_share_calls_within_the_in_flight_limit(
    osd: tuple[osd_pb2_grpc.OsdServiceStub, CountingStore], in_flight_max: int
) -> None:
    stub, store = osd
    batcher = OsdBatcher(lambda osd_id: stub if osd_id == 3 else None, TOKEN, 10.0, writes_in_flight_max=in_flight_max)
    object_ids = [new_object_id() for _ in range(40)]

    async def put(i: int) -> None:
        await asyncio.sleep(0.001 * (i % 10))  # spread over several loop turns
        await batcher.write(3, *_write(object_ids[i], i % 6, bytes([i]) * (100 + i)))

    await asyncio.gather(*(put(i) for i in range(40)))
    assert sum(store.batches) == 40
    assert store.running_max <= in_flight_max
    assert batcher.rpcs == len(store.batches) < 40  # requests queued behind a call went out together
    for i, object_id in enumerate(object_ids):
        assert store.records[shard_key(object_id, 0, i % 6)][0] == bytes([i]) * (100 + i)


async def test_reads_return_each_fragment_or_none(osd: tuple[osd_pb2_grpc.OsdServiceStub, CountingStore]) -> None:
    stub, _ = osd
    batcher = OsdBatcher(lambda osd_id: stub, TOKEN, 10.0, writes_in_flight_max=1, reads_in_flight_max=1)
    object_id = new_object_id()
    await asyncio.gather(*(batcher.write(3, *_write(object_id, f, bytes([f]) * 50)) for f in range(4)))
    got = await asyncio.gather(*(batcher.read(3, _read(object_id, f)) for f in range(6)))
    assert got == [bytes([f]) * 50 for f in range(4)] + [None, None]
    assert batcher.rpcs == 2  # one write call, one read call


async def test_deletes_remove_every_record_of_the_objects(
    osd: tuple[osd_pb2_grpc.OsdServiceStub, CountingStore],
) -> None:
    stub, store = osd
    batcher = OsdBatcher(lambda osd_id: stub, TOKEN, 10.0, writes_in_flight_max=1, reads_in_flight_max=1)
    gone, kept = new_object_id(), new_object_id()
    others = [new_object_id() for _ in range(5)]
    writes = [_write(o, f, b"x" * 10) for o in (gone, kept, *others) for f in range(3)]
    await asyncio.gather(*(batcher.write(3, *w) for w in writes))
    await asyncio.gather(*(batcher.delete_object(3, o) for o in (gone, *others)))
    assert sorted(store.records) == sorted(shard_key(kept, 0, f) for f in range(3))


async def test_an_unknown_osd_fails_writes_and_deletes_and_reads_nothing(
    osd: tuple[osd_pb2_grpc.OsdServiceStub, CountingStore],
) -> None:
    batcher = OsdBatcher(lambda osd_id: None, TOKEN, 10.0)
    object_id = new_object_id()
    with pytest.raises(FragmentWriteFailed, match="osd 9"):
        await batcher.write(9, *_write(object_id, 0, b"x"))
    with pytest.raises(DeleteFailed, match="osd 9"):
        await batcher.delete_object(9, object_id)
    assert await batcher.read(9, _read(object_id, 0)) is None


def test_a_lane_needs_room_for_one_call() -> None:
    with pytest.raises(ValueError, match="writes_in_flight_max=0"):
        OsdBatcher(lambda osd_id: None, TOKEN, 10.0, writes_in_flight_max=0)
    with pytest.raises(ValueError, match="reads_in_flight_max=0"):
        OsdBatcher(lambda osd_id: None, TOKEN, 10.0, reads_in_flight_max=0)
