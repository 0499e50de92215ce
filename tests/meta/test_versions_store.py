"""Object versions in the metadata store (both backends): put/get/delete in never-versioned, Enabled and Suspended
buckets, delete markers, null-version semantics, ListObjectVersions against a brute-force model,
references for GC and the repair scan over every version, tags, and migration from schema 3."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from objectio.meta import sqlite_schema as schema
from objectio.meta import versions
from objectio.meta.errors import NotFound, PreconditionFailed
from objectio.meta.sqlite_store import SqliteMetaStore
from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb
from tests.meta.conftest import record


def oid(n: int) -> bytes:
    return bytes([n]) * 16


def placed(bucket: str, key: str, n: int, mtime_ns: int = 1) -> pb.ObjectRecord:
    rec = record(bucket, key, object_id=oid(n))
    rec.mtime_ns = mtime_ns
    rec.pool = "rs-4-2"
    rec.stripes.add(osd_ids=[1, 2, 3, 4, 5, 6], length=3)
    return rec


async def versioned(store: MetaStore, name: str, state: bytes = versions.ENABLED) -> str:
    await store.create_bucket(pb.Bucket(name=name, owner="alice", created_ms=1))
    await store.put_bucket_setting(name, versions.VERSIONING_SETTING, state)
    return name


async def all_versions(store: MetaStore, bucket: str, key_marker: str = "") -> list[tuple[str, str, bool, bool]]:
    reply = await store.list_object_versions(pb.ListObjectVersionsRequest(bucket=bucket, key_marker=key_marker), 1000)
    return [(v.record.key, v.record.version_id, v.record.delete_marker, v.is_latest) for v in reply.versions]


async def test_never_versioned_bucket_keeps_one_record_per_key(store: MetaStore) -> None:
    first = await store.put_object(placed("photos", "k", 1), False)
    assert not first.has_replaced and first.version_id == ""
    second = await store.put_object(placed("photos", "k", 2), False)
    assert second.has_replaced and second.replaced.object_id == oid(1)  # garbage at once
    assert await store.find_unreferenced([oid(1), oid(2)]) == [oid(1)]
    assert (await store.get_object("photos", "k", "null")).object_id == oid(2)
    deleted = await store.delete_object("photos", "k")
    assert deleted.existed and not deleted.delete_marker and deleted.deleted.object_id == oid(2)
    assert await all_versions(store, "photos") == []
    with pytest.raises(NotFound) as excinfo:
        await store.get_object("photos", "k")
    assert excinfo.value.what == "object"


async def test_enabled_keeps_versions_and_delete_markers(store: MetaStore) -> None:
    bucket = await versioned(store, "ver")
    v1 = await store.put_object(placed(bucket, "k", 1, mtime_ns=10), False)
    v2 = await store.put_object(placed(bucket, "k", 2, mtime_ns=10), False)  # same clock: still ordered
    assert not v1.has_replaced and not v2.has_replaced
    assert versions.is_version_id(v1.version_id) and v1.version_id != v2.version_id
    assert v2.version_id < v1.version_id  # newest sorts first
    latest = await store.get_object(bucket, "k")
    assert latest.version_id == v2.version_id and latest.mtime_ns == 11
    assert (await store.get_object(bucket, "k", v1.version_id)).object_id == oid(1)
    assert await store.find_unreferenced([oid(1), oid(2), oid(3)]) == [oid(3)]
    marker = await store.delete_object(bucket, "k")
    assert marker.delete_marker and not marker.existed and versions.is_version_id(marker.version_id)
    got = await store.get_object(bucket, "k")
    assert got.delete_marker and got.version_id == marker.version_id
    assert (await store.list_objects(bucket, "", "", "", 10)).keys == []
    assert await all_versions(store, bucket) == [
        ("k", marker.version_id, True, True),
        ("k", v2.version_id, False, False),
        ("k", v1.version_id, False, False),
    ]
    with pytest.raises(PreconditionFailed):
        await store.delete_bucket(bucket)  # versions and markers keep a bucket non-empty
    # removing the marker by id makes v2 the latest object again
    removed = await store.delete_object(bucket, "k", marker.version_id)
    assert removed.delete_marker and not removed.existed and removed.version_id == marker.version_id
    assert (await store.get_object(bucket, "k")).version_id == v2.version_id
    assert list((await store.list_objects(bucket, "", "", "", 10)).keys) == ["k"]
    # removing the latest version by id promotes the previous one; its data is garbage
    gone = await store.delete_object(bucket, "k", v2.version_id)
    assert gone.existed and gone.deleted.object_id == oid(2)
    assert (await store.get_object(bucket, "k")).version_id == v1.version_id
    assert await store.find_unreferenced([oid(1), oid(2)]) == [oid(2)]
    nothing = await store.delete_object(bucket, "k", v2.version_id)  # already gone: no error
    assert not nothing.existed and not nothing.delete_marker
    with pytest.raises(NotFound) as excinfo:
        await store.get_object(bucket, "k", v2.version_id)
    assert excinfo.value.what == "version"


async def test_if_none_match_ignores_a_latest_delete_marker(store: MetaStore) -> None:
    bucket = await versioned(store, "inm")
    await store.put_object(record(bucket, "k"), False)
    with pytest.raises(PreconditionFailed):
        await store.put_object(record(bucket, "k"), True)
    await store.delete_object(bucket, "k")
    assert (await store.put_object(record(bucket, "k"), True)).version_id


async def test_suspended_replaces_only_the_null_version(store: MetaStore) -> None:
    await store.put_object(placed("photos", "k", 1, mtime_ns=5), False)  # null version, before versioning
    await store.put_bucket_setting("photos", versions.VERSIONING_SETTING, versions.ENABLED)
    v = await store.put_object(placed("photos", "k", 2, mtime_ns=6), False)
    await store.put_bucket_setting("photos", versions.VERSIONING_SETTING, versions.SUSPENDED)
    # the old null version (not the latest) is replaced; the versioned one stays
    n = await store.put_object(placed("photos", "k", 3, mtime_ns=7), False)
    assert n.version_id == "null" and n.has_replaced and n.replaced.object_id == oid(1)
    assert await all_versions(store, "photos") == [("k", "", False, True), ("k", v.version_id, False, False)]
    # a null over the latest null replaces it; a delete then is the null marker replacing it again
    again = await store.put_object(placed("photos", "k", 4, mtime_ns=8), False)
    assert again.replaced.object_id == oid(3)
    marker = await store.delete_object("photos", "k")
    assert marker.delete_marker and marker.version_id == "null" and marker.deleted.object_id == oid(4)
    assert await all_versions(store, "photos") == [("k", "", True, True), ("k", v.version_id, False, False)]
    assert await store.find_unreferenced([oid(n) for n in range(1, 5)]) == [oid(1), oid(3), oid(4)]
    # the null marker goes by "null"; v is the latest again
    assert (await store.delete_object("photos", "k", "null")).delete_marker
    assert (await store.get_object("photos", "k")).version_id == v.version_id


async def test_multipart_versions_stay_referenced(store: MetaStore) -> None:
    bucket = await versioned(store, "mpv")
    ids = []
    for n in (1, 2):
        upload = await store.create_upload(pb.MultipartUpload(bucket=bucket, key="big", owner="alice", initiated_ns=1))
        name = pb.UploadName(bucket=bucket, key="big", upload_id=upload.upload_id)
        part = pb.PartLayout(part_number=1, object_id=oid(10 + n), size=3, etag="e")
        part.stripes.add(osd_ids=[1, 2, 3, 4, 5, 6], length=3)
        await store.put_part(name, part)
        final = pb.ObjectRecord(format_version=1, bucket=bucket, key="big", size=3, etag="x-1", object_id=oid(20 + n))
        final.mtime_ns = 1
        final.parts.append(part)
        replaced, version_id, discarded = await store.complete_upload(name, final)
        assert replaced is None and discarded == [] and version_id
        ids.append(version_id)
    assert await store.find_unreferenced([oid(11), oid(12)]) == []  # both versions' parts
    older_part = await store.placed_view(oid(11))  # repair finds a part of an older version too
    assert older_part is not None and older_part.object_id == oid(11) and older_part.stripes
    assert await store.osd_is_referenced(3)
    await store.delete_object(bucket, "big", ids[0])
    assert await store.find_unreferenced([oid(11), oid(12)]) == [oid(11)]


async def test_repair_scan_and_compare_and_set_cover_old_versions(store: MetaStore) -> None:
    bucket = await versioned(store, "rep")
    for n in range(1, 4):
        await store.put_object(placed(bucket, "a", n, mtime_ns=n), False)
    await store.put_object(placed(bucket, "b", 4, mtime_ns=1), False)
    await store.delete_object(bucket, "b")  # a marker: nothing to scan
    seen, after = [], None
    while page := await store.scan_placed_objects(after, 2):
        seen += [r.object_id for r in page]
        last = page[-1]
        after = (last.bucket, last.key.encode(), versions.version_order(last.mtime_ns))
    assert seen == [oid(3), oid(2), oid(1), oid(4)]
    old = await store.placed_view(oid(1))
    assert old is not None and old.object_id == oid(1) and old.key == "a"
    assert await store.replace_fragments(oid(1), 0, {0: (1, 9)})
    assert not await store.replace_fragments(oid(1), 0, {0: (1, 9)})  # moved already
    rewritten = await store.placed_view(oid(1))
    assert rewritten is not None and rewritten.stripes[0].osd_ids[0] == 9
    assert (await store.get_object(bucket, "a")).object_id == oid(3)  # the latest is untouched
    assert await store.mark_missing(9, [pb.ShardRef(object_id=oid(1), stripe_index=0, fragment_index=0)]) == 1
    assert (await store.counts()).degraded_stripes == 1


async def test_tags_per_version(store: MetaStore) -> None:
    bucket = await versioned(store, "tags")
    v1 = (await store.put_object(record(bucket, "k"), False)).version_id
    v2 = (await store.put_object(record(bucket, "k"), False)).version_id
    assert await store.put_object_tags(pb.ObjectName(bucket=bucket, key="k"), {"a": "1"}) == v2
    assert await store.put_object_tags(pb.ObjectName(bucket=bucket, key="k", version_id=v1), {"b": "2"}) == v1
    assert dict((await store.get_object(bucket, "k")).tags) == {"a": "1"}
    old = await store.get_object(bucket, "k", v1)
    assert dict(old.tags) == {"b": "2"} and old.inline_data == b"abc"
    await store.delete_object(bucket, "k")
    with pytest.raises(PreconditionFailed):
        await store.put_object_tags(pb.ObjectName(bucket=bucket, key="k"), {})
    with pytest.raises(NotFound):
        await store.put_object_tags(pb.ObjectName(bucket=bucket, key="nope"), {})


async def test_list_versions_against_a_model(store: MetaStore) -> None:
    bucket = await versioned(store, "model")
    rng = random.Random(7)
    keys = [f"{a}{sep}{b}" for a in "abé" for sep in "/-" for b in "xy"] + ["a", "b/"]
    model: dict[str, list[tuple[str, bool]]] = {k: [] for k in keys}  # newest first
    for _ in range(120):
        key = rng.choice(keys)
        if rng.random() < 0.25:
            reply = await store.delete_object(bucket, key)
            model[key].insert(0, (reply.version_id, True))
        else:
            model[key].insert(0, ((await store.put_object(record(bucket, key), False)).version_id, False))
    expected = [(k, vid, dm) for k in sorted(model, key=str.encode) for vid, dm in model[k]]
    for prefix, delimiter, page_size in (("", "", 7), ("a", "", 5), ("", "/", 3), ("a", "-", 1), ("", "", 1000)):
        got, rolled, key_marker, version_marker = [], [], "", ""
        while True:
            request = pb.ListObjectVersionsRequest(
                bucket=bucket, prefix=prefix, delimiter=delimiter, key_marker=key_marker,
                version_id_marker=version_marker, max_keys=page_size,
            )  # fmt: skip
            reply = await store.list_object_versions(request, page_size)
            got += [(v.record.key, v.record.version_id, v.record.delete_marker) for v in reply.versions]
            rolled += list(reply.common_prefixes)
            if not reply.is_truncated:
                break
            key_marker, version_marker = reply.next_key_marker, reply.next_version_id_marker
        want = [e for e in expected if e[0].startswith(prefix)]
        if delimiter:
            cut = {e[0][: e[0].index(delimiter, len(prefix)) + 1] for e in want if delimiter in e[0][len(prefix) :]}
            want = [e for e in want if delimiter not in e[0][len(prefix) :]]
            assert sorted(rolled) == sorted(cut), (prefix, delimiter)
        assert got == want, (prefix, delimiter, page_size)


async def test_version_3_database_is_migrated(tmp_path: Path) -> None:
    data_dir = tmp_path / "meta"
    data_dir.mkdir()
    conn = sqlite3.connect(data_dir / schema.DB_FILE, isolation_level=None)
    for script in (schema.SCHEMA, schema.MULTIPART_SCHEMA, schema.BUCKET_SETTINGS_SCHEMA):
        for statement in script.split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute("INSERT INTO cluster VALUES (1, 1, 'c', 1, 'p', 1, 0)")
    conn.execute("INSERT INTO pools VALUES ('p', 1, x'')")
    conn.execute("PRAGMA user_version=3")
    conn.close()
    store = SqliteMetaStore(data_dir, read_threads=1)
    await store.open()
    try:
        await store.create_bucket(pb.Bucket(name="migrated", owner="alice", pool="p"))
        await store.put_bucket_setting("migrated", versions.VERSIONING_SETTING, versions.ENABLED)
        await store.put_object(record("migrated", "k"), False)
        await store.delete_object("migrated", "k")
        assert len(await all_versions(store, "migrated")) == 2
    finally:
        await store.close()
    conn = sqlite3.connect(data_dir / schema.DB_FILE)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION == 4
    conn.close()
