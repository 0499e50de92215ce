"""Export and import of the SQLite metadata store as a stream of ``MetaItem`` messages.

:func:`export_items` is a generator over one read connection that the caller keeps inside one
transaction: every item comes from the same snapshot, in import order (cluster, OSDs, pools,
users, access keys, buckets, objects, uploads, upload parts). :func:`import_item` merges one item
inside the writer's transaction; the rules are the ``MetaStore.import_items`` contract
(``meta/store.py``): nothing the store already holds is overwritten, except an object record by
a newer one (larger ``mtime_ns``) and an access key's secret.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from objectio.meta.errors import PreconditionFailed
from objectio.meta.sqlite_multipart import MultipartOps
from objectio.meta.sqlite_ops import ClusterOps, ObjectOps, UserOps, _check_row_format, _parse
from objectio.meta.sqlite_schema import ROW_FORMAT_VERSION
from objectio.meta.sqlite_versions import VersionOps, decode_version
from objectio.protos import meta_pb2 as pb

ROWS_PER_FETCH = 500  # rows read from a cursor at a time while exporting big tables


def export_items(conn: sqlite3.Connection) -> Iterator[pb.MetaItem]:
    """Everything in the store, in import order; ``conn`` holds one read transaction throughout."""
    assert conn.in_transaction, "an export reads one snapshot"
    cluster_id, epoch, default_pool, next_osd_id = ClusterOps._cluster(conn)
    yield pb.MetaItem(
        cluster=pb.ClusterInfo(cluster_id=cluster_id, epoch=epoch, default_pool=default_pool, next_osd_id=next_osd_id)
    )
    cmap = ClusterOps.read_map(conn)
    for osd in cmap.osds:
        yield pb.MetaItem(osd=osd)
    for pool in cmap.pools:
        yield pb.MetaItem(pool=pool)
    for user in UserOps.list_users(conn):
        yield pb.MetaItem(user=user)
    for access_key, version, user_name, secret, created_ms in _rows(
        conn, "SELECT access_key, format_version, user, secret_key, created_ms FROM access_keys ORDER BY access_key"
    ):
        _check_row_format("access_keys", access_key, version)
        key = pb.AccessKey(access_key=access_key, secret_key=secret, user=user_name, created_ms=created_ms)
        yield pb.MetaItem(access_key=key)
    for listed in ObjectOps.list_buckets(conn, ""):
        yield pb.MetaItem(bucket=ObjectOps.get_bucket(conn, listed.name))  # with its settings
    for bucket_name, key, version, blob in _rows(
        conn, "SELECT bucket, key, format_version, record FROM objects ORDER BY bucket, key"
    ):
        yield pb.MetaItem(object=ObjectOps._decode_record(bucket_name, key, version, blob))
    for bucket_name, key, vorder, version, blob in _rows(
        conn, "SELECT bucket, key, vorder, format_version, record FROM object_versions ORDER BY bucket, key, vorder"
    ):
        yield pb.MetaItem(object=decode_version(bucket_name, bytes(key), vorder, version, blob))  # older versions
    for bucket_name, key, upload_id, version, blob in _rows(
        conn, "SELECT bucket, key, upload_id, format_version, record FROM multipart_uploads ORDER BY bucket, key"
    ):
        yield pb.MetaItem(upload=MultipartOps._decode_upload(bucket_name, key, upload_id, version, blob))
    for upload_id, number, version, blob in _rows(
        conn, "SELECT upload_id, part_number, format_version, record FROM upload_parts ORDER BY upload_id, part_number"
    ):
        _check_row_format("upload_parts", (upload_id, number), version)
        yield pb.MetaItem(upload_part=pb.UploadPart(upload_id=upload_id, part=_parse(pb.PartLayout(), blob)))


def _rows(conn: sqlite3.Connection, sql: str) -> Iterator[Any]:
    cursor = conn.execute(sql)
    while rows := cursor.fetchmany(ROWS_PER_FETCH):
        yield from rows


def import_item(conn: sqlite3.Connection, item: pb.MetaItem) -> bool:
    """Merge one item inside the caller's transaction; False when the store kept its own version."""
    kind = item.WhichOneof("item")
    if kind == "cluster":
        return _import_cluster(conn, item.cluster)
    if kind == "osd":
        return _import_osd(conn, item.osd)
    if kind == "pool":
        if conn.execute("SELECT 1 FROM pools WHERE name = ?", (item.pool.name,)).fetchone():
            return False
        ClusterOps.create_pool(conn, item.pool)
        return True
    if kind == "user":
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (item.user.name,)).fetchone():
            return False
        UserOps.create_user(conn, item.user)
        return True
    if kind == "access_key":
        UserOps.create_access_key(conn, item.access_key, replace_secret=True)
        return True
    if kind == "bucket":
        if conn.execute("SELECT 1 FROM buckets WHERE name = ?", (item.bucket.name,)).fetchone():
            return False
        ObjectOps.create_bucket(conn, item.bucket)
        return True
    if kind == "object":
        return VersionOps.import_version(conn, item.object)  # the newest version is the latest
    if kind == "upload":
        return _import_upload(conn, item.upload)
    if kind == "upload_part":
        return _import_part(conn, item.upload_part)
    raise ValueError(f"unknown import item {kind!r}")


