"""EtcdMetaStore: the MetaStore on an etcd cluster, shared by several objectio-meta instances.

Every call is one optimistic transaction (:mod:`objectio.meta.etcd_txn`) over the key layout of
:mod:`objectio.meta.etcd_keys`; the rules of each operation live in ``etcd_cluster_ops``,
``etcd_object_ops`` (buckets, never-versioned objects), ``etcd_version_ops`` (object versions),
``etcd_version_scan`` (ListObjectVersions, the repair scan), ``etcd_multipart_ops``,
``etcd_repair_ops``, ``etcd_user_ops`` and ``etcd_export`` (backup and restore) — one module
per concern, the same rules as the SQLite store. Durability is etcd's: a transaction is acknowledged once a
majority of members has it in its fsynced raft log. Reads are linearizable (served through the
raft leader), so a read on any meta instance sees every write acknowledged by any other.

What this store does not do itself: watching the cluster map and electing the instance that
runs background work (:mod:`objectio.meta.etcd_sync`).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TypeVar

from objectio.common.shardkey import DESCRIPTOR_STRIPE
from objectio.meta import etcd_cluster_ops as cluster
from objectio.meta import etcd_export, etcd_txn
from objectio.meta import etcd_multipart_ops as multipart
from objectio.meta import etcd_object_ops as objects
from objectio.meta import etcd_repair_ops as repair_ops
from objectio.meta import etcd_user_ops as users
from objectio.meta import etcd_version_ops as versions
from objectio.meta import etcd_version_scan as version_scan
from objectio.meta.errors import StoreClosed, Unavailable
from objectio.meta.etcd_client import EtcdClient, prefix_end
from objectio.meta.etcd_keys import IdRef, Layout
from objectio.meta.etcd_txn import View
from objectio.meta.listing import list_page_async
from objectio.meta.store import MetaStore, OsdHeartbeat, StoreCounts, WriterStats
from objectio.protos import meta_pb2 as pb

T = TypeVar("T")
SCAN_PAGE_RECORDS = 256  # records per range read of a full scan (repair, osd_is_referenced)
FORGET_IDS_PER_TXN = 100  # index entries one clean-up transaction deletes (or import writes)


class EtcdMetaStore(MetaStore):
    def __init__(
        self,
        endpoints: Sequence[str],
        *,
        prefix: str = "/objectio/",
        call_timeout_s: float = 5.0,
        cluster_id: str = "",
    ) -> None:
        self.keys = Layout(prefix)
        self._new_cluster_id = cluster_id
        self._adopt_osds = bool(cluster_id)  # recovery: OSDs of that cluster rejoin with their ids
        self._endpoints = list(endpoints)
        self._timeout_s = call_timeout_s
        self._client: EtcdClient | None = None
        self._txn_stats = etcd_txn.TxnStats()
        self._stats = WriterStats()
        self.created = False

    # ---- lifecycle ------------------------------------------------------------------------------

    @property
    def client(self) -> EtcdClient:
        if self._client is None:
            raise StoreClosed("the metadata store is closed")
        return self._client

    async def open(self) -> None:
        assert self._client is None, "store opened twice"
        self._client = EtcdClient(self._endpoints, call_timeout_s=self._timeout_s)
        cluster_id, now_ms = self._new_cluster_id.replace("-", "") or uuid.uuid4().hex, 0

        async def init(view: View) -> bool:
            if await view.get(self.keys.cluster_meta) is not None:
                return False
            view.put(self.keys.cluster_meta, cluster.new_cluster_info(cluster_id, now_ms))
            return True

        try:
            self.created = await self._run(init)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()

    @property
    def writer_stats(self) -> WriterStats:
        """One commit per write transaction (etcd batches in its raft log, below us)."""
        return self._stats

    @property
    def txn_stats(self) -> etcd_txn.TxnStats:
        return self._txn_stats

    async def _run(self, fn: Callable[[View], Awaitable[T]]) -> T:
        try:
            return await etcd_txn.run(self.client, fn, self._txn_stats)
        except Unavailable:
            self._stats.writes_failed += 1
            raise
        finally:
            self._stats.commits = self._stats.writes_committed = self._txn_stats.commits

    async def _forget_ids(self, object_ids: list[bytes]) -> None:
        """Drop index entries of ids nothing references any more (after the commit that made
        them garbage; one a crash leaves behind reads as unreferenced anyway)."""
        for start in range(0, len(object_ids), FORGET_IDS_PER_TXN):
            chunk = object_ids[start : start + FORGET_IDS_PER_TXN]

            async def forget(view: View, chunk: list[bytes] = chunk) -> None:
                for object_id in chunk:
                    view.delete(self.keys.object_id(object_id))

            await self._run(forget)

    # ---- cluster map ----------------------------------------------------------------------------

    async def cluster_map(self) -> pb.ClusterMap:
        return await self._run(lambda v: cluster.read_map(v, self.keys))

    async def register_osd(
        self, request: pb.RegisterOsdRequest, now_ms: int, full_ratio: float = 1.0
    ) -> tuple[pb.Osd, pb.ClusterMap]:
        return await self._run(
            lambda v: cluster.register_osd(v, self.keys, request, now_ms, full_ratio, self._adopt_osds)
        )

    async def heartbeat(self, beat: OsdHeartbeat) -> tuple[pb.Osd, pb.ClusterMap | None]:
        return await self._run(lambda v: cluster.heartbeat(v, self.keys, beat))

    async def mark_osds_down(self, osd_ids: list[int], heard_before_ms: int) -> pb.ClusterMap | None:
        return await self._run(lambda v: cluster.mark_down(v, self.keys, osd_ids, heard_before_ms))

    async def set_osd_state(self, osd_id: int, *, set_in: bool, set_out: bool, remove: bool) -> pb.ClusterMap:
        return await self._run(lambda v: cluster.set_state(v, self.keys, osd_id, set_in, set_out, remove))

    async def osd_is_referenced(self, osd_id: int) -> bool:
        """Full scan of the records and of the uploads' parts (admin operation)."""
        for start in (self.keys.objects, self.keys.versions):  # every version
            async for record in self._scan(start):
                stripes = [*record.stripes, *(s for p in record.parts for s in p.stripes)]
                if any(osd_id in stripe.osd_ids for stripe in stripes):
                    return True
        kvs = await self.client.range(self.keys.parts, prefix_end(self.keys.parts))
        for kv in kvs.kvs:
            part = pb.PartLayout()
            part.ParseFromString(kv.value[1:])
            if any(osd_id in stripe.osd_ids for stripe in part.stripes):
                return True
        return False

    async def create_pool(self, pool: pb.Pool) -> pb.ClusterMap:
        return await self._run(lambda v: cluster.create_pool(v, self.keys, pool))

    async def set_default_pool(self, name: str) -> pb.ClusterMap:
        return await self._run(lambda v: cluster.set_default_pool(v, self.keys, name))

    # ---- buckets --------------------------------------------------------------------------------

    async def create_bucket(self, bucket: pb.Bucket) -> pb.Bucket:
        return await self._run(lambda v: objects.create_bucket(v, self.keys, bucket))

    async def delete_bucket(self, name: str) -> None:
        await self._run(lambda v: objects.delete_bucket(v, self.keys, name))

    async def get_bucket(self, name: str) -> pb.Bucket:
        return await self._run(lambda v: objects.get_bucket(v, self.keys, name))

    async def list_buckets(self, owner: str) -> list[pb.Bucket]:
        return await self._run(lambda v: objects.list_buckets(v, self.keys, owner))

    async def put_bucket_setting(self, bucket: str, name: str, value: bytes | None) -> pb.Bucket:
        return await self._run(lambda v: objects.put_bucket_setting(v, self.keys, bucket, name, value))

    # ---- objects --------------------------------------------------------------------------------

    async def put_object(self, record: pb.ObjectRecord, if_none_match: bool) -> pb.PutObjectReply:
        reply = await self._run(lambda v: versions.put_object(v, self.keys, record, if_none_match))
        await self._forget_ids(objects.part_ids(reply.replaced if reply.has_replaced else None))
        return reply

    async def get_object(self, bucket: str, key: str, version_id: str = "") -> pb.ObjectRecord:
        return await self._run(lambda v: versions.get_object(v, self.keys, bucket, key, version_id))

    async def delete_object(self, bucket: str, key: str, version_id: str = "") -> pb.DeleteObjectReply:
        reply = await self._run(lambda v: versions.delete_object(v, self.keys, bucket, key, version_id))
        await self._forget_ids(objects.part_ids(reply.deleted if reply.existed else None))
        return reply

    async def list_object_versions(
        self, request: pb.ListObjectVersionsRequest, limit: int
    ) -> pb.ListObjectVersionsReply:
        return await self._run(lambda v: version_scan.list_object_versions(v, self.keys, request, limit))

    async def put_object_tags(self, name: pb.ObjectName, tags: dict[str, str]) -> str:
        return await self._run(lambda v: versions.put_tags(v, self.keys, name, tags))

    async def set_object_acl(self, request: pb.SetObjectAclRequest) -> pb.ObjectRecord:
        return await self._run(lambda v: objects.set_object_acl(v, self.keys, request))

    async def list_objects(
        self, bucket: str, prefix: str, delimiter: str, start_after: str, max_keys: int
    ) -> pb.ListObjectsReply:
        async def run(view: View) -> pb.ListObjectsReply:
            await objects.get_bucket(view, self.keys, bucket)
            page = await list_page_async(
                lambda lo, inclusive, hi, limit: objects.fetch_listing(
                    view, self.keys, bucket, lo, inclusive, hi, limit
                ),
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

        return await self._run(run)

    async def find_unreferenced(self, object_ids: list[bytes]) -> list[bytes]:
        async def run(view: View) -> list[bytes]:
            found = await view.get_many([self.keys.object_id(oid) for oid in object_ids])
            live = await repair_ops.resolve(view, self.keys, list(found.values()))
            return [oid for oid in object_ids if oid not in live]

        unreferenced = await self._run(run)
        return unreferenced

    # ---- multipart uploads ----------------------------------------------------------------------

    async def create_upload(self, upload: pb.MultipartUpload) -> pb.MultipartUpload:
        return await self._run(lambda v: multipart.create_upload(v, self.keys, upload))

    async def get_upload(self, name: pb.UploadName) -> pb.MultipartUpload:
        return await self._run(lambda v: multipart.get_upload(v, self.keys, name))

    async def put_part(self, name: pb.UploadName, part: pb.PartLayout) -> pb.PartLayout | None:
        return await self._run(lambda v: multipart.put_part(v, self.keys, name, part))

    async def list_parts(self, request: pb.ListPartsRequest, limit: int) -> pb.ListPartsReply:
        return await self._run(lambda v: multipart.list_parts(v, self.keys, request, limit))

    async def complete_upload(
        self, name: pb.UploadName, record: pb.ObjectRecord
    ) -> tuple[pb.ObjectRecord | None, str, list[pb.PartLayout]]:
        replaced, version_id, unused = await self._run(lambda v: multipart.complete(v, self.keys, name, record))
        await self._forget_ids([p.object_id for p in unused if p.object_id] + objects.part_ids(replaced))
        return replaced, version_id, unused

    async def abort_upload(self, name: pb.UploadName) -> list[pb.PartLayout]:
        parts = await self._run(lambda v: multipart.abort_upload(v, self.keys, name))
        await self._forget_ids([p.object_id for p in parts if p.object_id])
        return parts

    async def list_uploads(self, request: pb.ListMultipartUploadsRequest, limit: int) -> pb.ListMultipartUploadsReply:
        return await self._run(lambda v: multipart.list_uploads(v, self.keys, request, limit))

    async def expire_uploads(self, initiated_before_ns: int) -> int:
        count, parts = await self._run(lambda v: multipart.expire_uploads(v, self.keys, initiated_before_ns))
        await self._forget_ids([p.object_id for p in parts if p.object_id])
        return count

    # ---- users and access keys ------------------------------------------------------------------

    async def create_user(self, user: pb.User) -> pb.User:
        return await self._run(lambda v: users.create_user(v, self.keys, user))

    async def delete_user(self, name: str) -> None:
        await self._run(lambda v: users.delete_user(v, self.keys, name))

    async def list_users(self) -> list[pb.User]:
        return await self._run(lambda v: users.list_users(v, self.keys))

    async def create_access_key(self, key: pb.AccessKey, *, replace_secret: bool = False) -> pb.AccessKey:
        return await self._run(lambda v: users.create_access_key(v, self.keys, key, replace_secret))

    async def revoke_access_key(self, access_key: str) -> None:
        await self._run(lambda v: users.revoke_access_key(v, self.keys, access_key))

    async def list_access_keys(self, user: str) -> list[pb.AccessKey]:
        return await self._run(lambda v: users.list_access_keys(v, self.keys, user))

    async def lookup_access_key(self, access_key: str) -> pb.AccessKey:
        return await self._run(lambda v: users.lookup_access_key(v, self.keys, access_key))

    # ---- status ---------------------------------------------------------------------------------

    async def counts(self) -> StoreCounts:
        keys, client = self.keys, self.client
        buckets = await client.range(keys.buckets, prefix_end(keys.buckets), count_only=True)
        revision = buckets.header.revision
        objects_ = await client.range(keys.objects, prefix_end(keys.objects), count_only=True, revision=revision)
        degraded = 0
        for start in (keys.degraded, keys.degraded_versions):  # the o/ records' and the v/ records'
            reply = await client.range(start, prefix_end(start), revision=revision)
            degraded += sum(int(kv.value) for kv in reply.kvs)
        return StoreCounts(bucket_count=buckets.count, object_count=objects_.count, degraded_stripes=degraded)

    # ---- repair ---------------------------------------------------------------------------------

    async def _scan(self, start: bytes) -> AsyncIterator[pb.ObjectRecord]:
        """Every record under the prefix ``start`` (``o/`` or ``v/``), page by page (not a snapshot)."""
        decode = objects.decode_record if start == self.keys.objects else versions.decode_version
        end = prefix_end(start)
        key = start
        while True:
            reply = await self.client.range(key, end, limit=SCAN_PAGE_RECORDS)
            for kv in reply.kvs:
                yield decode(self.keys, kv.key, kv.value)
            if not reply.more or not reply.kvs:
                return
            key = reply.kvs[-1].key + b"\0"

    async def scan_placed_objects(self, after: tuple[str, bytes, str] | None, limit: int) -> list[pb.ObjectRecord]:
        return await self._run(lambda v: version_scan.scan_placed_objects(v, self.keys, after, limit))

    async def scan_upload_parts(self, after: bytes | None, limit: int) -> tuple[list[pb.ObjectRecord], bytes | None]:
        return await self._run(lambda v: repair_ops.scan_upload_parts(v, self.keys, after, limit))

    async def placed_view(self, object_id: bytes) -> pb.ObjectRecord | None:
        return await self._run(lambda v: repair_ops.placed_view(v, self.keys, object_id))

    async def replace_fragments(self, object_id: bytes, stripe_index: int, moves: dict[int, tuple[int, int]]) -> bool:
        return await self._run(lambda v: repair_ops.replace_fragments(v, self.keys, object_id, stripe_index, moves))

    async def mark_missing(self, osd_id: int, shards: list[pb.ShardRef]) -> int:
        marked = 0
        for shard in shards:
            move = {shard.fragment_index: (osd_id, 0)}

            async def run(view: View, shard: pb.ShardRef = shard, move: dict[int, tuple[int, int]] = move) -> bool:
                return await repair_ops.replace_fragments(view, self.keys, shard.object_id, shard.stripe_index, move)

            marked += await self._run(run)
        return marked

    async def stale_placements(self, osd_id: int, shards: list[pb.ShardRef]) -> list[pb.ShardRef]:
        async def run(view: View) -> list[pb.ShardRef]:
            views: dict[bytes, pb.ObjectRecord | None] = {}
            stale = []
            for shard in shards:
                if shard.stripe_index == DESCRIPTOR_STRIPE:  # descriptor copies are not placed
                    continue
                if shard.object_id not in views:
                    views[shard.object_id] = await repair_ops.placed_view(view, self.keys, shard.object_id)
                record = views[shard.object_id]
                if record is not None and _placed_on(record, shard) != osd_id:
                    stale.append(shard)
            return stale

        return await self._run(run)

    # ---- backup and restore ---------------------------------------------------------------------

    async def export_items(self) -> AsyncIterator[pb.MetaItem]:
        """Every range read at one etcd revision (see :mod:`objectio.meta.etcd_export`)."""
        async for item in etcd_export.export_items(self.client, self.keys):
            yield item

    async def import_items(self, items: list[pb.MetaItem]) -> tuple[int, int]:
        """Index entries of the versions first, then the items, a transaction per chunk that etcd
        accepts (``etcd_export.IMPORT_TXN_OPS_SOFT`` operations); not atomic as a whole: a chunk
        that fails leaves the chunks before it stored (importing the same items again merges)."""
        refs = etcd_export.version_refs(items)
        for start in range(0, len(refs), FORGET_IDS_PER_TXN):
            chunk = refs[start : start + FORGET_IDS_PER_TXN]

            async def index(view: View, chunk: list[tuple[bytes, IdRef]] = chunk) -> None:
                for object_id, ref in chunk:
                    view.put(self.keys.object_id(object_id), ref.encode())

            await self._run(index)
        done = stored = 0
        while done < len(items):

            async def chunk_from(view: View, at: int = done) -> tuple[int, int]:
                return await etcd_export.import_chunk(view, self.keys, items, at)

            taken, chunk_stored = await self._run(chunk_from)
            done += taken
            stored += chunk_stored
        return stored, len(items) - stored


def _placed_on(record: pb.ObjectRecord, shard: pb.ShardRef) -> int:
    if shard.stripe_index >= len(record.stripes):
        return 0
    osd_ids = record.stripes[shard.stripe_index].osd_ids
    return osd_ids[shard.fragment_index] if shard.fragment_index < len(osd_ids) else 0
