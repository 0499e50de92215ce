"""The SQL of multipart uploads (tables ``multipart_uploads``, ``upload_parts``, ``object_parts``;
see :mod:`objectio.meta.sqlite_schema`). Like :mod:`objectio.meta.sqlite_ops`: plain functions of a
connection already inside a transaction.

Invariants kept by every function here (and by the hooks ``ObjectOps`` calls):

* an ``upload_parts`` row exists only while its upload's ``multipart_uploads`` row exists;
* an ``object_parts`` row exists exactly while some version of its (bucket, key) — the
  ``objects`` row or an ``object_versions`` row — is a completed multipart record listing that
  part's object id (kept by ``sqlite_ops.PartRefOps``, which ObjectOps and VersionOps call
  whenever a version is stored or removed for good);
* a part's object id is in at most one of ``upload_parts`` and ``object_parts``. Whatever leaves
  these tables is garbage: the gateway deletes the fragments it is told about, and the OSDs'
  orphan collector (FindUnreferenced) reclaims anything missed.
"""

from __future__ import annotations

import sqlite3
import uuid

from objectio.meta.errors import CorruptRecord, NotFound, PreconditionFailed
from objectio.meta.sqlite_ops import ObjectOps, _check_row_format, _parse
from objectio.meta.sqlite_schema import RECORD_FORMAT_VERSION, ROW_FORMAT_VERSION
from objectio.meta.sqlite_versions import VersionOps
from objectio.protos import meta_pb2 as pb

PARTS_PER_UPLOAD_MAX = 10_000  # S3's part numbers are 1..10000
EXPIRE_BATCH_UPLOADS_MAX = 500  # uploads one expiry transaction removes at most (bounded write)


def _upload_name(upload: pb.UploadName) -> str:
    return f"{upload.bucket}/{upload.key} upload {upload.upload_id}"


