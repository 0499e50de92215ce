"""The SQL of object versions: put, delete, get by version, tags, and the rows of every version
(tables ``objects`` and ``object_versions``; see :mod:`objectio.meta.sqlite_schema`). Plain
functions of a connection already inside a transaction, like :mod:`objectio.meta.sqlite_ops`.

Invariants kept by every function here:

* the versions of a key are strictly ordered by ``mtime_ns`` (a new version gets at least the
  latest's ``mtime_ns`` + 1), and ``vorder = version_order(mtime_ns)``;
* the latest version of a key is its ``objects`` row if that exists (it is then an object);
  otherwise the newest ``object_versions`` row, which is then a delete marker. Every other
  version is an ``object_versions`` row;
* a key has at most one null version (``version_id == ""``);
* a never-versioned bucket (no ``versioning`` setting) has no ``object_versions`` rows, and its
  puts and deletes are exactly :class:`ObjectOps`'s: one row per key, no extra reads;
* ``object_parts`` rows of a multipart version stay while the version exists in either table:
  moving a version from ``objects`` to ``object_versions`` keeps its parts referenced; only a
  version removed for good is unlinked (and reported to the caller as garbage).
"""

from __future__ import annotations

import sqlite3
import time

from objectio.meta.errors import CorruptRecord, NotFound, PreconditionFailed
from objectio.meta.sqlite_ops import ObjectOps, PartRefOps, degraded_stripes
from objectio.meta.sqlite_schema import RECORD_FORMAT_VERSION, ROW_FORMAT_VERSION
from objectio.meta.versions import (
    ENABLED,
    NULL_VERSION,
    VERSIONING_SETTING,
    is_version_id,
    new_version_id,
    order_of_id,
    public_id,
    version_order,
)
from objectio.protos import meta_pb2 as pb


def decode_version(bucket: str, key: bytes, vorder: str, version: int, blob: bytes) -> pb.ObjectRecord:
    record = ObjectOps._decode_record(bucket, key, version, blob)
    if version_order(record.mtime_ns) != vorder:
        raise CorruptRecord(f"object_versions row {bucket}/{key!r}/{vorder} holds mtime {record.mtime_ns}")
    return record


def _versions_row(conn: sqlite3.Connection, where: str, args: tuple[object, ...]) -> pb.ObjectRecord | None:
    row = conn.execute(
        f"SELECT bucket, key, vorder, format_version, record FROM object_versions WHERE {where} LIMIT 1", args
    ).fetchone()
    return None if row is None else decode_version(row[0], bytes(row[1]), row[2], row[3], row[4])


def newest_version(conn: sqlite3.Connection, bucket: str, key: bytes) -> pb.ObjectRecord | None:
    """The newest ``object_versions`` row of a key (the latest version if no objects row exists)."""
    return _versions_row(conn, "bucket = ? AND key = ? ORDER BY vorder", (bucket, key))


def insert_version(conn: sqlite3.Connection, record: pb.ObjectRecord) -> None:
    conn.execute(
        "INSERT INTO object_versions (bucket, key, vorder, format_version, version_id, is_delete_marker, size,"
        " etag, content_type, mtime_ns, object_id, pool, is_inline, degraded_stripes, record)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (record.bucket, record.key.encode(), version_order(record.mtime_ns), ROW_FORMAT_VERSION, record.version_id,
         int(record.delete_marker), record.size, record.etag, record.content_type, record.mtime_ns,
         record.object_id, record.pool, int(record.is_inline), degraded_stripes(record),
         record.SerializeToString()),
    )  # fmt: skip


def _delete_version_row(conn: sqlite3.Connection, record: pb.ObjectRecord) -> None:
    conn.execute(
        "DELETE FROM object_versions WHERE bucket = ? AND key = ? AND vorder = ?",
        (record.bucket, record.key.encode(), version_order(record.mtime_ns)),
    )


