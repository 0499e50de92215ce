"""SqliteMetaStore: every operation, durability across reopen, corruption checks, group commit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from objectio.meta.errors import (
    AlreadyExists,
    CorruptRecord,
    NotFound,
    Overloaded,
    PreconditionFailed,
    StoreClosed,
)
from objectio.meta.etcd_store import EtcdMetaStore
from objectio.meta.sqlite_schema import SchemaError
from objectio.meta.sqlite_store import SqliteMetaStore
from objectio.meta.store import MetaStore, OsdHeartbeat
from objectio.protos import meta_pb2 as pb
from tests.meta.conftest import record


async def test_fresh_store_has_cluster_pools_and_default(store: MetaStore) -> None:
    cmap = await store.cluster_map()
    assert len(cmap.cluster_id) == 32
    assert [p.name for p in cmap.pools] == ["lrc-8-2-2", "rs-4-2", "rs-8-4"]
    assert cmap.default_pool == "rs-4-2"
    assert cmap.epoch == 5  # 1 + three pools + default pool
    assert isinstance(store, SqliteMetaStore | EtcdMetaStore) and store.created


async def test_pool_names_are_unique_and_default_must_exist(store: MetaStore) -> None:
    pool = (await store.cluster_map()).pools[0]
    with pytest.raises(AlreadyExists):
        await store.create_pool(pool)
    with pytest.raises(NotFound):
        await store.set_default_pool("nope")
    epoch = (await store.cluster_map()).epoch
    assert (await store.set_default_pool("rs-4-2")).epoch == epoch  # unchanged: no new epoch
    assert (await store.set_default_pool("rs-8-4")).epoch == epoch + 1


async def test_buckets(store: MetaStore) -> None:
    with pytest.raises(AlreadyExists) as exc:
        await store.create_bucket(pb.Bucket(name="photos", owner="bob"))
    assert exc.value.owner == "alice"
    created = await store.create_bucket(pb.Bucket(name="logs", owner="bob", pool="rs-8-4", created_ms=5))
    assert (created.pool, created.created_ms) == ("rs-8-4", 5)
    assert (await store.get_bucket("photos")).pool == "rs-4-2"  # the default pool
    with pytest.raises(NotFound):
        await store.create_bucket(pb.Bucket(name="x1", owner="bob", pool="missing"))
    assert [b.name for b in await store.list_buckets("")] == ["logs", "photos"]
    assert [b.name for b in await store.list_buckets("bob")] == ["logs"]
    await store.put_object(record("logs", "k"), False)
    with pytest.raises(PreconditionFailed):
        await store.delete_bucket("logs")
    await store.delete_object("logs", "k")
    await store.delete_bucket("logs")
    with pytest.raises(NotFound) as missing:
        await store.get_bucket("logs")
    assert missing.value.what == "bucket"
    with pytest.raises(NotFound):
        await store.delete_bucket("logs")


async def test_bucket_settings_live_and_die_with_their_bucket(store: MetaStore) -> None:
    created = await store.create_bucket(pb.Bucket(name="conf", owner="bob", settings={"cors": b"<CORS/>"}))
    assert dict(created.settings) == {"cors": b"<CORS/>"}
    await store.put_bucket_setting("conf", "versioning", b"Enabled")
    await store.put_bucket_setting("conf", "cors", b"<CORS2/>")
    assert dict((await store.get_bucket("conf")).settings) == {"cors": b"<CORS2/>", "versioning": b"Enabled"}
    await store.put_bucket_setting("conf", "cors", None)
    await store.put_bucket_setting("conf", "cors", None)  # deleting an absent setting is fine
    assert dict((await store.get_bucket("conf")).settings) == {"versioning": b"Enabled"}
    with pytest.raises(NotFound):
        await store.put_bucket_setting("missing", "cors", b"x")
    await store.delete_bucket("conf")
    recreated = await store.create_bucket(pb.Bucket(name="conf", owner="bob"))
    assert not recreated.settings and not (await store.get_bucket("conf")).settings


async def test_objects_put_get_replace_delete(store: MetaStore) -> None:
    first = record("photos", "a/b.jpg", data=b"one")
    assert not (await store.put_object(first, False)).has_replaced
    got = await store.get_object("photos", "a/b.jpg")
    assert got.inline_data == b"one" and got.pool == "rs-4-2"  # pool filled from the bucket
    second = record("photos", "a/b.jpg", data=b"two")
    replaced = await store.put_object(second, False)
    assert replaced.has_replaced and replaced.replaced.inline_data == b"one" and replaced.version_id == ""
    with pytest.raises(PreconditionFailed):
        await store.put_object(record("photos", "a/b.jpg", data=b"three"), True)
    assert (await store.get_object("photos", "a/b.jpg")).inline_data == b"two"
    assert not (await store.put_object(record("photos", "new"), True)).has_replaced
    deleted = await store.delete_object("photos", "a/b.jpg")
    assert deleted.existed and deleted.deleted.inline_data == b"two" and not deleted.delete_marker
    assert not (await store.delete_object("photos", "a/b.jpg")).existed
    with pytest.raises(NotFound) as exc:
        await store.get_object("photos", "a/b.jpg")
    assert exc.value.what == "object"
    for call in (
        store.get_object("nope", "k"),
        store.delete_object("nope", "k"),
        store.put_object(record("nope", "k"), False),
    ):
        with pytest.raises(NotFound) as exc:
            await call
        assert exc.value.what == "bucket"


async def test_find_unreferenced_and_counts(store: MetaStore) -> None:
    ids = [bytes([i]) * 16 for i in range(1, 6)]
    for i, oid in enumerate(ids[:3]):
        rec = record("photos", f"k{i}", object_id=oid)
        rec.stripes.add(osd_ids=[1, 2, 0 if i == 0 else 3], length=3)
        await store.put_object(rec, False)
    assert await store.find_unreferenced(ids) == ids[3:]
    assert await store.find_unreferenced([]) == []
    counts = await store.counts()
    assert (counts.bucket_count, counts.object_count, counts.degraded_stripes) == (1, 3, 1)
    assert await store.osd_is_referenced(2)
    assert not await store.osd_is_referenced(9)


async def test_osd_registration_heartbeat_down_and_states(store: MetaStore) -> None:
    start = (await store.cluster_map()).epoch
    req = pb.RegisterOsdRequest(address="h1:9200", host="h1", disk="/dev/sdb", disk_uuid="u1", capacity_bytes=1 << 40)
    osd, cmap = await store.register_osd(req, now_ms=10)
    assert (osd.id, osd.up, osd.weight, cmap.epoch) == (1, pb.OSD_UP, 1.0, start + 1)
    again, cmap = await store.register_osd(req, now_ms=11)  # same disk, id not yet recorded: same OSD
    assert (again.id, again.registered_ms, cmap.epoch) == (1, 11, start + 2)  # a restart is news
    same_ms, cmap = await store.register_osd(req, now_ms=11)
    assert (same_ms.registered_ms, cmap.epoch) == (12, start + 3)  # strictly increasing, even at the same ms
    second, cmap = await store.register_osd(pb.RegisterOsdRequest(address="h2:9200", disk_uuid="u2"), now_ms=12)
    assert second.id == 2 and cmap.epoch == start + 4
    with pytest.raises(PreconditionFailed):
        await store.register_osd(pb.RegisterOsdRequest(address="x", cluster_id="other"), now_ms=13)
    with pytest.raises(NotFound):
        await store.register_osd(pb.RegisterOsdRequest(osd_id=77, cluster_id=cmap.cluster_id), now_ms=13)
    with pytest.raises(PreconditionFailed):
        await store.register_osd(pb.RegisterOsdRequest(osd_id=1, disk_uuid="u2"), now_ms=13)

    beat, changed = await store.heartbeat(OsdHeartbeat(1, capacity_bytes=100, used_bytes=7, now_ms=20))
    assert (beat.used_bytes, beat.last_heartbeat_ms, changed) == (7, 20, None)
    assert await store.mark_osds_down([1], heard_before_ms=20) is None  # heard from at 20: not silent
    down = await store.mark_osds_down([1, 99], heard_before_ms=21)
    assert down is not None and down.epoch == start + 5 and down.osds[0].up == pb.OSD_DOWN
    assert await store.mark_osds_down([1], heard_before_ms=1000) is None
    _, back = await store.heartbeat(OsdHeartbeat(1, capacity_bytes=100, used_bytes=7, now_ms=30))
    assert back is not None and back.osds[0].up == pb.OSD_UP and back.epoch == start + 6
    with pytest.raises(NotFound):
        await store.heartbeat(OsdHeartbeat(99, capacity_bytes=1, used_bytes=0, now_ms=1))

    moved = await store.cluster_map()
    moved_addr, _ = await store.register_osd(pb.RegisterOsdRequest(osd_id=1, address="h1:9300", disk_uuid="u1"), 40)
    assert moved_addr.address == "h1:9300" and (await store.cluster_map()).epoch == moved.epoch + 1

    with pytest.raises(PreconditionFailed):
        await store.set_osd_state(2, set_in=False, set_out=False, remove=True)
    out = await store.set_osd_state(2, set_in=False, set_out=True, remove=False)
    assert getattr(out.osds[1], "in") == pb.OSD_OUT
    same = await store.set_osd_state(2, set_in=False, set_out=True, remove=False)
    assert same.epoch == out.epoch
    removed = await store.set_osd_state(2, set_in=False, set_out=False, remove=True)
    assert [o.id for o in removed.osds] == [1] and removed.epoch == out.epoch + 1
    third, _ = await store.register_osd(pb.RegisterOsdRequest(address="h3:9200", disk_uuid="u3"), now_ms=50)
    assert third.id == 3  # ids are never reused
    with pytest.raises(NotFound):
        await store.set_osd_state(2, set_in=True, set_out=False, remove=False)


async def test_users_and_access_keys(store: MetaStore) -> None:
    await store.create_user(pb.User(name="root", is_admin=True, created_ms=2))
    with pytest.raises(AlreadyExists):
        await store.create_user(pb.User(name="root"))
    assert [(u.name, u.is_admin) for u in await store.list_users()] == [("alice", False), ("root", True)]
    key = await store.create_access_key(pb.AccessKey(access_key="AK1", secret_key="s1", user="root", created_ms=3))
    assert key.is_admin
    with pytest.raises(AlreadyExists):
        await store.create_access_key(pb.AccessKey(access_key="AK1", secret_key="s2", user="root"))
    with pytest.raises(AlreadyExists):  # replace_secret only for the same user
        await store.create_access_key(
            pb.AccessKey(access_key="AK1", secret_key="s2", user="alice"), replace_secret=True
        )
    await store.create_access_key(pb.AccessKey(access_key="AK1", secret_key="s2", user="root"), replace_secret=True)
    assert (await store.lookup_access_key("AK1")).secret_key == "s2"
    with pytest.raises(NotFound):
        await store.create_access_key(pb.AccessKey(access_key="AK2", secret_key="s", user="ghost"))
    listed = await store.list_access_keys("root")
    assert [(k.access_key, k.secret_key, k.is_admin) for k in listed] == [("AK1", "", True)]
    with pytest.raises(NotFound):
        await store.list_access_keys("ghost")
    with pytest.raises(PreconditionFailed):
        await store.delete_user("alice")  # owns "photos"
    await store.delete_user("root")
    with pytest.raises(NotFound):
        await store.lookup_access_key("AK1")  # keys go with their user
    await store.create_access_key(pb.AccessKey(access_key="AK3", secret_key="s", user="alice"))
    await store.revoke_access_key("AK3")
    with pytest.raises(NotFound):
        await store.revoke_access_key("AK3")


async def test_everything_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "meta"
    s = SqliteMetaStore(path)
    await s.open()
    await s.create_pool(pb.Pool(name="p", k=2, m=1, stripe_unit_bytes=4096, format_version=1))
    await s.set_default_pool("p")
    await s.create_user(pb.User(name="u"))
    await s.create_bucket(pb.Bucket(name="b", owner="u"))
    await asyncio.gather(*(s.put_object(record("b", f"k{i}"), False) for i in range(50)))
    cluster_id = (await s.cluster_map()).cluster_id
    await s.close()
    await s.close()  # idempotent
    s = SqliteMetaStore(path)
    await s.open()
    try:
        assert not s.created
        assert (await s.cluster_map()).cluster_id == cluster_id
        assert (await s.counts()).object_count == 50
        assert (await s.get_object("b", "k7")).etag == "e-k7"
    finally:
        await s.close()


async def test_a_second_store_on_the_same_directory_is_refused(sqlite_store: SqliteMetaStore, tmp_path: Path) -> None:
    with pytest.raises(StoreClosed):
        await SqliteMetaStore(tmp_path / "meta").open()


async def test_closed_store_refuses_calls(tmp_path: Path) -> None:
    s = SqliteMetaStore(tmp_path / "m")
    await s.open()
    await s.close()
    with pytest.raises(StoreClosed):
        await s.cluster_map()
    with pytest.raises(StoreClosed):
        await s.create_user(pb.User(name="x"))


async def test_a_corrupt_row_is_reported_not_returned(sqlite_store: SqliteMetaStore, tmp_path: Path) -> None:
    await sqlite_store.put_object(record("photos", "good"), False)
    await sqlite_store.put_object(record("photos", "bad"), False)
    conn = sqlite3.connect(tmp_path / "meta" / "meta.db")
    with conn:
        other = record("photos", "good").SerializeToString()
        conn.execute("UPDATE objects SET record = ? WHERE key = ?", (other, b"bad"))
        conn.execute("UPDATE objects SET record = ? WHERE key = ?", (b"\xff\xff\xff", b"good"))
    conn.close()
    with pytest.raises(CorruptRecord, match="holds"):
        await sqlite_store.get_object("photos", "bad")
    with pytest.raises(CorruptRecord, match="undecodable"):
        await sqlite_store.get_object("photos", "good")


async def test_group_commit_shares_transactions(sqlite_store: SqliteMetaStore) -> None:
    before = sqlite_store.writer_stats.commits
    committed = sqlite_store.writer_stats.writes_committed
    await asyncio.gather(*(sqlite_store.put_object(record("photos", f"g{i:04d}"), False) for i in range(400)))
    commits = sqlite_store.writer_stats.commits - before
    assert sqlite_store.writer_stats.writes_committed - committed == 400
    assert commits < 100, f"400 concurrent writes took {commits} commits"
    assert sqlite_store.writer_stats.batch_records_max_seen > 4


async def test_one_failing_write_does_not_fail_its_batch(sqlite_store: SqliteMetaStore) -> None:
    await sqlite_store.put_object(record("photos", "taken"), False)
    results = await asyncio.gather(
        *(sqlite_store.put_object(record("photos", "taken" if i == 5 else f"f{i}"), True) for i in range(20)),
        return_exceptions=True,
    )
    assert [i for i, r in enumerate(results) if isinstance(r, Exception)] == [5]
    assert isinstance(results[5], PreconditionFailed)
    assert (await sqlite_store.counts()).object_count == 20


async def test_full_write_queue_is_overloaded(tmp_path: Path) -> None:
    s = SqliteMetaStore(tmp_path / "m", write_queue_depth_max=2, write_batch_records_max=1)
    await s.open()
    try:
        await s.create_user(pb.User(name="u"))
        results = await asyncio.gather(
            *(s.create_user(pb.User(name=f"u{i}")) for i in range(50)), return_exceptions=True
        )
        assert any(isinstance(r, Overloaded) for r in results)
        assert any(isinstance(r, pb.User) for r in results)
    finally:
        await s.close()


async def test_foreign_or_newer_databases_are_refused(tmp_path: Path) -> None:
    for name, setup in [("foreign", "CREATE TABLE other (x)"), ("newer", "PRAGMA user_version = 99")]:
        (tmp_path / name).mkdir()
        conn = sqlite3.connect(tmp_path / name / "meta.db")
        conn.execute(setup)
        conn.commit()
        conn.close()
        with pytest.raises(SchemaError):
            await SqliteMetaStore(tmp_path / name).open()


async def test_an_osd_past_the_full_ratio_is_flagged_full_with_a_new_epoch(store: MetaStore) -> None:
    req = pb.RegisterOsdRequest(address="h1:9200", disk_uuid="u1", capacity_bytes=100, used_bytes=95)
    osd, cmap = await store.register_osd(req, now_ms=10, full_ratio=0.9)
    assert osd.full and cmap.osds[0].full
    beat = OsdHeartbeat(osd.id, capacity_bytes=100, used_bytes=89, now_ms=20, full_ratio=0.9)
    osd, changed = await store.heartbeat(beat)
    assert osd.full and changed is None  # within the hysteresis: no flapping
    osd, changed = await store.heartbeat(OsdHeartbeat(osd.id, 100, 80, 30, full_ratio=0.9))
    assert not osd.full and changed is not None and changed.epoch == cmap.epoch + 1 and not changed.osds[0].full
    osd, changed = await store.heartbeat(OsdHeartbeat(osd.id, 100, 91, 40, full_ratio=0.9))
    assert osd.full and changed is not None and changed.osds[0].full