class MultipartOps:
    # ---- uploads --------------------------------------------------------------------------------

    @staticmethod
    def create_upload(conn: sqlite3.Connection, upload: pb.MultipartUpload) -> pb.MultipartUpload:
        assert upload.bucket and upload.key and upload.initiated_ns, "incomplete upload"
        bucket = ObjectOps.get_bucket(conn, upload.bucket)
        stored = pb.MultipartUpload()
        stored.CopyFrom(upload)
        stored.format_version = RECORD_FORMAT_VERSION
        stored.upload_id = uuid.uuid4().hex
        stored.pool = bucket.pool
        conn.execute(
            "INSERT INTO multipart_uploads (bucket, key, upload_id, format_version, initiated_ns, record)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (stored.bucket, stored.key.encode(), stored.upload_id, ROW_FORMAT_VERSION, stored.initiated_ns,
             stored.SerializeToString()),
        )  # fmt: skip
        return stored

    @staticmethod
    def _decode_upload(bucket: str, key: bytes, upload_id: str, version: int, blob: bytes) -> pb.MultipartUpload:
        _check_row_format("multipart_uploads", (bucket, key, upload_id), version)
        upload = _parse(pb.MultipartUpload(), blob)
        if (upload.bucket, upload.key.encode(), upload.upload_id) != (bucket, key, upload_id):
            raise CorruptRecord(f"multipart_uploads row {bucket}/{key!r}/{upload_id} holds another upload")
        return upload

    @staticmethod
    def get_upload(conn: sqlite3.Connection, name: pb.UploadName) -> pb.MultipartUpload:
        key = name.key.encode()
        row = conn.execute(
            "SELECT format_version, record FROM multipart_uploads WHERE bucket = ? AND key = ? AND upload_id = ?",
            (name.bucket, key, name.upload_id),
        ).fetchone()
        if row is None:
            ObjectOps.get_bucket(conn, name.bucket)  # NotFound("bucket") when that is what is missing
            raise NotFound("upload", _upload_name(name))
        return MultipartOps._decode_upload(name.bucket, key, name.upload_id, row[0], row[1])

    @staticmethod
    def _delete_upload(conn: sqlite3.Connection, upload: pb.MultipartUpload) -> list[pb.PartLayout]:
        """Remove an upload and its part rows; returns the parts (their fragments are garbage)."""
        parts = MultipartOps.parts(conn, upload.upload_id, 0, PARTS_PER_UPLOAD_MAX)
        conn.execute("DELETE FROM upload_parts WHERE upload_id = ?", (upload.upload_id,))
        conn.execute(
            "DELETE FROM multipart_uploads WHERE bucket = ? AND key = ? AND upload_id = ?",
            (upload.bucket, upload.key.encode(), upload.upload_id),
        )
        return parts

    @staticmethod
    def abort_upload(conn: sqlite3.Connection, name: pb.UploadName) -> list[pb.PartLayout]:
        return MultipartOps._delete_upload(conn, MultipartOps.get_upload(conn, name))

    # ---- parts ----------------------------------------------------------------------------------

    @staticmethod
    def put_part(conn: sqlite3.Connection, name: pb.UploadName, part: pb.PartLayout) -> pb.PartLayout | None:
        """Store (or replace) one part; returns the part it replaced."""
        assert 1 <= part.part_number <= PARTS_PER_UPLOAD_MAX and part.etag, "incomplete part"
        MultipartOps.get_upload(conn, name)
        replaced = MultipartOps.parts(conn, name.upload_id, part.part_number - 1, 1)
        conn.execute(
            "INSERT OR REPLACE INTO upload_parts"
            " (upload_id, part_number, format_version, object_id, size, etag, record) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name.upload_id, part.part_number, ROW_FORMAT_VERSION, part.object_id, part.size, part.etag,
             part.SerializeToString()),
        )  # fmt: skip
        if replaced and replaced[0].part_number == part.part_number:
            return replaced[0]
        return None

    @staticmethod
    def parts(conn: sqlite3.Connection, upload_id: str, marker: int, limit: int) -> list[pb.PartLayout]:
        """Parts numbered above ``marker``, ascending, at most ``limit``."""
        rows = conn.execute(
            "SELECT part_number, format_version, record FROM upload_parts"
            " WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?",
            (upload_id, marker, limit),
        )
        parts = []
        for number, version, blob in rows:
            _check_row_format("upload_parts", (upload_id, number), version)
            part = _parse(pb.PartLayout(), blob)
            if part.part_number != number:
                raise CorruptRecord(f"upload_parts row {upload_id}/{number} holds part {part.part_number}")
            parts.append(part)
        return parts

    @staticmethod
    def list_parts(conn: sqlite3.Connection, request: pb.ListPartsRequest, limit: int) -> pb.ListPartsReply:
        upload = MultipartOps.get_upload(conn, request.upload)
        parts = MultipartOps.parts(conn, upload.upload_id, request.part_number_marker, limit + 1)
        return pb.ListPartsReply(upload=upload, parts=parts[:limit], is_truncated=len(parts) > limit)

    # ---- completion -----------------------------------------------------------------------------

    @staticmethod
    def complete(
        conn: sqlite3.Connection, name: pb.UploadName, record: pb.ObjectRecord
    ) -> tuple[pb.ObjectRecord | None, str, list[pb.PartLayout]]:
        """Commit ``record`` (whose parts must be the stored ones) in place of the upload, as a new
        version of its key; returns the record it replaced for good, the version id assigned and
        the stored parts the record does not use."""
        assert record.parts and (record.bucket, record.key) == (name.bucket, name.key), "incomplete record"
        upload = MultipartOps.get_upload(conn, name)
        stored = {p.part_number: p for p in MultipartOps._delete_upload(conn, upload)}
        committed = pb.ObjectRecord()
        committed.CopyFrom(record)
        for part in committed.parts:
            have = stored.pop(part.part_number, None)
            if have is None or have.object_id != part.object_id or have.etag != part.etag:
                raise PreconditionFailed(f"part {part.part_number} of {_upload_name(name)} is not the one uploaded")
            # The stored placement wins over the gateway's copy: repair or rebalance may have
            # moved a fragment of the part since the gateway listed it.
            del part.stripes[:]
            part.stripes.extend(have.stripes)
        reply = VersionOps.put_object(conn, committed, if_none_match=False)
        return reply.replaced if reply.has_replaced else None, reply.version_id, list(stored.values())

    # ---- listing, expiry, references------------------------------------------------------------

    @staticmethod
    def list_uploads(
        conn: sqlite3.Connection, request: pb.ListMultipartUploadsRequest, limit: int
    ) -> pb.ListMultipartUploadsReply:
        """Uploads in (key, upload_id) order after the markers, under ``prefix``; with a
        delimiter, keys sharing a prefix up to the delimiter roll up into one common prefix."""
        ObjectOps.get_bucket(conn, request.bucket)
        reply = pb.ListMultipartUploadsReply()
        key, upload_id = request.key_marker.encode(), request.upload_id_marker
        if not upload_id:
            upload_id = "\U0010ffff"  # every upload of key_marker itself is skipped
        prefix, delimiter = request.prefix, request.delimiter
        marker = request.key_marker
        cut = marker.find(delimiter, len(prefix)) if delimiter and marker.startswith(prefix) else -1
        if cut >= 0:  # the marker is (under) a common prefix already returned: resume after it
            key, upload_id = marker[: cut + len(delimiter)].encode() + b"\xff", ""
        count = 0
        while True:
            row = conn.execute(
                "SELECT key, upload_id, format_version, record FROM multipart_uploads WHERE bucket = ?"
                " AND (key > ? OR (key = ? AND upload_id > ?)) ORDER BY key, upload_id LIMIT 1",
                (request.bucket, key, key, upload_id),
            ).fetchone()
            if row is None:
                break
            text = bytes(row[0]).decode()
            if not text.startswith(prefix):
                if text > prefix:
                    break
                key, upload_id = prefix.encode(), ""  # jump to the first key under the prefix
                continue
            if count == limit:
                reply.is_truncated = True
                break
            cut = text.find(delimiter, len(prefix)) if delimiter else -1
            if cut >= 0:
                common = text[: cut + len(delimiter)]
                reply.common_prefixes.append(common)
                reply.next_key_marker, reply.next_upload_id_marker = common, ""
                key, upload_id = common.encode() + b"\xff", ""  # 0xff never occurs in UTF-8: past the prefix
            else:
                upload = MultipartOps._decode_upload(request.bucket, bytes(row[0]), row[1], row[2], row[3])
                reply.uploads.append(upload)
                reply.next_key_marker, reply.next_upload_id_marker = upload.key, upload.upload_id
                key, upload_id = bytes(row[0]), row[1]
            count += 1
        if not reply.is_truncated:
            reply.next_key_marker, reply.next_upload_id_marker = "", ""
        return reply

    @staticmethod
    def expire_uploads(conn: sqlite3.Connection, initiated_before_ns: int) -> int:
        """Remove up to EXPIRE_BATCH_UPLOADS_MAX uploads initiated before the limit (their parts'
        fragments are then unreferenced: the OSDs' orphan collector reclaims them)."""
        rows = conn.execute(
            "SELECT bucket, key, upload_id, format_version, record FROM multipart_uploads"
            " WHERE initiated_ns < ? ORDER BY initiated_ns LIMIT ?",
            (initiated_before_ns, EXPIRE_BATCH_UPLOADS_MAX),
        ).fetchall()
        for bucket, key, upload_id, version, blob in rows:
            MultipartOps._delete_upload(conn, MultipartOps._decode_upload(bucket, bytes(key), upload_id, version, blob))
        return len(rows)

    @staticmethod
    def referenced(conn: sqlite3.Connection, object_ids: list[bytes]) -> set[bytes]:
        """Which of ``object_ids`` (a chunk under SQLite's variable limit) a part row names."""
        marks = ",".join("?" * len(object_ids))
        found: set[bytes] = set()
        for table in ("upload_parts", "object_parts"):
            sql = f"SELECT object_id FROM {table} WHERE object_id IN ({marks})"
            found.update(bytes(row[0]) for row in conn.execute(sql, object_ids))
        return found

    @staticmethod
    def osd_is_referenced(conn: sqlite3.Connection, osd_id: int) -> bool:
        """Full scan of the parts' placements (admin operation, as ObjectOps.osd_is_referenced)."""
        for (blob,) in conn.execute("SELECT record FROM upload_parts"):
            part = _parse(pb.PartLayout(), blob)
            if any(osd_id in stripe.osd_ids for stripe in part.stripes):
                return True
        for table in ("objects", "object_versions"):  # completed multipart objects, every version
            for bucket, key, version, blob in conn.execute(
                f"SELECT o.bucket, o.key, o.format_version, o.record FROM {table} o"
                " WHERE EXISTS (SELECT 1 FROM object_parts p WHERE p.bucket = o.bucket AND p.key = o.key)"
            ):
                record = ObjectOps._decode_record(bucket, bytes(key), version, blob)
                if any(osd_id in s.osd_ids for p in record.parts for s in p.stripes):
                    return True
        return False
