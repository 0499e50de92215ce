"""Export/import of the metadata store (both backends): a snapshot round-trips into an empty store; merges follow
the documented rules (newest object wins, the cluster id only into a store without buckets)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from objectio.meta.errors import NotFound, PreconditionFailed
from objectio.meta.etcd_store import EtcdMetaStore
from objectio.meta.sqlite_store import SqliteMetaStore
from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb
from tests.meta.conftest import BACKENDS, etcd_prefix, record


async def _export(store: MetaStore) -> list[pb.MetaItem]:
    return [item async for item in store.export_items()]


async def _fill(store: MetaStore) -> None:
    await store.create_access_key(pb.AccessKey(access_key="AK1", secret_key="s1", user="alice", created_ms=2))
    await store.put_object(record("photos", "a.txt"), if_none_match=False)
    await store.put_object(record("photos", "b/ü", data=b"xyz"), if_none_match=False)
    upload = await store.create_upload(pb.MultipartUpload(bucket="photos", key="big", owner="alice", initiated_ns=5))
    name = pb.UploadName(bucket="photos", key="big", upload_id=upload.upload_id)
    await store.put_part(name, pb.PartLayout(part_number=1, etag="e1", size=0))


async def test_export_then_import_reproduces_the_store(store: MetaStore, tmp_path: Path) -> None:
    await _fill(store)
    items = await _export(store)
    kinds = [item.WhichOneof("item") for item in items]
    assert kinds[0] == "cluster" and kinds.index("bucket") < kinds.index("object") < kinds.index("upload_part")
    fresh = SqliteMetaStore(tmp_path / "fresh", read_threads=1)
    await fresh.open()
    try:
        stored, skipped = await fresh.import_items(items)
        assert (stored, skipped) == (len(items), 0)  # a bare store: no pools, users or buckets yet
        again = await _export(fresh)
        assert again[0].cluster.cluster_id == items[0].cluster.cluster_id
        assert again[1:] == items[1:]  # the cluster item differs only in its epoch
        assert (await fresh.lookup_access_key("AK1")).secret_key == "s1"
        assert (await fresh.get_object("photos", "b/ü")).inline_data == b"xyz"
    finally:
        await fresh.close()


async def test_newest_object_version_wins(store: MetaStore) -> None:
    newer = record("photos", "k", data=b"new")
    newer.mtime_ns = 10
    await store.put_object(newer, if_none_match=False)
    older = record("photos", "k", data=b"old")
    older.mtime_ns = 5
    assert await store.import_items([pb.MetaItem(object=older)]) == (0, 1)
    assert (await store.get_object("photos", "k")).inline_data == b"new"
    newest = record("photos", "k", data=b"newest")
    newest.mtime_ns = 11
    assert await store.import_items([pb.MetaItem(object=newest)]) == (1, 0)
    assert (await store.get_object("photos", "k")).inline_data == b"newest"


async def test_cluster_identity_only_into_a_store_without_buckets(store: MetaStore) -> None:
    item = pb.MetaItem(cluster=pb.ClusterInfo(cluster_id="ab" * 16, epoch=1, default_pool="rs-4-2"))
    with pytest.raises(PreconditionFailed):
        await store.import_items([item])
    assert (await store.cluster_map()).cluster_id != "ab" * 16


async def test_an_imported_osd_is_down_and_a_newer_registration_wins(store: MetaStore) -> None:
    osd = pb.Osd(id=4, address="10.0.0.1:1", up=pb.OSD_UP, disk_uuid="u4")
    assert await store.import_items([pb.MetaItem(osd=osd)]) == (1, 0)
    cmap = await store.cluster_map()
    assert [(o.id, o.up) for o in cmap.osds] == [(4, pb.OSD_DOWN)]
    assert await store.import_items([pb.MetaItem(osd=osd)]) == (0, 1)


@pytest.fixture(params=BACKENDS)
def recovering_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], MetaStore]:
    """Makes a new (unopened) store of each backend that takes a given ``meta.cluster_id``."""
    backend = request.param
    endpoints: list[str] = [] if backend == "sqlite" else request.getfixturevalue("etcd").endpoints
    made = itertools.count()

    def make(cluster_id: str) -> MetaStore:
        if backend == "sqlite":
            return SqliteMetaStore(tmp_path / str(next(made)), read_threads=1, cluster_id=cluster_id)
        return EtcdMetaStore(endpoints, prefix=etcd_prefix(), cluster_id=cluster_id)

    return make


async def test_an_unknown_osd_is_adopted_only_by_a_recovering_store(
    recovering_store: Callable[[str], MetaStore],
) -> None:
    cluster_id = "cd" * 16
    for adopt in (False, True):
        store = recovering_store(cluster_id if adopt else "")
        await store.open()
        try:
            cid = (await store.cluster_map()).cluster_id
            assert (cid == cluster_id) is adopt
            request = pb.RegisterOsdRequest(osd_id=9, address="a:1", disk_uuid="u9", cluster_id=cid)
            if not adopt:
                with pytest.raises(NotFound):
                    await store.register_osd(request, now_ms=1)
                continue
            osd, _ = await store.register_osd(request, now_ms=1)
            assert osd.id == 9 and osd.up == pb.OSD_UP
            request.osd_id, request.disk_uuid = 3, "u3"  # in any order
            assert (await store.register_osd(request, now_ms=2))[0].id == 3
            new, _ = await store.register_osd(pb.RegisterOsdRequest(address="b:1", disk_uuid="new"), now_ms=3)
            assert new.id == 10  # ids handed out later stay above the adopted ones
        finally:
            await store.close()


async def test_versions_and_bucket_settings_round_trip(store: MetaStore, tmp_path: Path) -> None:
    await store.create_bucket(pb.Bucket(name="vers", owner="alice", created_ms=1))
    await store.put_bucket_setting("vers", "versioning", b"Enabled")
    await store.put_bucket_setting("vers", "cors", b'{"version": 1, "rules": []}')
    first = (await store.put_object(record("vers", "k", data=b"one"), if_none_match=False)).version_id
    await store.put_object(record("vers", "k", data=b"two"), if_none_match=False)
    await store.delete_object("vers", "k")  # the latest is now a delete marker
    await store.put_object(record("vers", "only", data=b"x"), if_none_match=False)
    items = await _export(store)
    fresh = SqliteMetaStore(tmp_path / "fresh", read_threads=1)
    await fresh.open()
    try:
        await fresh.import_items(items)
        assert dict((await fresh.get_bucket("vers")).settings) == dict((await store.get_bucket("vers")).settings)
        request = pb.ListObjectVersionsRequest(bucket="vers")
        listed = [
            (v.record.key, v.record.version_id, v.record.delete_marker, v.is_latest)
            for v in (await fresh.list_object_versions(request, 1000)).versions
        ]
        original = [
            (v.record.key, v.record.version_id, v.record.delete_marker, v.is_latest)
            for v in (await store.list_object_versions(request, 1000)).versions
        ]
        assert listed == original and len(listed) == 4  # k: marker, two, one; only
        assert (await fresh.get_object("vers", "k", first)).inline_data == b"one"
        assert (await fresh.get_object("vers", "k")).delete_marker  # the marker is still the latest
        await fresh.import_items(items[1:])  # a second import changes nothing
        again = [
            (v.record.key, v.record.version_id) for v in (await fresh.list_object_versions(request, 1000)).versions
        ]
        assert again == [(k, vid) for k, vid, _, _ in original]
    finally:
        await fresh.close()
