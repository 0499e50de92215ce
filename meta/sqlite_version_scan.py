"""Ordered reads over every version of every key: ListObjectVersions rows and the repair scan.

Both merge two index range reads — ``objects`` (the latest object of each key; its order key is
computed from ``mtime_ns``) and ``object_versions`` (primary key order) — into one
(key, vorder) order, reading at most ``limit`` rows from each. Listing rows carry the listing
columns only, never the record blob.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from objectio.meta.sqlite_ops import ObjectOps, _check_row_format
from objectio.meta.sqlite_schema import RECORD_FORMAT_VERSION
from objectio.meta.sqlite_versions import decode_version, find_version
from objectio.meta.version_listing import list_versions_page, versions_reply
from objectio.meta.versions import NULL_VERSION, is_version_id, order_of_id, version_order
from objectio.protos import meta_pb2 as pb

Row = tuple[bytes, str, pb.ObjectVersion]
_LISTING = "key, format_version, size, etag, content_type, mtime_ns, version_id, object_id, pool, is_inline"


def _listed(bucket: str, row: tuple[Any, ...], delete_marker: bool) -> tuple[bytes, pb.ObjectRecord]:
    key, version, size, etag, ctype, mtime_ns, version_id, object_id, pool, is_inline = row
    key = bytes(key)
    _check_row_format("objects", (bucket, key), version)
    record = pb.ObjectRecord(
        format_version=RECORD_FORMAT_VERSION, bucket=bucket, key=key.decode(), size=size, etag=etag,
        content_type=ctype, mtime_ns=mtime_ns, version_id=version_id, object_id=object_id, pool=pool,
        is_inline=bool(is_inline), delete_marker=delete_marker,
    )  # fmt: skip
    return key, record


def fetch_versions(
    conn: sqlite3.Connection, bucket: str, lo: bytes, after: str | None, hi: bytes | None, limit: int
) -> list[Row]:
    """Rows with key == lo and vorder > after (after None: all of lo), or lo < key < hi."""
    upper, upper_args = (" AND key < ?", [hi]) if hi is not None else ("", [])
    rows: list[Row] = []
    for raw in conn.execute(
        f"SELECT {_LISTING} FROM objects WHERE bucket = ? AND key >= ?{upper} ORDER BY key LIMIT ?",
        [bucket, lo, *upper_args, limit + 1],
    ):
        key, record = _listed(bucket, raw, False)
        vorder = version_order(record.mtime_ns)
        if key == lo and after is not None and vorder <= after:
            continue
        rows.append((key, vorder, pb.ObjectVersion(record=record, is_latest=True)))
    markers: list[bytes] = []
    for raw in conn.execute(
        f"SELECT vorder, is_delete_marker, {_LISTING} FROM object_versions"
        f" WHERE bucket = ? AND (key, vorder) > (?, ?){upper} ORDER BY key, vorder LIMIT ?",
        [bucket, lo, after or "", *upper_args, limit],
    ):
        key, record = _listed(bucket, raw[2:], bool(raw[1]))
        rows.append((key, str(raw[0]), pb.ObjectVersion(record=record)))
        if record.delete_marker:
            markers.append(key)
    rows.sort(key=lambda row: (row[0], row[1]))
    rows = rows[:limit]
    _mark_latest_markers(conn, bucket, rows, set(markers))
    return rows


def _mark_latest_markers(conn: sqlite3.Connection, bucket: str, rows: list[Row], keys: set[bytes]) -> None:
    """A delete marker is the latest version when its key has no objects row and nothing newer."""
    for key, vorder, version in rows:
        if key in keys and version.record.delete_marker:
            newest = conn.execute(
                "SELECT min(vorder) FROM object_versions WHERE bucket = ? AND key = ?", (bucket, key)
            ).fetchone()[0]
            has_latest = conn.execute("SELECT 1 FROM objects WHERE bucket = ? AND key = ?", (bucket, key)).fetchone()
            version.is_latest = newest == vorder and has_latest is None


def list_object_versions(
    conn: sqlite3.Connection, request: pb.ListObjectVersionsRequest, limit: int
) -> pb.ListObjectVersionsReply:
    ObjectOps.get_bucket(conn, request.bucket)  # NotFound for a missing bucket
    marker_vorder: str | None = None
    if request.version_id_marker:
        assert is_version_id(request.version_id_marker), "validated by the service"
        if request.version_id_marker != NULL_VERSION:
            marker_vorder = order_of_id(request.version_id_marker)
        else:
            found = find_version(conn, request.bucket, request.key_marker, NULL_VERSION)
            marker_vorder = version_order(found[0].mtime_ns) if found else None
    page = list_versions_page(
        lambda lo, after, hi, n: fetch_versions(conn, request.bucket, lo, after, hi, n),
        request.prefix, request.delimiter, request.key_marker, marker_vorder, limit,
    )  # fmt: skip
    return versions_reply(page)


def scan_placed_objects(
    conn: sqlite3.Connection, after: tuple[str, bytes, str] | None, limit: int
) -> list[pb.ObjectRecord]:
    """Versions stored on OSDs (not inline, not delete markers) of every key, in (bucket, key,
    vorder) order, after ``after`` = (bucket, key, vorder of the last record returned)."""
    assert limit > 0, "scan limit must be positive"
    bucket, key, vorder = after if after is not None else ("", b"", "")
    merged: list[tuple[tuple[str, bytes, str], pb.ObjectRecord]] = []
    for b, k, version, blob in conn.execute(
        "SELECT bucket, key, format_version, record FROM objects WHERE is_inline = 0 AND (bucket, key) >= (?, ?)"
        " ORDER BY bucket, key LIMIT ?",
        (bucket, key, limit + 1),
    ):
        record = ObjectOps._decode_record(b, bytes(k), version, blob)
        position = (b, bytes(k), version_order(record.mtime_ns))
        if after is None or position > after:
            merged.append((position, record))
    for b, k, order, version, blob in conn.execute(
        "SELECT bucket, key, vorder, format_version, record FROM object_versions"
        " WHERE (bucket, key, vorder) > (?, ?, ?) AND is_inline = 0 AND is_delete_marker = 0"
        " ORDER BY bucket, key, vorder LIMIT ?",
        (bucket, key, vorder, limit),
    ):
        merged.append(((b, bytes(k), order), decode_version(b, bytes(k), order, version, blob)))
    merged.sort(key=lambda item: item[0])
    return [record for _, record in merged[:limit]]
