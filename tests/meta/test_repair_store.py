"""The store operations of repair: compare-and-set of fragment placements (of objects and of
multipart parts), corrupt fragments marked missing, stale-copy answers, and the paged scans of
placed records and upload parts."""

from __future__ import annotations

from objectio.meta.store import MetaStore
from objectio.meta.versions import version_order
from objectio.protos import meta_pb2 as pb
from tests.meta.conftest import record
from tests.meta.test_multipart_store import final_record, new_upload, part

OID_A = b"\x01" * 16
OID_B = b"\x02" * 16


def placed(key: str, object_id: bytes, *stripes: list[int]) -> pb.ObjectRecord:
    r = record("photos", key, size=10, object_id=object_id)
    r.is_inline = False
    r.pool = "rs-4-2"
    r.stripes.extend(pb.StripePlacement(osd_ids=ids, length=5) for ids in stripes)
    return r


async def test_replace_fragments_is_a_compare_and_set(store: MetaStore) -> None:
    await store.put_object(placed("k", OID_A, [1, 2, 0, 4, 5, 6]), False)
    assert (await store.counts()).degraded_stripes == 1
    assert not await store.replace_fragments(OID_B, 0, {2: (0, 7)})  # no record references it
    assert not await store.replace_fragments(OID_A, 0, {2: (3, 7)})  # moved meanwhile
    assert not await store.replace_fragments(OID_A, 1, {2: (0, 7)})  # no such stripe
    assert await store.replace_fragments(OID_A, 0, {2: (0, 7), 5: (6, 8)})
    assert list((await store.get_object("photos", "k")).stripes[0].osd_ids) == [1, 2, 7, 4, 5, 8]
    assert (await store.counts()).degraded_stripes == 0
    await store.delete_object("photos", "k")
    assert not await store.replace_fragments(OID_A, 0, {2: (7, 9)})  # deleted


async def test_corrupt_fragments_are_marked_missing_only_where_still_placed(store: MetaStore) -> None:
    await store.put_object(placed("k", OID_A, [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]), False)
    shard = pb.ShardRef(object_id=OID_A, stripe_index=1, fragment_index=3)
    assert await store.mark_missing(4, [shard]) == 1
    assert list((await store.get_object("photos", "k")).stripes[1].osd_ids) == [1, 2, 3, 0, 5, 6]
    assert await store.mark_missing(4, [shard]) == 0  # idempotent: a re-report changes nothing
    assert await store.mark_missing(9, [pb.ShardRef(object_id=OID_B, stripe_index=0, fragment_index=0)]) == 0


async def test_stale_placements_name_copies_placed_elsewhere(store: MetaStore) -> None:
    await store.put_object(placed("k", OID_A, [1, 2, 3, 4, 5, 6]), False)
    refs = [
        pb.ShardRef(object_id=OID_A, stripe_index=0, fragment_index=0),  # placed on 1: current
        pb.ShardRef(object_id=OID_A, stripe_index=0, fragment_index=1),  # placed on 2: stale on 1
        pb.ShardRef(object_id=OID_A, stripe_index=3, fragment_index=0),  # no such stripe: stale
        pb.ShardRef(object_id=OID_B, stripe_index=0, fragment_index=0),  # no record: GC's business
    ]
    stale = await store.stale_placements(1, refs)
    assert [(s.stripe_index, s.fragment_index) for s in stale] == [(0, 1), (3, 0)]


async def test_scan_pages_through_placed_records_only(store: MetaStore) -> None:
    for i in range(7):
        await store.put_object(placed(f"k{i}", bytes([i + 1]) * 16, [1, 2, 3, 4, 5, 6]), False)
    await store.put_object(record("photos", "inline"), False)
    seen: list[str] = []
    after = None
    while True:
        page = await store.scan_placed_objects(after, 3)
        seen.extend(r.key for r in page)
        if len(page) < 3:
            break
        after = (page[-1].bucket, page[-1].key.encode(), version_order(page[-1].mtime_ns))
    assert seen == [f"k{i}" for i in range(7)]


async def test_parts_of_uploads_and_of_completed_objects_are_repaired_by_part_object_id(
    store: MetaStore,
) -> None:
    """Repair finds a part's stripes by the part's own object id, in an upload in progress and in
    a completed multipart record, and changes them with the same compare-and-set."""
    name = await new_upload(store, "mp")
    await store.put_part(name, part(1, OID_A))
    await store.put_part(name, part(2, OID_B))
    [first, second], end = await store.scan_upload_parts(None, 10)
    assert (first.object_id, first.key, first.pool, first.etag) == (OID_A, "mp", "rs-4-2", f"{1:032x}")
    assert second.object_id == OID_B and end is None
    page, cursor = await store.scan_upload_parts(None, 1)
    assert page == [first] and cursor is not None
    assert await store.scan_upload_parts(cursor, 10) == ([second], None)

    assert await store.mark_missing(3, [pb.ShardRef(object_id=OID_A, stripe_index=0, fragment_index=2)]) == 1
    view = await store.placed_view(OID_A)
    assert view is not None and list(view.stripes[0].osd_ids) == [1, 2, 0, 4, 5, 6]
    assert not await store.replace_fragments(OID_A, 0, {2: (3, 9)})  # moved meanwhile
    assert await store.replace_fragments(OID_A, 0, {2: (0, 9)})

    # Completing with the placement the gateway listed before the repair keeps the stored one.
    listed = [part(1, OID_A), part(2, OID_B)]
    await store.complete_upload(name, final_record(name, listed, b"\x09" * 16))
    stored = await store.get_object("photos", "mp")
    assert list(stored.parts[0].stripes[0].osd_ids) == [1, 2, 9, 4, 5, 6]
    assert await store.scan_upload_parts(None, 10) == ([], None)
    assert await store.placed_view(b"\x09" * 16) is None  # the record's own id names no fragments

    assert await store.replace_fragments(OID_B, 0, {0: (1, 7)})
    stored = await store.get_object("photos", "mp")
    assert list(stored.parts[1].stripes[0].osd_ids) == [7, 2, 3, 4, 5, 6]
    stale = await store.stale_placements(1, [pb.ShardRef(object_id=OID_B, stripe_index=0, fragment_index=0)])
    assert len(stale) == 1  # the old copy of the moved part fragment
    scanned = await store.scan_placed_objects(None, 10)
    assert [p.object_id for r in scanned for p in r.parts] == [OID_A, OID_B]
    await store.delete_object("photos", "mp")
    assert not await store.replace_fragments(OID_B, 0, {0: (7, 8)})  # no longer referenced
