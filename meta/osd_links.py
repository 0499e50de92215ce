"""gRPC stubs from the metadata service to the OSDs (repair reads/writes, scrub relay).

One channel per OSD address, made on first use and replaced when the OSD re-registers (a new
``registered_ms``: the process restarted, so reconnect now instead of after gRPC's backoff).
Every call carries the cluster token and a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib

from grpc import aio

from objectio.common.grpcutil import aio_channel, call_metadata, close_channel
from objectio.meta.cluster import ClusterState
from objectio.protos import meta_pb2 as pb
from objectio.protos import osd_pb2, osd_pb2_grpc


class OsdLinks:
    def __init__(self, state: ClusterState, token: str, timeout_ms: int, *, tls_ca_file: str = "") -> None:
        self._state = state
        self._tls_ca_file = tls_ca_file  # TLS verified against it when set
        self._token = token
        self.timeout_s = timeout_ms / 1000
        self._channels: dict[int, tuple[str, int, aio.Channel]] = {}
        self._closing: set[asyncio.Future[None]] = set()  # replaced channels being closed

    def osd(self, osd_id: int) -> pb.Osd | None:
        return next((osd for osd in self._state.map.osds if osd.id == osd_id), None)

    def stub(self, osd_id: int) -> osd_pb2_grpc.OsdServiceStub | None:
        osd = self.osd(osd_id)
        if osd is None or not osd.address:
            return None
        entry = self._channels.get(osd_id)
        if entry is None or entry[:2] != (osd.address, osd.registered_ms):
            if entry is not None:
                closing = asyncio.ensure_future(close_channel(entry[2]))
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            entry = (osd.address, osd.registered_ms, aio_channel(osd.address, self._tls_ca_file))
            self._channels[osd_id] = entry
        return osd_pb2_grpc.OsdServiceStub(entry[2])

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return call_metadata(self._token)

    async def read(self, osd_id: int, reads: list[osd_pb2.ShardRead]) -> list[bytes | None]:
        """Batched reads from one OSD; None for each fragment that is not readable."""
        stub = self.stub(osd_id)
        if stub is None:
            return [None] * len(reads)
        try:
            reply = await stub.ReadShards(
                osd_pb2.ReadShardsRequest(reads=reads), metadata=self.metadata, timeout=self.timeout_s
            )
        except aio.AioRpcError:
            return [None] * len(reads)
        return [r.data if r.status == osd_pb2.SHARD_OK else None for r in reply.results]

    async def write(self, osd_id: int, shards: list[osd_pb2.ShardWrite]) -> bool:
        """Batched durable writes to one OSD; False if the OSD did not confirm them all."""
        stub = self.stub(osd_id)
        if stub is None:
            return False
        try:
            reply = await stub.WriteShards(
                osd_pb2.WriteShardsRequest(shards=shards), metadata=self.metadata, timeout=self.timeout_s
            )
        except aio.AioRpcError:
            return False
        return bool(reply.written == len(shards))

    async def delete(self, osd_id: int, shards: list[osd_pb2.ShardAddress]) -> bool:
        stub = self.stub(osd_id)
        if stub is None:
            return False
        try:
            await stub.DeleteShards(
                osd_pb2.DeleteShardsRequest(shards=shards), metadata=self.metadata, timeout=self.timeout_s
            )
        except aio.AioRpcError:
            return False
        return True

    async def verify(self, osd_id: int, shards: list[osd_pb2.ShardAddress]) -> list[int] | None:
        """ShardStatus of each fragment; None if the OSD could not be asked."""
        stub = self.stub(osd_id)
        if stub is None:
            return None
        try:
            reply = await stub.VerifyShards(
                osd_pb2.VerifyShardsRequest(shards=shards), metadata=self.metadata, timeout=self.timeout_s
            )
        except aio.AioRpcError:
            return None
        return list(reply.statuses)

    async def close(self) -> None:
        for _, _, channel in self._channels.values():
            with contextlib.suppress(Exception):
                await close_channel(channel)
        self._channels.clear()
