"""Multipart uploads in etcd (keys ``u/`` and ``p/``; see etcd_keys), the rules of
:mod:`objectio.meta.sqlite_multipart`.

A part's object id gets an index entry naming its upload and part number when the part is
stored. Completion deletes the upload and its parts (one range delete) and writes the record
in one transaction; the used parts' entries stay valid because a version of the key now lists
them (an entry naming an upload that is gone is checked against every version of its key). The
entries of parts that are discarded (aborted, expired, not listed, replaced) are returned so
the store drops them after the commit.
"""

from __future__ import annotations

import uuid

from objectio.meta import etcd_object_ops as objects
from objectio.meta import etcd_version_ops as versions
from objectio.meta.errors import CorruptRecord, NotFound, PreconditionFailed
from objectio.meta.etcd_client import prefix_end
from objectio.meta.etcd_keys import SEP, IdRef, Layout, decode, encode
from objectio.meta.etcd_txn import View
from objectio.meta.sqlite_multipart import PARTS_PER_UPLOAD_MAX
from objectio.meta.sqlite_schema import RECORD_FORMAT_VERSION
from objectio.protos import etcd_pb2 as epb
from objectio.protos import meta_pb2 as pb

EXPIRE_BATCH_UPLOADS_MAX = 50  # uploads one expiry transaction removes (2 etcd ops each)
LIST_CHUNK_UPLOADS = 32  # uploads read per range when listing


def _upload_name(upload: pb.UploadName) -> str:
    return f"{upload.bucket}/{upload.key} upload {upload.upload_id}"


def _decode_upload(keys: Layout, kv_key: bytes, value: bytes) -> pb.MultipartUpload:
    upload = decode(pb.MultipartUpload(), value, kv_key)
    if keys.upload(upload.bucket, upload.key, upload.upload_id) != kv_key:
        raise CorruptRecord(f"etcd key {kv_key!r} holds another upload")
    return upload


async def create_upload(view: View, keys: Layout, upload: pb.MultipartUpload) -> pb.MultipartUpload:
    assert upload.bucket and upload.key and upload.initiated_ns, "incomplete upload"
    bucket = await objects.get_bucket(view, keys, upload.bucket)
    stored = pb.MultipartUpload()
    stored.CopyFrom(upload)
    stored.format_version = RECORD_FORMAT_VERSION
    stored.upload_id = uuid.uuid4().hex
    stored.pool = bucket.pool
    view.put(keys.upload(stored.bucket, stored.key, stored.upload_id), encode(stored))
    return stored


async def get_upload(view: View, keys: Layout, name: pb.UploadName) -> pb.MultipartUpload:
    key = keys.upload(name.bucket, name.key, name.upload_id)
    value = await view.get(key)
    if value is None:
        await objects.get_bucket(view, keys, name.bucket)
        raise NotFound("upload", _upload_name(name))
    return _decode_upload(keys, key, value)


async def parts(view: View, keys: Layout, name: pb.UploadName, marker: int, limit: int) -> list[pb.PartLayout]:
    """Parts numbered above ``marker``, ascending, at most ``limit``."""
    start = keys.upload_parts(name.bucket, name.key, name.upload_id)
    found = []
    for kv in await view.range(
        keys.part(name.bucket, name.key, name.upload_id, marker + 1), prefix_end(start), limit=limit
    ):
        part = decode(pb.PartLayout(), kv.value, kv.key)
        if keys.part(name.bucket, name.key, name.upload_id, part.part_number) != kv.key:
            raise CorruptRecord(f"etcd key {kv.key!r} holds part {part.part_number}")
        found.append(part)
    return found


def _delete_upload(view: View, keys: Layout, name: pb.UploadName) -> None:
    view.delete(keys.upload(name.bucket, name.key, name.upload_id))
    start = keys.upload_parts(name.bucket, name.key, name.upload_id)
    view.delete_range(start, prefix_end(start))


async def abort_upload(view: View, keys: Layout, name: pb.UploadName) -> list[pb.PartLayout]:
    await get_upload(view, keys, name)
    stored = await parts(view, keys, name, 0, PARTS_PER_UPLOAD_MAX)
    _delete_upload(view, keys, name)
    return stored


async def put_part(view: View, keys: Layout, name: pb.UploadName, part: pb.PartLayout) -> pb.PartLayout | None:
    assert 1 <= part.part_number <= PARTS_PER_UPLOAD_MAX and part.etag, "incomplete part"
    await get_upload(view, keys, name)
    key = keys.part(name.bucket, name.key, name.upload_id, part.part_number)
    value = await view.get(key)
    replaced = None if value is None else decode(pb.PartLayout(), value, key)
    view.put(key, encode(part))
    if part.object_id:
        ref = IdRef(name.bucket, name.key, name.upload_id, part.part_number)
        view.put(keys.object_id(part.object_id), ref.encode())
    if replaced is not None and replaced.object_id and replaced.object_id != part.object_id:
        view.delete(keys.object_id(replaced.object_id))
    return replaced


