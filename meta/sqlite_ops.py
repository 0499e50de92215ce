"""The SQL of the metadata store: functions of a connection that is already inside a
transaction (the writer's batch, or a reader's snapshot). Nothing here commits or waits.

Each ``*Ops`` class groups one family of tables; every method is a plain function of the
connection so the writer can run it inside its savepoint and a reader inside its snapshot.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import TypeVar

from google.protobuf.message import DecodeError, Message

from objectio.meta.errors import AlreadyExists, CorruptRecord, NotFound, PreconditionFailed
from objectio.meta.sqlite_schema import RECORD_FORMAT_VERSION, ROW_FORMAT_VERSION
from objectio.meta.store import OsdHeartbeat
from objectio.protos import meta_pb2 as pb

M = TypeVar("M", bound=Message)
TIB = 1 << 40
OSD_WEIGHT_MIN = 1.0 / 1024  # a tiny (test) disk still takes data: placement skips weight 0


# (size, etag, mtime_ns, is_inline) of one listed key
ListingRow = tuple[int, str, int, int]
_LISTING_SQL = {
    (inclusive, bounded): "SELECT key, format_version, size, etag, mtime_ns, is_inline FROM objects"
    f" WHERE bucket = ? AND key {'>=' if inclusive else '>'} ?{' AND key < ?' if bounded else ''}"
    " ORDER BY key LIMIT ?"
    for inclusive in (False, True)
    for bounded in (False, True)
}


def _check_row_format(table: str, name: object, version: int) -> None:
    if version != ROW_FORMAT_VERSION:
        raise CorruptRecord(
            f"{table} row {name!r} has format version {version}; this release reads {ROW_FORMAT_VERSION}"
        )


def _parse(message: M, blob: bytes) -> M:
    """Decode a stored protobuf blob; undecodable bytes are corruption, not a crash."""
    try:
        message.ParseFromString(blob)
    except DecodeError as exc:
        raise CorruptRecord(f"undecodable {type(message).__name__} blob ({len(blob)} bytes): {exc}") from None
    return message


def degraded_stripes(record: pb.ObjectRecord) -> int:
    """Stripes of the record (its own and its parts') with a missing fragment (osd id 0)."""
    stripes = [*record.stripes, *(stripe for part in record.parts for stripe in part.stripes)]
    return sum(1 for stripe in stripes if 0 in stripe.osd_ids)


FULL_HYSTERESIS_RATIO = 0.02  # a full OSD is not full again until this much below the ratio (no flapping epochs)


def is_full(osd: pb.Osd, full_ratio: float) -> bool:
    """Whether the OSD takes no new fragments: above ``full_ratio`` of its capacity, or (if it was
    full already) not yet ``FULL_HYSTERESIS_RATIO`` below it."""
    if not osd.capacity_bytes:
        return False
    limit = full_ratio - (FULL_HYSTERESIS_RATIO if osd.full else 0.0)
    return osd.used_bytes > limit * osd.capacity_bytes


def osd_weight(capacity_bytes: int) -> float:
    return max(capacity_bytes / TIB, OSD_WEIGHT_MIN)


class ClusterOps:
    @staticmethod
    def init_cluster(conn: sqlite3.Connection, cluster_id: str) -> None:
        """The cluster row of a new database (runs in the transaction that creates the schema)."""
        conn.execute(
            "INSERT INTO cluster (id, format_version, cluster_id, epoch, default_pool, next_osd_id, created_ms)"
            " VALUES (1, ?, ?, 1, '', 1, ?)",
            (ROW_FORMAT_VERSION, cluster_id, int(time.time() * 1000)),
        )

    @staticmethod
    def _cluster(conn: sqlite3.Connection) -> tuple[str, int, str, int]:
        row = conn.execute(
            "SELECT format_version, cluster_id, epoch, default_pool, next_osd_id FROM cluster WHERE id = 1"
        ).fetchone()
        if row is None:
            raise CorruptRecord("the cluster row is missing")
        _check_row_format("cluster", 1, row[0])
        return row[1], row[2], row[3], row[4]

    @staticmethod
    def _bump_epoch(conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE cluster SET epoch = epoch + 1 WHERE id = 1")

    @staticmethod
    def read_map(conn: sqlite3.Connection) -> pb.ClusterMap:
        cluster_id, epoch, default_pool, _ = ClusterOps._cluster(conn)
        cmap = pb.ClusterMap(epoch=epoch, cluster_id=cluster_id, default_pool=default_pool)
        for osd_id, version, blob in conn.execute("SELECT id, format_version, record FROM osds ORDER BY id"):
            cmap.osds.append(ClusterOps._decode_osd(osd_id, version, blob))
        for name, version, blob in conn.execute("SELECT name, format_version, record FROM pools ORDER BY name"):
            _check_row_format("pools", name, version)
            pool = _parse(pb.Pool(), blob)
            if pool.name != name:
                raise CorruptRecord(f"pools row {name!r} holds pool {pool.name!r}")
            cmap.pools.append(pool)
        return cmap

    @staticmethod
    def _decode_osd(osd_id: int, version: int, blob: bytes) -> pb.Osd:
        _check_row_format("osds", osd_id, version)
        osd = _parse(pb.Osd(), blob)
        if osd.id != osd_id:
            raise CorruptRecord(f"osds row {osd_id} holds osd {osd.id}")
        return osd

    @staticmethod
    def _get_osd(conn: sqlite3.Connection, osd_id: int) -> pb.Osd | None:
        row = conn.execute("SELECT id, format_version, record FROM osds WHERE id = ?", (osd_id,)).fetchone()
        return None if row is None else ClusterOps._decode_osd(*row)

    @staticmethod
    def _put_osd(conn: sqlite3.Connection, osd: pb.Osd) -> None:
        assert osd.id > 0, "osd ids start at 1"
        conn.execute(
            "INSERT OR REPLACE INTO osds (id, format_version, disk_uuid, record) VALUES (?, ?, ?, ?)",
            (osd.id, ROW_FORMAT_VERSION, osd.disk_uuid, osd.SerializeToString()),
        )

    @staticmethod
    def register_osd(
        conn: sqlite3.Connection,
        request: pb.RegisterOsdRequest,
        now_ms: int,
        full_ratio: float = 1.0,
        adopt: bool = False,
    ) -> tuple[pb.Osd, pb.ClusterMap]:
        cluster_id, _, _, next_osd_id = ClusterOps._cluster(conn)
        if request.cluster_id and not same_uuid(request.cluster_id, cluster_id):
            raise PreconditionFailed(
                f"disk {request.disk_uuid or request.disk!r} belongs to cluster {request.cluster_id}, not {cluster_id}"
            )
        osd = ClusterOps._find_registered(conn, request, adopt)
        if osd is None:
            osd = pb.Osd(id=next_osd_id, up=pb.OSD_DOWN)
            setattr(osd, "in", pb.OSD_IN)
            conn.execute("UPDATE cluster SET next_osd_id = ? WHERE id = 1", (next_osd_id + 1,))
        osd.address, osd.host, osd.disk = request.address, request.host, request.disk
        osd.disk_uuid = request.disk_uuid or osd.disk_uuid
        osd.capacity_bytes, osd.used_bytes = request.capacity_bytes, request.used_bytes
        osd.weight = osd_weight(request.capacity_bytes)
        osd.full = is_full(osd, full_ratio)
        osd.up = pb.OSD_UP
        osd.registered_ms = max(now_ms, osd.registered_ms + 1)  # strictly increases: a restart is visible
        osd.last_heartbeat_ms = now_ms
        ClusterOps._put_osd(conn, osd)
        ClusterOps._bump_epoch(conn)  # every registration is news: at least registered_ms changed
        return osd, ClusterOps.read_map(conn)

    @staticmethod
    def _find_registered(conn: sqlite3.Connection, request: pb.RegisterOsdRequest, adopt: bool) -> pb.Osd | None:
        """The OSD this registration is about: by id, or by disk uuid for a disk that registered
        before but never recorded its id; None for a new OSD. With ``adopt`` (the store is being
        recovered: ``meta.cluster_id`` is set) a disk of this cluster (the caller checked its
        cluster id) with an id the store does not know is adopted with that id."""
        if request.osd_id:
            osd = ClusterOps._get_osd(conn, request.osd_id)
            if osd is None and adopt and request.cluster_id:
                conn.execute("UPDATE cluster SET next_osd_id = max(next_osd_id, ?) WHERE id = 1", (request.osd_id + 1,))
                adopted = pb.Osd(id=request.osd_id, up=pb.OSD_DOWN, disk_uuid=request.disk_uuid)
                setattr(adopted, "in", pb.OSD_IN)
                return adopted
            if osd is None:
                raise NotFound("osd", str(request.osd_id))
            if osd.disk_uuid and request.disk_uuid and osd.disk_uuid != request.disk_uuid:
                raise PreconditionFailed(f"osd {osd.id} is disk {osd.disk_uuid}, not {request.disk_uuid}")
            return osd
        if request.disk_uuid:
            row = conn.execute(
                "SELECT id, format_version, record FROM osds WHERE disk_uuid = ?", (request.disk_uuid,)
            ).fetchone()
            if row is not None:
                return ClusterOps._decode_osd(*row)
        return None

    @staticmethod
    def heartbeat(conn: sqlite3.Connection, beat: OsdHeartbeat) -> tuple[pb.Osd, pb.ClusterMap | None]:
        osd = ClusterOps._get_osd(conn, beat.osd_id)
        if osd is None:
            raise NotFound("osd", str(beat.osd_id))
        osd.capacity_bytes, osd.used_bytes, osd.last_heartbeat_ms = beat.capacity_bytes, beat.used_bytes, beat.now_ms
        came_back = osd.up != pb.OSD_UP
        full = is_full(osd, beat.full_ratio)
        changed = came_back or full != osd.full
        osd.up, osd.full = pb.OSD_UP, full
        ClusterOps._put_osd(conn, osd)
        if not changed:
            return osd, None
        ClusterOps._bump_epoch(conn)
        return osd, ClusterOps.read_map(conn)

    @staticmethod
    def mark_down(conn: sqlite3.Connection, osd_ids: list[int], heard_before_ms: int) -> pb.ClusterMap | None:
        changed = False
        for osd_id in osd_ids:
            osd = ClusterOps._get_osd(conn, osd_id)
            if osd is not None and osd.up == pb.OSD_UP and osd.last_heartbeat_ms < heard_before_ms:
                osd.up = pb.OSD_DOWN
                ClusterOps._put_osd(conn, osd)
                changed = True
        if not changed:
            return None
        ClusterOps._bump_epoch(conn)
        return ClusterOps.read_map(conn)

    @staticmethod
    def set_state(conn: sqlite3.Connection, osd_id: int, set_in: bool, set_out: bool, remove: bool) -> pb.ClusterMap:
        assert [set_in, set_out, remove].count(True) == 1, "exactly one state change"
        osd = ClusterOps._get_osd(conn, osd_id)
        if osd is None:
            raise NotFound("osd", str(osd_id))
        if remove:
            if getattr(osd, "in") != pb.OSD_OUT:
                raise PreconditionFailed(f"osd {osd_id} must be marked out before it is removed")
            conn.execute("DELETE FROM osds WHERE id = ?", (osd_id,))
        else:
            wanted = pb.OSD_IN if set_in else pb.OSD_OUT
            if getattr(osd, "in") == wanted:
                return ClusterOps.read_map(conn)  # nothing changes: same epoch
            setattr(osd, "in", wanted)
            ClusterOps._put_osd(conn, osd)
        ClusterOps._bump_epoch(conn)
        return ClusterOps.read_map(conn)

    @staticmethod
    def create_pool(conn: sqlite3.Connection, pool: pb.Pool) -> pb.ClusterMap:
        assert pool.name and pool.format_version, "pools are validated before they are stored"
        if conn.execute("SELECT 1 FROM pools WHERE name = ?", (pool.name,)).fetchone():
            raise AlreadyExists("pool", pool.name)
        conn.execute(
            "INSERT INTO pools (name, format_version, record) VALUES (?, ?, ?)",
            (pool.name, ROW_FORMAT_VERSION, pool.SerializeToString()),
        )
        ClusterOps._bump_epoch(conn)
        return ClusterOps.read_map(conn)

    @staticmethod
    def set_default_pool(conn: sqlite3.Connection, name: str) -> pb.ClusterMap:
        if not conn.execute("SELECT 1 FROM pools WHERE name = ?", (name,)).fetchone():
            raise NotFound("pool", name)
        if ClusterOps._cluster(conn)[2] != name:
            conn.execute("UPDATE cluster SET default_pool = ? WHERE id = 1", (name,))
            ClusterOps._bump_epoch(conn)
        return ClusterOps.read_map(conn)


class ObjectOps:
    @staticmethod
    def get_bucket(conn: sqlite3.Connection, name: str) -> pb.Bucket:
        row = conn.execute(
            "SELECT format_version, owner, pool, created_ms FROM buckets WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise NotFound("bucket", name)
        _check_row_format("buckets", name, row[0])
        bucket = pb.Bucket(name=name, owner=row[1], pool=row[2], created_ms=row[3])
        settings = conn.execute("SELECT name, format_version, value FROM bucket_settings WHERE bucket = ?", (name,))
        for setting, version, value in settings:
            _check_row_format("bucket_settings", (name, setting), version)
            bucket.settings[setting] = value
        return bucket

    @staticmethod
    def put_bucket_setting(conn: sqlite3.Connection, bucket: str, name: str, value: bytes | None) -> pb.Bucket:
        """Store (``value`` bytes) or delete (None) one setting; NotFound for a missing bucket."""
        ObjectOps.get_bucket(conn, bucket)
        if value is None:
            conn.execute("DELETE FROM bucket_settings WHERE bucket = ? AND name = ?", (bucket, name))
        else:
            conn.execute(
                "INSERT OR REPLACE INTO bucket_settings (bucket, name, format_version, value) VALUES (?, ?, ?, ?)",
                (bucket, name, ROW_FORMAT_VERSION, value),
            )
        return ObjectOps.get_bucket(conn, bucket)

    @staticmethod
    def create_bucket(conn: sqlite3.Connection, bucket: pb.Bucket) -> pb.Bucket:
        assert bucket.name and bucket.owner, "bucket names and owners are validated before they are stored"
        row = conn.execute("SELECT owner FROM buckets WHERE name = ?", (bucket.name,)).fetchone()
        if row is not None:
            raise AlreadyExists("bucket", bucket.name, owner=row[0])
        stored = pb.Bucket(name=bucket.name, owner=bucket.owner, pool=bucket.pool, created_ms=bucket.created_ms)
        stored.settings.update(bucket.settings)
        if not stored.pool:
            stored.pool = ClusterOps._cluster(conn)[2]
        if not conn.execute("SELECT 1 FROM pools WHERE name = ?", (stored.pool,)).fetchone():
            raise NotFound("pool", stored.pool)
        conn.execute(
            "INSERT INTO buckets (name, format_version, owner, pool, created_ms) VALUES (?, ?, ?, ?, ?)",
            (stored.name, ROW_FORMAT_VERSION, stored.owner, stored.pool, stored.created_ms),
        )
        conn.executemany(
            "INSERT INTO bucket_settings (bucket, name, format_version, value) VALUES (?, ?, ?, ?)",
            [(stored.name, name, ROW_FORMAT_VERSION, value) for name, value in sorted(stored.settings.items())],
        )
        return stored

    @staticmethod
    def delete_bucket(conn: sqlite3.Connection, name: str) -> None:
        ObjectOps.get_bucket(conn, name)
        for table in ("objects", "object_versions"):  # delete markers and old versions count (S3)
            if conn.execute(f"SELECT 1 FROM {table} WHERE bucket = ? LIMIT 1", (name,)).fetchone():
                raise PreconditionFailed(f"bucket {name!r} is not empty")
        PartRefOps.drop_bucket_uploads(conn, name)
        conn.execute("DELETE FROM bucket_settings WHERE bucket = ?", (name,))
        conn.execute("DELETE FROM buckets WHERE name = ?", (name,))

    @staticmethod
    def list_buckets(conn: sqlite3.Connection, owner: str) -> list[pb.Bucket]:
        if owner:
            rows = conn.execute(
                "SELECT name, format_version, owner, pool, created_ms FROM buckets WHERE owner = ? ORDER BY name",
                (owner,),
            )
        else:
            rows = conn.execute("SELECT name, format_version, owner, pool, created_ms FROM buckets ORDER BY name")
        buckets = []
        for name, version, row_owner, pool, created_ms in rows:
            _check_row_format("buckets", name, version)
            buckets.append(pb.Bucket(name=name, owner=row_owner, pool=pool, created_ms=created_ms))
        return buckets

    @staticmethod
    def _decode_record(bucket: str, key: bytes, version: int, blob: bytes) -> pb.ObjectRecord:
        _check_row_format("objects", (bucket, key), version)
        record = _parse(pb.ObjectRecord(), blob)
        if record.format_version != RECORD_FORMAT_VERSION:
            raise CorruptRecord(f"object {bucket}/{key!r}: record format version {record.format_version}")
        if record.bucket != bucket or record.key.encode() != key:
            raise CorruptRecord(f"objects row {bucket}/{key!r} holds {record.bucket}/{record.key!r}")
        return record

    @staticmethod
    def _current(conn: sqlite3.Connection, bucket: str, key: bytes) -> pb.ObjectRecord | None:
        row = conn.execute(
            "SELECT format_version, record FROM objects WHERE bucket = ? AND key = ?", (bucket, key)
        ).fetchone()
        return None if row is None else ObjectOps._decode_record(bucket, key, row[0], row[1])

    @staticmethod
    def put_object(
        conn: sqlite3.Connection, record: pb.ObjectRecord, if_none_match: bool, bucket: pb.Bucket | None = None
    ) -> pb.ObjectRecord | None:
        """Store ``record`` as the key's only version (a never-versioned bucket: versioned puts
        are :mod:`objectio.meta.sqlite_versions`); returns the record it replaced."""
        assert record.format_version == RECORD_FORMAT_VERSION and record.bucket and record.key, "incomplete record"
        if bucket is None:
            bucket = ObjectOps.get_bucket(conn, record.bucket)
        if not record.pool:
            stored = pb.ObjectRecord()
            stored.CopyFrom(record)
            stored.pool = bucket.pool
            record = stored
        key = record.key.encode()
        replaced = ObjectOps._current(conn, record.bucket, key)
        if replaced is not None and if_none_match:
            raise PreconditionFailed(f"object {record.bucket}/{record.key} exists (if_none_match)")
        ObjectOps.write_latest(conn, record)
        PartRefOps.unlink(conn, replaced)
        PartRefOps.link(conn, record)
        return replaced

    @staticmethod
    def write_latest(conn: sqlite3.Connection, record: pb.ObjectRecord) -> None:
        """Insert or overwrite the ``objects`` row of the record's key (nothing else changes)."""
        assert not record.delete_marker, "a delete marker is never the objects row"
        key = record.key.encode()
        conn.execute(
            "INSERT OR REPLACE INTO objects (bucket, key, format_version, size, etag, content_type, mtime_ns,"
            " version_id, object_id, pool, is_inline, degraded_stripes, record)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.bucket,
                key,
                ROW_FORMAT_VERSION,
                record.size,
                record.etag,
                record.content_type,
                record.mtime_ns,
                record.version_id,
                record.object_id,
                record.pool,
                int(record.is_inline),
                degraded_stripes(record),
                record.SerializeToString(),
            ),
        )

    @staticmethod
    def delete_object(conn: sqlite3.Connection, bucket: str, key: str) -> pb.ObjectRecord | None:
        """Remove the key's only record (a never-versioned bucket; see sqlite_versions)."""
        ObjectOps.get_bucket(conn, bucket)
        record = ObjectOps._current(conn, bucket, key.encode())
        if record is not None:
            conn.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", (bucket, key.encode()))
            PartRefOps.unlink(conn, record)
        return record

    @staticmethod
    def set_object_acl(conn: sqlite3.Connection, request: pb.SetObjectAclRequest) -> pb.ObjectRecord:
        """Compare-and-set the ACL inside the record blob (no indexed column changes)."""
        key = request.key.encode()
        record = ObjectOps._current(conn, request.bucket, key)
        if record is None:
            ObjectOps.get_bucket(conn, request.bucket)
            raise NotFound("object", f"{request.bucket}/{request.key}")
        if record.object_id != request.object_id or record.mtime_ns != request.mtime_ns:
            raise PreconditionFailed(f"object {request.bucket}/{request.key} was replaced")
        record.acl = request.acl
        conn.execute(
            "UPDATE objects SET record = ? WHERE bucket = ? AND key = ?",
            (record.SerializeToString(), request.bucket, key),
        )
        return record

    @staticmethod
    def fetch_listing(
        conn: sqlite3.Connection, bucket: str, lo: bytes, inclusive: bool, hi: bytes | None, limit: int
    ) -> list[tuple[bytes, ListingRow]]:
        """Rows of ``bucket`` with lo <(=) key < hi in key order, as listing columns only (the
        record blob is never read). The SQL text depends only on the two bound kinds, so
        sqlite3's statement cache prepares each of the four variants once per connection."""
        sql = _LISTING_SQL[(inclusive, hi is not None)]
        args = (bucket, lo, hi, limit) if hi is not None else (bucket, lo, limit)
        rows = conn.execute(sql, args).fetchall()
        if any(row[1] != ROW_FORMAT_VERSION for row in rows):
            bad = next(row for row in rows if row[1] != ROW_FORMAT_VERSION)
            _check_row_format("objects", (bucket, bad[0]), bad[1])
        return [(key, (size, etag, mtime_ns, is_inline)) for key, _, size, etag, mtime_ns, is_inline in rows]

    @staticmethod
    def osd_is_referenced(conn: sqlite3.Connection, osd_id: int) -> bool:
        """Full scan of the stored placements of every version (an admin operation, not on any
        data path)."""
        for table in ("objects", "object_versions"):
            for bucket, key, version, blob in conn.execute(
                f"SELECT bucket, key, format_version, record FROM {table} WHERE is_inline = 0"
            ):
                record = ObjectOps._decode_record(bucket, key, version, blob)
                if any(osd_id in stripe.osd_ids for stripe in record.stripes):
                    return True
        return False


class PartRefOps:
    """Keeps the multipart tables consistent with ``objects`` (the rest of the multipart SQL is in
    :mod:`objectio.meta.sqlite_multipart`)."""

    @staticmethod
    def link(conn: sqlite3.Connection, record: pb.ObjectRecord) -> None:
        """A newly stored multipart record's part ids become referenced through ``object_parts``."""
        conn.executemany(
            "INSERT OR REPLACE INTO object_parts (object_id, format_version, bucket, key) VALUES (?, ?, ?, ?)",
            [
                (p.object_id, ROW_FORMAT_VERSION, record.bucket, record.key.encode())
                for p in record.parts
                if p.object_id
            ],
        )

    @staticmethod
    def unlink(conn: sqlite3.Connection, record: pb.ObjectRecord | None) -> None:
        """A replaced or deleted multipart record's part ids are no longer referenced."""
        if record is not None and record.parts:
            conn.executemany("DELETE FROM object_parts WHERE object_id = ?", [(p.object_id,) for p in record.parts])

    @staticmethod
    def drop_bucket_uploads(conn: sqlite3.Connection, bucket: str) -> None:
        """A deleted bucket's uploads in progress go with it (their parts become garbage)."""
        conn.execute(
            "DELETE FROM upload_parts WHERE upload_id IN (SELECT upload_id FROM multipart_uploads WHERE bucket = ?)",
            (bucket,),
        )
        conn.execute("DELETE FROM multipart_uploads WHERE bucket = ?", (bucket,))


class UserOps:
    @staticmethod
    def _user(conn: sqlite3.Connection, name: str) -> pb.User:
        row = conn.execute("SELECT format_version, is_admin, created_ms FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound("user", name)
        _check_row_format("users", name, row[0])
        return pb.User(name=name, is_admin=bool(row[1]), created_ms=row[2])

    @staticmethod
    def create_user(conn: sqlite3.Connection, user: pb.User) -> pb.User:
        assert user.name, "user names are validated before they are stored"
        if conn.execute("SELECT 1 FROM users WHERE name = ?", (user.name,)).fetchone():
            raise AlreadyExists("user", user.name)
        conn.execute(
            "INSERT INTO users (name, format_version, is_admin, created_ms) VALUES (?, ?, ?, ?)",
            (user.name, ROW_FORMAT_VERSION, int(user.is_admin), user.created_ms),
        )
        return user

    @staticmethod
    def delete_user(conn: sqlite3.Connection, name: str) -> None:
        UserOps._user(conn, name)
        if conn.execute("SELECT 1 FROM buckets WHERE owner = ? LIMIT 1", (name,)).fetchone():
            raise PreconditionFailed(f"user {name!r} still owns buckets")
        conn.execute("DELETE FROM access_keys WHERE user = ?", (name,))
        conn.execute("DELETE FROM users WHERE name = ?", (name,))

    @staticmethod
    def list_users(conn: sqlite3.Connection) -> list[pb.User]:
        users = []
        for name, version, is_admin, created_ms in conn.execute(
            "SELECT name, format_version, is_admin, created_ms FROM users ORDER BY name"
        ):
            _check_row_format("users", name, version)
            users.append(pb.User(name=name, is_admin=bool(is_admin), created_ms=created_ms))
        return users

    @staticmethod
    def create_access_key(conn: sqlite3.Connection, key: pb.AccessKey, replace_secret: bool) -> pb.AccessKey:
        assert key.access_key and key.secret_key and key.user, "access keys are complete before they are stored"
        user = UserOps._user(conn, key.user)
        row = conn.execute("SELECT user FROM access_keys WHERE access_key = ?", (key.access_key,)).fetchone()
        if row is not None and not (replace_secret and row[0] == key.user):
            raise AlreadyExists("access_key", key.access_key)
        conn.execute(
            "INSERT OR REPLACE INTO access_keys (access_key, format_version, user, secret_key, created_ms)"
            " VALUES (?, ?, ?, ?, ?)",
            (key.access_key, ROW_FORMAT_VERSION, key.user, key.secret_key, key.created_ms),
        )
        return pb.AccessKey(
            access_key=key.access_key,
            secret_key=key.secret_key,
            user=key.user,
            created_ms=key.created_ms,
            is_admin=user.is_admin,
        )

    @staticmethod
    def revoke_access_key(conn: sqlite3.Connection, access_key: str) -> None:
        if conn.execute("DELETE FROM access_keys WHERE access_key = ?", (access_key,)).rowcount == 0:
            raise NotFound("access_key", access_key)

    @staticmethod
    def list_access_keys(conn: sqlite3.Connection, user: str) -> list[pb.AccessKey]:
        owner = UserOps._user(conn, user)
        keys = []
        for access_key, version, created_ms in conn.execute(
            "SELECT access_key, format_version, created_ms FROM access_keys WHERE user = ? ORDER BY access_key",
            (user,),
        ):
            _check_row_format("access_keys", access_key, version)
            keys.append(pb.AccessKey(access_key=access_key, user=user, created_ms=created_ms, is_admin=owner.is_admin))
        return keys

    @staticmethod
    def lookup_access_key(conn: sqlite3.Connection, access_key: str) -> pb.AccessKey:
        row = conn.execute(
            "SELECT k.format_version, k.user, k.secret_key, k.created_ms, u.is_admin"
            " FROM access_keys k JOIN users u ON u.name = k.user WHERE k.access_key = ?",
            (access_key,),
        ).fetchone()
        if row is None:
            raise NotFound("access_key", access_key)
        _check_row_format("access_keys", access_key, row[0])
        return pb.AccessKey(
            access_key=access_key, user=row[1], secret_key=row[2], created_ms=row[3], is_admin=bool(row[4])
        )


def same_uuid(a: str, b: str) -> bool:
    """Cluster ids compare as UUIDs: the engine prints them with dashes, meta stores plain hex."""
    try:
        return uuid.UUID(a) == uuid.UUID(b)
    except ValueError:
        return a == b
