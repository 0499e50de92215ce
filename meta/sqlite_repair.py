"""The SQL of repair and rebalance: functions of a connection already inside a transaction (the
writer's batch or a reader's snapshot), like :mod:`objectio.meta.sqlite_ops`.

Repair works on *fragment object ids*: the 16-byte id that names fragments on the OSDs. Each such
id is referenced from exactly one place (see :mod:`objectio.meta.sqlite_schema`): a plain
object's ``objects`` row, a completed multipart record's part (``object_parts`` → ``objects``),
or a part of an upload in progress (``upload_parts``). :func:`placed_view` finds it there and
answers with an ``ObjectRecord`` *view* whose ``object_id`` and ``stripes`` are those of the
fragments (for a part: the part's size, ETag and stripes under the object's bucket and key).

A placement change is a compare-and-set on fragments of one stripe: it applies only while the
id is still referenced (the object was not overwritten or deleted, the part not replaced,
discarded or expired) and every fragment is still where the caller saw it. So a repair or a
rebalance move can never resurrect a removed version or move a fragment of a newer one. Every
version of a key (the latest in ``objects``, older ones of a versioned bucket in
``object_versions``) is located and rewritten in place alike; the scan over all of them is
:func:`objectio.meta.sqlite_version_scan.scan_placed_objects`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from objectio.common.shardkey import DESCRIPTOR_STRIPE
from objectio.meta.sqlite_multipart import MultipartOps
from objectio.meta.sqlite_ops import ObjectOps, _check_row_format, _parse
from objectio.meta.sqlite_schema import RECORD_FORMAT_VERSION
from objectio.meta.sqlite_versions import VersionOps, decode_version
from objectio.protos import meta_pb2 as pb


@dataclass
class _Located:
    """Where a fragment object id's stripes are stored, and how to store them back."""

    view: pb.ObjectRecord
    stripes: list[pb.StripePlacement]  # the stored message's own (mutable) stripes
    save: Callable[[], None]


def part_view(record: pb.ObjectRecord, part: pb.PartLayout) -> pb.ObjectRecord:
    """A part of ``record`` (or of an upload of its bucket and key) as a record of its own fragments."""
    return pb.ObjectRecord(
        format_version=RECORD_FORMAT_VERSION,
        bucket=record.bucket,
        key=record.key,
        size=part.size,
        etag=part.etag,
        mtime_ns=part.mtime_ns,
        object_id=part.object_id,
        pool=record.pool,
        stripes=part.stripes,
    )


_UPLOAD_PART_SQL = (
    "SELECT u.bucket, u.key, u.upload_id, u.format_version, u.record, p.part_number, p.format_version, p.record"
    " FROM upload_parts p JOIN multipart_uploads u ON u.upload_id = p.upload_id"
)


def _upload_part(row: tuple[Any, ...]) -> tuple[pb.MultipartUpload, pb.PartLayout]:
    bucket, key, upload_id, upload_version, upload_blob, number, part_version, part_blob = row
    upload = MultipartOps._decode_upload(bucket, bytes(key), upload_id, upload_version, upload_blob)
    _check_row_format("upload_parts", (upload_id, number), part_version)
    return upload, _parse(pb.PartLayout(), part_blob)


def _upload_view(upload: pb.MultipartUpload, part: pb.PartLayout) -> pb.ObjectRecord:
    owner = pb.ObjectRecord(bucket=upload.bucket, key=upload.key, pool=upload.pool)
    return part_view(owner, part)


def scan_upload_parts(conn: sqlite3.Connection, after: bytes | None, limit: int) -> list[pb.ObjectRecord]:
    """Parts of uploads in progress (as views, see :func:`part_view`), by part object id after ``after``."""
    assert limit > 0, "scan limit must be positive"
    rows = conn.execute(
        _UPLOAD_PART_SQL + " WHERE p.object_id > ? ORDER BY p.object_id LIMIT ?", (after or b"", limit)
    ).fetchall()
    return [_upload_view(*_upload_part(row)) for row in rows]


