"""Two objectio-meta instances on one etcd: one leader of background work, a shared cluster map
seen through watches, reads and writes through either, and failover of a MetaClient given both.
(kill -9 of the leading instance, with real processes, is in tests/e2e/test_etcd_cluster.py.)"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from objectio.meta.client import MetaClient
from objectio.meta.server import MetaServer, start_server
from tests.etcd_cluster import EtcdCluster
from tests.meta.conftest import TOKEN, etcd_prefix, meta_config, record

TAKEOVER_S_MAX = 10.0


@pytest.fixture
async def pair(tmp_path: Path, etcd: EtcdCluster) -> AsyncIterator[list[MetaServer]]:
    options = {"backend": "etcd", "etcd_endpoints": ",".join(etcd.endpoints), "etcd_prefix": etcd_prefix()}
    servers = []
    for name in ("a", "b"):
        config = meta_config(tmp_path / name, instance_name=name, etcd_lease_ttl_seconds=2, **options)
        servers.append(await start_server(config, now_ms=1))
    try:
        yield servers
    finally:
        for server in servers:
            await server.stop(grace_s=0.2)


async def until(predicate, timeout_s: float = TAKEOVER_S_MAX) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout_s, "condition not reached in time"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_one_leader_shared_map_and_takeover(pair: list[MetaServer]) -> None:
    a, b = pair
    await until(lambda: a.is_leader or b.is_leader)
    assert [a.is_leader, b.is_leader].count(True) == 1
    client_a = await MetaClient.connect(f"127.0.0.1:{a.port}", TOKEN)
    client_b = await MetaClient.connect(f"127.0.0.1:{b.port}", TOKEN)
    try:
        # An OSD registered through a reaches b's map (and b's watchers) by etcd watch.
        epoch = (await client_b.get_cluster_map()).epoch
        watch = client_b.watch_cluster_map(epoch)
        reply = await client_a.register_osd(address="127.0.0.1:1", disk_uuid="disk-1", capacity_bytes=1 << 30)
        newer = await asyncio.wait_for(anext(watch), 5)
        assert any(osd.id == reply.osd_id for osd in newer.osds), "b did not see the OSD registered through a"
        await watch.aclose()  # type: ignore[attr-defined]
        # Read-after-write across instances.
        await client_a.create_bucket("shared", "admin")
        await client_b.put_object(record("shared", "k", data=b"via b"))
        assert (await client_a.get_object("shared", "k")).inline_data == b"via b"
        # The leader steps down (as on shutdown): the other takes over background work.
        leader, other = (a, b) if a.is_leader else (b, a)
        assert leader.election is not None
        await leader.election.stop()
        took_s = await until(lambda: other.is_leader)
        assert not leader.is_leader
        print(f"takeover after resignation: {took_s:.2f} s")
    finally:
        await client_a.close()
        await client_b.close()


async def test_client_fails_over_to_the_other_instance(pair: list[MetaServer]) -> None:
    a, b = pair
    client = await MetaClient.connect(f"127.0.0.1:{a.port},127.0.0.1:{b.port}", TOKEN)
    try:
        await client.create_bucket("failover", "admin")
        await client.put_object(record("failover", "before"))
        await a.server.stop(0)  # instance a stops answering
        assert (await client.get_object("failover", "before")).etag == "e-before"  # a read: retried on b
        assert client.failovers == 1
        for i in range(5):  # later calls, writes included, go to b
            await client.put_object(record("failover", f"after{i}"))
        keys = list((await client.list_objects("failover")).keys)
        assert keys == [*(f"after{i}" for i in range(5)), "before"]
    finally:
        await client.close()