def _import_cluster(conn: sqlite3.Connection, info: pb.ClusterInfo) -> bool:
    """The cluster's identity is taken only by a store that holds no bucket yet (a fresh one)."""
    if conn.execute("SELECT 1 FROM buckets LIMIT 1").fetchone():
        raise PreconditionFailed("the cluster settings are restored only into a store without buckets")
    _, epoch, _, next_osd_id = ClusterOps._cluster(conn)
    conn.execute(
        "UPDATE cluster SET cluster_id = ?, epoch = ?, default_pool = ?, next_osd_id = ? WHERE id = 1",
        (info.cluster_id, max(epoch, info.epoch) + 1, info.default_pool, max(next_osd_id, info.next_osd_id)),
    )
    return True


def _import_osd(conn: sqlite3.Connection, osd: pb.Osd) -> bool:
    """An OSD the store does not know, as down until it registers (a registration is newer)."""
    if ClusterOps._get_osd(conn, osd.id) is not None:
        return False
    stored = pb.Osd()
    stored.CopyFrom(osd)
    stored.up = pb.OSD_DOWN
    ClusterOps._put_osd(conn, stored)
    conn.execute("UPDATE cluster SET next_osd_id = max(next_osd_id, ?) WHERE id = 1", (osd.id + 1,))
    ClusterOps._bump_epoch(conn)
    return True


def _import_upload(conn: sqlite3.Connection, upload: pb.MultipartUpload) -> bool:
    key = upload.key.encode()
    if conn.execute(
        "SELECT 1 FROM multipart_uploads WHERE bucket = ? AND key = ? AND upload_id = ?",
        (upload.bucket, key, upload.upload_id),
    ).fetchone():
        return False
    ObjectOps.get_bucket(conn, upload.bucket)
    conn.execute(
        "INSERT INTO multipart_uploads (bucket, key, upload_id, format_version, initiated_ns, record)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (upload.bucket, key, upload.upload_id, ROW_FORMAT_VERSION, upload.initiated_ns, upload.SerializeToString()),
    )
    return True


def _import_part(conn: sqlite3.Connection, item: pb.UploadPart) -> bool:
    part = item.part
    if conn.execute(
        "SELECT 1 FROM upload_parts WHERE upload_id = ? AND part_number = ?", (item.upload_id, part.part_number)
    ).fetchone():
        return False
    if not conn.execute("SELECT 1 FROM multipart_uploads WHERE upload_id = ?", (item.upload_id,)).fetchone():
        raise PreconditionFailed(f"part {part.part_number} of upload {item.upload_id}: the upload comes first")
    conn.execute(
        "INSERT INTO upload_parts"
        " (upload_id, part_number, format_version, object_id, size, etag, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (item.upload_id, part.part_number, ROW_FORMAT_VERSION, part.object_id, part.size, part.etag,
         part.SerializeToString()),
    )  # fmt: skip
    return True
