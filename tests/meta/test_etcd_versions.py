"""Versions and backups on the etcd store where its behaviour is its own: backups move between
backends (SQLite → etcd → SQLite, and etcd → SQLite → etcd) with every version and bucket
setting, at the store and through the servers' Export and Import RPCs; a big import is split
into transactions etcd accepts and keeps every id referenced; two meta instances writing one key
concurrently keep one latest and strictly increasing mtimes; keys with NUL bytes keep their
versions apart and in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from grpc import aio

from objectio.common.grpcutil import call_metadata
from objectio.common.pools import DEFAULT_POOLS
from objectio.meta import versions
from objectio.meta.client import MetaClient
from objectio.meta.etcd_store import EtcdMetaStore
from objectio.meta.server import start_server
from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb
from objectio.protos import meta_pb2_grpc
from tests.etcd_cluster import EtcdCluster
from tests.meta.conftest import TOKEN, backend_options, etcd_prefix, meta_config, new_store, record

Listed = list[tuple[str, str, bool, bool, int]]


def placed(bucket: str, key: str, n: int, data_id: int) -> pb.ObjectRecord:
    rec = record(bucket, key, object_id=bytes([n % 256, n // 256]) * 8)
    rec.pool = "rs-4-2"
    rec.stripes.add(osd_ids=[1, 2, 3, 4, 5, 6], length=3)
    rec.etag = f"etag-{data_id}"
    return rec


async def _open(store: MetaStore) -> MetaStore:
    """Open ``store`` with the fixture's content: default pools, user alice, bucket photos."""
    await store.open()
    for pool in DEFAULT_POOLS:
        await store.create_pool(pool.to_proto())
    await store.set_default_pool("rs-4-2")
    await store.create_user(pb.User(name="alice", created_ms=1))
    await store.create_bucket(pb.Bucket(name="photos", owner="alice", created_ms=1))
    return store


async def _listing(store: MetaStore, bucket: str) -> Listed:
    reply = await store.list_object_versions(pb.ListObjectVersionsRequest(bucket=bucket), 1000)
    assert not reply.is_truncated
    return [
        (v.record.key, v.record.version_id, v.record.delete_marker, v.is_latest, v.record.mtime_ns)
        for v in reply.versions
    ]


async def _fill(store: MetaStore) -> None:
    await store.create_bucket(pb.Bucket(name="vers", owner="alice", created_ms=1))
    await store.put_bucket_setting("vers", versions.VERSIONING_SETTING, versions.ENABLED)
    await store.put_bucket_setting("vers", "cors", b'{"version": 1, "rules": []}')
    for i in range(3):
        await store.put_object(placed("vers", "k", i + 1, i), if_none_match=False)
    await store.delete_object("vers", "k")
    await store.put_object(placed("vers", "dir/a", 10, 10), if_none_match=False)
    await store.put_bucket_setting("vers", versions.VERSIONING_SETTING, versions.SUSPENDED)
    await store.put_object(placed("vers", "dir/a", 11, 11), if_none_match=False)  # the null version
    await store.put_object(placed("photos", "plain", 20, 20), if_none_match=False)  # never versioned


async def _copy(source: MetaStore, target: MetaStore) -> None:
    items = [item async for item in source.export_items()]
    stored, skipped = await target.import_items(items[1:])  # the target keeps its own cluster identity
    assert stored > 0 and stored + skipped == len(items) - 1