async def list_parts(view: View, keys: Layout, request: pb.ListPartsRequest, limit: int) -> pb.ListPartsReply:
    upload = await get_upload(view, keys, request.upload)
    found = await parts(view, keys, request.upload, request.part_number_marker, limit + 1)
    return pb.ListPartsReply(upload=upload, parts=found[:limit], is_truncated=len(found) > limit)


async def complete(
    view: View, keys: Layout, name: pb.UploadName, record: pb.ObjectRecord
) -> tuple[pb.ObjectRecord | None, str, list[pb.PartLayout]]:
    """Commit ``record`` in place of the upload as a new version of its key (``put_object``'s
    rules); returns the record removed for good, the version id assigned and the unused parts."""
    assert record.parts and (record.bucket, record.key) == (name.bucket, name.key), "incomplete record"
    await get_upload(view, keys, name)
    stored = {p.part_number: p for p in await parts(view, keys, name, 0, PARTS_PER_UPLOAD_MAX)}
    committed = pb.ObjectRecord()
    committed.CopyFrom(record)
    for part in committed.parts:
        have = stored.pop(part.part_number, None)
        if have is None or have.object_id != part.object_id or have.etag != part.etag:
            raise PreconditionFailed(f"part {part.part_number} of {_upload_name(name)} is not the one uploaded")
        del part.stripes[:]  # the stored placement wins: repair or rebalance may have moved a fragment
        part.stripes.extend(have.stripes)
    _delete_upload(view, keys, name)
    reply = await versions.put_object(view, keys, committed, if_none_match=False)
    return (reply.replaced if reply.has_replaced else None), reply.version_id, list(stored.values())


def _start_after(keys: Layout, bucket: str, key: bytes, upload_id: str) -> bytes:
    """The first etcd key after upload (key, upload_id) in (key, upload_id) order."""
    return keys.bucket_uploads(bucket) + key + SEP + upload_id.encode() + SEP


async def list_uploads(
    view: View, keys: Layout, request: pb.ListMultipartUploadsRequest, limit: int
) -> pb.ListMultipartUploadsReply:
    """The algorithm of sqlite_multipart.MultipartOps.list_uploads; a range read per chunk of
    uploads, and one per jump over a common prefix."""
    await objects.get_bucket(view, keys, request.bucket)
    reply = pb.ListMultipartUploadsReply()
    base = keys.bucket_uploads(request.bucket)
    prefix, delimiter, marker = request.prefix, request.delimiter, request.key_marker
    key, upload_id = marker.encode(), request.upload_id_marker or "\U0010ffff"
    cut = marker.find(delimiter, len(prefix)) if delimiter and marker.startswith(prefix) else -1
    if cut >= 0:
        key, upload_id = marker[: cut + len(delimiter)].encode() + b"\xff", ""
    count = 0
    buffered: list[epb.KeyValue] = []  # the next uploads in key order, while no jump is needed
    while True:
        if not buffered:
            start = _start_after(keys, request.bucket, key, upload_id)
            buffered = await view.range(start, prefix_end(base), limit=LIST_CHUNK_UPLOADS, track=False)
            if not buffered:
                break
        kv = buffered.pop(0)
        upload = _decode_upload(keys, kv.key, kv.value)
        text = upload.key
        if not text.startswith(prefix):
            if text > prefix:
                break
            key, upload_id, buffered = prefix.encode(), "", []
            continue
        if count == limit:
            reply.is_truncated = True
            break
        cut = text.find(delimiter, len(prefix)) if delimiter else -1
        if cut >= 0:
            common = text[: cut + len(delimiter)]
            reply.common_prefixes.append(common)
            reply.next_key_marker, reply.next_upload_id_marker = common, ""
            key, upload_id, buffered = common.encode() + b"\xff", "", []
        else:
            reply.uploads.append(upload)
            reply.next_key_marker, reply.next_upload_id_marker = upload.key, upload.upload_id
            key, upload_id = upload.key.encode(), upload.upload_id
        count += 1
    if not reply.is_truncated:
        reply.next_key_marker, reply.next_upload_id_marker = "", ""
    return reply


async def expire_uploads(view: View, keys: Layout, initiated_before_ns: int) -> tuple[int, list[pb.PartLayout]]:
    """Remove up to EXPIRE_BATCH_UPLOADS_MAX uploads initiated before the limit: how many, and
    their parts.
    Uploads in progress are few: every upload key is read to find the old ones."""
    old = []
    for kv in await view.range(keys.uploads, prefix_end(keys.uploads), track=False):
        upload = _decode_upload(keys, kv.key, kv.value)
        if upload.initiated_ns < initiated_before_ns:
            old.append(upload)
    old.sort(key=lambda u: u.initiated_ns)
    discarded: list[pb.PartLayout] = []
    for upload in old[:EXPIRE_BATCH_UPLOADS_MAX]:
        name = pb.UploadName(bucket=upload.bucket, key=upload.key, upload_id=upload.upload_id)
        discarded.extend(await abort_upload(view, keys, name))
    return min(len(old), EXPIRE_BATCH_UPLOADS_MAX), discarded
