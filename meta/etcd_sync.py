"""What several objectio-meta instances on one etcd share besides the data: the live cluster
map and the choice of the one instance that runs background work.

* :class:`MapFollower` watches the cluster-map keys (``c/``). Any change made through another
  instance (an OSD registered or marked down there, a pool created) reaches this instance's
  :class:`~objectio.meta.cluster.ClusterState` within one etcd watch round trip, so its
  ``WatchClusterMap`` streams (gateways, OSDs) see it too: nothing polls. An OSD key rewritten
  by a heartbeat on any instance counts as "heard from" here, which is what keeps the leader's
  down detector from marking OSDs down that heartbeat to another instance.
* :class:`Election` makes exactly one instance the leader: it holds the ``leader`` key, created
  only if absent (compare create_revision = 0) and attached to a lease of ``lease_ttl_s`` that it
  keeps alive. The leader runs the OSD down detector, the repair manager and multipart expiry;
  every instance serves reads and writes. When the leader dies (kill -9) its lease expires
  after at most the TTL, etcd deletes the key, and the instances watching it campaign again.
  A leader that cannot refresh its lease steps down before the lease can have expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from objectio.common.logs import log_fields
from objectio.meta.cluster import ClusterState
from objectio.meta.errors import MetaStoreError
from objectio.meta.etcd_client import EtcdCompacted, EtcdUnavailable, prefix_end
from objectio.meta.etcd_store import EtcdMetaStore
from objectio.protos import etcd_pb2 as epb
from objectio.protos import meta_pb2 as pb

log = logging.getLogger("objectio.meta.etcd_sync")
RETRY_S = 0.5


class MapFollower:
    def __init__(self, store: EtcdMetaStore, state: ClusterState) -> None:
        self._store = store
        self._state = state
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow_forever(), name="etcd-map-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow_forever(self) -> None:
        keys, client = self._store.keys, self._store.client
        while True:
            try:
                revision = (await client.range(keys.cluster_meta)).header.revision
                self._state.publish(await self._store.cluster_map())  # nothing missed before the watch
                async for reply in client.watch(keys.cluster_range, prefix_end(keys.cluster_range), revision + 1):
                    self._apply(reply)
                    if any(event.kv.key == keys.cluster_meta for event in reply.events):
                        self._state.publish(await self._store.cluster_map())
            except (EtcdCompacted, EtcdUnavailable, MetaStoreError) as exc:
                log.warning("cluster map watch interrupted (resyncing): %s", exc)
                await asyncio.sleep(RETRY_S)

    def _apply(self, reply: epb.WatchResponse) -> None:
        for event in reply.events:
            if event.type != epb.Event.PUT or not event.kv.key.startswith(self._store.keys.osds):
                continue
            osd = pb.Osd()
            with contextlib.suppress(Exception):  # a bad value is reported by the map read
                osd.ParseFromString(event.kv.value[1:])
                if osd.up == pb.OSD_UP:
                    self._state.heard_from(osd)


class Election:
    """``Election(store, name, ttl, on_elected, on_demoted).start()``; ``is_leader`` tells."""

    def __init__(
        self,
        store: EtcdMetaStore,
        name: str,
        lease_ttl_s: int,
        on_elected: Callable[[], None],
        on_demoted: Callable[[], Awaitable[None]],
    ) -> None:
        self._store = store
        self._name = name.encode()
        self._ttl_s = lease_ttl_s
        self._on_elected = on_elected
        self._on_demoted = on_demoted
        self._task: asyncio.Task[None] | None = None
        self._lease = 0
        self.is_leader = False
        self.terms = 0  # how often this instance became leader

    def start(self) -> None:
        self._task = asyncio.create_task(self._campaign_forever(), name="etcd-election")

    async def stop(self) -> None:
        """Step down (the lease is revoked so another instance takes over at once)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._step_down()
        if self._lease:
            with contextlib.suppress(MetaStoreError):
                await self._store.client.lease_revoke(self._lease)
            self._lease = 0

    async def _step_down(self) -> None:
        if self.is_leader:
            self.is_leader = False
            log.warning("no longer the leader of background work", extra=log_fields(instance=self._name.decode()))
            await self._on_demoted()

    async def _campaign_forever(self) -> None:
        while True:
            try:
                revision = await self._campaign()
                if self.is_leader:
                    await self._hold()
                    await self._step_down()
                else:
                    await self._wait_for_vacancy(revision)
            except (EtcdUnavailable, MetaStoreError) as exc:
                await self._step_down()
                log.warning("leader election interrupted: %s", exc)
                await asyncio.sleep(RETRY_S)

    async def _campaign(self) -> int:
        """Try to create the leader key; the revision to watch from when someone else holds it."""
        client, key = self._store.client, self._store.keys.leader
        self._lease = await client.lease_grant(self._ttl_s)
        request = epb.TxnRequest()
        request.compare.add(key=key, target=epb.Compare.CREATE, result=epb.Compare.EQUAL, create_revision=0)
        request.success.add(request_put=epb.PutRequest(key=key, value=self._name, lease=self._lease))
        request.failure.add(request_range=epb.RangeRequest(key=key))
        reply = await client.txn(request)
        if reply.succeeded:
            self.is_leader = True
            self.terms += 1
            log.warning("now the leader of background work", extra=log_fields(instance=self._name.decode()))
            self._on_elected()
            return reply.header.revision
        with contextlib.suppress(MetaStoreError):
            await client.lease_revoke(self._lease)
        self._lease = 0
        return reply.header.revision

    async def _hold(self) -> None:
        """Keep the lease alive; return when it may be lost (before it can have expired)."""
        keepalive = asyncio.create_task(self._store.client.lease_keepalive(self._lease, self._ttl_s))
        try:
            await keepalive
        finally:
            keepalive.cancel()

    async def _wait_for_vacancy(self, revision: int) -> None:
        """Until the leader key is deleted (its lease expired, or the leader resigned)."""
        client, key = self._store.client, self._store.keys.leader
        started = time.monotonic()
        if not (await client.range(key)).kvs:
            return
        async for reply in client.watch(key, b"", revision + 1):
            if any(event.type == epb.Event.DELETE for event in reply.events):
                log.info("leader key released", extra=log_fields(waited_s=round(time.monotonic() - started, 3)))
                return
