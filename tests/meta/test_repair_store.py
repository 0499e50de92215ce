"""The store operations of repair: compare-and-set of fragment placements, corrupt fragments
marked missing, stale-copy answers, and the paged scan of placed records."""

from __future__ import annotations

from objectio.meta.sqlite_store import SqliteMetaStore
from objectio.meta.versions import version_order
from objectio.protos import meta_pb2 as pb
from tests.meta.conftest import record

OID_A = b"\x01" * 16
OID_B = b"\x02" * 16


def placed(key: str, object_id: bytes, *stripes: list[int]) -> pb.ObjectRecord:
    r = record("photos", key, size=10, object_id=object_id)
    r.is_inline = False
    r.pool = "rs-4-2"
    r.stripes.extend(pb.StripePlacement(osd_ids=ids, length=5) for ids in stripes)
    return r


async def test_replace_fragments_is_a_compare_and_set(store: SqliteMetaStore) -> None:
    await store.put_object(placed("k", OID_A, [1, 2, 0, 4, 5, 6]), False)
    assert (await store.counts()).degraded_stripes == 1
    assert not await store.replace_fragments("photos", "k", OID_B, 0, {2: (0, 7)})  # another version
    assert not await store.replace_fragments("photos", "k", OID_A, 0, {2: (3, 7)})  # moved meanwhile
    assert not await store.replace_fragments("photos", "k", OID_A, 1, {2: (0, 7)})  # no such stripe
    assert await store.replace_fragments("photos", "k", OID_A, 0, {2: (0, 7), 5: (6, 8)})
    assert list((await store.get_object("photos", "k")).stripes[0].osd_ids) == [1, 2, 7, 4, 5, 8]
    assert (await store.counts()).degraded_stripes == 0
    await store.delete_object("photos", "k")
    assert not await store.replace_fragments("photos", "k", OID_A, 0, {2: (7, 9)})  # deleted


async def test_corrupt_fragments_are_marked_missing_only_where_still_placed(store: SqliteMetaStore) -> None:
    await store.put_object(placed("k", OID_A, [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]), False)
    shard = pb.ShardRef(object_id=OID_A, stripe_index=1, fragment_index=3)
    assert await store.mark_missing(4, [shard]) == 1
    assert list((await store.get_object("photos", "k")).stripes[1].osd_ids) == [1, 2, 3, 0, 5, 6]
    assert await store.mark_missing(4, [shard]) == 0  # idempotent: a re-report changes nothing
    assert await store.mark_missing(9, [pb.ShardRef(object_id=OID_B, stripe_index=0, fragment_index=0)]) == 0


async def test_stale_placements_name_copies_placed_elsewhere(store: SqliteMetaStore) -> None:
    await store.put_object(placed("k", OID_A, [1, 2, 3, 4, 5, 6]), False)
    refs = [
        pb.ShardRef(object_id=OID_A, stripe_index=0, fragment_index=0),  # placed on 1: current
        pb.ShardRef(object_id=OID_A, stripe_index=0, fragment_index=1),  # placed on 2: stale on 1
        pb.ShardRef(object_id=OID_A, stripe_index=3, fragment_index=0),  # no such stripe: stale
        pb.ShardRef(object_id=OID_B, stripe_index=0, fragment_index=0),  # no record: GC's business
    ]
    stale = await store.stale_placements(1, refs)
    assert [(s.stripe_index, s.fragment_index) for s in stale] == [(0, 1), (3, 0)]


async def test_scan_pages_through_placed_records_only(store: SqliteMetaStore) -> None:
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
