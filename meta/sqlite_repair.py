"""The SQL of repair: functions of a connection already inside a transaction (the writer's batch
or a reader's snapshot), like :mod:`objectio.meta.sqlite_ops`.

A placement change is a compare-and-set on one fragment of one stripe: it applies only while the
row still holds the same object version (``object_id``) and the fragment is still where the
caller saw it. A record that was overwritten or deleted meanwhile is left alone, so a repair can
never resurrect an old version or move a fragment of a newer one.
"""

from __future__ import annotations

import sqlite3

from objectio.common.shardkey import DESCRIPTOR_STRIPE
from objectio.meta.sqlite_ops import ObjectOps
from objectio.protos import meta_pb2 as pb


def scan_placed_objects(conn: sqlite3.Connection, after: tuple[str, bytes] | None, limit: int) -> list[pb.ObjectRecord]:
    """Records of objects stored on OSDs (not inline), in (bucket, key) order, after ``after``."""
    assert limit > 0, "scan limit must be positive"
    sql = "SELECT bucket, key, format_version, record FROM objects WHERE is_inline = 0"
    args: list[object] = []
    if after is not None:
        sql += " AND (bucket, key) > (?, ?)"
        args.extend(after)
    sql += " ORDER BY bucket, key LIMIT ?"
    args.append(limit)
    return [ObjectOps._decode_record(b, k, v, blob) for b, k, v, blob in conn.execute(sql, args)]


def _by_object_id(conn: sqlite3.Connection, object_id: bytes) -> pb.ObjectRecord | None:
    row = conn.execute(
        "SELECT bucket, key, format_version, record FROM objects WHERE object_id = ? AND is_inline = 0 LIMIT 1",
        (object_id,),
    ).fetchone()
    return None if row is None else ObjectOps._decode_record(*row)


def replace_fragments(
    conn: sqlite3.Connection,
    bucket: str,
    key: str,
    object_id: bytes,
    stripe_index: int,
    moves: dict[int, tuple[int, int]],
) -> bool:
    """Set fragment i of the stripe from ``old`` to ``new`` for every ``i: (old, new)``; all or
    nothing. False (nothing changed) if the object is gone, is another version, or any fragment
    is no longer on its ``old`` OSD."""
    record = ObjectOps._current(conn, bucket, key.encode())
    if record is None or record.object_id != object_id or stripe_index >= len(record.stripes):
        return False
    osd_ids = record.stripes[stripe_index].osd_ids
    if any(i >= len(osd_ids) or osd_ids[i] != old for i, (old, _) in moves.items()):
        return False
    for i, (_, new) in moves.items():
        osd_ids[i] = new
    ObjectOps.put_object(conn, record, if_none_match=False)
    return True


def mark_missing(conn: sqlite3.Connection, osd_id: int, shard: pb.ShardRef) -> bool:
    """A fragment found corrupt on ``osd_id``: record it as missing (osd id 0) if the record
    still places it there; False if not (already repaired, or another version)."""
    record = _by_object_id(conn, shard.object_id)
    if record is None:
        return False
    return replace_fragments(
        conn, record.bucket, record.key, shard.object_id, shard.stripe_index, {shard.fragment_index: (osd_id, 0)}
    )


def _placed_on(record: pb.ObjectRecord, shard: pb.ShardRef) -> int:
    """The OSD the record places this fragment on (0: nowhere, or no such stripe/fragment)."""
    if shard.stripe_index >= len(record.stripes):
        return 0
    osd_ids = record.stripes[shard.stripe_index].osd_ids
    return osd_ids[shard.fragment_index] if shard.fragment_index < len(osd_ids) else 0


def stale_placements(conn: sqlite3.Connection, osd_id: int, shards: list[pb.ShardRef]) -> list[pb.ShardRef]:
    """Fragments held by ``osd_id`` that their object's record places elsewhere (or nowhere).
    Fragments of object ids without a record are not answered: the orphan collector owns them
    (a PUT writes its fragments before its record exists)."""
    records: dict[bytes, pb.ObjectRecord | None] = {}
    stale = []
    for shard in shards:
        if shard.object_id not in records:
            records[shard.object_id] = _by_object_id(conn, shard.object_id)
        record = records[shard.object_id]
        if record is None or shard.stripe_index == DESCRIPTOR_STRIPE:  # descriptor copies are not placed
            continue
        if _placed_on(record, shard) != osd_id:
            stale.append(shard)
    return stale
