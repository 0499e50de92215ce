"""Export and import of the etcd metadata store as ``MetaItem`` messages (the counterpart of
:mod:`objectio.meta.sqlite_export`; the rules are ``MetaStore.import_items``'s).

Export reads every range at the revision of its first read: one consistent snapshot, as long as
etcd does not compact that revision away meanwhile (auto-compaction keeps
``--auto-compaction-retention`` revisions; an export outrun by it fails with EtcdCompacted and is
retried by the caller). Items come in import order: cluster, OSDs, pools, users, access keys,
buckets with their settings, object versions (``o/`` then ``v/``), uploads, upload parts.

Import is not one etcd transaction (etcd caps a transaction at ``--max-txn-ops`` operations):
:func:`import_chunk` merges items into one transaction until it holds
:data:`IMPORT_TXN_OPS_SOFT` operations, and the store commits chunk after chunk. Index entries of
imported versions are written before the versions (an entry naming nothing is harmless, a
version without its entry would look unreferenced to GC).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from objectio.meta import etcd_cluster_ops as cluster
from objectio.meta import etcd_object_ops as objects
from objectio.meta import etcd_user_ops as users
from objectio.meta import etcd_version_ops as versions
from objectio.meta.errors import PreconditionFailed
from objectio.meta.etcd_client import EtcdClient, prefix_end
from objectio.meta.etcd_keys import SEP, IdRef, Layout, decode, decode_json, encode
from objectio.meta.etcd_multipart_ops import _decode_upload
from objectio.meta.etcd_txn import View
from objectio.meta.versions import version_order
from objectio.protos import meta_pb2 as pb

EXPORT_PAGE_KEYS = 256  # keys per range read of an export
IMPORT_TXN_OPS_SOFT = 80  # a chunk stops taking items here; one item adds at most ~12 operations


async def _pages(client: EtcdClient, start: bytes, revision: int) -> AsyncIterator[tuple[bytes, bytes]]:
    """Every key-value under the prefix ``start`` at ``revision``, in key order."""
    end = prefix_end(start)
    key = start
    while True:
        reply = await client.range(key, end, limit=EXPORT_PAGE_KEYS, revision=revision)
        for kv in reply.kvs:
            yield kv.key, kv.value
        if not reply.more or not reply.kvs:
            return
        key = reply.kvs[-1].key + b"\0"


async def export_items(client: EtcdClient, keys: Layout) -> AsyncIterator[pb.MetaItem]:
    first = await client.range(keys.cluster_meta)
    revision = first.header.revision
    info = cluster.ClusterInfo(decode_json(first.kvs[0].value, keys.cluster_meta), keys.cluster_meta)
    yield pb.MetaItem(
        cluster=pb.ClusterInfo(
            cluster_id=info.cluster_id, epoch=info.epoch, default_pool=info.default_pool, next_osd_id=info.next_osd_id
        )
    )
    async for k, v in _pages(client, keys.osds, revision):
        yield pb.MetaItem(osd=cluster._decode_osd(k, v, keys))
    async for k, v in _pages(client, keys.pools, revision):
        yield pb.MetaItem(pool=decode(pb.Pool(), v, k))
    async for k, v in _pages(client, keys.users, revision):
        yield pb.MetaItem(user=decode(pb.User(), v, k))
    async for k, v in _pages(client, keys.access_keys, revision):
        yield pb.MetaItem(access_key=decode(pb.AccessKey(), v, k))
    async for k, v in _pages(client, keys.buckets, revision):
        yield pb.MetaItem(bucket=decode(pb.Bucket(), v, k))  # with its settings
    async for k, v in _pages(client, keys.objects, revision):
        yield pb.MetaItem(object=objects.decode_record(keys, k, v))
    async for k, v in _pages(client, keys.versions, revision):
        yield pb.MetaItem(object=versions.decode_version(keys, k, v))  # older versions, delete markers
    async for k, v in _pages(client, keys.uploads, revision):
        yield pb.MetaItem(upload=_decode_upload(keys, k, v))
    async for k, v in _pages(client, keys.parts, revision):
        upload_id = k[len(keys.parts) :].split(SEP)[-2].decode()
        yield pb.MetaItem(upload_part=pb.UploadPart(upload_id=upload_id, part=decode(pb.PartLayout(), v, k)))


def version_refs(items: list[pb.MetaItem]) -> list[tuple[bytes, IdRef]]:
    """The index entries of the object versions among ``items`` (own ids and part ids)."""
    refs = []
    for item in items:
        if item.WhichOneof("item") != "object":
            continue
        record = item.object
        ref = IdRef(record.bucket, record.key, vorder=version_order(record.mtime_ns))
        if record.object_id and not record.parts:
            refs.append((record.object_id, ref))
        refs.extend((part.object_id, ref) for part in record.parts if part.object_id)
    return refs


async def import_chunk(view: View, keys: Layout, items: list[pb.MetaItem], start: int) -> tuple[int, int]:
    """Merge items from ``start`` on until the transaction is full; (items taken, items stored)."""
    taken = stored = 0
    uploads = {i.upload.upload_id: i.upload for i in items if i.WhichOneof("item") == "upload"}
    while start + taken < len(items) and (taken == 0 or view.ops < IMPORT_TXN_OPS_SOFT):
        stored += await import_item(view, keys, items[start + taken], uploads)
        taken += 1
    return taken, stored


async def import_item(view: View, keys: Layout, item: pb.MetaItem, uploads: dict[str, pb.MultipartUpload]) -> bool:
    """Merge one item; False when the store kept its own."""
    kind = item.WhichOneof("item")
    if kind == "cluster":
        return await _import_cluster(view, keys, item.cluster)
    if kind == "osd":
        return await _import_osd(view, keys, item.osd)
    if kind == "pool":
        if await cluster.pool_exists(view, keys, item.pool.name):
            return False
        view.put(keys.pool(item.pool.name), encode(item.pool))
        await cluster.bump_epoch(view, keys)
        return True
    if kind == "user":
        if await view.get(keys.user(item.user.name)) is not None:
            return False
        await users.create_user(view, keys, item.user)
        return True
    if kind == "access_key":
        await users.create_access_key(view, keys, item.access_key, replace_secret=True)
        return True
    if kind == "bucket":
        if await view.get(keys.bucket(item.bucket.name)) is not None:
            return False
        await objects.create_bucket(view, keys, item.bucket)
        return True
    if kind == "object":
        return await versions.import_version(view, keys, item.object)  # the newest version is the latest
    if kind == "upload":
        upload = item.upload
        key = keys.upload(upload.bucket, upload.key, upload.upload_id)
        if await view.get(key) is not None:
            return False
        await objects.get_bucket(view, keys, upload.bucket)
        view.put(key, encode(upload))
        return True
    if kind == "upload_part":
        return await _import_part(view, keys, item.upload_part, uploads)
    raise ValueError(f"unknown import item {kind!r}")


async def _import_cluster(view: View, keys: Layout, item: pb.ClusterInfo) -> bool:
    """The cluster's identity is taken only by a store that holds no bucket yet (a fresh one)."""
    if await view.range(keys.buckets, prefix_end(keys.buckets), limit=1, keys_only=True):
        raise PreconditionFailed("the cluster settings are restored only into a store without buckets")
    info = await cluster.info(view, keys)
    info.cluster_id = item.cluster_id
    info.epoch = max(info.epoch, item.epoch) + 1
    info.default_pool = item.default_pool
    info.next_osd_id = max(info.next_osd_id, item.next_osd_id)
    view.put(keys.cluster_meta, info.encode())
    return True


