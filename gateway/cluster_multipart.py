"""Multipart uploads of the production backend (the MultipartBackend half of ClusterBackend).

Upload state lives in meta (``MultipartUpload`` + one ``PartLayout`` per part, durable through
meta's group commit). A part is written exactly like an object body — its own 16-byte object id,
its own stripes — and only then recorded with PutPart. Completion writes no data: the gateway
checks the listed parts against ListParts (InvalidPart, EntityTooSmall), builds the object record
that references the parts' layouts, and meta commits it atomically if the parts did not change
meanwhile. Every part that stops being referenced (replaced, not listed at completion, aborted,
or its object replaced) has its fragments deleted in the background; anything missed, and the
parts of expired uploads, are reclaimed by the OSDs' orphan collector through FindUnreferenced.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import TYPE_CHECKING, NoReturn

from objectio.common.shardkey import new_object_id
from objectio.gateway.backend import (
    MULTIPART_PART_BYTES_MIN,
    BucketNotFound,
    DigestMismatch,
    EntityTooLarge,
    EntityTooSmall,
    IncompleteBody,
    InvalidPart,
    MultipartUpload,
    NoSuchUpload,
    ObjectInfo,
    PartInfo,
    PartListing,
    PartRequest,
    ServiceUnavailable,
    UploadListing,
)
from objectio.gateway.storage import descriptor
from objectio.gateway.storage.writer import read_exactly
from objectio.meta.client import MetaError, MetaInvalidArgument, MetaNotFound, MetaPreconditionFailed
from objectio.protos import meta_pb2, osd_pb2

if TYPE_CHECKING:
    from objectio.gateway.cluster_backend import ClusterBackend

RECORD_FORMAT_VERSION = 1
PARTS_PER_UPLOAD_MAX = 10_000


def multipart_etag(part_etags: list[str]) -> str:
    """S3's ETag of a multipart object: MD5 of the concatenated binary part MD5s, "-", part count."""
    assert part_etags, "an object has at least one part"
    joined = b"".join(bytes.fromhex(etag) for etag in part_etags)
    return f"{hashlib.md5(joined, usedforsecurity=False).hexdigest()}-{len(part_etags)}"


def choose_parts(stored: list[meta_pb2.PartLayout], listed: list[tuple[int, str]]) -> list[meta_pb2.PartLayout]:
    """The stored parts Complete names, in its (ascending) order; InvalidPart for a part missing or
    with another ETag, then EntityTooSmall for a part other than the last under 5 MiB (AWS's order)."""
    by_number = {p.part_number: p for p in stored}
    chosen = []
    for number, etag in listed:
        part = by_number.get(number)
        if part is None or part.etag != etag.lower():
            raise InvalidPart(f"part {number} was not uploaded, or its ETag is not {etag}")
        chosen.append(part)
    for part in chosen[:-1]:
        if part.size < MULTIPART_PART_BYTES_MIN:
            raise EntityTooSmall(f"part {part.part_number} is {part.size} bytes; all but the last need 5 MiB")
    return chosen


def _upload_info(upload: meta_pb2.MultipartUpload) -> MultipartUpload:
    return MultipartUpload(
        bucket=upload.bucket,
        key=upload.key,
        upload_id=upload.upload_id,
        owner=upload.owner,
        initiated=upload.initiated_ns / 1e9,
        content_type=upload.content_type or "binary/octet-stream",
        user_meta=dict(upload.user_meta),
        headers=dict(upload.headers),
        object_owner=upload.object_owner,
        acl=upload.acl,
    )


def _part_info(part: meta_pb2.PartLayout) -> PartInfo:
    return PartInfo(
        part_number=part.part_number,
        size=part.size,
        etag=part.etag,
        last_modified=part.mtime_ns / 1e9,
        headers=dict(part.headers),
    )


def _raise_meta(exc: MetaError, name: meta_pb2.UploadName) -> NoReturn:
    """The one mapping of meta's answers about an upload onto backend errors."""
    if isinstance(exc, MetaNotFound) and exc.what == "bucket":
        raise BucketNotFound(f"bucket {name.bucket}") from exc
    if isinstance(exc, MetaNotFound):
        raise NoSuchUpload(f"{name.bucket}/{name.key} upload {name.upload_id}") from exc
    raise ServiceUnavailable(f"metadata service: {exc}") from exc


