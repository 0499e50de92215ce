"""SqliteMetaStore: the MetaStore on one SQLite database in WAL mode.

Writes go through :class:`~objectio.meta.writer.GroupCommitWriter` (one thread, one connection,
many writes per fsync). Reads run on a small pool of reader threads, each with its own
connection; in WAL mode a reader sees the last committed state and never waits for the writer.
The schema and the format versions are in :mod:`objectio.meta.sqlite_schema`.

Rows are checked on both sides of the disk: write functions assert the record they store is
complete; readers verify the format version and that a blob names the row it was read from
(a mismatch is :class:`CorruptRecord`, never silently returned).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from objectio.meta import sqlite_export, sqlite_repair, sqlite_version_scan
from objectio.meta import sqlite_schema as schema
from objectio.meta.errors import StoreClosed, Unavailable
from objectio.meta.listing import list_page
from objectio.meta.sqlite_multipart import MultipartOps
from objectio.meta.sqlite_ops import ClusterOps, ObjectOps, UserOps
from objectio.meta.sqlite_versions import VersionOps
from objectio.meta.store import MetaStore, OsdHeartbeat, StoreCounts, WriterStats
from objectio.meta.writer import GroupCommitWriter
from objectio.protos import meta_pb2 as pb

T = TypeVar("T")
LOCK_FILE = "meta.lock"
FIND_UNREFERENCED_CHUNK = 500  # ids per IN (...) query, under SQLite's variable limit
EXPORT_BATCH_ITEMS = 256  # items handed from the export thread to the event loop at a time
EXPORT_QUEUE_BATCHES_MAX = 8  # batches buffered ahead of a slow reader


# ListObjects pages run on their own thread(s). Python's sqlite3 releases the GIL around every
# row step, so listings on several threads hand the GIL back and forth per row: in process, four
# concurrent 1,000-key pages cost 4-5.7 ms each on four threads and 2.4-3.3 ms on one. One thread
# also keeps long listings from occupying every reader that point reads (GET/HEAD) need.
LIST_THREADS = 1


class SqliteMetaStore(MetaStore):
    def __init__(
        self,
        data_dir: Path,
        *,
        write_queue_depth_max: int = 20_000,
        write_batch_records_max: int = 2_000,
        read_threads: int = 4,
        cache_bytes: int = 64 << 20,
        cluster_id: str = "",
    ) -> None:
        self._new_cluster_id = cluster_id
        self._adopt_osds = bool(cluster_id)  # recovery: OSDs of that cluster rejoin with their ids
        self._dir = Path(data_dir)
        self._path = self._dir / schema.DB_FILE
        self._cache_bytes = cache_bytes
        self._read_threads = read_threads
        self._writer = GroupCommitWriter(
            self._connect_writer, queue_depth_max=write_queue_depth_max, batch_records_max=write_batch_records_max
        )
        self._readers: ThreadPoolExecutor | None = None
        self._listers: ThreadPoolExecutor | None = None
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_local = threading.local()
        self._reader_lock = threading.Lock()
        self._lock_fd: int | None = None
        self.created = False  # True when open() created a fresh database

    # ---- lifecycle ------------------------------------------------------------------------------

    async def open(self) -> None:
        assert self._readers is None, "store opened twice"
        await asyncio.to_thread(self._open_blocking)
        self._readers = ThreadPoolExecutor(self._read_threads, thread_name_prefix="meta-read")
        self._listers = ThreadPoolExecutor(LIST_THREADS, thread_name_prefix="meta-list")

    def _open_blocking(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreClosed(f"{self._dir} is in use by another objectio-meta") from None
        try:
            self._prepare_database()
            self._writer.start()
        except BaseException:
            os.close(fd)  # releases the lock
            raise
        self._lock_fd = fd

    def _prepare_database(self) -> None:
        conn = schema.connect(self._path, cache_bytes=self._cache_bytes, readonly=False)
        try:
            cluster_id = self._new_cluster_id.replace("-", "") or uuid.uuid4().hex
            self.created = schema.ensure_schema(conn, lambda c: ClusterOps.init_cluster(c, cluster_id))
        finally:
            conn.close()
        dir_fd = os.open(self._dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new database file's directory entry is durable too
        finally:
            os.close(dir_fd)

    def _connect_writer(self) -> sqlite3.Connection:
        return schema.connect(self._path, cache_bytes=self._cache_bytes, readonly=False)

    async def close(self) -> None:
        if self._readers is None:
            return
        readers, self._readers = self._readers, None
        listers, self._listers = self._listers, None
        await asyncio.to_thread(self._writer.stop)
        await asyncio.to_thread(readers.shutdown, True)
        if listers is not None:
            await asyncio.to_thread(listers.shutdown, True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    @property
    def writer_stats(self) -> WriterStats:
        return self._writer.stats

    # ---- plumbing -------------------------------------------------------------------------------

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self._writer.submit(fn)
        return result

    async def _read(self, fn: Callable[[sqlite3.Connection], T], *, listing: bool = False) -> T:
        """Run ``fn`` in one read snapshot on a reader thread (``listing``: on the listing thread)."""
        executor = self._listers if listing else self._readers
        if executor is None:
            raise StoreClosed("the metadata store is closed")
        return await asyncio.get_running_loop().run_in_executor(executor, self._run_read, fn)

    def _run_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn: sqlite3.Connection | None = getattr(self._reader_local, "conn", None)
        if conn is None:
            conn = schema.connect(self._path, cache_bytes=self._cache_bytes, readonly=True)
            self._reader_local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        try:
            conn.execute("BEGIN")  # one snapshot for the whole read
            try:
                return fn(conn)
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")  # read-only: nothing to keep
        except sqlite3.Error as exc:
            raise Unavailable(f"metadata read failed: {exc}") from exc

    # ---- cluster map ----------------------------------------------------------------------------

    async def cluster_map(self) -> pb.ClusterMap:
        return await self._read(ClusterOps.read_map)

    async def register_osd(
        self, request: pb.RegisterOsdRequest, now_ms: int, full_ratio: float = 1.0
    ) -> tuple[pb.Osd, pb.ClusterMap]:
        return await self._write(lambda c: ClusterOps.register_osd(c, request, now_ms, full_ratio, self._adopt_osds))

    async def heartbeat(self, beat: OsdHeartbeat) -> tuple[pb.Osd, pb.ClusterMap | None]:
        return await self._write(lambda c: ClusterOps.heartbeat(c, beat))

    async def mark_osds_down(self, osd_ids: list[int], heard_before_ms: int) -> pb.ClusterMap | None:
        return await self._write(lambda c: ClusterOps.mark_down(c, osd_ids, heard_before_ms))

    async def set_osd_state(self, osd_id: int, *, set_in: bool, set_out: bool, remove: bool) -> pb.ClusterMap:
        return await self._write(lambda c: ClusterOps.set_state(c, osd_id, set_in, set_out, remove))

    async def osd_is_referenced(self, osd_id: int) -> bool:
        return await self._read(
            lambda c: ObjectOps.osd_is_referenced(c, osd_id) or MultipartOps.osd_is_referenced(c, osd_id)
        )

    async def create_pool(self, pool: pb.Pool) -> pb.ClusterMap:
        return await self._write(lambda c: ClusterOps.create_pool(c, pool))

    async def set_default_pool(self, name: str) -> pb.ClusterMap:
        return await self._write(lambda c: ClusterOps.set_default_pool(c, name))

    # ---- buckets --------------------------------------------------------------------------------

    async def create_bucket(self, bucket: pb.Bucket) -> pb.Bucket:
        return await self._write(lambda c: ObjectOps.create_bucket(c, bucket))

    async def delete_bucket(self, name: str) -> None:
        await self._write(lambda c: ObjectOps.delete_bucket(c, name))

    async def get_bucket(self, name: str) -> pb.Bucket:
        return await self._read(lambda c: ObjectOps.get_bucket(c, name))

    async def list_buckets(self, owner: str) -> list[pb.Bucket]:
        return await self._read(lambda c: ObjectOps.list_buckets(c, owner))

    async def put_bucket_setting(self, bucket: str, name: str, value: bytes | None) -> pb.Bucket:
        return await self._write(lambda c: ObjectOps.put_bucket_setting(c, bucket, name, value))

    # ---- objects --------------------------------------------------------------------------------

    async def put_object(self, record: pb.ObjectRecord, if_none_match: bool) -> pb.PutObjectReply:
        return await self._write(lambda c: VersionOps.put_object(c, record, if_none_match))

    async def get_object(self, bucket: str, key: str, version_id: str = "") -> pb.ObjectRecord:
        return await self._read(lambda c: VersionOps.get_object(c, bucket, key, version_id))

    async def delete_object(self, bucket: str, key: str, version_id: str = "") -> pb.DeleteObjectReply:
        return await self._write(lambda c: VersionOps.delete_object(c, bucket, key, version_id))

    async def list_object_versions(
        self, request: pb.ListObjectVersionsRequest, limit: int
    ) -> pb.ListObjectVersionsReply:
        return await self._read(lambda c: sqlite_version_scan.list_object_versions(c, request, limit))

    async def put_object_tags(self, name: pb.ObjectName, tags: dict[str, str]) -> str:
        return await self._write(lambda c: VersionOps.put_tags(c, name, tags))

    async def set_object_acl(self, request: pb.SetObjectAclRequest) -> pb.ObjectRecord:
        return await self._write(lambda c: ObjectOps.set_object_acl(c, request))

    async def list_objects(
        self, bucket: str, prefix: str, delimiter: str, start_after: str, max_keys: int
    ) -> pb.ListObjectsReply:
        def run(conn: sqlite3.Connection) -> pb.ListObjectsReply:
            ObjectOps.get_bucket(conn, bucket)  # NotFound for a missing bucket
            page = list_page(
                lambda lo, inclusive, hi, limit: ObjectOps.fetch_listing(conn, bucket, lo, inclusive, hi, limit),
                prefix,
                delimiter,
                start_after,
                max_keys,
            )
            sizes, etags, mtimes_ns, is_inline = zip(*page.objects, strict=True) if page.objects else ((), (), (), ())
            return pb.ListObjectsReply(
                keys=page.keys,
                sizes=sizes,
                etags=etags,
                mtimes_ns=mtimes_ns,
                is_inline=is_inline,
                common_prefixes=page.common_prefixes,
                is_truncated=page.is_truncated,
                next_marker=page.next_marker,
            )

        return await self._read(run, listing=True)

    async def find_unreferenced(self, object_ids: list[bytes]) -> list[bytes]:
        def run(conn: sqlite3.Connection) -> list[bytes]:
            referenced: set[bytes] = set()
            for start in range(0, len(object_ids), FIND_UNREFERENCED_CHUNK):
                chunk = object_ids[start : start + FIND_UNREFERENCED_CHUNK]
                marks = ",".join("?" * len(chunk))
                for table in ("objects", "object_versions"):  # every version, latest or not
                    sql = f"SELECT DISTINCT object_id FROM {table} WHERE object_id IN ({marks})"
                    referenced.update(bytes(row[0]) for row in conn.execute(sql, chunk))
                referenced.update(MultipartOps.referenced(conn, chunk))
            return [oid for oid in object_ids if oid not in referenced]

        return await self._read(run)

    # ---- multipart uploads ----------------------------------------------------------------------

    async def create_upload(self, upload: pb.MultipartUpload) -> pb.MultipartUpload:
        return await self._write(lambda c: MultipartOps.create_upload(c, upload))

    async def get_upload(self, name: pb.UploadName) -> pb.MultipartUpload:
        return await self._read(lambda c: MultipartOps.get_upload(c, name))

    async def put_part(self, name: pb.UploadName, part: pb.PartLayout) -> pb.PartLayout | None:
        return await self._write(lambda c: MultipartOps.put_part(c, name, part))

    async def list_parts(self, request: pb.ListPartsRequest, limit: int) -> pb.ListPartsReply:
        return await self._read(lambda c: MultipartOps.list_parts(c, request, limit))

    async def complete_upload(
        self, name: pb.UploadName, record: pb.ObjectRecord
    ) -> tuple[pb.ObjectRecord | None, str, list[pb.PartLayout]]:
        return await self._write(lambda c: MultipartOps.complete(c, name, record))

    async def abort_upload(self, name: pb.UploadName) -> list[pb.PartLayout]:
        return await self._write(lambda c: MultipartOps.abort_upload(c, name))

    async def list_uploads(self, request: pb.ListMultipartUploadsRequest, limit: int) -> pb.ListMultipartUploadsReply:
        return await self._read(lambda c: MultipartOps.list_uploads(c, request, limit))

    async def expire_uploads(self, initiated_before_ns: int) -> int:
        return await self._write(lambda c: MultipartOps.expire_uploads(c, initiated_before_ns))

    # ---- users and access keys ------------------------------------------------------------------

    async def create_user(self, user: pb.User) -> pb.User:
        return await self._write(lambda c: UserOps.create_user(c, user))

    async def delete_user(self, name: str) -> None:
        await self._write(lambda c: UserOps.delete_user(c, name))

    async def list_users(self) -> list[pb.User]:
        return await self._read(UserOps.list_users)

    async def create_access_key(self, key: pb.AccessKey, *, replace_secret: bool = False) -> pb.AccessKey:
        return await self._write(lambda c: UserOps.create_access_key(c, key, replace_secret))

    async def revoke_access_key(self, access_key: str) -> None:
        await self._write(lambda c: UserOps.revoke_access_key(c, access_key))

    async def list_access_keys(self, user: str) -> list[pb.AccessKey]:
        return await self._read(lambda c: UserOps.list_access_keys(c, user))

    async def lookup_access_key(self, access_key: str) -> pb.AccessKey:
        return await self._read(lambda c: UserOps.lookup_access_key(c, access_key))

    # ---- status ---------------------------------------------------------------------------------

    async def counts(self) -> StoreCounts:
        def run(conn: sqlite3.Connection) -> StoreCounts:
            buckets = conn.execute("SELECT count(*) FROM buckets").fetchone()[0]
            objects, degraded = conn.execute(
                "SELECT count(*), coalesce(sum(degraded_stripes), 0) FROM objects"
            ).fetchone()
            degraded += conn.execute("SELECT coalesce(sum(degraded_stripes), 0) FROM object_versions").fetchone()[0]
            return StoreCounts(bucket_count=buckets, object_count=objects, degraded_stripes=degraded)

        return await self._read(run)

    # ---- repair ---------------------------------------------------------------------------------

    async def scan_placed_objects(self, after: tuple[str, bytes, str] | None, limit: int) -> list[pb.ObjectRecord]:
        return await self._read(lambda c: sqlite_version_scan.scan_placed_objects(c, after, limit))

    async def scan_upload_parts(self, after: bytes | None, limit: int) -> tuple[list[pb.ObjectRecord], bytes | None]:
        views = await self._read(lambda c: sqlite_repair.scan_upload_parts(c, after, limit))
        return views, (views[-1].object_id if len(views) == limit else None)

    async def placed_view(self, object_id: bytes) -> pb.ObjectRecord | None:
        return await self._read(lambda c: sqlite_repair.placed_view(c, object_id))

    async def replace_fragments(self, object_id: bytes, stripe_index: int, moves: dict[int, tuple[int, int]]) -> bool:
        return await self._write(lambda c: sqlite_repair.replace_fragments(c, object_id, stripe_index, moves))

    async def mark_missing(self, osd_id: int, shards: list[pb.ShardRef]) -> int:
        return await self._write(lambda c: sum(sqlite_repair.mark_missing(c, osd_id, s) for s in shards))

    async def stale_placements(self, osd_id: int, shards: list[pb.ShardRef]) -> list[pb.ShardRef]:
        return await self._read(lambda c: sqlite_repair.stale_placements(c, osd_id, shards))

    # ---- backup and restore ---------------------------------------------------------------------

    async def export_items(self) -> AsyncIterator[pb.MetaItem]:
        """One read transaction on a connection of its own, in a thread of its own (an export may
        outlast any reader-pool call); batches reach the loop through a bounded queue."""
        if self._readers is None:
            raise StoreClosed("the metadata store is closed")
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[list[pb.MetaItem] | BaseException | None] = asyncio.Queue(EXPORT_QUEUE_BATCHES_MAX)
        stop = threading.Event()

        def hand_over(value: list[pb.MetaItem] | BaseException | None) -> None:
            while not stop.is_set():
                future = asyncio.run_coroutine_threadsafe(queue.put(value), loop)
                try:
                    future.result(timeout=1.0)
                    return
                except TimeoutError:
                    future.cancel()

        def produce() -> None:
            conn = schema.connect(self._path, cache_bytes=self._cache_bytes, readonly=True)
            try:
                conn.execute("BEGIN")
                batch: list[pb.MetaItem] = []
                for item in sqlite_export.export_items(conn):
                    batch.append(item)
                    if len(batch) >= EXPORT_BATCH_ITEMS:
                        hand_over(batch)
                        batch = []
                    if stop.is_set():
                        return
                hand_over(batch)
                hand_over(None)
            except BaseException as exc:  # handed to the consumer, which raises it
                hand_over(exc if not isinstance(exc, sqlite3.Error) else Unavailable(f"export failed: {exc}"))
            finally:
                conn.close()

        producer = loop.run_in_executor(None, produce)
        try:
            while (batch := await queue.get()) is not None:
                if isinstance(batch, BaseException):
                    raise batch
                for item in batch:
                    yield item
        finally:
            stop.set()
            await producer

    async def import_items(self, items: list[pb.MetaItem]) -> tuple[int, int]:
        def run(conn: sqlite3.Connection) -> tuple[int, int]:
            stored = sum(1 for item in items if sqlite_export.import_item(conn, item))
            return stored, len(items) - stored

        return await self._write(run)
