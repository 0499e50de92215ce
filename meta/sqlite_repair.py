"""The SQL of repair: functions of a connection already inside a transaction (the writer's batch
or a reader's snapshot), like :mod:`objectio.meta.sqlite_ops`.

A placement change is a compare-and-set on one fragment of one stripe: it applies only while the
row still holds the same object version (``object_id``) and the fragment is still where the
caller saw it. A version that was removed meanwhile is left alone, so a repair can never
resurrect a removed version or move a fragment of another one. Every version of a key (the
latest and the older ones of a versioned bucket) is repaired alike; the scan over all of them is
:func:`objectio.meta.sqlite_version_scan.scan_placed_objects`.
"""

from __future__ import annotations

import sqlite3

from objectio.meta.sqlite_versions import VersionOps
from objectio.protos import meta_pb2 as pb


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
    record = VersionOps.placed_record(conn, bucket, key, object_id)
    if record is None or stripe_index >= len(record.stripes):
        return False
    osd_ids = record.stripes[stripe_index].osd_ids
    if any(i >= len(osd_ids) or osd_ids[i] != old for i, (old, _) in moves.items()):
        return False
    for i, (_, new) in moves.items():
        osd_ids[i] = new
    VersionOps.rewrite(conn, record)
    return True


def mark_missing(conn: sqlite3.Connection, osd_id: int, shard: pb.ShardRef) -> bool:
    """A fragment found corrupt on ``osd_id``: record it as missing (osd id 0) if the record
    still places it there; False if not (already repaired, or another version)."""
    record = VersionOps.by_object_id(conn, shard.object_id)
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
            records[shard.object_id] = VersionOps.by_object_id(conn, shard.object_id)
        record = records[shard.object_id]
        if record is None:
            continue
        if _placed_on(record, shard) != osd_id:
            stale.append(shard)
    return stale
