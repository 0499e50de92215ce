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
    async def register_osd(self, request: pb.RegisterOsdRequest, now_ms: int) -> tuple[pb.Osd, pb.ClusterMap]:
        """New OSD (osd_id 0, or a known disk_uuid) or a known one coming back: up, epoch + 1."""

    @abc.abstractmethod
    async def heartbeat(self, beat: OsdHeartbeat) -> tuple[pb.Osd, pb.ClusterMap | None]:
        """Record capacity/usage; a down OSD is marked up (then the new map is returned)."""

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
    async def list_buckets(self, owner: str) -> list[pb.Bucket]: ...

    # ---- objects --------------------------------------------------------------------------------
    @abc.abstractmethod
    async def put_object(self, record: pb.ObjectRecord, if_none_match: bool) -> pb.ObjectRecord | None:
        """Store ``record`` (complete, validated); returns the record it replaced."""

    @abc.abstractmethod
    async def get_object(self, bucket: str, key: str) -> pb.ObjectRecord: ...

    @abc.abstractmethod
    async def delete_object(self, bucket: str, key: str) -> pb.ObjectRecord | None: ...

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
    ) -> tuple[pb.ObjectRecord | None, list[pb.PartLayout]]:
        """Atomically replace the upload by ``record`` (PreconditionFailed unless each of its
        parts is the stored one); returns the replaced record and the unused parts."""

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
    async def scan_placed_objects(self, after: tuple[str, bytes] | None, limit: int) -> list[pb.ObjectRecord]:
        """Records stored on OSDs in (bucket, key UTF-8) order, starting after ``after``."""

    @abc.abstractmethod
    async def replace_fragments(
        self, bucket: str, key: str, object_id: bytes, stripe_index: int, moves: dict[int, tuple[int, int]]
    ) -> bool:
        """Compare-and-set fragment OSDs ``{i: (old, new)}`` of one stripe of that object version."""

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