def _delete_latest_row(conn: sqlite3.Connection, record: pb.ObjectRecord) -> None:
    conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (record.bucket, record.key.encode()))


def find_version(
    conn: sqlite3.Connection, bucket: str, key: str, version_id: str
) -> tuple[pb.ObjectRecord, bool] | None:
    """The version ``version_id`` ("null" or an id) of a key and whether it is the objects row."""
    assert is_version_id(version_id), f"invalid version id {version_id!r}"
    raw = key.encode()
    stored = "" if version_id == NULL_VERSION else version_id
    latest = ObjectOps._current(conn, bucket, raw)
    if latest is not None and latest.version_id == stored:
        return latest, True
    if not stored:
        record = _versions_row(conn, "bucket = ? AND key = ? AND version_id = ''", (bucket, raw))
    else:
        record = _versions_row(conn, "bucket = ? AND key = ? AND vorder = ?", (bucket, raw, order_of_id(stored)))
        if record is not None and record.version_id != stored:
            record = None  # same instant, another (later) version: this id was removed
    return None if record is None else (record, False)


def _promote(conn: sqlite3.Connection, bucket: str, key: bytes) -> None:
    """After the latest version was removed: the newest remaining one becomes the latest (it moves
    to ``objects`` when it is an object; a delete marker stays where it is)."""
    if ObjectOps._current(conn, bucket, key) is not None:
        return
    newest = newest_version(conn, bucket, key)
    if newest is not None and not newest.delete_marker:
        _delete_version_row(conn, newest)
        ObjectOps.write_latest(conn, newest)


def _take_null(
    conn: sqlite3.Connection, latest: pb.ObjectRecord | None, bucket: str, key: bytes
) -> pb.ObjectRecord | None:
    """Remove the key's null version for good (a suspended bucket overwrites it); returns it."""
    if latest is not None and latest.version_id == "":
        _delete_latest_row(conn, latest)
        PartRefOps.unlink(conn, latest)
        return latest
    null = _versions_row(conn, "bucket = ? AND key = ? AND version_id = ''", (bucket, key))
    if null is not None:
        _delete_version_row(conn, null)
        PartRefOps.unlink(conn, null)
    return null


def _next_mtime(mtime_ns: int, newest: pb.ObjectRecord | None) -> int:
    return mtime_ns if newest is None or mtime_ns > newest.mtime_ns else newest.mtime_ns + 1


