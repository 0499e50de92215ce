"""The production Backend: S3 semantics over the metadata service and the OSDs.

Small objects (up to ``inline_object_bytes_max``) live inside their metadata record: one meta RPC
per PUT or GET, made durable by meta's group commit. Larger bodies are erasure-coded stripe by
stripe (``storage.writer``) and the record is committed only after every surviving fragment
stream reports durability; a failed PUT deletes what it wrote, and fragments of replaced or
deleted objects are deleted in the background (anything missed is found later by GC through
meta's FindUnreferenced). Reads go through ``storage.reader`` (``storage.parts`` for multipart
objects, whose record references the layouts of their parts). The multipart operations live in
``cluster_multipart``, which writes each part with :meth:`ClusterBackend.write_erasure_coded`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from objectio.common.config import load_config
from objectio.common.placement import PlacementError, place
from objectio.common.pools import PoolSpec
from objectio.common.shardkey import new_object_id
from objectio.gateway.backend import (
    AccessKey,
    Backend,
    BackendError,
    BucketAlreadyExists,
    BucketInfo,
    BucketNotEmpty,
    BucketNotFound,
    DeleteMarker,
    DeleteResult,
    DigestMismatch,
    IncompleteBody,
    InsufficientStorage,
    ListEntry,
    ListResult,
    NoSuchVersion,
    ObjectInfo,
    ObjectNotFound,
    PreconditionFailed,
    PutRequest,
    ServiceUnavailable,
    VersionListing,
)
from objectio.gateway.cluster_multipart import ClusterMultipart
from objectio.gateway.config import GatewayConfig
from objectio.gateway.storage import descriptor
from objectio.gateway.storage.batcher import OsdBatcher
from objectio.gateway.storage.cluster_map import ClusterView
from objectio.gateway.storage.config import DataPathConfig
from objectio.gateway.storage.descriptor import DescriptorLost
from objectio.gateway.storage.parts import stream_parts
from objectio.gateway.storage.reader import StripeReader, StripeUnreadable
from objectio.gateway.storage.writer import (
    QuorumLost,
    StripeWriter,
    hash_and_encode,
    read_exactly,
    read_stripe,
    write_one_stripe,
)
from objectio.meta.client import (
    MetaAlreadyExists,
    MetaClient,
    MetaError,
    MetaNotFound,
    MetaPreconditionFailed,
    MetaUnavailable,
)
from objectio.protos import meta_pb2, osd_pb2

log = logging.getLogger("objectio.gateway.backend")

RECORD_FORMAT_VERSION = 1
DEGRADED_REPORTS_INFLIGHT_MAX = 64  # background tasks (reports and deletes) beyond which reports are skipped


def _info(record: meta_pb2.ObjectRecord) -> ObjectInfo:
    return ObjectInfo(
        bucket=record.bucket,
        key=record.key,
        size=record.size,
        etag=record.etag,
        last_modified=record.mtime_ns / 1e9,
        content_type=record.content_type or "binary/octet-stream",
        user_meta=dict(record.user_meta),
        headers=dict(record.headers),
        version_id=record.version_id or None,
        part_sizes=tuple(part.size for part in record.parts),
        part_checksums=tuple(dict(part.headers) for part in record.parts),
        tags=dict(record.tags),
        delete_marker=record.delete_marker,
        owner=record.owner,
        acl=record.acl,
    )


@dataclass(frozen=True)
class WrittenBody:
    """A body made durable as erasure-coded stripes under ``object_id``."""

    object_id: bytes
    size: int
    md5: bytes
    stripes: list[meta_pb2.StripePlacement]
    osd_ids: list[int]  # the placement chosen (every OSD that may hold a fragment)


Describe = Callable[[bytes, int, bytes, list[int]], Awaitable[None]]


def _bucket_pb(bucket: BucketInfo) -> meta_pb2.Bucket:
    return meta_pb2.Bucket(
        name=bucket.name, owner=bucket.owner, pool=bucket.pool, created_ms=int(bucket.created * 1000)
    )


def _bucket_info(bucket: meta_pb2.Bucket) -> BucketInfo:
    return BucketInfo(
        name=bucket.name,
        owner=bucket.owner,
        created=bucket.created_ms / 1000,
        pool=bucket.pool,
        settings=dict(bucket.settings),
    )


class ClusterBackend:
    def __init__(self, meta: MetaClient, view: ClusterView, config: DataPathConfig) -> None:
        self.meta = meta
        self.view = view
        self.config = config
        self._keys: dict[str, tuple[float, AccessKey | None]] = {}
        self._buckets: dict[str, tuple[float, BucketInfo]] = {}
        self._deletes = asyncio.Semaphore(config.background_deletes_max)
        self._background: set[asyncio.Task[None]] = set()
        self.batcher = OsdBatcher(
            view.stub,
            config.cluster_token,
            config.osd_call_timeout_seconds,
            writes_in_flight_max=config.osd_batch_writes_in_flight_max,
            reads_in_flight_max=config.osd_batch_reads_in_flight_max,
        )
        self.multipart = ClusterMultipart(self)
        # MultipartBackend: the multipart operations live in cluster_multipart.
        self.create_multipart_upload = self.multipart.create_multipart_upload
        self.upload_part = self.multipart.upload_part
        self.complete_multipart_upload = self.multipart.complete_multipart_upload
        self.abort_multipart_upload = self.multipart.abort_multipart_upload
        self.list_parts = self.multipart.list_parts
        self.list_multipart_uploads = self.multipart.list_multipart_uploads

    # ---- users and buckets -----------------------------------------------------------------------

    async def lookup_key(self, access_key: str) -> AccessKey | None:
        now = time.monotonic()
        cached = self._keys.get(access_key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            pb = await self.meta.lookup_access_key(access_key)
            key: AccessKey | None = AccessKey(pb.access_key, pb.secret_key, pb.user, pb.is_admin)
        except MetaNotFound:
            key = None
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        if len(self._keys) > 10_000:
            self._keys.clear()
        self._keys[access_key] = (now + self.config.access_key_cache_seconds, key)
        return key

    async def create_bucket(
        self, name: str, owner: str, pool: str | None = None, settings: dict[str, bytes] | None = None
    ) -> BucketInfo:
        try:
            bucket = await self.meta.create_bucket(name, owner, pool or "", settings)
        except MetaAlreadyExists as exc:
            raise BucketAlreadyExists(f"bucket {name} exists", owned_by_you=exc.owned_by_you) from exc
        except MetaNotFound as exc:
            raise ServiceUnavailable(f"pool {pool!r} does not exist") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        info = _bucket_info(bucket)
        self._buckets[name] = (time.monotonic() + self.config.bucket_cache_seconds, info)
        return info

    async def put_bucket_setting(self, name: str, setting: str, value: bytes | None) -> BucketInfo:
        self._buckets.pop(name, None)
        try:
            bucket = await self.meta.put_bucket_setting(name, setting, value)
        except MetaNotFound as exc:
            raise BucketNotFound(f"bucket {name}") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        info = _bucket_info(bucket)
        self._buckets[name] = (time.monotonic() + self.config.bucket_cache_seconds, info)
        return info

    async def delete_bucket(self, name: str) -> None:
        self._buckets.pop(name, None)
        try:
            await self.meta.delete_bucket(name)
        except MetaNotFound as exc:
            raise BucketNotFound(f"bucket {name}") from exc
        except MetaPreconditionFailed as exc:
            raise BucketNotEmpty(f"bucket {name} is not empty") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc

    async def head_bucket(self, name: str, *, fresh: bool = False) -> BucketInfo:
        now = time.monotonic()
        cached = self._buckets.get(name)
        if cached is not None and cached[0] > now and not fresh:
            return cached[1]
        try:
            info = _bucket_info(await self.meta.get_bucket(name))
        except MetaNotFound as exc:
            self._buckets.pop(name, None)
            raise BucketNotFound(f"bucket {name}") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        if len(self._buckets) > 10_000:
            self._buckets.clear()
        self._buckets[name] = (now + self.config.bucket_cache_seconds, info)
        return info

    async def list_buckets(self, owner: str) -> list[BucketInfo]:
        try:
            reply = await self.meta.list_buckets(owner)
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        return [_bucket_info(b) for b in reply.buckets]

    @staticmethod
    def object_info(record: meta_pb2.ObjectRecord) -> ObjectInfo:
        return _info(record)

    # ---- objects ---------------------------------------------------------------------------------

    def _record(self, request: PutRequest, size: int, etag: str) -> meta_pb2.ObjectRecord:
        return meta_pb2.ObjectRecord(
            format_version=RECORD_FORMAT_VERSION,
            bucket=request.bucket,
            key=request.key,
            size=size,
            etag=etag,
            content_type=request.content_type,
            user_meta=request.user_meta,
            headers=request.headers,
            mtime_ns=time.time_ns(),
            tags=request.tags,
            owner=request.owner,
            acl=request.acl,
        )

    async def put_object(self, request: PutRequest) -> ObjectInfo:
        bucket = await self.head_bucket(request.bucket)
        body = request.body
        pending: list[bytes] = []
        head = bytearray()
        inline_max = self.config.inline_object_bytes_max
        more = await read_exactly(body, head, inline_max + 1, pending)
        if not more:
            data = bytes(head)
            digest = hashlib.md5(data, usedforsecurity=False).digest()
            self._check_body(request, len(data), digest)
            record = self._record(request, len(data), digest.hex())
            record.is_inline = True
            record.inline_data = data
            record.pool = bucket.pool
            if not self.config.object_descriptors:
                return await self._commit(request, record)
            record.object_id = new_object_id()  # names the descriptor copies
            return await self._commit_described(request, record, bucket, [])
        return await self._put_erasure_coded(request, bucket, head, pending)

    def _check_body(self, request: PutRequest, size: int, digest: bytes) -> None:
        if request.content_length is not None and size != request.content_length:
            raise IncompleteBody(f"received {size} of {request.content_length} bytes")
        if request.expected_md5 is not None and digest != request.expected_md5:
            raise DigestMismatch(f"Content-MD5 {request.expected_md5.hex()} != body MD5 {digest.hex()}")

    async def _pool(self, name: str) -> PoolSpec:
        try:
            return self.view.pool(name)
        except KeyError:
            await self.view.refresh()
            return self.view.pool(name)

    async def _put_erasure_coded(
        self, request: PutRequest, bucket: BucketInfo, head: bytearray, pending: list[bytes]
    ) -> ObjectInfo:
        pool = await self._pool(bucket.pool)
        shard_meta = osd_pb2.ShardMeta(  # identity only: the rest goes into the descriptor
            format_version=RECORD_FORMAT_VERSION,
            bucket=request.bucket,
            key=request.key,
            pool=pool.name,
            mtime_ns=time.time_ns(),
            object_size=request.content_length or 0,
        )

        def record_of(
            object_id: bytes, size: int, md5: bytes, stripes: list[meta_pb2.StripePlacement]
        ) -> meta_pb2.ObjectRecord:
            record = self._record(request, size, md5.hex())
            record.mtime_ns = shard_meta.mtime_ns
            record.object_id = object_id
            record.pool = pool.name
            record.stripes.extend(stripes)
            return record

        described: list[int] = []

        async def describe(object_id: bytes, size: int, md5: bytes, osd_ids: list[int]) -> None:
            """A one-stripe body: its descriptor copies ride in the fragments' batches (no extra RPC)."""
            stripes = [meta_pb2.StripePlacement(osd_ids=osd_ids, length=size)]
            record = record_of(object_id, size, md5, stripes)
            copies_on = descriptor.choose_osds(pool, object_id, osd_ids, [], self.config.descriptor_copies)
            record.descriptor_osd_ids[:] = copies_on
            described.extend(await descriptor.write(self.batcher, copies_on, record, _bucket_pb(bucket)))

        written = await self.write_erasure_coded(
            pool,
            request.body,
            head,
            pending,
            shard_meta,
            lambda size, md5: self._check_body(request, size, md5),
            describe if self.config.object_descriptors else None,
        )
        record = record_of(written.object_id, written.size, written.md5, written.stripes)
        if described:
            record.descriptor_osd_ids[:] = described
        if described or not self.config.object_descriptors:
            return await self._commit_fragments(request, record, written.object_id, written.osd_ids)
        return await self._commit_described(request, record, bucket, written.osd_ids)

    async def write_erasure_coded(
        self,
        pool: PoolSpec,
        body: AsyncIterator[bytes],
        head: bytearray,
        pending: list[bytes],
        shard_meta: osd_pb2.ShardMeta,
        check: Callable[[int, bytes], None],
        describe: Describe | None = None,
    ) -> WrittenBody:
        """Erasure-code ``head`` + ``pending`` + the rest of ``body`` under a new object id, and
        wait until it is durable. ``check(size, md5)`` runs before durability is awaited; if it (or
        anything else) raises, what was written is deleted in the background. A body of one stripe
        runs ``describe(object_id, size, md5, osd_ids)`` concurrently with its fragment writes."""
        object_id = new_object_id()
        usable = self.view.candidates()
        if len(usable) < pool.fragments and self.view.full_count():
            # Stacking fragments on the OSDs that still have room would trade durability for
            # space; the cluster is full for this pool instead.
            raise InsufficientStorage(
                f"{self.view.full_count()} OSDs are full; {len(usable)} left for {pool.fragments} fragments"
            )
        try:
            osd_ids = place(object_id, pool.fragments, usable)
        except PlacementError as exc:
            raise InsufficientStorage(f"no OSD can take new data: {exc}") from exc
        size_hint = shard_meta.object_size
        shard_meta.stripe_count = pool.stripe_count(size_hint)
        pending.append(bytes(head))  # the bytes read so far come first
        data, more = await read_stripe(body, pool.stripe_data_bytes, pending)
        md5 = hashlib.md5(usedforsecurity=False)
        if not more:
            fragments = await hash_and_encode(pool, data, md5)
            digest = md5.digest()
            check(len(data), digest)
            return await self._write_one_stripe(
                pool, object_id, osd_ids, len(data), fragments, digest, shard_meta, describe
            )
        writer = StripeWriter(
            pool=pool,
            object_id=object_id,
            osd_ids=osd_ids,
            stubs={osd_id: self.view.stub(osd_id) for osd_id in set(osd_ids)},
            meta=shard_meta,
            token=self.config.cluster_token,
            timeout_seconds=self.config.osd_call_timeout_seconds,
        )
        lengths: list[int] = []
        try:
            await writer.open()
            # Two stripes at most: stripe i is hashed, encoded and sent while stripe i+1 is read.
            sending: asyncio.Task[None] | None = None
            while data:
                if sending is not None:
                    await sending  # also orders the MD5 updates
                sending = asyncio.create_task(writer.write_stripe(len(lengths), data, md5))
                lengths.append(len(data))
                if not more:
                    break
                data, more = await read_stripe(body, pool.stripe_data_bytes, pending)
            if sending is not None:
                await sending
            size = sum(lengths)
            digest = md5.digest()
            check(size, digest)
            final_ids = await writer.finish()
        except QuorumLost as exc:
            writer.abort()
            self._delete_fragments_later(object_id, set(osd_ids))
            raise _quorum_lost(shard_meta, exc) from exc
        except BaseException:
            writer.abort()
            self._delete_fragments_later(object_id, set(osd_ids))
            raise
        stripes = [meta_pb2.StripePlacement(osd_ids=final_ids, length=n) for n in lengths]
        return WrittenBody(object_id, size, digest, stripes, osd_ids)

    async def _write_one_stripe(
        self,
        pool: PoolSpec,
        object_id: bytes,
        osd_ids: list[int],
        size: int,
        fragments: list[bytes],
        digest: bytes,
        shard_meta: osd_pb2.ShardMeta,
        describe: Describe | None,
    ) -> WrittenBody:
        """A body that fits one stripe: fragments (and descriptor copies) go out through the
        per-OSD batcher."""
        shard_meta.object_size = size
        shard_meta.stripe_count = 1
        shard_meta.etag = digest.hex()
        written = write_one_stripe(
            self.batcher,
            pool=pool,
            object_id=object_id,
            osd_ids=osd_ids,
            fragments=fragments,
            stripe_length=size,
            meta=shard_meta,
        )
        try:
            if describe is None:
                final_ids = await written
            else:
                final_ids, _ = await asyncio.gather(written, describe(object_id, size, digest, osd_ids))
        except (QuorumLost, DescriptorLost) as exc:
            self._delete_fragments_later(object_id, set(osd_ids))
            raise _quorum_lost(shard_meta, exc) from exc
        stripes = [meta_pb2.StripePlacement(osd_ids=final_ids, length=size)]
        return WrittenBody(object_id, size, digest, stripes, osd_ids)

    async def _commit_fragments(
        self, request: PutRequest, record: meta_pb2.ObjectRecord, object_id: bytes, osd_ids: list[int]
    ) -> ObjectInfo:
        try:
            return await self._commit(request, record)
        except (PreconditionFailed, BucketNotFound):
            # Meta definitely refused the record: its fragments are garbage now.
            self._delete_fragments_later(object_id, set(osd_ids))
            raise
        # Any other failure (meta unreachable, timeout, cancellation) leaves it unknown whether the
        # record was committed before the answer was lost: the fragments stay, and the OSDs'
        # orphan collector reclaims them only once meta confirms no record points to them.

    async def _commit_described(
        self, request: PutRequest, record: meta_pb2.ObjectRecord, bucket: BucketInfo, fragment_osds: list[int]
    ) -> ObjectInfo:
        """Commit the record and write its descriptor copies concurrently; acknowledged when both
        are durable. A commit meta refused leaves garbage (fragments, copies) deleted here."""
        pool = await self._pool(record.pool)
        copies_on = descriptor.choose_osds(
            pool, record.object_id, fragment_osds, self.view.candidates(), self.config.descriptor_copies
        )
        if not copies_on:
            raise InsufficientStorage(f"PUT {record.bucket}/{record.key}: no OSD can take its descriptor")
        record.descriptor_osd_ids[:] = copies_on
        garbage = {*fragment_osds, *copies_on} - {0}
        bucket_pb = _bucket_pb(bucket)
        described, committed = await asyncio.gather(
            descriptor.write(self.batcher, copies_on, record, bucket_pb),
            self._commit_fragments(request, record, record.object_id, sorted(garbage)),
            return_exceptions=True,
        )
        if isinstance(committed, BaseException):
            raise committed  # a refused commit had its fragments and copies deleted
        if isinstance(described, BaseException):
            # The record is committed but no copy is durable: a rebuild could not find the object.
            # The client sees 503 and retries, which writes a described version.
            raise ServiceUnavailable(f"PUT {record.bucket}/{record.key}: {described}") from described
        return committed

    async def _commit(self, request: PutRequest, record: meta_pb2.ObjectRecord) -> ObjectInfo:
        try:
            reply = await self.meta.put_object(record, if_none_match=request.if_none_match_star)
        except MetaPreconditionFailed as exc:
            raise PreconditionFailed(f"{request.bucket}/{request.key} exists") from exc
        except MetaNotFound as exc:
            self._buckets.pop(request.bucket, None)
            raise BucketNotFound(f"bucket {request.bucket}") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        if reply.has_replaced:
            self._forget_record(reply.replaced)
        record.version_id = reply.version_id  # assigned by meta in the transaction of the put
        return _info(record)

    async def _get_record(self, bucket: str, key: str, version_id: str | None = None) -> meta_pb2.ObjectRecord:
        try:
            record = await self.meta.get_object(bucket, key, version_id or "")
        except MetaNotFound as exc:
            if exc.what == "bucket":
                self._buckets.pop(bucket, None)
                raise BucketNotFound(f"bucket {bucket}") from exc
            if exc.what == "version":
                raise NoSuchVersion(f"{bucket}/{key} version {version_id}") from exc
            raise ObjectNotFound(f"{bucket}/{key}") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        if record.delete_marker:
            raise DeleteMarker(
                f"{bucket}/{key}: delete marker",
                version_id=record.version_id or "null",
                last_modified=record.mtime_ns / 1e9,
                by_version=version_id is not None,
            )
        return record

    async def head_object(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        return _info(await self._get_record(bucket, key, version_id))

    async def get_object(
        self, bucket: str, key: str, byte_range: tuple[int, int] | None = None, version_id: str | None = None
    ) -> tuple[ObjectInfo, AsyncIterator[bytes]]:
        record = await self._get_record(bucket, key, version_id)
        info = _info(record)
        first, last = byte_range if byte_range is not None else (0, record.size - 1)
        if record.is_inline or record.size == 0:
            return info, _single(record.inline_data[first : last + 1])
        pool = await self._pool(record.pool)

        def reader_for(one: meta_pb2.ObjectRecord) -> StripeReader:
            return StripeReader(
                pool=pool,
                record=one,
                stubs=self.view.stub,
                batcher=self.batcher,
                token=self.config.cluster_token,
                timeout_seconds=self.config.osd_call_timeout_seconds,
                on_degraded=lambda stripe, failed: self._report_degraded(one, stripe, failed),
            )

        if record.parts:
            stream = stream_parts(record, first, last, reader_for)
        else:
            stream = reader_for(record).stream(first, last)
        try:
            head = await anext(stream)  # fail with 503 before any header is sent
        except StripeUnreadable as exc:
            raise ServiceUnavailable(str(exc)) from exc
        return info, _prepend(head, stream)

    async def delete_object(self, bucket: str, key: str, version_id: str | None = None) -> DeleteResult:
        try:
            reply = await self.meta.delete_object(bucket, key, version_id or "")
        except MetaNotFound as exc:
            self._buckets.pop(bucket, None)
            raise BucketNotFound(f"bucket {bucket}") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        if reply.existed:
            self._forget_record(reply.deleted)
        if version_id is None and not reply.delete_marker:
            return DeleteResult()  # a never-versioned bucket
        return DeleteResult(reply.version_id or "null", reply.delete_marker)

    async def list_object_versions(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> VersionListing:
        request = meta_pb2.ListObjectVersionsRequest(
            bucket=bucket, prefix=prefix, delimiter=delimiter, key_marker=key_marker,
            version_id_marker=version_id_marker, max_keys=max_keys,
        )  # fmt: skip
        try:
            reply = await self.meta.list_object_versions(request)
        except MetaNotFound as exc:
            raise BucketNotFound(f"bucket {bucket}") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        listed = [
            dataclasses.replace(_info(v.record), version_id=v.record.version_id or "null", is_latest=v.is_latest)
            for v in reply.versions
        ]
        return VersionListing(
            versions=listed,
            common_prefixes=list(reply.common_prefixes),
            is_truncated=reply.is_truncated,
            next_key_marker=reply.next_key_marker or None,
            next_version_id_marker=reply.next_version_id_marker or None,
        )

    async def put_object_tagging(
        self, bucket: str, key: str, version_id: str | None, tags: dict[str, str]
    ) -> str | None:
        try:
            reply = await self.meta.put_object_tags(bucket, key, version_id or "", tags)
        except MetaNotFound as exc:
            if exc.what == "bucket":
                raise BucketNotFound(f"bucket {bucket}") from exc
            if exc.what == "version":
                raise NoSuchVersion(f"{bucket}/{key} version {version_id}") from exc
            raise ObjectNotFound(f"{bucket}/{key}") from exc
        except MetaPreconditionFailed as exc:  # a delete marker has no tags
            raise DeleteMarker(
                f"{bucket}/{key}", version_id=version_id or "", last_modified=0.0, by_version=True
            ) from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        return reply.version_id or None

    async def put_object_acl(self, bucket: str, key: str, acl: bytes) -> ObjectInfo:
        record = await self._get_record(bucket, key)
        request = meta_pb2.SetObjectAclRequest(
            bucket=bucket, key=key, object_id=record.object_id, mtime_ns=record.mtime_ns, acl=acl
        )
        try:
            return _info(await self.meta.set_object_acl(request))
        except MetaNotFound as exc:
            await self.head_bucket(bucket)
            raise ObjectNotFound(f"{bucket}/{key}") from exc
        except MetaPreconditionFailed as exc:
            raise PreconditionFailed(f"{bucket}/{key} was replaced while its ACL was being set") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc

    async def list_objects(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", start_after: str = "", max_keys: int = 1000
    ) -> ListResult:
        try:
            reply = await self.meta.list_objects(bucket, prefix, delimiter, start_after, max_keys)
        except MetaNotFound as exc:
            raise BucketNotFound(f"bucket {bucket}") from exc
        except MetaError as exc:
            raise ServiceUnavailable(f"metadata service: {exc}") from exc
        return ListResult(
            objects=list(
                map(
                    ListEntry._make,
                    zip(reply.keys, reply.sizes, reply.etags, [t / 1e9 for t in reply.mtimes_ns], strict=True),
                )
            ),
            common_prefixes=list(reply.common_prefixes),
            is_truncated=reply.is_truncated,
            next_marker=reply.next_marker or None,
        )

    async def ready(self) -> bool:
        try:
            await self.view.refresh()
        except MetaError:
            return False
        default = self.view.pools.get(self.view.map.default_pool)
        needed = default.write_quorum if default is not None else 1
        return self.view.up_count() >= needed

    # ---- read-repair -----------------------------------------------------------------------------

    def _report_degraded(self, record: meta_pb2.ObjectRecord, stripe_index: int, failed: list[int]) -> None:
        """Tell meta a stripe had to be decoded (fire and forget; skipped when many are in flight)."""
        if len(self._background) >= DEGRADED_REPORTS_INFLIGHT_MAX:
            return
        request = meta_pb2.ReportDegradedStripeRequest(
            bucket=record.bucket,
            key=record.key,
            object_id=record.object_id,
            stripe_index=stripe_index,
            failed_fragments=failed,
        )

        async def report() -> None:
            try:
                await self.meta.report_degraded_stripe(request)
            except MetaError as exc:
                log.debug("degraded-read report not delivered: %s", exc)

        task = asyncio.create_task(report())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- garbage ---------------------------------------------------------------------------------

    def _forget_record(self, record: meta_pb2.ObjectRecord) -> None:
        for part in record.parts:  # a multipart object: its parts hold the fragments
            if part.object_id:
                osds = {osd_id for stripe in part.stripes for osd_id in stripe.osd_ids if osd_id}
                self._delete_fragments_later(part.object_id, osds)
        if not record.object_id:
            return
        osds = {osd_id for stripe in record.stripes for osd_id in stripe.osd_ids if osd_id}
        osds.update(osd_id for osd_id in record.descriptor_osd_ids if osd_id)
        if osds:
            self._delete_fragments_later(record.object_id, osds)

    def _delete_fragments_later(self, object_id: bytes, osd_ids: set[int]) -> None:
        task = asyncio.create_task(self._delete_fragments(object_id, osd_ids))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _delete_fragments(self, object_id: bytes, osd_ids: set[int]) -> None:
        """Delete the object's records on every OSD at once (batched with other deletes per OSD)."""

        async def one(osd_id: int) -> None:
            try:
                await self.batcher.delete_object(osd_id, object_id)
            except Exception as exc:  # left for GC to find through FindUnreferenced
                log.info("deferred fragment delete on osd %d: %s", osd_id, exc)

        async with self._deletes:
            await asyncio.gather(*(one(osd_id) for osd_id in osd_ids if self.view.stub(osd_id) is not None))

    async def close(self) -> None:
        if self._background:
            await asyncio.wait(self._background, timeout=5)
        await self.view.close()
        await self.meta.close()


async def _single(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _prepend(head: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield head
    try:
        async for chunk in rest:
            yield chunk
    except StripeUnreadable as exc:
        log.error("GET aborted mid-body: %s", exc)
        raise


async def create_backend(config: GatewayConfig) -> Backend:
    data_config = load_config(DataPathConfig, "datapath")
    ca_file = data_config.grpc_tls_ca_file
    meta = await MetaClient.connect(config.meta_address, data_config.cluster_token, tls_ca_file=ca_file)
    view = ClusterView(meta.get_cluster_map, tls_ca_file=ca_file)
    for attempt in range(100):
        try:
            await view.refresh()
            break
        except MetaUnavailable:
            if attempt == 99:
                raise
            await asyncio.sleep(0.2)
    view.start_following(meta.watch_cluster_map)  # type: ignore[arg-type]
    return ClusterBackend(meta, view, data_config)


async def close_backend(backend: Backend) -> None:
    if isinstance(backend, ClusterBackend):
        await backend.close()


def _quorum_lost(shard_meta: osd_pb2.ShardMeta, exc: QuorumLost | DescriptorLost) -> BackendError:
    """507 when OSDs ran out of space, 503 (retry later) for every other lost write quorum."""
    what = f"PUT {shard_meta.bucket}/{shard_meta.key}: {exc}"
    out_of_space = isinstance(exc, QuorumLost) and exc.out_of_space
    return InsufficientStorage(what) if out_of_space else ServiceUnavailable(what)