def _locate(conn: sqlite3.Connection, object_id: bytes) -> _Located | None:
    """The stored stripes named by a fragment object id (None: no record references it)."""
    if not object_id:
        return None
    record = VersionOps.by_object_id(conn, object_id)  # a plain object, latest or older version
    if record is not None and record.stripes:
        return _Located(record, list(record.stripes), lambda: VersionOps.rewrite(conn, record))
    row = conn.execute("SELECT bucket, key FROM object_parts WHERE object_id = ?", (object_id,)).fetchone()
    if row is not None:
        for owner in _versions_of(conn, row[0], bytes(row[1])):
            part = next((p for p in owner.parts if p.object_id == object_id), None)
            if part is not None:
                return _Located(part_view(owner, part), list(part.stripes), _rewriter(conn, owner))
    row = conn.execute(_UPLOAD_PART_SQL + " WHERE p.object_id = ? LIMIT 1", (object_id,)).fetchone()
    if row is not None:
        upload, upart = _upload_part(row)
        return _Located(_upload_view(upload, upart), list(upart.stripes), lambda: _save_part(conn, upload, upart))
    return None


def _rewriter(conn: sqlite3.Connection, record: pb.ObjectRecord) -> Callable[[], None]:
    return lambda: VersionOps.rewrite(conn, record)


def _versions_of(conn: sqlite3.Connection, bucket: str, key: bytes) -> Iterator[pb.ObjectRecord]:
    """The latest record of a key, then its older versions (a completed multipart object's parts
    belong to exactly one of them)."""
    latest = ObjectOps._current(conn, bucket, key)
    if latest is not None:
        yield latest
    rows = conn.execute(
        "SELECT vorder, format_version, record FROM object_versions"
        " WHERE bucket = ? AND key = ? AND is_delete_marker = 0 ORDER BY vorder",
        (bucket, key),
    )
    for vorder, version, blob in rows:
        yield decode_version(bucket, key, vorder, version, blob)


def _save_part(conn: sqlite3.Connection, upload: pb.MultipartUpload, part: pb.PartLayout) -> None:
    name = pb.UploadName(bucket=upload.bucket, key=upload.key, upload_id=upload.upload_id)
    MultipartOps.put_part(conn, name, part)


def placed_view(conn: sqlite3.Connection, object_id: bytes) -> pb.ObjectRecord | None:
    """The record (or part view) whose stripes the fragment object id names; None if unreferenced."""
    located = _locate(conn, object_id)
    return None if located is None else located.view


def replace_fragments(
    conn: sqlite3.Connection, object_id: bytes, stripe_index: int, moves: dict[int, tuple[int, int]]
) -> bool:
    """Set fragment i of the stripe from ``old`` to ``new`` for every ``i: (old, new)``; all or
    nothing. False (nothing changed) if no record references the fragment object id any more, or
    any fragment is no longer on its ``old`` OSD."""
    assert moves, "a placement change moves at least one fragment"
    located = _locate(conn, object_id)
    if located is None or stripe_index >= len(located.stripes):
        return False
    osd_ids = located.stripes[stripe_index].osd_ids
    if any(i >= len(osd_ids) or osd_ids[i] != old for i, (old, _) in moves.items()):
        return False
    for i, (_, new) in moves.items():
        osd_ids[i] = new
    located.save()
    return True


def mark_missing(conn: sqlite3.Connection, osd_id: int, shard: pb.ShardRef) -> bool:
    """A fragment found corrupt on ``osd_id``: record it as missing (osd id 0) if the record
    still places it there; False if not (already repaired, or another version)."""
    return replace_fragments(conn, shard.object_id, shard.stripe_index, {shard.fragment_index: (osd_id, 0)})


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
    views: dict[bytes, pb.ObjectRecord | None] = {}
    stale = []
    for shard in shards:
        if shard.stripe_index == DESCRIPTOR_STRIPE:  # descriptor copies are not placed
            continue
        if shard.object_id not in views:
            views[shard.object_id] = placed_view(conn, shard.object_id)
        view = views[shard.object_id]
        if view is None:
            continue
        if _placed_on(view, shard) != osd_id:
            stale.append(shard)
    return stale