class ClusterMultipart:
    def __init__(self, backend: ClusterBackend) -> None:
        self.backend = backend
        self.meta = backend.meta

    def _forget_part(self, part: meta_pb2.PartLayout) -> None:
        if part.object_id:
            osds = {osd_id for stripe in part.stripes for osd_id in stripe.osd_ids if osd_id}
            self.backend._delete_fragments_later(part.object_id, osds)

    async def create_multipart_upload(
        self,
        bucket: str,
        key: str,
        owner: str,
        *,
        content_type: str = "binary/octet-stream",
        user_meta: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
        object_owner: str = "",
        acl: bytes = b"",
    ) -> MultipartUpload:
        request = meta_pb2.MultipartUpload(
            tags=tags or {},
            format_version=RECORD_FORMAT_VERSION,
            bucket=bucket,
            key=key,
            owner=owner,
            content_type=content_type,
            user_meta=user_meta or {},
            headers=headers or {},
            object_owner=object_owner,
            acl=acl,
        )
        try:
            upload = await self.meta.create_multipart_upload(request)
        except MetaError as exc:
            _raise_meta(exc, meta_pb2.UploadName(bucket=bucket, key=key))
        return _upload_info(upload)

    async def upload_part(self, request: PartRequest) -> PartInfo:
        name = meta_pb2.UploadName(bucket=request.bucket, key=request.key, upload_id=request.upload_id)
        try:
            upload = await self.meta.get_multipart_upload(name)  # NoSuchUpload before any byte is stored
        except MetaError as exc:
            _raise_meta(exc, name)
        mtime_ns = time.time_ns()

        def check(size: int, md5: bytes) -> None:
            if request.content_length is not None and size != request.content_length:
                raise IncompleteBody(f"received {size} of {request.content_length} bytes")
            if request.expected_md5 is not None and md5 != request.expected_md5:
                raise DigestMismatch(f"Content-MD5 {request.expected_md5.hex()} != body MD5 {md5.hex()}")

        head, pending = bytearray(), list[bytes]()
        part = meta_pb2.PartLayout(part_number=request.part_number, mtime_ns=mtime_ns)
        if not await read_exactly(request.body, head, 1, pending):  # an empty part: no fragments at all
            empty_md5 = hashlib.md5(b"", usedforsecurity=False).digest()
            check(0, empty_md5)
            part.etag = empty_md5.hex()
        else:
            pool = await self.backend._pool(upload.pool)
            shard_meta = osd_pb2.ShardMeta(
                format_version=RECORD_FORMAT_VERSION,
                bucket=request.bucket,
                key=request.key,
                pool=pool.name,
                mtime_ns=mtime_ns,
                object_size=request.content_length or 0,
                part_number=request.part_number,
                upload_id=request.upload_id,
            )
            written = await self.backend.write_erasure_coded(pool, request.body, head, pending, shard_meta, check)
            part.object_id, part.size, part.etag = written.object_id, written.size, written.md5.hex()
            part.stripes.extend(written.stripes)
        part.headers.update(request.headers)  # verified checksums, known once the body ended
        try:
            reply = await self.meta.put_part(name, part)
        except (MetaNotFound, MetaPreconditionFailed) as exc:
            self._forget_part(part)  # meta definitely refused it (upload aborted or completed meanwhile)
            _raise_meta(exc, name)
        except MetaError as exc:  # outcome unknown: the orphan collector settles it
            _raise_meta(exc, name)
        if reply.has_replaced:
            self._forget_part(reply.replaced)
        return _part_info(part)

    async def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> ObjectInfo:
        name = meta_pb2.UploadName(bucket=bucket, key=key, upload_id=upload_id)
        try:
            listing = await self.meta.list_parts(name, 0, PARTS_PER_UPLOAD_MAX)
        except MetaError as exc:
            _raise_meta(exc, name)
        upload = listing.upload
        chosen = choose_parts(list(listing.parts), parts)
        record = meta_pb2.ObjectRecord(
            format_version=RECORD_FORMAT_VERSION,
            bucket=bucket,
            key=key,
            size=sum(p.size for p in chosen),
            etag=multipart_etag([p.etag for p in chosen]),
            content_type=upload.content_type,
            user_meta=upload.user_meta,
            headers=upload.headers,
            mtime_ns=time.time_ns(),
            object_id=new_object_id(),  # names no fragments: the parts' ids do
            pool=upload.pool,
            parts=chosen,
            tags=upload.tags,
            owner=upload.object_owner,
            acl=upload.acl,
        )
        try:
            reply = await self._complete_described(name, record)
        except MetaPreconditionFailed as exc:
            raise InvalidPart(f"a part of {bucket}/{key} was replaced while completing; retry") from exc
        except MetaInvalidArgument as exc:  # the record is over meta.record_bytes_max: too many parts
            raise EntityTooLarge(f"{bucket}/{key}: {len(chosen)} parts do not fit one object record") from exc
        except MetaError as exc:
            _raise_meta(exc, name)
        self._forget_reply(reply)
        record.version_id = reply.version_id  # assigned by meta in the transaction of the completion
        return self.backend.object_info(record)

    def _forget_reply(self, reply: meta_pb2.CompleteMultipartUploadReply) -> None:
        if reply.has_replaced:
            self.backend._forget_record(reply.replaced)
        for part in reply.discarded:
            self._forget_part(part)

    async def _complete_described(
        self, name: meta_pb2.UploadName, record: meta_pb2.ObjectRecord
    ) -> meta_pb2.CompleteMultipartUploadReply:
        """Commit the completion and write the object's descriptor (its manifest: the part list)
        concurrently; done when both are durable."""
        if not self.backend.config.object_descriptors:
            return await self.meta.complete_multipart_upload(name, record)
        bucket = await self.backend.head_bucket(record.bucket)
        pool = await self.backend._pool(record.pool)
        copies_on = descriptor.choose_osds(
            pool, record.object_id, [], self.backend.view.candidates(), self.backend.config.descriptor_copies
        )
        if not copies_on:
            raise ServiceUnavailable(f"complete {record.bucket}/{record.key}: no OSD can take its descriptor")
        record.descriptor_osd_ids[:] = copies_on
        bucket_pb = meta_pb2.Bucket(
            name=bucket.name, owner=bucket.owner, pool=bucket.pool, created_ms=int(bucket.created * 1000)
        )
        described, committed = await asyncio.gather(
            descriptor.write(self.backend.batcher, copies_on, record, bucket_pb),
            self.meta.complete_multipart_upload(name, record),
            return_exceptions=True,
        )
        if isinstance(committed, BaseException):
            if isinstance(committed, (MetaNotFound, MetaPreconditionFailed, MetaInvalidArgument)):
                self.backend._delete_fragments_later(record.object_id, set(copies_on))  # refused: copies are garbage
            raise committed
        if isinstance(described, BaseException):
            self._forget_reply(committed)
            raise ServiceUnavailable(f"complete {record.bucket}/{record.key}: {described}") from described
        return committed

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        name = meta_pb2.UploadName(bucket=bucket, key=key, upload_id=upload_id)
        try:
            reply = await self.meta.abort_multipart_upload(name)
        except MetaError as exc:
            _raise_meta(exc, name)
        for part in reply.parts:
            self._forget_part(part)

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, part_number_marker: int = 0, max_parts: int = 1000
    ) -> PartListing:
        name = meta_pb2.UploadName(bucket=bucket, key=key, upload_id=upload_id)
        try:
            reply = await self.meta.list_parts(name, part_number_marker, max(max_parts, 1))
        except MetaError as exc:
            _raise_meta(exc, name)
        if max_parts <= 0:
            return PartListing(parts=[], is_truncated=bool(reply.parts))
        return PartListing(parts=[_part_info(p) for p in reply.parts], is_truncated=reply.is_truncated)

    async def list_multipart_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadListing:
        request = meta_pb2.ListMultipartUploadsRequest(
            bucket=bucket,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            max_uploads=max(max_uploads, 1),
        )
        try:
            reply = await self.meta.list_multipart_uploads(request)
        except MetaError as exc:
            _raise_meta(exc, meta_pb2.UploadName(bucket=bucket))
        if max_uploads <= 0:
            return UploadListing(uploads=[], is_truncated=bool(reply.uploads or reply.common_prefixes))
        return UploadListing(
            uploads=[_upload_info(u) for u in reply.uploads],
            is_truncated=reply.is_truncated,
            common_prefixes=list(reply.common_prefixes),
            next_key_marker=reply.next_key_marker or None,
            next_upload_id_marker=reply.next_upload_id_marker or None,
        )
