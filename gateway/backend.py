"""The storage contract the S3 layer is written against.

Handlers translate S3 requests into calls on a :class:`Backend` and translate its results and
exceptions back into S3 responses. The production backend (``cluster_backend``) talks to the
metadata service and the OSDs over gRPC; tests may use an in-memory one. Backend exceptions are
domain errors, mapped onto S3 error codes at exactly one boundary in the gateway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol


@dataclass(frozen=True)
class AccessKey:
    access_key: str
    secret_key: str
    user: str
    is_admin: bool = False


@dataclass(frozen=True)
class BucketInfo:
    name: str
    owner: str
    created: float  # seconds since the epoch
    pool: str
    # Named sub-resource documents (versioning, policy, ACL, CORS, tagging ...), each encoded by
    # the gateway module that owns it; absent = never configured.
    settings: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str  # hex, without quotes; multipart: "<hex>-<parts>"
    last_modified: float  # seconds since the epoch
    content_type: str = "binary/octet-stream"
    user_meta: dict[str, str] = field(default_factory=dict)  # x-amz-meta-* without the prefix
    # Stored response headers: content-encoding, content-disposition, content-language,
    # cache-control, expires; and x-amz-checksum-* values.
    headers: dict[str, str] = field(default_factory=dict)
    # None: a never-versioned bucket's object; "null": the null version of a versioned bucket.
    version_id: str | None = None
    part_sizes: tuple[int, ...] = ()  # a completed multipart upload: the size of each part, in order
    part_checksums: tuple[dict[str, str], ...] = ()  # and the verified x-amz-checksum-* of each part
    tags: dict[str, str] = field(default_factory=dict)
    delete_marker: bool = False  # only in version listings: GET/HEAD of a marker raise DeleteMarker
    is_latest: bool = True  # only meaningful in version listings
    owner: str = ""  # the user who owns the object ('' = the bucket owner: objects written before owners)
    acl: bytes = b""  # the object ACL, encoded by gateway.access.acl ('' = private to the owner)


class ListEntry(NamedTuple):
    """One key of a listing: what ListObjects shows of it (a tuple: pages hold 1,000 of them)."""

    key: str
    size: int
    etag: str  # as ObjectInfo.etag
    last_modified: float  # seconds since the epoch


@dataclass(frozen=True)
class ListResult:
    objects: list[ListEntry]
    common_prefixes: list[str]
    is_truncated: bool
    next_marker: str | None  # last key or prefix returned, to resume after


@dataclass(frozen=True)
class PutRequest:
    bucket: str
    key: str
    body: AsyncIterator[bytes]  # raises from the iterator abort the PUT; nothing becomes visible
    content_length: int | None
    content_type: str = "binary/octet-stream"
    user_meta: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    expected_md5: bytes | None = None  # from Content-MD5; mismatch raises DigestMismatch before commit
    if_none_match_star: bool = False  # conditional create: raises PreconditionFailed if key exists
    tags: dict[str, str] = field(default_factory=dict)  # x-amz-tagging, validated
    owner: str = ""  # as ObjectInfo.owner
    acl: bytes = b""  # as ObjectInfo.acl


@dataclass(frozen=True)
class DeleteResult:
    version_id: str | None = None  # the marker created or the version removed (None: unversioned)
    delete_marker: bool = False  # a marker was created, or the version removed was one


class BackendError(Exception):
    """Base of every domain error a backend raises; the message carries context."""


class BucketNotFound(BackendError):
    pass


class ObjectNotFound(BackendError):
    pass


class BucketNotEmpty(BackendError):
    pass


class NoSuchVersion(BackendError):
    pass


class DeleteMarker(BackendError):
    """The version asked for is a delete marker: the latest (``by_version`` False: S3 answers
    NoSuchKey) or one named by its version id (405 MethodNotAllowed)."""

    def __init__(self, message: str, *, version_id: str, last_modified: float, by_version: bool) -> None:
        super().__init__(message)
        self.version_id = version_id
        self.last_modified = last_modified
        self.by_version = by_version


class BucketAlreadyExists(BackendError):
    def __init__(self, message: str, *, owned_by_you: bool) -> None:
        super().__init__(message)
        self.owned_by_you = owned_by_you


class DigestMismatch(BackendError):
    pass


class IncompleteBody(BackendError):
    """Fewer (or more) body bytes arrived than Content-Length announced."""


class PreconditionFailed(BackendError):
    pass


class ServiceUnavailable(BackendError):
    """Not enough OSDs or metadata unreachable: the request may be retried later."""


class InsufficientStorage(BackendError):
    pass


class Backend(Protocol):
    async def lookup_key(self, access_key: str) -> AccessKey | None: ...

    async def create_bucket(
        self, name: str, owner: str, pool: str | None = None, settings: dict[str, bytes] | None = None
    ) -> BucketInfo: ...

    async def put_bucket_setting(self, name: str, setting: str, value: bytes | None) -> BucketInfo:
        """Store one named setting of the bucket (None deletes it); BucketNotFound."""
        ...

    async def delete_bucket(self, name: str) -> None: ...

    async def head_bucket(self, name: str, *, fresh: bool = False) -> BucketInfo:
        """The bucket; may come from a short-lived cache unless ``fresh``."""
        ...

    async def list_buckets(self, owner: str) -> list[BucketInfo]: ...

    async def put_object(self, request: PutRequest) -> ObjectInfo: ...

    async def head_object(self, bucket: str, key: str, version_id: str | None = None) -> ObjectInfo:
        """The latest version, or the one named ("null" or an id); raises ObjectNotFound,
        NoSuchVersion, DeleteMarker."""
        ...

    async def get_object(
        self, bucket: str, key: str, byte_range: tuple[int, int] | None = None, version_id: str | None = None
    ) -> tuple[ObjectInfo, AsyncIterator[bytes]]:
        """Return the record and a stream of the body (or of the inclusive range [first, last])."""
        ...

    async def delete_object(self, bucket: str, key: str, version_id: str | None = None) -> DeleteResult:
        """Delete a key (versioned bucket: add a delete marker) or remove one version for good;
        deleting an absent key or version succeeds (S3 semantics); absent bucket raises."""
        ...

    async def put_object_acl(self, bucket: str, key: str, acl: bytes) -> ObjectInfo:
        """Replace the ACL of the object as it is now (an object replaced meanwhile keeps its own
        ACL: the change applies to one version only); ObjectNotFound, BucketNotFound."""
        ...

    async def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> ListResult: ...

    async def ready(self) -> bool:
        """True when metadata and enough OSDs answer (gateway /health/ready)."""
        ...


# ---- Multipart uploads (optional) ---------------------------------------------------------------
# A backend that also implements :class:`MultipartBackend` serves the multipart operations; for
# any other backend the gateway answers them with NotImplemented.

MULTIPART_PART_BYTES_MIN = 5 * 1024 * 1024  # every part but the last (AWS)


@dataclass(frozen=True)
class MultipartUpload:
    bucket: str
    key: str
    upload_id: str  # chosen by the backend; opaque to clients
    owner: str
    initiated: float  # seconds since the epoch
    content_type: str = "binary/octet-stream"
    user_meta: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # as PutRequest.headers, for the final object
    object_owner: str = ""  # as PutRequest.owner, for the final object
    acl: bytes = b""  # as PutRequest.acl, for the final object


@dataclass(frozen=True)
class PartInfo:
    part_number: int  # 1..10000
    size: int
    etag: str  # hex MD5 of the part, without quotes
    last_modified: float
    headers: dict[str, str] = field(default_factory=dict)  # verified x-amz-checksum-* of the part


@dataclass(frozen=True)
class PartRequest:
    bucket: str
    key: str
    upload_id: str
    part_number: int
    body: AsyncIterator[bytes]  # as PutRequest.body: an exception from it aborts the part
    content_length: int | None
    expected_md5: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)  # gains verified checksums when body ends


@dataclass(frozen=True)
class PartListing:
    parts: list[PartInfo]  # ascending part numbers above the marker
    is_truncated: bool


@dataclass(frozen=True)
class UploadListing:
    uploads: list[MultipartUpload]  # ordered by (key, upload_id)
    is_truncated: bool
    common_prefixes: list[str] = field(default_factory=list)  # with a delimiter
    # Where a truncated listing resumes (None: after the last upload returned).
    next_key_marker: str | None = None
    next_upload_id_marker: str | None = None


class NoSuchUpload(BackendError):
    pass


class InvalidPart(BackendError):
    """A part named in Complete was not uploaded, or its ETag differs."""


class EntityTooSmall(BackendError):
    """A part other than the last is smaller than MULTIPART_PART_BYTES_MIN."""


class EntityTooLarge(BackendError):
    """The object would exceed what the backend can store (e.g. too many parts for one record)."""


class MultipartBackend(Backend, Protocol):
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
    ) -> MultipartUpload: ...

    async def upload_part(self, request: PartRequest) -> PartInfo:
        """Store (or replace) one part; raises NoSuchUpload, DigestMismatch, IncompleteBody."""
        ...

    async def complete_multipart_upload(
        self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]]
    ) -> ObjectInfo:
        """Join the named (part number, etag) parts, in the given ascending order, into the object;
        ETag is md5(concatenated binary part MD5s) + "-<count>". Parts not named are discarded.
        Raises NoSuchUpload, InvalidPart, EntityTooSmall."""
        ...

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None: ...

    async def list_parts(
        self, bucket: str, key: str, upload_id: str, *, part_number_marker: int = 0, max_parts: int = 1000
    ) -> PartListing: ...

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
        """Uploads with key > key_marker, or key == key_marker and upload_id > upload_id_marker;
        with a delimiter, keys with a common prefix up to it roll up into ``common_prefixes``."""
        ...


# ---- Versions and object tags (optional) ---------------------------------------------------------
# A backend that also implements :class:`VersioningBackend` serves ListObjectVersions of versioned
# buckets and Put/DeleteObjectTagging; the bucket's versioning state is its setting "versioning"
# (gateway/versioning.py), which the backend reads when it stores a version.


@dataclass(frozen=True)
class VersionListing:
    versions: list[ObjectInfo]  # by key, newest first; delete markers have delete_marker set
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None = None
    next_version_id_marker: str | None = None


class VersioningBackend(Backend, Protocol):
    async def list_object_versions(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        version_id_marker: str = "",
        max_keys: int = 1000,
    ) -> VersionListing: ...

    async def put_object_tagging(
        self, bucket: str, key: str, version_id: str | None, tags: dict[str, str]
    ) -> str | None:
        """Replace the tags of the latest version or the one named; returns its version id.
        Raises ObjectNotFound, NoSuchVersion, DeleteMarker."""
        ...
