"""The multipart tables of the SQLite store: uploads, parts, completion, references for GC,
listing with markers and delimiters, expiry, schema migration from version 1."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from objectio.meta import sqlite_schema as schema
from objectio.meta.errors import NotFound, PreconditionFailed
from objectio.meta.expiry import expire_once
from objectio.meta.sqlite_store import SqliteMetaStore
from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb


def oid(n: int) -> bytes:
    return bytes([n]) * 16


def part(number: int, object_id: bytes, size: int = 10) -> pb.PartLayout:
    layout = pb.PartLayout(part_number=number, object_id=object_id, size=size, etag=f"{number:032x}")
    layout.stripes.add(osd_ids=[1, 2, 3, 4, 5, 6], length=size)
    return layout


async def new_upload(store: MetaStore, key: str, initiated_ns: int = 1) -> pb.UploadName:
    upload = await store.create_upload(
        pb.MultipartUpload(bucket="photos", key=key, owner="alice", initiated_ns=initiated_ns, content_type="t/x")
    )
    assert upload.pool == "rs-4-2" and len(upload.upload_id) == 32
    return pb.UploadName(bucket="photos", key=key, upload_id=upload.upload_id)


def final_record(name: pb.UploadName, parts: list[pb.PartLayout], object_id: bytes) -> pb.ObjectRecord:
    record = pb.ObjectRecord(
        format_version=1, bucket=name.bucket, key=name.key, size=sum(p.size for p in parts), etag="x-2",
        object_id=object_id, mtime_ns=5,
    )  # fmt: skip
    record.parts.extend(parts)
    return record


async def test_parts_replace_complete_and_references(store: MetaStore) -> None:
    name = await new_upload(store, "big")
    assert await store.put_part(name, part(1, oid(1))) is None
    replaced = await store.put_part(name, part(1, oid(2)))
    assert replaced is not None and replaced.object_id == oid(1)
    await store.put_part(name, part(2, oid(3)))
    await store.put_part(name, part(3, oid(4)))
    # the replaced part is garbage; the others are referenced by the upload
    assert await store.find_unreferenced([oid(n) for n in range(1, 6)]) == [oid(1), oid(5)]
    assert await store.osd_is_referenced(6)
    listing = await store.list_parts(pb.ListPartsRequest(upload=name, part_number_marker=1), 1)
    assert [p.part_number for p in listing.parts] == [2] and listing.is_truncated
    stale = final_record(name, [part(1, oid(1)), part(2, oid(3))], oid(9))
    with pytest.raises(PreconditionFailed):
        await store.complete_upload(name, stale)
    record = final_record(name, [part(1, oid(2)), part(2, oid(3))], oid(9))
    replaced_record, version_id, discarded = await store.complete_upload(name, record)
    assert replaced_record is None and version_id == "" and [p.object_id for p in discarded] == [oid(4)]
    got = await store.get_object("photos", "big")
    assert [p.object_id for p in got.parts] == [oid(2), oid(3)]
    assert (await store.counts()).degraded_stripes == 0
    assert await store.find_unreferenced([oid(2), oid(3), oid(4)]) == [oid(4)]
    with pytest.raises(NotFound) as exc:
        await store.get_upload(name)
    assert exc.value.what == "upload"
    # replacing the multipart object releases its parts
    plain = pb.ObjectRecord(format_version=1, bucket="photos", key="big", size=1, etag="e", is_inline=True)
    previous = await store.put_object(plain, False)
    assert previous.has_replaced and len(previous.replaced.parts) == 2
    assert await store.find_unreferenced([oid(2), oid(3)]) == [oid(2), oid(3)]


async def test_delete_of_multipart_object_releases_parts(store: MetaStore) -> None:
    name = await new_upload(store, "d")
    degraded = part(1, oid(7))
    degraded.stripes[0].osd_ids[2] = 0  # a fragment that was not written: counted for repair
    await store.put_part(name, degraded)
    await store.complete_upload(name, final_record(name, [degraded], oid(8)))
    assert (await store.counts()).degraded_stripes == 1
    assert await store.find_unreferenced([oid(7)]) == []
    await store.delete_object("photos", "d")
    assert await store.find_unreferenced([oid(7)]) == [oid(7)]


async def test_abort_and_unknown_uploads(store: MetaStore) -> None:
    name = await new_upload(store, "a")
    await store.put_part(name, part(1, oid(1)))
    parts = await store.abort_upload(name)
    assert [p.object_id for p in parts] == [oid(1)]
    assert await store.find_unreferenced([oid(1)]) == [oid(1)]
    for call in (store.abort_upload(name), store.put_part(name, part(1, oid(2))), store.get_upload(name)):
        with pytest.raises(NotFound) as exc:
            await call
        assert exc.value.what == "upload"
    other_key = pb.UploadName(bucket="photos", key="b", upload_id=(await new_upload(store, "a")).upload_id)
    with pytest.raises(NotFound):
        await store.get_upload(other_key)  # an upload id belongs to its key
    with pytest.raises(NotFound) as exc:
        await store.get_upload(pb.UploadName(bucket="nope", key="a", upload_id="x"))
    assert exc.value.what == "bucket"


async def test_list_uploads_markers_prefix_delimiter(store: MetaStore) -> None:
    names = [await new_upload(store, key) for key in ("a/1", "a/2", "b", "b", "c/x/1", "d")]

    async def page(
        limit: int = 1000, prefix: str = "", delimiter: str = "", key_marker: str = "", upload_id_marker: str = ""
    ) -> pb.ListMultipartUploadsReply:
        request = pb.ListMultipartUploadsRequest(
            bucket="photos",
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
        )
        return await store.list_uploads(request, limit)

    everything = await page()
    assert [u.key for u in everything.uploads] == ["a/1", "a/2", "b", "b", "c/x/1", "d"]
    assert not everything.is_truncated and everything.next_key_marker == ""
    b_ids = sorted(n.upload_id for n in names if n.key == "b")
    assert [u.upload_id for u in everything.uploads[2:4]] == b_ids
    first = await page(limit=3)
    assert first.is_truncated and (first.next_key_marker, first.next_upload_id_marker) == ("b", b_ids[0])
    rest = await page(key_marker="b", upload_id_marker=b_ids[0])
    assert [(u.key, u.upload_id) for u in rest.uploads][:1] == [("b", b_ids[1])]
    assert [u.key for u in (await page(key_marker="b")).uploads] == ["c/x/1", "d"]
    grouped = await page(delimiter="/")
    assert list(grouped.common_prefixes) == ["a/", "c/"] and [u.key for u in grouped.uploads] == ["b", "b", "d"]
    nested = await page(prefix="c/", delimiter="/")
    assert list(nested.common_prefixes) == ["c/x/"] and not nested.uploads
    one = await page(delimiter="/", limit=1)
    assert one.is_truncated and list(one.common_prefixes) == ["a/"] and one.next_key_marker == "a/"
    after = await page(delimiter="/", key_marker="a/", limit=1)
    assert [u.key for u in after.uploads] == ["b"]
    assert [u.key for u in (await page(prefix="b")).uploads] == ["b", "b"]


async def test_expiry_forgets_old_uploads_only(store: MetaStore) -> None:
    old = await new_upload(store, "old", initiated_ns=1_000_000_000)
    young = await new_upload(store, "young", initiated_ns=100 * 1_000_000_000)
    await store.put_part(old, part(1, oid(1)))
    await store.put_part(young, part(1, oid(2)))
    assert await expire_once(store, expiry_seconds=50, now_ns=101 * 1_000_000_000) == 1
    with pytest.raises(NotFound):
        await store.get_upload(old)
    await store.get_upload(young)
    assert await store.find_unreferenced([oid(1), oid(2)]) == [oid(1)]


async def test_bucket_delete_drops_its_uploads(store: MetaStore) -> None:
    await store.create_bucket(pb.Bucket(name="tmp", owner="alice", created_ms=1))
    upload = await store.create_upload(pb.MultipartUpload(bucket="tmp", key="k", owner="alice", initiated_ns=1))
    name = pb.UploadName(bucket="tmp", key="k", upload_id=upload.upload_id)
    await store.put_part(name, part(1, oid(3)))
    await store.delete_bucket("tmp")
    assert await store.find_unreferenced([oid(3)]) == [oid(3)]


async def test_version_1_database_is_migrated(tmp_path: Path) -> None:
    data_dir = tmp_path / "meta"
    data_dir.mkdir()
    conn = sqlite3.connect(data_dir / schema.DB_FILE, isolation_level=None)
    for statement in schema.SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO cluster VALUES (1, 1, 'c', 1, 'p', 1, 0)")
    conn.execute("INSERT INTO pools VALUES ('p', 1, x'')")
    conn.execute("PRAGMA user_version=1")
    conn.close()
    store = SqliteMetaStore(data_dir, read_threads=1)
    await store.open()
    try:
        assert not store.created
        assert await store.find_unreferenced([oid(1)]) == [oid(1)]  # the new tables exist
        await store.create_bucket(pb.Bucket(name="migrated", owner="alice", pool="p"))
        assert (await store.put_bucket_setting("migrated", "cors", b"x")).settings["cors"] == b"x"
    finally:
        await store.close()