class VersionOps:
    @staticmethod
    def put_object(conn: sqlite3.Connection, record: pb.ObjectRecord, if_none_match: bool) -> pb.PutObjectReply:
        """Store ``record`` as the new latest version of its key. Never-versioned bucket: replaces
        the key's record. Enabled: a new version id; the previous latest is kept. Suspended: the
        null version is replaced (wherever it is); other versions are kept."""
        bucket = ObjectOps.get_bucket(conn, record.bucket)
        state = bucket.settings.get(VERSIONING_SETTING)
        if state is None:
            replaced = ObjectOps.put_object(conn, record, if_none_match, bucket)
            return pb.PutObjectReply(replaced=replaced, has_replaced=True) if replaced else pb.PutObjectReply()
        assert record.format_version == RECORD_FORMAT_VERSION and not record.delete_marker, "incomplete record"
        key = record.key.encode()
        latest = ObjectOps._current(conn, record.bucket, key)
        if latest is not None and if_none_match:
            raise PreconditionFailed(f"object {record.bucket}/{record.key} exists (if_none_match)")
        stored = pb.ObjectRecord()
        stored.CopyFrom(record)
        stored.pool = stored.pool or bucket.pool
        stored.mtime_ns = _next_mtime(record.mtime_ns, latest or newest_version(conn, record.bucket, key))
        replaced = None
        if state == ENABLED:
            stored.version_id = new_version_id(stored.mtime_ns)
        else:
            stored.version_id = ""
            replaced = _take_null(conn, latest, record.bucket, key)
        if latest is not None and latest is not replaced:
            insert_version(conn, latest)  # the previous latest is kept as an older version
        ObjectOps.write_latest(conn, stored)
        PartRefOps.link(conn, stored)
        reply = pb.PutObjectReply(version_id=public_id(stored.version_id))
        if replaced is not None and not replaced.delete_marker:
            reply.replaced.CopyFrom(replaced)
            reply.has_replaced = True
        return reply

    @staticmethod
    def delete_object(conn: sqlite3.Connection, bucket: str, key: str, version_id: str) -> pb.DeleteObjectReply:
        """Without ``version_id``: never-versioned — remove the record; versioned — a delete marker
        becomes the latest version (suspended: the null one, replacing the null version). With it:
        remove that version for good (nothing happens if it does not exist)."""
        state = ObjectOps.get_bucket(conn, bucket).settings.get(VERSIONING_SETTING)
        if version_id:
            return VersionOps._delete_version(conn, bucket, key, version_id)
        if state is None:
            deleted = ObjectOps.delete_object(conn, bucket, key)
            return pb.DeleteObjectReply(deleted=deleted, existed=True) if deleted else pb.DeleteObjectReply()
        raw = key.encode()
        latest = ObjectOps._current(conn, bucket, raw)
        mtime_ns = _next_mtime(time.time_ns(), latest or newest_version(conn, bucket, raw))
        marker = pb.ObjectRecord(
            format_version=RECORD_FORMAT_VERSION, bucket=bucket, key=key, mtime_ns=mtime_ns, delete_marker=True
        )
        removed = None
        if state == ENABLED:
            marker.version_id = new_version_id(mtime_ns)
        else:
            removed = _take_null(conn, latest, bucket, raw)
        if latest is not None and latest is not removed:
            _delete_latest_row(conn, latest)
            insert_version(conn, latest)
        insert_version(conn, marker)
        reply = pb.DeleteObjectReply(version_id=public_id(marker.version_id), delete_marker=True)
        if removed is not None and not removed.delete_marker:
            reply.deleted.CopyFrom(removed)
            reply.existed = True
        return reply

    @staticmethod
    def _delete_version(conn: sqlite3.Connection, bucket: str, key: str, version_id: str) -> pb.DeleteObjectReply:
        found = find_version(conn, bucket, key, version_id)
        if found is None:
            return pb.DeleteObjectReply(version_id=version_id)
        record, is_latest_row = found
        if is_latest_row:
            _delete_latest_row(conn, record)
        else:
            _delete_version_row(conn, record)
        PartRefOps.unlink(conn, record)
        _promote(conn, bucket, key.encode())
        reply = pb.DeleteObjectReply(version_id=public_id(record.version_id), delete_marker=record.delete_marker)
        if not record.delete_marker:
            reply.deleted.CopyFrom(record)
            reply.existed = True
        return reply

    @staticmethod
    def get_object(conn: sqlite3.Connection, bucket: str, key: str, version_id: str) -> pb.ObjectRecord:
        """The latest version ("": may be a delete marker) or the one named; NotFound("object"),
        NotFound("version") or NotFound("bucket")."""
        if not version_id:
            latest = ObjectOps._current(conn, bucket, key.encode())
            if latest is not None:
                return latest
            newest = newest_version(conn, bucket, key.encode())
            if newest is not None and newest.delete_marker:
                return newest
            ObjectOps.get_bucket(conn, bucket)
            raise NotFound("object", f"{bucket}/{key}")
        found = find_version(conn, bucket, key, version_id)
        if found is None:
            ObjectOps.get_bucket(conn, bucket)
            raise NotFound("version", f"{bucket}/{key} version {version_id}")
        return found[0]

    @staticmethod
    def put_tags(conn: sqlite3.Connection, name: pb.ObjectName, tags: dict[str, str]) -> str:
        """Replace the tags of the named version (the latest for ""); returns its version id.
        NotFound as get_object; PreconditionFailed for a delete marker."""
        record = VersionOps.get_object(conn, name.bucket, name.key, name.version_id)
        if record.delete_marker:
            raise PreconditionFailed(f"{name.bucket}/{name.key} version {record.version_id} is a delete marker")
        record.ClearField("tags")
        record.tags.update(tags)
        VersionOps.rewrite(conn, record)
        return record.version_id

    @staticmethod
    def rewrite(conn: sqlite3.Connection, record: pb.ObjectRecord) -> None:
        """Store a changed record of an existing version in place (same key, version and mtime)."""
        key = record.key.encode()
        latest = ObjectOps._current(conn, record.bucket, key)
        if latest is not None and latest.mtime_ns == record.mtime_ns:
            ObjectOps.write_latest(conn, record)
            return
        changed = conn.execute(
            "UPDATE object_versions SET degraded_stripes = ?, record = ? WHERE bucket = ? AND key = ? AND vorder = ?",
            (degraded_stripes(record), record.SerializeToString(), record.bucket, key, version_order(record.mtime_ns)),
        ).rowcount
        assert changed == 1, f"rewrite of a missing version of {record.bucket}/{record.key}"

    @staticmethod
    def placed_record(conn: sqlite3.Connection, bucket: str, key: str, object_id: bytes) -> pb.ObjectRecord | None:
        """The version of (bucket, key) whose fragments are named ``object_id`` (None: gone)."""
        latest = ObjectOps._current(conn, bucket, key.encode())
        if latest is not None and latest.object_id == object_id:
            return latest
        return _versions_row(conn, "object_id = ? AND bucket = ? AND key = ?", (object_id, bucket, key.encode()))

    @staticmethod
    def by_object_id(conn: sqlite3.Connection, object_id: bytes) -> pb.ObjectRecord | None:
        """The version (of any key) stored on OSDs under ``object_id``."""
        row = conn.execute(
            "SELECT bucket, key, format_version, record FROM objects WHERE object_id = ? AND is_inline = 0 LIMIT 1",
            (object_id,),
        ).fetchone()
        if row is not None:
            return ObjectOps._decode_record(row[0], bytes(row[1]), row[2], row[3])
        return _versions_row(conn, "object_id = ? AND is_inline = 0", (object_id,))

    @staticmethod
    def import_version(conn: sqlite3.Connection, record: pb.ObjectRecord) -> bool:
        """Merge one version from a backup or a rebuild, keeping its version id and mtime: the
        newest version of a key becomes its latest, older ones are kept as older versions (a
        never-versioned bucket keeps only the newest). False when the store already holds that
        version, or (never-versioned) something newer."""
        key = record.key.encode()
        latest = ObjectOps._current(conn, record.bucket, key)
        if latest is not None and latest.mtime_ns == record.mtime_ns:
            return False
        where = "bucket = ? AND key = ? AND vorder = ?"
        if _versions_row(conn, where, (record.bucket, key, version_order(record.mtime_ns))) is not None:
            return False
        older = newest_version(conn, record.bucket, key)
        newest = max((r for r in (latest, older) if r is not None), key=lambda r: r.mtime_ns, default=None)
        bucket = ObjectOps.get_bucket(conn, record.bucket)
        versioned = VERSIONING_SETTING in bucket.settings or bool(record.version_id) or record.delete_marker
        if not versioned:
            if newest is not None and newest.mtime_ns > record.mtime_ns:
                return False
            ObjectOps.put_object(conn, record, False, bucket)
            return True
        if newest is None or record.mtime_ns > newest.mtime_ns:
            if latest is not None:
                _delete_latest_row(conn, latest)
                insert_version(conn, latest)
            if record.delete_marker:
                insert_version(conn, record)
            else:
                ObjectOps.write_latest(conn, record)
        else:
            insert_version(conn, record)
        PartRefOps.link(conn, record)
        return True