@pytest.mark.parametrize("first", ["sqlite", "etcd"])
async def test_backup_moves_between_backends_with_every_version(
    first: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    other = "etcd" if first == "sqlite" else "sqlite"
    stores: list[MetaStore] = []
    try:
        for i, backend in enumerate([first, other, first]):
            stores.append(await _open(new_store(backend, tmp_path / str(i), request)))
        await _fill(stores[0])
        await _copy(stores[0], stores[1])
        await _copy(stores[1], stores[2])
        expected = await _listing(stores[0], "vers")
        assert len(expected) == 6  # k: marker + 3, dir/a: null + 1
        for copy in stores[1:]:
            assert await _listing(copy, "vers") == expected
            bucket = await copy.get_bucket("vers")
            assert bucket.settings["versioning"] == versions.SUSPENDED and "cors" in bucket.settings
            assert (await copy.get_object("vers", "k")).delete_marker
            assert (await copy.get_object("vers", "dir/a", "null")).etag == "etag-11"
            assert (await copy.get_object("photos", "plain")).etag == "etag-20"
            ids = [placed("", "", n, 0).object_id for n in (1, 2, 3, 10, 11, 20)]
            assert await copy.find_unreferenced(ids) == []  # every version's id stays referenced
            scanned = await copy.scan_placed_objects(None, 100)
            assert sorted(r.object_id for r in scanned) == sorted(ids)
    finally:
        for store in stores:
            await store.close()


async def test_a_big_import_is_split_into_transactions_etcd_accepts(etcd: EtcdCluster, tmp_path: Path) -> None:
    source = await _open(new_store("sqlite", tmp_path / "src", None))
    target = await _open(EtcdMetaStore(etcd.endpoints, prefix=etcd_prefix()))
    try:
        await source.put_bucket_setting("photos", versions.VERSIONING_SETTING, versions.ENABLED)
        for i in range(150):  # 150 versions of 3 keys: far more writes than one etcd txn takes
            await source.put_object(placed("photos", f"k{i % 3}", i + 1, i), if_none_match=False)
        multipart = placed("photos", "mp", 0, 999)
        multipart.ClearField("stripes")
        multipart.object_id = b""
        for n in range(1, 301):  # 300 parts: their index entries alone need several txns
            multipart.parts.add(part_number=n, object_id=b"p" + n.to_bytes(15, "big"), etag=f"e{n}", size=1)
        await source.put_object(multipart, if_none_match=False)
        items = [item async for item in source.export_items()]
        await _copy(source, target)
        assert await _listing(target, "photos") == await _listing(source, "photos")
        ids = [i.object.object_id for i in items if i.WhichOneof("item") == "object" and i.object.object_id]
        part_ids = [p.object_id for p in multipart.parts]
        assert len(ids) == 150
        assert await target.find_unreferenced(ids + part_ids) == []
        assert await target.import_items(items[1:]) == (0, len(items) - 1)  # merging again changes nothing
    finally:
        await source.close()
        await target.close()


async def test_two_instances_putting_one_key_keep_one_latest(etcd: EtcdCluster) -> None:
    prefix = etcd_prefix()
    a = await _open(EtcdMetaStore(etcd.endpoints, prefix=prefix))
    b = EtcdMetaStore(etcd.endpoints, prefix=prefix)
    await b.open()
    try:
        await a.put_bucket_setting("photos", versions.VERSIONING_SETTING, versions.ENABLED)

        async def puts(store: MetaStore, base: int) -> list[str]:
            replies = []
            for i in range(12):  # every put carries mtime 1: the store must raise each above the latest
                replies.append((await store.put_object(placed("photos", "hot", base + i, base + i), False)).version_id)
            return replies

        ids_a, ids_b = await asyncio.gather(puts(a, 1), puts(b, 100))
        listed = await _listing(b, "photos")
        assert sorted(v[1] for v in listed) == sorted(ids_a + ids_b)
        mtimes = [v[4] for v in listed]  # newest first
        assert mtimes == sorted(mtimes, reverse=True) and len(set(mtimes)) == len(mtimes)
        assert [v[3] for v in listed] == [True] + [False] * (len(listed) - 1)
        latest = await a.get_object("photos", "hot")
        assert latest.version_id == listed[0][1] and latest.mtime_ns == mtimes[0]
        assert (await a.counts()).object_count == 1
    finally:
        await b.close()
        await a.close()


async def test_keys_with_nul_bytes_keep_their_versions_apart(store: MetaStore) -> None:
    await store.put_bucket_setting("photos", versions.VERSIONING_SETTING, versions.ENABLED)
    keys = ["a", "a\0", "a\0b", "a\x01", "ab"]
    for n, key in enumerate(keys * 2):
        await store.put_object(placed("photos", key, n + 1, n), if_none_match=False)
    listed = await _listing(store, "photos")
    assert [v[0] for v in listed] == sorted(keys * 2, key=str.encode)
    assert [v[3] for v in listed] == [True, False] * len(keys)
    page = await store.list_object_versions(
        pb.ListObjectVersionsRequest(bucket="photos", key_marker="a\0", version_id_marker=listed[2][1]), 1000
    )
    assert [v.record.version_id for v in page.versions] == [v[1] for v in listed[3:]]


@pytest.mark.parametrize("source", ["sqlite", "etcd"])
async def test_export_rpc_into_import_rpc_of_the_other_backend(
    source: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Backup and restore through the real servers (the CLI's Export and Import streams)."""
    target = "etcd" if source == "sqlite" else "sqlite"
    servers = []
    try:
        for backend in (source, target):
            config = meta_config(tmp_path / backend, **backend_options(backend, request))
            servers.append(await start_server(config, now_ms=1))
        clients = [await MetaClient.connect(f"127.0.0.1:{s.port}", TOKEN) for s in servers]
        try:
            await clients[0].create_bucket("vers", "admin")
            await clients[0].put_bucket_setting("vers", versions.VERSIONING_SETTING, versions.ENABLED)
            for i in range(3):
                await clients[0].put_object(placed("vers", "k", i + 1, i))
            await clients[0].delete_object("vers", "k")
            channels = [aio.insecure_channel(f"127.0.0.1:{s.port}") for s in servers]
            stubs = [meta_pb2_grpc.MetaServiceStub(c) for c in channels]
            items = [item async for item in stubs[0].Export(pb.ExportRequest(), metadata=call_metadata(TOKEN))]
            reply = await stubs[1].Import(iter(items), metadata=call_metadata(TOKEN))
            assert reply.imported > 0
            for channel in channels:
                await channel.close(None)
            listed = [await c.list_object_versions(pb.ListObjectVersionsRequest(bucket="vers")) for c in clients]
            assert len(listed[0].versions) == 4 and listed[1].versions == listed[0].versions
            assert (await clients[1].get_bucket("vers")).settings["versioning"] == versions.ENABLED
            assert (await clients[1].get_cluster_map()).cluster_id == (await clients[0].get_cluster_map()).cluster_id
        finally:
            for client in clients:
                await client.close()
    finally:
        for server in servers:
            await server.stop(grace_s=0.5)