async def _import_osd(view: View, keys: Layout, osd: pb.Osd) -> bool:
    """An OSD the store does not know, as down until it registers (a registration is newer)."""
    if await cluster.get_osd(view, keys, osd.id) is not None:
        return False
    stored = pb.Osd()
    stored.CopyFrom(osd)
    stored.up = pb.OSD_DOWN
    cluster.put_osd(view, keys, stored)
    info = await cluster.info(view, keys)
    info.next_osd_id = max(info.next_osd_id, osd.id + 1)
    info.epoch += 1
    view.put(keys.cluster_meta, info.encode())
    return True


async def _find_upload(view: View, keys: Layout, upload_id: str) -> pb.MultipartUpload | None:
    """An upload by id alone (uploads in progress are few: their range is read)."""
    for kv in await view.range(keys.uploads, prefix_end(keys.uploads)):
        if kv.key.endswith(SEP + upload_id.encode()):
            return _decode_upload(keys, kv.key, kv.value)
    return None


async def _import_part(view: View, keys: Layout, item: pb.UploadPart, uploads: dict[str, pb.MultipartUpload]) -> bool:
    upload = uploads.get(item.upload_id) or await _find_upload(view, keys, item.upload_id)
    part = item.part
    if upload is None or await view.get(keys.upload(upload.bucket, upload.key, upload.upload_id)) is None:
        raise PreconditionFailed(f"part {part.part_number} of upload {item.upload_id}: the upload comes first")
    key = keys.part(upload.bucket, upload.key, upload.upload_id, part.part_number)
    if await view.get(key) is not None:
        return False
    view.put(key, encode(part))
    if part.object_id:
        ref = IdRef(upload.bucket, upload.key, upload.upload_id, part.part_number)
        view.put(keys.object_id(part.object_id), ref.encode())
    return True
