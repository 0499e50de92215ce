"""MetaService: the gRPC servicer of ``meta.proto``.

Each RPC validates its request, calls the store, keeps the live cluster map current, and returns
the reply. Errors are domain exceptions (:mod:`objectio.meta.errors`) turned into gRPC status
codes in exactly one place, :func:`_status_of`; details that clients need to tell cases apart
travel as trailing metadata (which thing was not found; whether an existing bucket is the
caller's).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import grpc
from grpc import aio

from objectio.common.logs import log_fields
from objectio.common.pools import PoolError, PoolSpec
from objectio.meta import names, scrub_relay, versions
from objectio.meta.cluster import ClusterState
from objectio.meta.config import MetaConfig
from objectio.meta.errors import (
    NOT_FOUND_METADATA_KEY,
    OWNED_BY_YOU_METADATA_KEY,
    AlreadyExists,
    CorruptRecord,
    InvalidArgument,
    MetaStoreError,
    NotFound,
    Overloaded,
    PreconditionFailed,
    Unavailable,
)
from objectio.meta.repair import RepairManager
from objectio.meta.sqlite_schema import RECORD_FORMAT_VERSION
from objectio.meta.store import MetaStore, OsdHeartbeat
from objectio.protos import meta_pb2 as pb
from objectio.protos import meta_pb2_grpc

log = logging.getLogger("objectio.meta.service")
Req = TypeVar("Req")
Rep = TypeVar("Rep")
Context = aio.ServicerContext[Any, Any]
OBJECT_ID_BYTES = 16
PART_NUMBER_MAX = 10_000  # S3's part numbers are 1..10000
UPLOAD_ID_CHARS_MAX = 128  # ours are 32 hex digits; a longer one cannot exist
DELIMITER_BYTES_MAX = 64
VERSION_ID_CHARS_MAX = 64  # echoed in errors at most this long
TAGS_PER_OBJECT_MAX = 10  # S3's limits on object tags
TAG_KEY_CHARS_MAX = 128
TAG_VALUE_CHARS_MAX = 256
IMPORT_BATCH_ITEMS = 500  # items of an Import stored in one transaction

_CODES: list[tuple[type[MetaStoreError], grpc.StatusCode]] = [
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (PreconditionFailed, grpc.StatusCode.FAILED_PRECONDITION),
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (Overloaded, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (Unavailable, grpc.StatusCode.UNAVAILABLE),
    (CorruptRecord, grpc.StatusCode.DATA_LOSS),
]


def _status_of(exc: MetaStoreError) -> tuple[grpc.StatusCode, tuple[tuple[str, str], ...]]:
    code = next((c for cls, c in _CODES if isinstance(exc, cls)), grpc.StatusCode.INTERNAL)
    trailing: tuple[tuple[str, str], ...] = ()
    if isinstance(exc, NotFound):
        trailing = ((NOT_FOUND_METADATA_KEY, exc.what),)
    elif isinstance(exc, AlreadyExists) and exc.owned_by_you is not None:
        trailing = ((OWNED_BY_YOU_METADATA_KEY, "1" if exc.owned_by_you else "0"),)
    return code, trailing


def rpc(
    handler: Callable[[MetaService, Req, Context], Awaitable[Rep]],
) -> Callable[[MetaService, Req, Context], Awaitable[Rep]]:
    """Turn the domain errors of one unary RPC into its gRPC status (the only such place)."""

    @functools.wraps(handler)
    async def wrapper(self: MetaService, request: Req, context: Context) -> Rep:
        try:
            return await handler(self, request, context)
        except MetaStoreError as exc:
            code, trailing = _status_of(exc)
            if code in (grpc.StatusCode.DATA_LOSS, grpc.StatusCode.UNAVAILABLE):
                log.error("%s failed: %s", handler.__name__, exc)
            await context.abort(code, str(exc), trailing)
        except aio.AbortError:
            raise
        except Exception:
            log.exception("%s failed unexpectedly", handler.__name__)
            await context.abort(grpc.StatusCode.INTERNAL, f"{handler.__name__}: internal error (see the meta log)")

    return wrapper


def _now_ms() -> int:
    return int(time.time() * 1000)


class MetaService(meta_pb2_grpc.MetaServiceServicer):
    def __init__(
        self, config: MetaConfig, store: MetaStore, state: ClusterState, repair: RepairManager | None = None
    ) -> None:
        self._config = config
        self._store = store
        self._state = state
        self._repair_manager = repair

    # ---- cluster map ----------------------------------------------------------------------------

    @rpc
    async def RegisterOsd(self, request: pb.RegisterOsdRequest, context: Context) -> pb.RegisterOsdReply:
        if not request.address:
            raise InvalidArgument("an OSD registers with the address of its OsdService")
        osd, cmap = await self._store.register_osd(request, _now_ms(), self._config.osd_full_ratio)
        self._state.publish(cmap)
        self._state.heard_from(osd)
        log.info(
            "osd registered",
            extra=log_fields(osd_id=osd.id, address=osd.address, disk=osd.disk, epoch=self._state.map.epoch),
        )
        return pb.RegisterOsdReply(
            osd_id=osd.id, cluster_id=cmap.cluster_id, heartbeat_interval_ms=self._config.heartbeat_interval_ms
        )

    @rpc
    async def Heartbeat(self, request: pb.HeartbeatRequest, context: Context) -> pb.HeartbeatReply:
        beat = OsdHeartbeat(
            request.osd_id, request.capacity_bytes, request.used_bytes, _now_ms(), self._config.osd_full_ratio
        )
        was_full = any(o.full for o in self._state.map.osds if o.id == request.osd_id)
        osd, cmap = await self._store.heartbeat(beat)
        if cmap is not None:
            if osd.full != was_full:
                log.warning(
                    "osd full" if osd.full else "osd no longer full",
                    extra=log_fields(osd_id=osd.id, used_bytes=osd.used_bytes, capacity_bytes=osd.capacity_bytes),
                )
            else:
                log.info("osd back up", extra=log_fields(osd_id=osd.id, epoch=cmap.epoch))
            self._state.publish(cmap)
        self._state.heard_from(osd)
        return pb.HeartbeatReply(epoch=self._state.map.epoch)

    @rpc
    async def GetClusterMap(self, request: pb.GetClusterMapRequest, context: Context) -> pb.ClusterMap:
        return self._state.map

    async def WatchClusterMap(self, request: pb.GetClusterMapRequest, context: Context) -> AsyncIterator[pb.ClusterMap]:
        known = request.known_epoch
        while (cmap := await self._state.newer_than(known)) is not None:
            yield cmap
            known = cmap.epoch

    @rpc
    async def SetOsdState(self, request: pb.SetOsdStateRequest, context: Context) -> pb.ClusterMap:
        if [request.set_in, request.set_out, request.remove].count(True) != 1:
            raise InvalidArgument("exactly one of set_in, set_out, remove")
        if request.remove and await self._store.osd_is_referenced(request.osd_id):
            raise PreconditionFailed(f"osd {request.osd_id} still holds fragments of objects; repair them first")
        if request.check_only:
            if not request.remove:
                raise InvalidArgument("check_only applies to remove")
            current = self._state.map
            osd = next((o for o in current.osds if o.id == request.osd_id), None)
            if osd is None:
                raise NotFound("osd", str(request.osd_id))
            if getattr(osd, "in") != pb.OSD_OUT:
                raise PreconditionFailed(f"osd {request.osd_id} must be marked out before it is removed")
            return current
        cmap = await self._store.set_osd_state(
            request.osd_id, set_in=request.set_in, set_out=request.set_out, remove=request.remove
        )
        log.info("osd state changed", extra=log_fields(osd_id=request.osd_id, epoch=cmap.epoch))
        self._state.publish(cmap)
        return cmap

    @rpc
    async def CreatePool(self, request: pb.Pool, context: Context) -> pb.Pool:
        try:
            pool = PoolSpec.from_proto(request).to_proto()
        except PoolError as exc:
            raise InvalidArgument(str(exc)) from None
        self._state.publish(await self._store.create_pool(pool))
        log.info("pool created", extra=log_fields(pool=pool.name, k=pool.k, m=pool.m))
        return pool

    # ---- buckets --------------------------------------------------------------------------------

    @rpc
    async def CreateBucket(self, request: pb.CreateBucketRequest, context: Context) -> pb.Bucket:
        names.check_bucket_name(request.name)
        if not request.owner:
            raise InvalidArgument("a bucket needs an owner")
        names.check_bucket_settings(dict(request.settings), self._config.bucket_setting_bytes_max)
        bucket = pb.Bucket(name=request.name, owner=request.owner, pool=request.pool, created_ms=_now_ms())
        bucket.settings.update(request.settings)
        try:
            return await self._store.create_bucket(bucket)
        except AlreadyExists as exc:
            raise AlreadyExists(
                "bucket", request.name, owner=exc.owner, owned_by_you=exc.owner == request.owner
            ) from None

    @rpc
    async def DeleteBucket(self, request: pb.BucketName, context: Context) -> pb.Empty:
        await self._store.delete_bucket(request.name)
        return pb.Empty()

    @rpc
    async def GetBucket(self, request: pb.BucketName, context: Context) -> pb.Bucket:
        return await self._store.get_bucket(request.name)

    @rpc
    async def ListBuckets(self, request: pb.ListBucketsRequest, context: Context) -> pb.ListBucketsReply:
        return pb.ListBucketsReply(buckets=await self._store.list_buckets(request.owner))

    @rpc
    async def PutBucketSetting(self, request: pb.PutBucketSettingRequest, context: Context) -> pb.Bucket:
        value = None if request.remove else request.value
        names.check_bucket_settings({request.name: value or b""}, self._config.bucket_setting_bytes_max)
        if request.name == versions.VERSIONING_SETTING and value not in versions.VERSIONING_STATES:
            raise InvalidArgument("versioning is Enabled or Suspended; a versioned bucket never becomes unversioned")
        return await self._store.put_bucket_setting(request.bucket, request.name, value)

    # ---- objects --------------------------------------------------------------------------------

    @rpc
    async def PutObject(self, request: pb.PutObjectRequest, context: Context) -> pb.PutObjectReply:
        record = request.record
        self._check_record(record)
        if not record.format_version:
            record.format_version = RECORD_FORMAT_VERSION
        if not record.mtime_ns:
            record.mtime_ns = time.time_ns()
        if record.delete_marker:
            raise InvalidArgument("delete markers are created by DeleteObject, and only there")
        self._check_tags(record.tags)
        return await self._store.put_object(record, request.if_none_match)

    @rpc
    async def SetObjectAcl(self, request: pb.SetObjectAclRequest, context: Context) -> pb.ObjectRecord:
        if len(request.acl) > self._config.bucket_setting_bytes_max:
            raise InvalidArgument(f"object ACL larger than {self._config.bucket_setting_bytes_max} bytes")
        return await self._store.set_object_acl(request)

    def _check_record(self, record: pb.ObjectRecord, *, multipart: bool = False, imported: bool = False) -> None:
        """A record as a client may store it; ``imported``: a version from a backup, which keeps
        its version id and may be a delete marker."""
        config = self._config
        if bool(record.parts) != multipart:
            raise InvalidArgument("parts are committed by CompleteMultipartUpload, and only there")
        if multipart:
            self._check_parts(record.pool, record.parts)
        if not record.bucket or not record.key:
            raise InvalidArgument("an object record names its bucket and key")
        own_id = imported and versions.is_version_id(record.version_id) and record.version_id != versions.NULL_VERSION
        if record.version_id and not own_id:
            raise InvalidArgument("version ids are assigned by the metadata service")
        if len(record.key.encode()) > config.key_bytes_max:
            raise InvalidArgument(f"object key longer than {config.key_bytes_max} bytes")
        if record.format_version not in (0, RECORD_FORMAT_VERSION):
            raise InvalidArgument(f"record format version {record.format_version} is unknown")
        if record.delete_marker:
            if not imported or record.object_id or record.inline_data or record.stripes or record.parts:
                raise InvalidArgument("a delete marker is created by DeleteObject and holds no data")
            return
        if len(record.inline_data) > config.inline_data_bytes_max:
            raise InvalidArgument(f"inline data larger than {config.inline_data_bytes_max} bytes")
        if record.ByteSize() > config.record_bytes_max:
            raise InvalidArgument(f"object record larger than {config.record_bytes_max} bytes")
        if record.is_inline and record.stripes:
            raise InvalidArgument("an inline object has no stripes")
        if not record.is_inline and record.inline_data:
            raise InvalidArgument("inline_data given for an object that is not inline")
        if len(record.object_id) not in ((0, OBJECT_ID_BYTES) if record.is_inline else (OBJECT_ID_BYTES,)):
            raise InvalidArgument(f"object_id must be {OBJECT_ID_BYTES} bytes")
        if record.pool and record.stripes:
            pool = next((p for p in self._state.map.pools if p.name == record.pool), None)
            if pool is None:
                raise InvalidArgument(f"pool {record.pool!r} does not exist")
            if any(len(stripe.osd_ids) != pool.k + pool.m for stripe in record.stripes):
                raise InvalidArgument(f"every stripe of pool {pool.name} places {pool.k + pool.m} fragments")

    def _check_parts(self, pool_name: str, parts: Iterable[pb.PartLayout]) -> None:
        pool = next((p for p in self._state.map.pools if p.name == pool_name), None)
        if pool is None:
            raise InvalidArgument(f"pool {pool_name!r} does not exist")
        for part in parts:
            if not 1 <= part.part_number <= PART_NUMBER_MAX or not part.etag:
                raise InvalidArgument(f"part {part.part_number}: number outside 1..{PART_NUMBER_MAX} or no etag")
            if part.size and len(part.object_id) != OBJECT_ID_BYTES:
                raise InvalidArgument(f"part {part.part_number}: object_id must be {OBJECT_ID_BYTES} bytes")
            if part.size and not part.stripes:
                raise InvalidArgument(f"part {part.part_number}: a part with data has stripes")
            if any(len(stripe.osd_ids) != pool.k + pool.m for stripe in part.stripes):
                raise InvalidArgument(f"every stripe of pool {pool.name} places {pool.k + pool.m} fragments")

    @staticmethod
    def _check_version_id(version_id: str) -> None:
        if version_id and not versions.is_version_id(version_id):
            raise InvalidArgument(f"invalid version id {version_id[:VERSION_ID_CHARS_MAX]!r}")

    @staticmethod
    def _check_tags(tags: Mapping[str, str]) -> None:
        if len(tags) > TAGS_PER_OBJECT_MAX:
            raise InvalidArgument(f"at most {TAGS_PER_OBJECT_MAX} tags per object")
        for key, value in tags.items():
            if not 1 <= len(key) <= TAG_KEY_CHARS_MAX or len(value) > TAG_VALUE_CHARS_MAX:
                raise InvalidArgument(f"tag keys are 1-{TAG_KEY_CHARS_MAX} characters, values <= {TAG_VALUE_CHARS_MAX}")

    @rpc
    async def GetObject(self, request: pb.ObjectName, context: Context) -> pb.ObjectRecord:
        self._check_version_id(request.version_id)
        return await self._store.get_object(request.bucket, request.key, request.version_id)

    @rpc
    async def DeleteObject(self, request: pb.ObjectName, context: Context) -> pb.DeleteObjectReply:
        self._check_version_id(request.version_id)
        return await self._store.delete_object(request.bucket, request.key, request.version_id)

    @rpc
    async def ListObjectVersions(
        self, request: pb.ListObjectVersionsRequest, context: Context
    ) -> pb.ListObjectVersionsReply:
        limit = self._config.key_bytes_max
        if len(request.prefix.encode()) > limit or len(request.key_marker.encode()) > limit:
            raise InvalidArgument(f"prefix and key_marker are keys: at most {limit} bytes")
        if len(request.delimiter.encode()) > DELIMITER_BYTES_MAX:
            raise InvalidArgument(f"delimiter longer than {DELIMITER_BYTES_MAX} bytes")
        self._check_version_id(request.version_id_marker)
        max_keys = min(request.max_keys or self._config.list_keys_max, self._config.list_keys_max)
        return await self._store.list_object_versions(request, max_keys)

    @rpc
    async def PutObjectTags(self, request: pb.PutObjectTagsRequest, context: Context) -> pb.PutObjectTagsReply:
        self._check_version_id(request.name.version_id)
        self._check_tags(request.tags)
        version_id = await self._store.put_object_tags(request.name, dict(request.tags))
        return pb.PutObjectTagsReply(version_id=version_id)

    @rpc
    async def ListObjects(self, request: pb.ListObjectsRequest, context: Context) -> pb.ListObjectsReply:
        limit = self._config.key_bytes_max
        if len(request.prefix.encode()) > limit or len(request.start_after.encode()) > limit:
            raise InvalidArgument(f"prefix and start_after are keys: at most {limit} bytes")
        if len(request.delimiter.encode()) > DELIMITER_BYTES_MAX:
            raise InvalidArgument(f"delimiter longer than {DELIMITER_BYTES_MAX} bytes")
        max_keys = min(request.max_keys or self._config.list_keys_max, self._config.list_keys_max)
        return await self._store.list_objects(
            request.bucket, request.prefix, request.delimiter, request.start_after, max_keys
        )

    @rpc
    async def FindUnreferenced(self, request: pb.FindUnreferencedRequest, context: Context) -> pb.FindUnreferencedReply:
        if len(request.object_ids) > self._config.find_unreferenced_ids_max:
            raise InvalidArgument(f"at most {self._config.find_unreferenced_ids_max} object ids per call")
        return pb.FindUnreferencedReply(object_ids=await self._store.find_unreferenced(list(request.object_ids)))

    # ---- multipart uploads ----------------------------------------------------------------------

    def _check_upload_name(self, name: pb.UploadName) -> None:
        if not name.bucket or not name.key or not name.upload_id:
            raise InvalidArgument("an upload is named by its bucket, key and upload id")
        if len(name.upload_id) > UPLOAD_ID_CHARS_MAX:
            raise NotFound("upload", name.upload_id[:UPLOAD_ID_CHARS_MAX])

    @rpc
    async def CreateMultipartUpload(self, request: pb.MultipartUpload, context: Context) -> pb.MultipartUpload:
        if not request.bucket or not request.key:
            raise InvalidArgument("an upload names its bucket and key")
        if len(request.key.encode()) > self._config.key_bytes_max:
            raise InvalidArgument(f"object key longer than {self._config.key_bytes_max} bytes")
        if request.ByteSize() > self._config.record_bytes_max:
            raise InvalidArgument(f"upload record larger than {self._config.record_bytes_max} bytes")
        upload = pb.MultipartUpload()
        upload.CopyFrom(request)
        upload.initiated_ns = time.time_ns()
        return await self._store.create_upload(upload)

    @rpc
    async def GetMultipartUpload(self, request: pb.UploadName, context: Context) -> pb.MultipartUpload:
        self._check_upload_name(request)
        return await self._store.get_upload(request)

    @rpc
    async def PutPart(self, request: pb.PutPartRequest, context: Context) -> pb.PutPartReply:
        self._check_upload_name(request.upload)
        upload = await self._store.get_upload(request.upload)
        self._check_parts(upload.pool, [request.part])
        if request.part.ByteSize() > self._config.record_bytes_max:
            raise InvalidArgument(f"part record larger than {self._config.record_bytes_max} bytes")
        replaced = await self._store.put_part(request.upload, request.part)
        if replaced is None:
            return pb.PutPartReply()
        return pb.PutPartReply(replaced=replaced, has_replaced=True)

    @rpc
    async def ListParts(self, request: pb.ListPartsRequest, context: Context) -> pb.ListPartsReply:
        self._check_upload_name(request.upload)
        limit = min(request.max_parts or PART_NUMBER_MAX, PART_NUMBER_MAX)
        return await self._store.list_parts(request, limit)

    @rpc
    async def CompleteMultipartUpload(
        self, request: pb.CompleteMultipartUploadRequest, context: Context
    ) -> pb.CompleteMultipartUploadReply:
        self._check_upload_name(request.upload)
        record = request.record
        if (record.bucket, record.key) != (request.upload.bucket, request.upload.key):
            raise InvalidArgument("the completed record names the upload's bucket and key")
        self._check_record(record, multipart=True)
        record.format_version = RECORD_FORMAT_VERSION
        if not record.mtime_ns:
            record.mtime_ns = time.time_ns()
        self._check_tags(record.tags)
        replaced, version_id, discarded = await self._store.complete_upload(request.upload, record)
        reply = pb.CompleteMultipartUploadReply(discarded=discarded, version_id=version_id)
        if replaced is not None:
            reply.replaced.CopyFrom(replaced)
            reply.has_replaced = True
        return reply

    @rpc
    async def AbortMultipartUpload(self, request: pb.UploadName, context: Context) -> pb.AbortMultipartUploadReply:
        self._check_upload_name(request)
        return pb.AbortMultipartUploadReply(parts=await self._store.abort_upload(request))

    @rpc
    async def ListMultipartUploads(
        self, request: pb.ListMultipartUploadsRequest, context: Context
    ) -> pb.ListMultipartUploadsReply:
        limit = self._config.key_bytes_max
        if len(request.prefix.encode()) > limit or len(request.key_marker.encode()) > limit:
            raise InvalidArgument(f"prefix and key_marker are keys: at most {limit} bytes")
        if len(request.delimiter.encode()) > DELIMITER_BYTES_MAX:
            raise InvalidArgument(f"delimiter longer than {DELIMITER_BYTES_MAX} bytes")
        max_uploads = min(request.max_uploads or self._config.list_keys_max, self._config.list_keys_max)
        return await self._store.list_uploads(request, max_uploads)

    # ---- users and access keys ------------------------------------------------------------------

    @rpc
    async def CreateUser(self, request: pb.CreateUserRequest, context: Context) -> pb.User:
        names.check_user_name(request.name)
        user = await self._store.create_user(
            pb.User(name=request.name, is_admin=request.is_admin, created_ms=_now_ms())
        )
        log.info("user created", extra=log_fields(user=user.name, is_admin=user.is_admin))
        return user

    @rpc
    async def DeleteUser(self, request: pb.UserName, context: Context) -> pb.Empty:
        await self._store.delete_user(request.name)
        log.info("user deleted", extra=log_fields(user=request.name))
        return pb.Empty()

    @rpc
    async def ListUsers(self, request: pb.Empty, context: Context) -> pb.ListUsersReply:
        return pb.ListUsersReply(users=await self._store.list_users())

    @rpc
    async def CreateAccessKey(self, request: pb.CreateAccessKeyRequest, context: Context) -> pb.AccessKey:
        access_key = request.access_key or names.new_access_key()
        secret_key = request.secret_key or names.new_secret_key()
        names.check_access_key(access_key)
        names.check_secret_key(secret_key)
        key = pb.AccessKey(access_key=access_key, secret_key=secret_key, user=request.user, created_ms=_now_ms())
        created = await self._store.create_access_key(key)
        log.info("access key created", extra=log_fields(user=created.user, access_key=created.access_key))
        return created

    @rpc
    async def RevokeAccessKey(self, request: pb.AccessKeyId, context: Context) -> pb.Empty:
        await self._store.revoke_access_key(request.access_key)
        log.info("access key revoked", extra=log_fields(access_key=request.access_key))
        return pb.Empty()

    @rpc
    async def ListAccessKeys(self, request: pb.UserName, context: Context) -> pb.ListAccessKeysReply:
        return pb.ListAccessKeysReply(keys=await self._store.list_access_keys(request.name))

    @rpc
    async def LookupAccessKey(self, request: pb.AccessKeyId, context: Context) -> pb.AccessKey:
        return await self._store.lookup_access_key(request.access_key)

    # ---- status ---------------------------------------------------------------------------------

    @rpc
    async def GetStatus(self, request: pb.Empty, context: Context) -> pb.ClusterStatus:
        cmap = self._state.map
        counts = await self._store.counts()
        in_osds = [osd for osd in cmap.osds if getattr(osd, "in") == pb.OSD_IN]
        return pb.ClusterStatus(
            map=cmap,
            bucket_count=counts.bucket_count,
            object_count=counts.object_count,
            degraded_stripes=counts.degraded_stripes,
            capacity_bytes=sum(osd.capacity_bytes for osd in in_osds),
            used_bytes=sum(osd.used_bytes for osd in in_osds),
        )

    # ---- repair and scrub (meta/repair.py, meta/scrub_relay.py) ---------------------------------

    def _repair(self) -> RepairManager:
        if self._repair_manager is None:
            raise Unavailable("this metadata service runs without a repair manager")
        return self._repair_manager

    @rpc
    async def GetRepairStatus(self, request: pb.Empty, context: Context) -> pb.RepairStatus:
        return await self._repair().status()

    @rpc
    async def ReportDegradedStripe(self, request: pb.ReportDegradedStripeRequest, context: Context) -> pb.Empty:
        if len(request.object_id) != OBJECT_ID_BYTES:
            raise InvalidArgument(f"object_id must be {OBJECT_ID_BYTES} bytes")
        await self._repair().report_degraded(request)
        return pb.Empty()

    @rpc
    async def ReportCorruptShards(
        self, request: pb.ReportCorruptShardsRequest, context: Context
    ) -> pb.ReportCorruptShardsReply:
        self._check_shard_refs(request.shards)
        marked = await self._repair().report_corrupt(request.osd_id, list(request.shards))
        log.warning("corrupt fragments reported", extra=log_fields(osd_id=request.osd_id, marked_missing=marked))
        return pb.ReportCorruptShardsReply(marked_missing=marked)

    @rpc
    async def CheckPlacements(self, request: pb.CheckPlacementsRequest, context: Context) -> pb.CheckPlacementsReply:
        self._check_shard_refs(request.shards)
        return pb.CheckPlacementsReply(stale=await self._repair().stale_copies(request.osd_id, list(request.shards)))

    def _check_shard_refs(self, shards: Sequence[pb.ShardRef]) -> None:
        if len(shards) > self._config.find_unreferenced_ids_max:
            raise InvalidArgument(f"at most {self._config.find_unreferenced_ids_max} fragments per call")
        if any(len(s.object_id) != OBJECT_ID_BYTES for s in shards):
            raise InvalidArgument(f"object_id must be {OBJECT_ID_BYTES} bytes")

    @rpc
    async def StartScrub(self, request: pb.StartScrubRequest, context: Context) -> pb.ScrubStatusReply:
        return await scrub_relay.relay(self._repair().links, self._state.map, list(request.osd_ids), start=True)

    @rpc
    async def GetScrubStatus(self, request: pb.Empty, context: Context) -> pb.ScrubStatusReply:
        return await scrub_relay.relay(self._repair().links, self._state.map, [], start=False)

    # ---- backup and restore ---------------------------------------------------------------------

    async def Export(self, request: pb.ExportRequest, context: Context) -> AsyncIterator[pb.MetaItem]:
        try:
            async for item in self._store.export_items():
                yield item
        except MetaStoreError as exc:
            code, trailing = _status_of(exc)
            log.error("Export failed: %s", exc)
            await context.abort(code, f"Export: {exc}", trailing)

    async def Import(self, request_iterator: AsyncIterator[pb.MetaItem], context: Context) -> pb.ImportReply:
        """Items are stored in batches, one transaction each; a batch ends early where the kind of
        item changes so that later items are checked against the map earlier ones changed."""
        reply = pb.ImportReply()
        batch: list[pb.MetaItem] = []
        try:
            async for item in request_iterator:
                self._check_import_item(item)
                if batch and (
                    len(batch) >= IMPORT_BATCH_ITEMS or item.WhichOneof("item") != batch[-1].WhichOneof("item")
                ):
                    await self._import_batch(batch, reply)
                    batch = []
                batch.append(item)
            if batch:
                await self._import_batch(batch, reply)
        except MetaStoreError as exc:
            code, trailing = _status_of(exc)
            await context.abort(code, f"Import after {reply.imported + reply.skipped} items: {exc}", trailing)
        log.info("import finished", extra=log_fields(imported=reply.imported, skipped=reply.skipped))
        return reply

    def _check_import_item(self, item: pb.MetaItem) -> None:
        kind = item.WhichOneof("item")
        if kind is None:
            raise InvalidArgument("an import item holds nothing")
        if kind == "object":
            self._check_record(item.object, multipart=bool(item.object.parts), imported=True)
            if item.object.format_version != RECORD_FORMAT_VERSION:
                raise InvalidArgument(f"object {item.object.bucket}/{item.object.key}: no format version")
        elif kind == "pool":
            try:
                PoolSpec.from_proto(item.pool)
            except PoolError as exc:
                raise InvalidArgument(f"pool {item.pool.name!r}: {exc}") from exc
        elif kind == "bucket" and not (item.bucket.name and item.bucket.owner):
            raise InvalidArgument("an imported bucket has a name and an owner")
        elif kind == "osd" and item.osd.id <= 0:
            raise InvalidArgument("an imported OSD has an id")

    async def _import_batch(self, batch: list[pb.MetaItem], reply: pb.ImportReply) -> None:
        stored, skipped = await self._store.import_items(batch)
        reply.imported += stored
        reply.skipped += skipped
        if batch[0].WhichOneof("item") in ("cluster", "osd", "pool"):
            self._state.publish(await self._store.cluster_map())
