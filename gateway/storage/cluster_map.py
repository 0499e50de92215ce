"""The gateway's view of the cluster map: OSDs, pools, and one shared gRPC channel per OSD.

A background task follows meta's WatchClusterMap stream and reconnects with backoff; callers read
the latest map without waiting. Placement candidates are OSDs that are up, in, and not full (meta sets ``Osd.full``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from grpc import aio

from objectio.common.grpcutil import aio_channel, close_channel
from objectio.common.placement import Candidate
from objectio.common.pools import PoolError, PoolSpec
from objectio.meta.client import MetaError
from objectio.protos import meta_pb2, osd_pb2_grpc

log = logging.getLogger("objectio.gateway.cluster_map")


class ClusterView:
    def __init__(self, fetch: Callable[[], Awaitable[meta_pb2.ClusterMap]], tls_ca_file: str = "") -> None:
        self._fetch = fetch
        self._tls_ca_file = tls_ca_file  # OSD channels use TLS verified against it when set
        self.map = meta_pb2.ClusterMap()
        self.pools: dict[str, PoolSpec] = {}
        self._channels: dict[str, aio.Channel] = {}
        self._stubs: dict[int, osd_pb2_grpc.OsdServiceStub] = {}
        self._task: asyncio.Task[None] | None = None
        self._retired: set[asyncio.Future[None]] = set()
        self._candidates: tuple[meta_pb2.ClusterMap, tuple[Candidate, ...]] | None = None  # per map object

    def apply(self, cluster_map: meta_pb2.ClusterMap) -> None:
        if cluster_map.epoch < self.map.epoch:
            return
        pools = {}
        for pb in cluster_map.pools:
            try:
                pools[pb.name] = self.pools[pb.name] if pb.name in self.pools else PoolSpec.from_proto(pb)
            except PoolError as exc:
                log.error("ignoring invalid pool in cluster map: %s", exc)
        revived = {
            osd.address
            for osd in cluster_map.osds
            if osd.up == meta_pb2.OSD_UP
            and (old := self.osd(osd.id)) is not None
            and (old.up != meta_pb2.OSD_UP or old.registered_ms != osd.registered_ms)
        }
        self.map = cluster_map
        self.pools = pools
        self._stubs = {}
        for address in revived:  # a restarted OSD: connect afresh instead of waiting out a backoff
            channel = self._channels.pop(address, None)
            if channel is not None:
                closing = asyncio.ensure_future(close_channel(channel))
                self._retired.add(closing)
                closing.add_done_callback(self._retired.discard)

    async def refresh(self) -> None:
        self.apply(await self._fetch())

    def start_following(self, watch: Callable[[int], aio.UnaryStreamCall]) -> None:  # type: ignore[type-arg]
        async def follow() -> None:
            backoff = 0.1
            while True:
                try:
                    call = watch(self.map.epoch)
                    async for cluster_map in call:
                        self.apply(cluster_map)
                        backoff = 0.1
                except (aio.AioRpcError, MetaError) as exc:
                    log.warning("cluster map watch ended: %s", exc)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                with contextlib.suppress(aio.AioRpcError, MetaError):
                    await self.refresh()

        self._task = asyncio.create_task(follow())

    def pool(self, name: str) -> PoolSpec:
        return self.pools[name]

    def osd(self, osd_id: int) -> meta_pb2.Osd | None:
        for osd in self.map.osds:
            if osd.id == osd_id:
                found: meta_pb2.Osd = osd
                return found
        return None

    def candidates(self) -> tuple[Candidate, ...]:
        """The OSDs new data may go to; computed once per map (every PUT places an object)."""
        cached = self._candidates
        if cached is not None and cached[0] is self.map:
            return cached[1]
        out = []
        for osd in self.map.osds:
            if osd.up != meta_pb2.OSD_UP or getattr(osd, "in") != meta_pb2.OSD_IN:
                continue
            if osd.full:  # set by meta above meta.osd_full_ratio of the OSD's capacity
                continue
            out.append(Candidate(osd.id, osd.host or osd.address, osd.weight or 1.0))
        self._candidates = (self.map, tuple(out))
        return self._candidates[1]

    def full_count(self) -> int:
        """Up and in OSDs that take no new data because they are full."""
        live = (osd for osd in self.map.osds if osd.up == meta_pb2.OSD_UP and getattr(osd, "in") == meta_pb2.OSD_IN)
        return sum(1 for osd in live if osd.full)

    def up_count(self) -> int:
        return sum(1 for osd in self.map.osds if osd.up == meta_pb2.OSD_UP)

    def stub(self, osd_id: int) -> osd_pb2_grpc.OsdServiceStub | None:
        stub = self._stubs.get(osd_id)
        if stub is not None:
            return stub
        osd = self.osd(osd_id)
        if osd is None or not osd.address:
            return None
        channel = self._channels.get(osd.address)
        if channel is None:
            channel = aio_channel(osd.address, self._tls_ca_file)
            self._channels[osd.address] = channel
        stub = osd_pb2_grpc.OsdServiceStub(channel)
        self._stubs[osd_id] = stub
        return stub

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for channel in self._channels.values():
            await close_channel(channel)
