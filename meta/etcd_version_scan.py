"""Ordered reads over every version of every key in etcd: ListObjectVersions rows and the repair
scan (the counterpart of :mod:`objectio.meta.sqlite_version_scan`).

Both merge two range reads into one (key, version order) order: ``o/`` (the latest object of
each key; its order comes from its ``mtime_ns``) and ``v/`` (every other version, already in
(key, version order) order, see :mod:`objectio.meta.etcd_keys`), reading at most ``limit``
matching records from each.
"""

from __future__ import annotations

from collections.abc import Callable

from objectio.meta import etcd_object_ops as objects
from objectio.meta.etcd_client import prefix_end
from objectio.meta.etcd_keys import KEY_END, Layout, escape_key
from objectio.meta.etcd_txn import View
from objectio.meta.etcd_version_ops import decode_version, find_version
from objectio.meta.version_listing import list_versions_page_async, versions_reply
from objectio.meta.versions import NULL_VERSION, is_version_id, order_of_id, version_order
from objectio.protos import meta_pb2 as pb

Row = tuple[bytes, str, pb.ObjectVersion]
Position = tuple[str, bytes, str]  # (bucket, key UTF-8, version order): the repair scan's cursor
SCAN_PAGE_RECORDS = 256  # records per range read of a scan that filters (repair)


def _listed(record: pb.ObjectRecord) -> pb.ObjectRecord:
    """The listing fields of a record (ObjectVersion.record carries no data, stripes or tags)."""
    return pb.ObjectRecord(
        format_version=record.format_version, bucket=record.bucket, key=record.key, size=record.size,
        etag=record.etag, content_type=record.content_type, mtime_ns=record.mtime_ns,
        version_id=record.version_id, object_id=record.object_id, pool=record.pool,
        is_inline=record.is_inline, delete_marker=record.delete_marker,
    )  # fmt: skip


async def fetch_versions(
    view: View, keys: Layout, bucket: str, lo: bytes, after: str | None, hi: bytes | None, limit: int
) -> list[Row]:
    """Rows with key == lo and vorder > after (after None: every version of lo), or lo < key < hi."""
    rows: list[Row] = []
    base = keys.bucket_objects(bucket)
    end = base + hi if hi is not None else prefix_end(base)
    for kv in await view.range(base + lo, end, limit=limit + 1, track=False):
        record = objects.decode_record(keys, kv.key, kv.value)
        key, vorder = record.key.encode(), version_order(record.mtime_ns)
        if key == lo and after is not None and vorder <= after:
            continue
        rows.append((key, vorder, pb.ObjectVersion(record=_listed(record), is_latest=True)))
    vbase = keys.bucket_versions(bucket)
    start = vbase + escape_key(lo) + (b"" if after is None else KEY_END + after.encode() + b"\0")
    vend = vbase + escape_key(hi) if hi is not None else prefix_end(vbase)
    markers: set[bytes] = set()
    for kv in await view.range(start, vend, limit=limit, track=False):
        record = decode_version(keys, kv.key, kv.value)
        key = record.key.encode()
        rows.append((key, version_order(record.mtime_ns), pb.ObjectVersion(record=_listed(record))))
        if record.delete_marker:
            markers.add(key)
    rows.sort(key=lambda row: (row[0], row[1]))
    rows = rows[:limit]
    for key, vorder, version in rows:  # a delete marker is latest when no o/ record and nothing newer exists
        if key in markers and version.record.delete_marker:
            text = key.decode()
            first = keys.key_versions(bucket, text)
            newest = await view.range(first, prefix_end(first), limit=1, keys_only=True, track=False)
            has_latest = await view.get(keys.object(bucket, text)) is not None
            version.is_latest = not has_latest and bool(newest) and newest[0].key.endswith(vorder.encode())
    return rows


async def list_object_versions(
    view: View, keys: Layout, request: pb.ListObjectVersionsRequest, limit: int
) -> pb.ListObjectVersionsReply:
    await objects.get_bucket(view, keys, request.bucket)  # NotFound for a missing bucket
    marker_vorder: str | None = None
    if request.version_id_marker:
        assert is_version_id(request.version_id_marker), "validated by the service"
        if request.version_id_marker != NULL_VERSION:
            marker_vorder = order_of_id(request.version_id_marker)
        else:
            found = await find_version(view, keys, request.bucket, request.key_marker, NULL_VERSION)
            marker_vorder = version_order(found[0].mtime_ns) if found else None
    page = await list_versions_page_async(
        lambda lo, after, hi, n: fetch_versions(view, keys, request.bucket, lo, after, hi, n),
        request.prefix, request.delimiter, request.key_marker, marker_vorder, limit,
    )  # fmt: skip
    return versions_reply(page)


async def _collect(
    view: View,
    start: bytes,
    end: bytes,
    decode: Callable[[bytes, bytes], pb.ObjectRecord],
    after: Position | None,
    limit: int,
) -> list[tuple[Position, pb.ObjectRecord]]:
    """Up to ``limit`` versions stored on OSDs in ``[start, end)`` positioned after ``after``."""
    found: list[tuple[Position, pb.ObjectRecord]] = []
    while len(found) < limit:
        kvs = await view.range(start, end, limit=SCAN_PAGE_RECORDS, track=False)
        for kv in kvs:
            record = decode(kv.key, kv.value)
            position = (record.bucket, record.key.encode(), version_order(record.mtime_ns))
            if record.is_inline or record.delete_marker or (after is not None and position <= after):
                continue
            found.append((position, record))
            if len(found) == limit:
                break
        if len(kvs) < SCAN_PAGE_RECORDS:
            break
        start = kvs[-1].key + b"\0"
    return found


async def scan_placed_objects(view: View, keys: Layout, after: Position | None, limit: int) -> list[pb.ObjectRecord]:
    """Versions stored on OSDs (not inline, not delete markers) of every key, in (bucket, key,
    vorder) order, after ``after`` = (bucket, key, vorder of the last record returned)."""
    assert limit > 0, "scan limit must be positive"
    if after is None:
        start, vstart = keys.objects, keys.versions
    else:
        bucket, key, vorder = after
        start = keys.bucket_objects(bucket) + key
        vstart = keys.bucket_versions(bucket) + escape_key(key) + KEY_END + vorder.encode() + b"\0"
    latest = await _collect(
        view, start, prefix_end(keys.objects), lambda k, v: objects.decode_record(keys, k, v), after, limit
    )
    older = await _collect(
        view, vstart, prefix_end(keys.versions), lambda k, v: decode_version(keys, k, v), after, limit
    )
    merged = sorted([*latest, *older], key=lambda item: item[0])
    return [record for _, record in merged[:limit]]
