"""OsdService over a real grpc.aio server on 127.0.0.1, with the in-memory store model."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
from grpc import aio

from objectio.common.grpcutil import ClusterAuthInterceptor, call_metadata
from objectio.common.shardkey import DESCRIPTOR_STRIPE, new_object_id, shard_key
from objectio.osd.service import SCAN_PAGE_SHARDS, OsdServicer
from objectio.osd.store import MemoryStore
from objectio.protos import osd_pb2, osd_pb2_grpc

TOKEN = "test-token"


@pytest.fixture()
async def osd() -> AsyncIterator[tuple[osd_pb2_grpc.OsdServiceStub, MemoryStore]]:
    store = MemoryStore()
    server = aio.server(interceptors=[ClusterAuthInterceptor(TOKEN)])
    osd_pb2_grpc.add_OsdServiceServicer_to_server(OsdServicer(store, 7, 2, 1), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = aio.insecure_channel(f"127.0.0.1:{port}")
    yield osd_pb2_grpc.OsdServiceStub(channel), store
    await channel.close(None)
    await server.stop(None)


MD = call_metadata(TOKEN)


async def _write_stream(
    stub: osd_pb2_grpc.OsdServiceStub, object_id: bytes, fragment: int, stripes: list[bytes]
) -> int:
    call = stub.WriteShard(metadata=MD)
    meta = osd_pb2.ShardMeta(bucket="b", key="k", pool="rs-4-2")
    await call.write(
        osd_pb2.WriteShardMessage(
            header=osd_pb2.WriteShardHeader(object_id=object_id, fragment_index=fragment, meta=meta)
        )
    )
    for index, data in enumerate(stripes):
        await call.write(
            osd_pb2.WriteShardMessage(
                chunk=osd_pb2.WriteShardChunk(stripe_index=index, data=data, stripe_length=len(data))
            )
        )
    await call.done_writing()
    reply = await call
    written: int = reply.stripes_written
    return written


async def test_stream_write_then_stream_read(osd: tuple[osd_pb2_grpc.OsdServiceStub, MemoryStore]) -> None:
    stub, store = osd
    object_id = new_object_id()
    stripes = [bytes([i]) * (1000 + i) for i in range(5)]
    assert await _write_stream(stub, object_id, 3, stripes) == 5
    assert len(store.records) == 5
    call = stub.ReadShard(
        osd_pb2.ReadShardRequest(object_id=object_id, fragment_index=3, first_stripe=1, last_stripe=3), metadata=MD
    )
    chunks = [c async for c in call]
    assert [c.stripe_index for c in chunks] == [1, 2, 3]
    assert [c.data for c in chunks] == stripes[1:4]
    stat = await stub.StatShard(
        osd_pb2.ShardAddress(object_id=object_id, stripe_index=2, fragment_index=3), metadata=MD
    )
    assert stat.length == len(stripes[2])
    assert stat.meta.bucket == "b"
    assert stat.meta.stripe_length == len(stripes[2])


async def test_stream_without_header_is_invalid(osd: tuple[osd_pb2_grpc.OsdServiceStub, MemoryStore]) -> None:
    stub, store = osd
    call = stub.WriteShard(metadata=MD)
    await call.write(osd_pb2.WriteShardMessage(chunk=osd_pb2.WriteShardChunk(stripe_index=0, data=b"x")))
    await call.done_writing()
    with pytest.raises(aio.AioRpcError) as excinfo:
        await call
    assert excinfo.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert store.records == {}


async def test_batched_reads_report_missing_and_corrupt(osd: tuple[osd_pb2_grpc.OsdServiceStub, MemoryStore]) -> None:
    stub, store = osd
    object_id = new_object_id()
    writes = [
        osd_pb2.ShardWrite(
            address=osd_pb2.ShardAddress(object_id=object_id, stripe_index=0, fragment_index=i), data=bytes([i]) * 10
        )
        for i in range(3)
    ]
    assert (await stub.WriteShards(osd_pb2.WriteShardsRequest(shards=writes), metadata=MD)).written == 3
    store.corrupt.add(next(k for k in store.records if k.endswith(b"\x01")))
    reads = [
        osd_pb2.ShardRead(address=osd_pb2.ShardAddress(object_id=object_id, stripe_index=0, fragment_index=i))
        for i in range(4)
    ]
    reply = await stub.ReadShards(osd_pb2.ReadShardsRequest(reads=reads), metadata=MD)
    assert [r.status for r in reply.results] == [
        osd_pb2.SHARD_OK,
        osd_pb2.SHARD_CORRUPT,
        osd_pb2.SHARD_OK,
        osd_pb2.SHARD_NOT_FOUND,
    ]
    assert reply.results[0].data == b"\x00" * 10
    assert reply.results[1].data == b""  # never bad bytes


async def test_delete_by_object_id_and_listing(osd: tuple[osd_pb2_grpc.OsdServiceStub, MemoryStore]) -> None:
    stub, _ = osd
    keep, drop = new_object_id(), new_object_id()
    await _write_stream(stub, keep, 0, [b"a", b"b"])
    await _write_stream(stub, drop, 0, [b"c", b"d", b"e"])
    reply = await stub.DeleteShards(osd_pb2.DeleteShardsRequest(object_ids=[drop]), metadata=MD)
    assert reply.deleted == 3
    listing = await stub.ListShards(osd_pb2.ListShardsRequest(limit=100), metadata=MD)
    assert {s.address.object_id for s in listing.shards} == {keep}
    stats = await stub.GetStats(osd_pb2.GetStatsRequest(), metadata=MD)
    assert stats.osd_id == 7
    assert stats.shard_count == 2


async def test_calls_without_the_cluster_token_are_refused(
    osd: tuple[osd_pb2_grpc.OsdServiceStub, MemoryStore],
) -> None:
    stub, _ = osd
    with pytest.raises(aio.AioRpcError) as excinfo:
        await stub.GetStats(osd_pb2.GetStatsRequest(), metadata=call_metadata("wrong"))
    assert excinfo.value.code() == grpc.StatusCode.UNAUTHENTICATED
    call = stub.WriteShard(metadata=call_metadata("wrong"))
    with pytest.raises(aio.AioRpcError) as excinfo:
        await call.write(osd_pb2.WriteShardMessage(header=osd_pb2.WriteShardHeader(object_id=new_object_id())))
        await call.done_writing()
        await call
    assert excinfo.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_scan_shard_meta_streams_every_record_with_its_meta(
    osd: tuple[osd_pb2_grpc.OsdServiceStub, MemoryStore],
) -> None:
    stub, store = osd
    object_id = new_object_id()
    fragment_meta = osd_pb2.ShardMeta(bucket="b", key="k", pool="rs-4-2")
    descriptor_meta = osd_pb2.ShardMeta(bucket="b", key="k", kind=osd_pb2.SHARD_DESCRIPTOR, mtime_ns=7)
    shards = [
        osd_pb2.ShardWrite(
            address=osd_pb2.ShardAddress(object_id=object_id, stripe_index=s, fragment_index=1),
            data=b"x",
            meta=fragment_meta,
        )
        for s in range(SCAN_PAGE_SHARDS + 1)  # more than one engine page
    ]
    descriptor = osd_pb2.ShardAddress(object_id=object_id, stripe_index=DESCRIPTOR_STRIPE, fragment_index=2)
    shards.append(osd_pb2.ShardWrite(address=descriptor, data=b"d", meta=descriptor_meta))
    await stub.WriteShards(osd_pb2.WriteShardsRequest(shards=shards[:1000]), metadata=MD)
    await stub.WriteShards(osd_pb2.WriteShardsRequest(shards=shards[1000:]), metadata=MD)
    await store.put(b"\xffquarantine/" + b"q" * 9, b"", b"")  # not a shard: never listed
    scanned = [stat async for stat in stub.ScanShardMeta(osd_pb2.ScanShardMetaRequest(), metadata=MD)]
    assert [s.address.stripe_index for s in scanned] == [*range(SCAN_PAGE_SHARDS + 1), DESCRIPTOR_STRIPE]
    assert scanned[-1].meta == descriptor_meta and scanned[0].meta.key == "k"
    resumed = stub.ScanShardMeta(osd_pb2.ScanShardMetaRequest(start_after=shard_key(object_id, 5, 1)), metadata=MD)
    assert len([stat async for stat in resumed]) == SCAN_PAGE_SHARDS + 2 - 6


async def test_batched_reads_mix_cached_and_waited_reads(osd: tuple[osd_pb2_grpc.OsdServiceStub, MemoryStore]) -> None:
    """Cached fragments are answered on the loop, the rest by the engine; replies keep request order."""
    stub, store = osd
    object_id = new_object_id()
    payloads = [bytes([i]) * (100 + i) for i in range(4)]
    writes = [
        osd_pb2.ShardWrite(address=osd_pb2.ShardAddress(object_id=object_id, stripe_index=0, fragment_index=i), data=d)
        for i, d in enumerate(payloads)
    ]
    assert (await stub.WriteShards(osd_pb2.WriteShardsRequest(shards=writes), metadata=MD)).written == 4
    keys = [shard_key(object_id, 0, i) for i in range(4)]
    store.cached.discard(keys[1])  # cold
    store.cached.discard(keys[3])  # cold
    store.corrupt.add(keys[2])  # cached but bad: the regular read must report it
    reads = [
        osd_pb2.ShardRead(address=osd_pb2.ShardAddress(object_id=object_id, stripe_index=0, fragment_index=i))
        for i in range(5)
    ] + [
        osd_pb2.ShardRead(
            address=osd_pb2.ShardAddress(object_id=object_id, stripe_index=0, fragment_index=0), offset=10, length=5
        ),
        osd_pb2.ShardRead(address=osd_pb2.ShardAddress(object_id=b"short", stripe_index=0, fragment_index=0)),
    ]
    reply = await stub.ReadShards(osd_pb2.ReadShardsRequest(reads=reads), metadata=MD)
    assert [r.status for r in reply.results] == [
        osd_pb2.SHARD_OK,
        osd_pb2.SHARD_OK,
        osd_pb2.SHARD_CORRUPT,
        osd_pb2.SHARD_OK,
        osd_pb2.SHARD_NOT_FOUND,
        osd_pb2.SHARD_OK,
        osd_pb2.SHARD_IO_ERROR,  # a malformed address
    ]
    assert [r.data for r in reply.results[:4]] == [payloads[0], payloads[1], b"", payloads[3]]
    assert reply.results[5].data == payloads[0][10:15]
    assert store.reads_cached == 2  # fragment 0, whole and ranged
    assert store.reads_waited == 2  # fragments 1 and 3 (2 failed its check before counting)


async def test_single_cold_read_waits_for_the_engine(osd: tuple[osd_pb2_grpc.OsdServiceStub, MemoryStore]) -> None:
    stub, store = osd
    object_id = new_object_id()
    address = osd_pb2.ShardAddress(object_id=object_id, stripe_index=0, fragment_index=0)
    big = b"b" * (store.cached_record_bytes_max + 1)  # never cached
    await stub.WriteShards(
        osd_pb2.WriteShardsRequest(shards=[osd_pb2.ShardWrite(address=address, data=big)]), metadata=MD
    )
    reply = await stub.ReadShards(osd_pb2.ReadShardsRequest(reads=[osd_pb2.ShardRead(address=address)]), metadata=MD)
    assert [r.status for r in reply.results] == [osd_pb2.SHARD_OK]
    assert reply.results[0].data == big
    assert (store.reads_cached, store.reads_waited) == (0, 1)
