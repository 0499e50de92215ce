"""MetaStore: the persistence contract of the metadata service.

The servicer talks to storage only through this interface so that another backend (etcd, a
replicated log) can replace :class:`~objectio.meta.sqlite_store.SqliteMetaStore` later. Values
are the protobuf messages of ``meta.proto``; failures are the exceptions of
:mod:`objectio.meta.errors`.

Contract every implementation keeps:

* A write's coroutine returns only after the change is durable (survives kill -9 and power loss).
* Reads observe every write whose coroutine has returned.
* Every change to OSDs, pools or the default pool increments the cluster epoch in the same
  atomic step, and returns the new :class:`ClusterMap`.
* Blocking work never runs on the event loop.
* Object versions follow :mod:`objectio.meta.versions`: the bucket setting ``versioning`` is read
  in the same atomic step as the put/delete it governs; a never-versioned bucket keeps one
  record per key; version ids and their newest-first order are ``versions.new_version_id`` /
  ``versions.version_order``; a key's versions have strictly increasing ``mtime_ns`` (the store
  raises a new version's ``mtime_ns`` above the latest's when needed).
* Every object id a version, an upload part or a completed multipart version's part names is
  *referenced* (``find_unreferenced``) until that version or part is removed for good.
* ``export_items`` yields one consistent snapshot; ``import_items`` of those items into an empty
  store reproduces it (backup and restore work across implementations).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from dataclasses import dataclass

from objectio.protos import meta_pb2 as pb


@dataclass(frozen=True)
class StoreCounts:
    bucket_count: int
    object_count: int
    degraded_stripes: int  # stripes with a missing fragment (osd id 0) in their placement


@dataclass
class WriterStats:
    """Group-commit counters: writes_committed / commits is the average batch size."""

    commits: int = 0
    writes_committed: int = 0
    writes_failed: int = 0
    batch_records_max_seen: int = 0
    queue_depth: int = 0  # writes still queued when the last batch was taken


@dataclass(frozen=True)
class OsdHeartbeat:
    osd_id: int
    capacity_bytes: int
    used_bytes: int
    now_ms: int
    full_ratio: float = 1.0  # above this share of capacity the OSD is marked full (meta.osd_full_ratio)


class MetaStore(abc.ABC):
    # ---- lifecycle ------------------------------------------------------------------------------
    @abc.abstractmethod
    async def open(self) -> None:
        """Create or upgrade the schema and start background workers."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Finish queued writes, then release everything. Idempotent."""

    @property
    @abc.abstractmethod
    def writer_stats(self) -> WriterStats: ...

    # ---- cluster map ----------------------------------------------------------------------------
    @abc.abstractmethod
    async def cluster_map(self) -> pb.ClusterMap: ...

    @abc.abstractmethod
    async def register_osd(
        self, request: pb.RegisterOsdRequest, now_ms: int, full_ratio: float = 1.0
    ) -> tuple[pb.Osd, pb.ClusterMap]:
        """New OSD (osd_id 0, or a known disk_uuid) or a known one coming back: up, epoch + 1;
        marked full when it uses more than ``full_ratio`` of its capacity."""

    @abc.abstractmethod
    async def heartbeat(self, beat: OsdHeartbeat) -> tuple[pb.Osd, pb.ClusterMap | None]:
        """Record capacity/usage; a down OSD is marked up, and an OSD crossing the full ratio is
        marked (not) full — both change the epoch, and then the new map is returned."""

    @abc.abstractmethod
    async def mark_osds_down(self, osd_ids: list[int], heard_before_ms: int) -> pb.ClusterMap | None:
        """Mark down the listed OSDs that are up and whose last heartbeat is older than
        ``heard_before_ms`` (a heartbeat committed after the caller decided wins); None when none
        changed."""

    @abc.abstractmethod
    async def set_osd_state(self, osd_id: int, *, set_in: bool, set_out: bool, remove: bool) -> pb.ClusterMap: ...

    @abc.abstractmethod
    async def osd_is_referenced(self, osd_id: int) -> bool:
        """Whether any object record places a fragment on ``osd_id``."""

    @abc.abstractmethod
    async def create_pool(self, pool: pb.Pool) -> pb.ClusterMap: ...

    @abc.abstractmethod
    async def set_default_pool(self, name: str) -> pb.ClusterMap:
        """Make ``name`` (an existing pool) the default; the epoch moves only if it changed."""

    # ---- buckets --------------------------------------------------------------------------------
    @abc.abstractmethod
    async def create_bucket(self, bucket: pb.Bucket) -> pb.Bucket:
        """``bucket.pool`` empty means the default pool; AlreadyExists carries the owner."""

    @abc.abstractmethod
    async def delete_bucket(self, name: str) -> None: ...

    @abc.abstractmethod
    async def get_bucket(self, name: str) -> pb.Bucket: ...

    @abc.abstractmethod
    async def list_buckets(self, owner: str) -> list[pb.Bucket]:
        """Buckets in name order, without their settings."""

    @abc.abstractmethod
    async def put_bucket_setting(self, bucket: str, name: str, value: bytes | None) -> pb.Bucket:
        """Store one named setting of a bucket (None deletes it); returns the updated bucket."""

    # ---- objects --------------------------------------------------------------------------------
    @abc.abstractmethod
    async def put_object(self, record: pb.ObjectRecord, if_none_match: bool) -> pb.PutObjectReply:
        """Store ``record`` (complete, validated) as the key's latest version. Never-versioned
        bucket: it replaces the key's record. ``Enabled``: it gets a new version id and the previous
        latest stays as an older version. ``Suspended``: it is the null version ("") and replaces
        the key's null version wherever it is. ``if_none_match`` fails (PreconditionFailed) when the
        latest version is an object (a delete marker does not count). Replies the version id
        assigned and the record removed for good (its fragments are garbage), if any."""

    @abc.abstractmethod
    async def get_object(self, bucket: str, key: str, version_id: str = "") -> pb.ObjectRecord:
        """``version_id`` "": the latest version, which may be a delete marker (``delete_marker``
        set) — NotFound("object") when the key has no version; "null" or an id: that version —
        NotFound("version") when it does not exist. NotFound("bucket") first."""

    @abc.abstractmethod
    async def delete_object(self, bucket: str, key: str, version_id: str = "") -> pb.DeleteObjectReply:
        """``version_id`` "": never-versioned bucket — remove the record (if any); ``Enabled`` — add
        a delete marker with a new id as the latest version; ``Suspended`` — the null delete
        marker, replacing the null version. Otherwise remove that version for good (nothing if it
        does not exist); when it was the latest, the newest remaining version becomes the latest.
        Replies the marker created / version removed and the record removed for good, if any."""

    @abc.abstractmethod
    async def list_object_versions(
        self, request: pb.ListObjectVersionsRequest, limit: int
    ) -> pb.ListObjectVersionsReply:
        """Every version (and delete marker) by key, newest first, as :mod:`objectio.meta.version_listing`."""

    @abc.abstractmethod
    async def put_object_tags(self, name: pb.ObjectName, tags: dict[str, str]) -> str:
        """Replace the tags of one version (the latest for "") atomically; returns its version
        id. NotFound as get_object; PreconditionFailed for a delete marker."""

    @abc.abstractmethod
    async def set_object_acl(self, request: pb.SetObjectAclRequest) -> pb.ObjectRecord:
        """Replace the ACL of the current record if it is still the one named (object_id, mtime_ns):
        NotFound without a record, PreconditionFailed for another one; returns the updated record."""

    @abc.abstractmethod
    async def list_objects(
        self, bucket: str, prefix: str, delimiter: str, start_after: str, max_keys: int
    ) -> pb.ListObjectsReply: ...

    @abc.abstractmethod
    async def find_unreferenced(self, object_ids: list[bytes]) -> list[bytes]: ...

    # ---- multipart uploads ----------------------------------------------------------------------
    # Parts are erasure-coded under their own object ids; every id a part row names counts as
    # referenced for find_unreferenced until the part is replaced, discarded or expired.

    @abc.abstractmethod
    async def create_upload(self, upload: pb.MultipartUpload) -> pb.MultipartUpload:
        """Store a new upload (bucket must exist); assigns upload_id and the bucket's pool."""

    @abc.abstractmethod
    async def get_upload(self, name: pb.UploadName) -> pb.MultipartUpload:
        """NotFound("upload") unless that upload of that bucket and key is in progress."""

    @abc.abstractmethod
    async def put_part(self, name: pb.UploadName, part: pb.PartLayout) -> pb.PartLayout | None:
        """Store or replace one part; returns the part it replaced."""

    @abc.abstractmethod
    async def list_parts(self, request: pb.ListPartsRequest, limit: int) -> pb.ListPartsReply: ...

    @abc.abstractmethod
    async def complete_upload(
        self, name: pb.UploadName, record: pb.ObjectRecord
    ) -> tuple[pb.ObjectRecord | None, str, list[pb.PartLayout]]:
        """Atomically replace the upload by ``record`` (PreconditionFailed unless each of its
        parts is the stored one), stored like ``put_object`` as a new version; returns the record
        removed for good, the version id assigned, and the unused parts."""

    @abc.abstractmethod
    async def abort_upload(self, name: pb.UploadName) -> list[pb.PartLayout]:
        """Forget the upload; returns its parts (garbage now)."""

    @abc.abstractmethod
    async def list_uploads(
        self, request: pb.ListMultipartUploadsRequest, limit: int
    ) -> pb.ListMultipartUploadsReply: ...

    @abc.abstractmethod
    async def expire_uploads(self, initiated_before_ns: int) -> int:
        """Forget some uploads initiated before the limit (a bounded batch); how many."""

    # ---- users and access keys ------------------------------------------------------------------
    @abc.abstractmethod
    async def create_user(self, user: pb.User) -> pb.User: ...

    @abc.abstractmethod
    async def delete_user(self, name: str) -> None:
        """Also revokes the user's keys; PreconditionFailed while the user owns buckets."""

    @abc.abstractmethod
    async def list_users(self) -> list[pb.User]: ...

    @abc.abstractmethod
    async def create_access_key(self, key: pb.AccessKey, *, replace_secret: bool = False) -> pb.AccessKey:
        """Store a complete key; ``replace_secret`` updates an existing key of the same user."""

    @abc.abstractmethod
    async def revoke_access_key(self, access_key: str) -> None: ...

    @abc.abstractmethod
    async def list_access_keys(self, user: str) -> list[pb.AccessKey]:
        """Keys of ``user`` with their secrets blanked."""

    @abc.abstractmethod
    async def lookup_access_key(self, access_key: str) -> pb.AccessKey:
        """The key with its secret and its user's admin flag."""

    # ---- status ---------------------------------------------------------------------------------
    @abc.abstractmethod
    async def counts(self) -> StoreCounts: ...

    # ---- repair (meta/sqlite_repair.py has the rules) -------------------------------------------
    @abc.abstractmethod
    async def scan_placed_objects(self, after: tuple[str, bytes, str] | None, limit: int) -> list[pb.ObjectRecord]:
        """Every version stored on OSDs (not inline, not a delete marker) in (bucket, key UTF-8,
        ``version_order(mtime_ns)``) order, starting after ``after`` (that triple of the last one);
        a completed multipart record's parts carry their own stripes."""

    @abc.abstractmethod
    async def scan_upload_parts(self, after: bytes | None, limit: int) -> tuple[list[pb.ObjectRecord], bytes | None]:
        """Parts of uploads in progress as views (see ``sqlite_repair.part_view``), at most
        ``limit`` per call, after the cursor ``after`` (None: from the start); returns them and
        the next cursor (None once the end was reached)."""

    @abc.abstractmethod
    async def placed_view(self, object_id: bytes) -> pb.ObjectRecord | None:
        """The record whose stripes a fragment object id names: an object's own record (any
        version), or a view of a part (of a completed multipart object or an upload in progress); None when
        no record references the id."""

    @abc.abstractmethod
    async def replace_fragments(self, object_id: bytes, stripe_index: int, moves: dict[int, tuple[int, int]]) -> bool:
        """Compare-and-set fragment OSDs ``{i: (old, new)}`` of one stripe of the fragments named
        by ``object_id`` (an object's or a part's); False when it is no longer referenced or a
        fragment moved meanwhile."""

    @abc.abstractmethod
    async def mark_missing(self, osd_id: int, shards: list[pb.ShardRef]) -> int:
        """Corrupt fragments on ``osd_id``: set to 0 where the record still places them there."""

    @abc.abstractmethod
    async def stale_placements(self, osd_id: int, shards: list[pb.ShardRef]) -> list[pb.ShardRef]:
        """Fragments on ``osd_id`` whose (existing) record places them elsewhere."""

    # ---- backup and restore (meta/sqlite_export.py has the SQLite side) -------------------------
    @abc.abstractmethod
    def export_items(self) -> AsyncIterator[pb.MetaItem]:
        """Everything, from one consistent snapshot, in import order: cluster, OSDs, pools, users,
        access keys (with secrets), buckets, object records, uploads, upload parts."""

    @abc.abstractmethod
    async def import_items(self, items: list[pb.MetaItem]) -> tuple[int, int]:
        """Merge ``items`` atomically; returns (stored, skipped). Merge rules: the cluster item
        (cluster id, default pool, epoch) only while the store has no bucket (PreconditionFailed
        otherwise); an OSD, pool, user, bucket, upload or part only if absent (an OSD as down);
        an access key replaces the secret of the same user's key; an object record replaces a
        stored one only if its ``mtime_ns`` is larger (newest wins)."""
