"""MetaClient: the typed async client of the metadata service (gateways, OSDs, objectio-cli).

One method per RPC of ``meta.proto``, each returning exactly the RPC's reply message (``None``
for ``Empty``). Every call carries the cluster token and the current request id in its
metadata and a default deadline from :class:`MetaClientConfig`. gRPC failures become the typed
exceptions below in exactly one place, :func:`translate_error`:

=============================== ===========================================================
exception                       gRPC status
=============================== ===========================================================
MetaNotFound (``what``)         NOT_FOUND — ``what``: bucket, object, upload, osd, pool, user, access_key
MetaAlreadyExists               ALREADY_EXISTS — ``owned_by_you`` for buckets
MetaPreconditionFailed          FAILED_PRECONDITION (bucket not empty, if_none_match, ...)
MetaInvalidArgument             INVALID_ARGUMENT
MetaUnauthenticated             UNAUTHENTICATED (wrong or missing cluster token)
MetaOverloaded                  RESOURCE_EXHAUSTED (a MetaUnavailable: back off and retry)
MetaUnavailable                 UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED
MetaError                       anything else (base of all of the above)
=============================== ===========================================================

Several metadata instances (``address`` = ``host:port,host:port,...``, the etcd backend): the
client uses one at a time and moves to the next when a call fails UNAVAILABLE. The failed call
itself is retried on the other instances only when that is safe: a read-only call always, a write
only when its channel never connected (the request cannot have reached a server). Any other
failed write is not retried: a retried PutObject could report the record it just wrote as
"replaced", and its fragments would be collected as garbage. Callers retry what is safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from grpc import aio

from objectio.common.config import option
from objectio.common.grpcutil import aio_channel, call_metadata, close_channel
from objectio.meta.errors import NOT_FOUND_METADATA_KEY, OWNED_BY_YOU_METADATA_KEY
from objectio.protos import meta_pb2 as pb
from objectio.protos import meta_pb2_grpc

R = TypeVar("R", bound=Message)
WATCH_BACKOFF_S_MIN = 0.1  # first wait before reopening a broken WatchClusterMap stream
WATCH_BACKOFF_S_MAX = 5.0


@dataclass(frozen=True)
class MetaClientConfig:
    """Section ``[meta_client]`` of any service that talks to the metadata service."""

    call_timeout_ms: int = option(10_000, "deadline of an ordinary metadata call")
    admin_call_timeout_ms: int = option(120_000, "deadline of scans: FindUnreferenced, GetStatus, SetOsdState")
    connect_timeout_ms: int = option(10_000, "wait_ready(): how long to wait for the channel")


class MetaError(Exception):
    def __init__(self, code: grpc.StatusCode | None, detail: str) -> None:
        super().__init__(f"{code.name if code else 'ERROR'}: {detail}")
        self.code = code
        self.detail = detail


class MetaNotFound(MetaError):
    def __init__(self, code: grpc.StatusCode | None, detail: str, what: str) -> None:
        super().__init__(code, detail)
        self.what = what  # bucket, object, osd, pool, user, access_key ("" if unknown)


class MetaAlreadyExists(MetaError):
    def __init__(self, code: grpc.StatusCode | None, detail: str, owned_by_you: bool) -> None:
        super().__init__(code, detail)
        self.owned_by_you = owned_by_you


class MetaPreconditionFailed(MetaError):
    pass


class MetaInvalidArgument(MetaError):
    pass


class MetaUnauthenticated(MetaError):
    pass


class MetaUnavailable(MetaError):
    pass


class MetaOverloaded(MetaUnavailable):
    pass


_SIMPLE: dict[grpc.StatusCode, type[MetaError]] = {
    grpc.StatusCode.FAILED_PRECONDITION: MetaPreconditionFailed,
    grpc.StatusCode.INVALID_ARGUMENT: MetaInvalidArgument,
    grpc.StatusCode.UNAUTHENTICATED: MetaUnauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: MetaOverloaded,
    grpc.StatusCode.UNAVAILABLE: MetaUnavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: MetaUnavailable,
    grpc.StatusCode.CANCELLED: MetaUnavailable,
}


def translate_error(exc: aio.AioRpcError) -> MetaError:
    """The one mapping from a failed call onto the typed exceptions."""
    code, detail = exc.code(), exc.details() or ""
    metadata: Any = exc.trailing_metadata() or ()
    trailing = {str(key): value for key, value in metadata if isinstance(value, str)}
    if code == grpc.StatusCode.NOT_FOUND:
        return MetaNotFound(code, detail, trailing.get(NOT_FOUND_METADATA_KEY, ""))
    if code == grpc.StatusCode.ALREADY_EXISTS:
        return MetaAlreadyExists(code, detail, trailing.get(OWNED_BY_YOU_METADATA_KEY) == "1")
    return _SIMPLE.get(code, MetaError)(code, detail)


READ_ONLY_METHODS = frozenset(
    {
        "GetClusterMap",
        "GetBucket",
        "ListBuckets",
        "GetObject",
        "ListObjects",
        "FindUnreferenced",
        "GetMultipartUpload",
        "ListParts",
        "ListMultipartUploads",
        "ListUsers",
        "ListAccessKeys",
        "LookupAccessKey",
        "GetStatus",
        "GetRepairStatus",
        "CheckPlacements",
        "GetScrubStatus",
    }
)


class MetaClient:
    """``client = await MetaClient.connect(address, token)``; ``await client.close()`` at the end.
    ``address`` may list several instances, comma-separated (see the module doc)."""

    def __init__(self, channels: list[aio.Channel], token: str, config: MetaClientConfig) -> None:
        assert channels, "a MetaClient needs at least one channel"
        self._channels = channels
        self._stubs = [meta_pb2_grpc.MetaServiceStub(c) for c in channels]
        self._current = 0
        self.failovers = 0  # how often calls moved to another instance
        self._token = token
        self._timeout_s = config.call_timeout_ms / 1000
        self._admin_timeout_s = config.admin_call_timeout_ms / 1000
        self._connect_timeout_s = config.connect_timeout_ms / 1000

    @classmethod
    async def connect(
        cls, address: str, token: str, config: MetaClientConfig | None = None, *, tls_ca_file: str = ""
    ) -> MetaClient:
        """One shared channel (keepalive, 64 MiB messages); connects lazily on the first call. With
        ``tls_ca_file`` the channel is TLS and the server's certificate must chain to that CA."""
        addresses = [a.strip() for a in address.split(",") if a.strip()]
        channels = [aio_channel(a, tls_ca_file) for a in addresses]
        return cls(channels, token, config or MetaClientConfig())

    @property
    def _stub(self) -> meta_pb2_grpc.MetaServiceStub:
        return self._stubs[self._current]

    def _fail_over(self, failed: int) -> None:
        if failed == self._current and len(self._stubs) > 1:
            self._current = (failed + 1) % len(self._stubs)
            self.failovers += 1

    async def wait_ready(self, timeout_s: float | None = None) -> None:
        """Wait until a channel is connected (MetaUnavailable after the timeout)."""
        waits = [asyncio.ensure_future(c.channel_ready()) for c in self._channels]
        try:
            done, _ = await asyncio.wait(
                waits, timeout=timeout_s or self._connect_timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for wait in waits:
                wait.cancel()
        if not done:
            raise MetaUnavailable(grpc.StatusCode.UNAVAILABLE, "metadata service unreachable")
        self._current = waits.index(next(iter(done)))

    async def close(self) -> None:
        for channel in self._channels:
            await close_channel(channel)

    async def _call(self, method: str, request: Message, reply_type: type[R], *, admin: bool = False) -> R:
        timeout = self._admin_timeout_s if admin else self._timeout_s
        for _ in range(len(self._stubs)):
            index = self._current
            connected = self._channels[index].get_state() == grpc.ChannelConnectivity.READY
            try:
                reply = await getattr(self._stubs[index], method)(
                    request, timeout=timeout, metadata=call_metadata(self._token)
                )
            except aio.AioRpcError as exc:
                error = translate_error(exc)
                if exc.code() != grpc.StatusCode.UNAVAILABLE or len(self._stubs) == 1:
                    raise error from None
                self._fail_over(index)
                if method not in READ_ONLY_METHODS and connected:
                    raise error from None  # it may have been applied: not retried (module doc)
                continue
            assert isinstance(reply, reply_type), f"{method} returned {type(reply).__name__}"
            return reply
        raise MetaUnavailable(grpc.StatusCode.UNAVAILABLE, f"{method}: no metadata instance answered")

    # ---- cluster map ----------------------------------------------------------------------------

    async def register_osd(
        self,
        *,
        address: str,
        host: str = "",
        disk: str = "",
        disk_uuid: str = "",
        capacity_bytes: int = 0,
        used_bytes: int = 0,
        osd_id: int = 0,
        cluster_id: str = "",
    ) -> pb.RegisterOsdReply:
        request = pb.RegisterOsdRequest(
            osd_id=osd_id,
            address=address,
            host=host,
            disk=disk,
            disk_uuid=disk_uuid,
            capacity_bytes=capacity_bytes,
            used_bytes=used_bytes,
            cluster_id=cluster_id,
        )
        return await self._call("RegisterOsd", request, pb.RegisterOsdReply)

    async def heartbeat(
        self, osd_id: int, *, capacity_bytes: int, used_bytes: int, shard_count: int = 0
    ) -> pb.HeartbeatReply:
        request = pb.HeartbeatRequest(
            osd_id=osd_id, capacity_bytes=capacity_bytes, used_bytes=used_bytes, shard_count=shard_count
        )
        return await self._call("Heartbeat", request, pb.HeartbeatReply)

    async def get_cluster_map(self) -> pb.ClusterMap:
        return await self._call("GetClusterMap", pb.GetClusterMapRequest(), pb.ClusterMap)

    async def watch_cluster_map(self, known_epoch: int = 0, *, reconnect: bool = True) -> AsyncIterator[pb.ClusterMap]:
        """Every map newer than ``known_epoch``, as the epoch advances, until the caller stops.

        With ``reconnect`` (the default) a broken or ended stream (the metadata service restarted)
        is reopened with exponential backoff from the last epoch seen, so callers never handle
        UNAVAILABLE; only errors that retrying cannot fix (e.g. MetaUnauthenticated) are raised.
        Without it the generator ends with the stream or raises MetaUnavailable."""
        backoff_s = WATCH_BACKOFF_S_MIN
        while True:
            try:
                async for cmap in self._watch_once(known_epoch):
                    known_epoch = cmap.epoch
                    backoff_s = WATCH_BACKOFF_S_MIN
                    yield cmap
            except MetaUnavailable:
                if not reconnect:
                    raise
            if not reconnect:
                return
            await asyncio.sleep(backoff_s)
            backoff_s = min(backoff_s * 2, WATCH_BACKOFF_S_MAX)

    async def _watch_once(self, known_epoch: int) -> AsyncIterator[pb.ClusterMap]:
        index = self._current
        call = self._stubs[index].WatchClusterMap(
            pb.GetClusterMapRequest(known_epoch=known_epoch), metadata=call_metadata(self._token)
        )
        try:
            async for cmap in call:
                assert isinstance(cmap, pb.ClusterMap)
                yield cmap
        except aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAVAILABLE:
                self._fail_over(index)
            raise translate_error(exc) from None
        finally:
            call.cancel()

    async def set_osd_state(
        self, osd_id: int, *, set_in: bool = False, set_out: bool = False, remove: bool = False
    ) -> pb.ClusterMap:
        request = pb.SetOsdStateRequest(osd_id=osd_id, set_in=set_in, set_out=set_out, remove=remove)
        return await self._call("SetOsdState", request, pb.ClusterMap, admin=True)

    async def create_pool(self, pool: pb.Pool) -> pb.Pool:
        return await self._call("CreatePool", pool, pb.Pool)

    # ---- buckets --------------------------------------------------------------------------------

    async def create_bucket(
        self, name: str, owner: str, pool: str = "", settings: dict[str, bytes] | None = None
    ) -> pb.Bucket:
        request = pb.CreateBucketRequest(name=name, owner=owner, pool=pool, settings=settings or {})
        return await self._call("CreateBucket", request, pb.Bucket)

    async def put_bucket_setting(self, bucket: str, name: str, value: bytes | None) -> pb.Bucket:
        """Store one named setting of ``bucket``; None deletes it."""
        request = pb.PutBucketSettingRequest(bucket=bucket, name=name, value=value or b"", remove=value is None)
        return await self._call("PutBucketSetting", request, pb.Bucket)

    async def delete_bucket(self, name: str) -> None:
        await self._call("DeleteBucket", pb.BucketName(name=name), pb.Empty)

    async def get_bucket(self, name: str) -> pb.Bucket:
        return await self._call("GetBucket", pb.BucketName(name=name), pb.Bucket)

    async def list_buckets(self, owner: str = "") -> pb.ListBucketsReply:
        return await self._call("ListBuckets", pb.ListBucketsRequest(owner=owner), pb.ListBucketsReply)

    # ---- objects --------------------------------------------------------------------------------

    async def put_object(self, record: pb.ObjectRecord, if_none_match: bool = False) -> pb.PutObjectReply:
        request = pb.PutObjectRequest(record=record, if_none_match=if_none_match)
        return await self._call("PutObject", request, pb.PutObjectReply)

    async def get_object(self, bucket: str, key: str, version_id: str = "") -> pb.ObjectRecord:
        """The latest version ("": may be a delete marker) or the version named ("null", an id)."""
        name = pb.ObjectName(bucket=bucket, key=key, version_id=version_id)
        return await self._call("GetObject", name, pb.ObjectRecord)

    async def delete_object(self, bucket: str, key: str, version_id: str = "") -> pb.DeleteObjectReply:
        name = pb.ObjectName(bucket=bucket, key=key, version_id=version_id)
        return await self._call("DeleteObject", name, pb.DeleteObjectReply)

    async def list_object_versions(self, request: pb.ListObjectVersionsRequest) -> pb.ListObjectVersionsReply:
        return await self._call("ListObjectVersions", request, pb.ListObjectVersionsReply)

    async def put_object_tags(
        self, bucket: str, key: str, version_id: str, tags: dict[str, str]
    ) -> pb.PutObjectTagsReply:
        request = pb.PutObjectTagsRequest(name=pb.ObjectName(bucket=bucket, key=key, version_id=version_id), tags=tags)
        return await self._call("PutObjectTags", request, pb.PutObjectTagsReply)

    async def set_object_acl(self, request: pb.SetObjectAclRequest) -> pb.ObjectRecord:
        return await self._call("SetObjectAcl", request, pb.ObjectRecord)

    async def list_objects(
        self, bucket: str, prefix: str = "", delimiter: str = "", start_after: str = "", max_keys: int = 1000
    ) -> pb.ListObjectsReply:
        request = pb.ListObjectsRequest(
            bucket=bucket, prefix=prefix, delimiter=delimiter, start_after=start_after, max_keys=max_keys
        )
        return await self._call("ListObjects", request, pb.ListObjectsReply)

    async def find_unreferenced(self, object_ids: Iterable[bytes]) -> pb.FindUnreferencedReply:
        request = pb.FindUnreferencedRequest(object_ids=list(object_ids))
        return await self._call("FindUnreferenced", request, pb.FindUnreferencedReply, admin=True)

    # ---- multipart uploads ----------------------------------------------------------------------

    async def create_multipart_upload(self, upload: pb.MultipartUpload) -> pb.MultipartUpload:
        return await self._call("CreateMultipartUpload", upload, pb.MultipartUpload)

    async def get_multipart_upload(self, name: pb.UploadName) -> pb.MultipartUpload:
        return await self._call("GetMultipartUpload", name, pb.MultipartUpload)

    async def put_part(self, name: pb.UploadName, part: pb.PartLayout) -> pb.PutPartReply:
        return await self._call("PutPart", pb.PutPartRequest(upload=name, part=part), pb.PutPartReply)

    async def list_parts(
        self, name: pb.UploadName, part_number_marker: int = 0, max_parts: int = 0
    ) -> pb.ListPartsReply:
        request = pb.ListPartsRequest(upload=name, part_number_marker=part_number_marker, max_parts=max_parts)
        return await self._call("ListParts", request, pb.ListPartsReply)

    async def complete_multipart_upload(
        self, name: pb.UploadName, record: pb.ObjectRecord
    ) -> pb.CompleteMultipartUploadReply:
        request = pb.CompleteMultipartUploadRequest(upload=name, record=record)
        return await self._call("CompleteMultipartUpload", request, pb.CompleteMultipartUploadReply)

    async def abort_multipart_upload(self, name: pb.UploadName) -> pb.AbortMultipartUploadReply:
        return await self._call("AbortMultipartUpload", name, pb.AbortMultipartUploadReply)

    async def list_multipart_uploads(self, request: pb.ListMultipartUploadsRequest) -> pb.ListMultipartUploadsReply:
        return await self._call("ListMultipartUploads", request, pb.ListMultipartUploadsReply)

    # ---- users and access keys ------------------------------------------------------------------

    async def create_user(self, name: str, is_admin: bool = False) -> pb.User:
        return await self._call("CreateUser", pb.CreateUserRequest(name=name, is_admin=is_admin), pb.User)

    async def delete_user(self, name: str) -> None:
        await self._call("DeleteUser", pb.UserName(name=name), pb.Empty)

    async def list_users(self) -> pb.ListUsersReply:
        return await self._call("ListUsers", pb.Empty(), pb.ListUsersReply)

    async def create_access_key(self, user: str, access_key: str = "", secret_key: str = "") -> pb.AccessKey:
        request = pb.CreateAccessKeyRequest(user=user, access_key=access_key, secret_key=secret_key)
        return await self._call("CreateAccessKey", request, pb.AccessKey)

    async def revoke_access_key(self, access_key: str) -> None:
        await self._call("RevokeAccessKey", pb.AccessKeyId(access_key=access_key), pb.Empty)

    async def list_access_keys(self, user: str) -> pb.ListAccessKeysReply:
        return await self._call("ListAccessKeys", pb.UserName(name=user), pb.ListAccessKeysReply)

    async def lookup_access_key(self, access_key: str) -> pb.AccessKey:
        return await self._call("LookupAccessKey", pb.AccessKeyId(access_key=access_key), pb.AccessKey)

    # ---- status ---------------------------------------------------------------------------------

    async def get_status(self) -> pb.ClusterStatus:
        return await self._call("GetStatus", pb.Empty(), pb.ClusterStatus, admin=True)

    # ---- repair and scrub -----------------------------------------------------------------------

    async def get_repair_status(self) -> pb.RepairStatus:
        return await self._call("GetRepairStatus", pb.Empty(), pb.RepairStatus, admin=True)

    async def report_degraded_stripe(self, request: pb.ReportDegradedStripeRequest) -> None:
        await self._call("ReportDegradedStripe", request, pb.Empty)

    async def report_corrupt_shards(self, osd_id: int, shards: Iterable[pb.ShardRef]) -> pb.ReportCorruptShardsReply:
        request = pb.ReportCorruptShardsRequest(osd_id=osd_id, shards=list(shards))
        return await self._call("ReportCorruptShards", request, pb.ReportCorruptShardsReply)

    async def check_placements(self, osd_id: int, shards: Iterable[pb.ShardRef]) -> pb.CheckPlacementsReply:
        request = pb.CheckPlacementsRequest(osd_id=osd_id, shards=list(shards))
        return await self._call("CheckPlacements", request, pb.CheckPlacementsReply, admin=True)

    async def start_scrub(self, osd_ids: Iterable[int] = ()) -> pb.ScrubStatusReply:
        request = pb.StartScrubRequest(osd_ids=list(osd_ids))
        return await self._call("StartScrub", request, pb.ScrubStatusReply, admin=True)

    async def get_scrub_status(self) -> pb.ScrubStatusReply:
        return await self._call("GetScrubStatus", pb.Empty(), pb.ScrubStatusReply, admin=True)
