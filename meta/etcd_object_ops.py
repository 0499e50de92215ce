"""Buckets and object records in etcd (keys ``b/``, ``o/``, ``d/``, ``i/``; see etcd_keys).

Functions of a :class:`~objectio.meta.etcd_txn.View`, with the rules of
:class:`objectio.meta.sqlite_ops.ObjectOps`: buckets, and the one record per key of a
never-versioned bucket (versioned buckets: :mod:`objectio.meta.etcd_version_ops`). A PUT is one
transaction: it compares the bucket key and the object key it read, writes the record, the
object id's index entry and the degraded-stripe counter, and drops the index entry of the object
id it replaced.
"""

from __future__ import annotations

from objectio.meta import etcd_cluster_ops as cluster
from objectio.meta.errors import AlreadyExists, CorruptRecord, NotFound, PreconditionFailed
from objectio.meta.etcd_client import prefix_end
from objectio.meta.etcd_keys import IdRef, Layout, decode, encode
from objectio.meta.etcd_txn import View
from objectio.meta.sqlite_schema import RECORD_FORMAT_VERSION
from objectio.meta.versions import version_order
from objectio.protos import meta_pb2 as pb

# ---- buckets ------------------------------------------------------------------------------------


async def get_bucket(view: View, keys: Layout, name: str) -> pb.Bucket:
    value = await view.get(keys.bucket(name))
    if value is None:
        raise NotFound("bucket", name)
    bucket = decode(pb.Bucket(), value, keys.bucket(name))
    if bucket.name != name:
        raise CorruptRecord(f"etcd key {keys.bucket(name)!r} holds bucket {bucket.name!r}")
    return bucket


async def create_bucket(view: View, keys: Layout, bucket: pb.Bucket) -> pb.Bucket:
    assert bucket.name and bucket.owner, "bucket names and owners are validated before they are stored"
    value = await view.get(keys.bucket(bucket.name))
    if value is not None:
        raise AlreadyExists("bucket", bucket.name, owner=decode(pb.Bucket(), value, keys.bucket(bucket.name)).owner)
    stored = pb.Bucket(name=bucket.name, owner=bucket.owner, pool=bucket.pool, created_ms=bucket.created_ms)
    stored.settings.update(bucket.settings)  # settings live inside the bucket's value
    if not stored.pool:
        stored.pool = (await cluster.info(view, keys)).default_pool
    if not await cluster.pool_exists(view, keys, stored.pool):
        raise NotFound("pool", stored.pool)
    view.put(keys.bucket(stored.name), encode(stored))
    return stored


async def delete_bucket(view: View, keys: Layout, name: str) -> None:
    """A bucket with objects stays; its uploads in progress go with it (their parts' index
    entries then name nothing and read as unreferenced)."""
    await get_bucket(view, keys, name)
    for start in (keys.bucket_objects(name), keys.bucket_versions(name)):  # delete markers count (S3)
        if await view.range(start, prefix_end(start), limit=1, keys_only=True):
            raise PreconditionFailed(f"bucket {name!r} is not empty")
    for start in (keys.bucket_uploads(name), keys.bucket_parts(name)):
        view.delete_range(start, prefix_end(start))
    view.delete(keys.bucket(name))


async def put_bucket_setting(view: View, keys: Layout, name: str, setting: str, value: bytes | None) -> pb.Bucket:
    bucket = await get_bucket(view, keys, name)
    if value is None:
        bucket.settings.pop(setting, None)
    else:
        bucket.settings[setting] = value
    view.put(keys.bucket(name), encode(bucket))
    return bucket


async def list_buckets(view: View, keys: Layout, owner: str) -> list[pb.Bucket]:
    """Every bucket key is read (buckets are few; the owner filter is applied here)."""
    buckets = []
    for kv in await view.range(keys.buckets, prefix_end(keys.buckets)):
        bucket = decode(pb.Bucket(), kv.value, kv.key)
        if not owner or bucket.owner == owner:
            bucket.settings.clear()  # listings leave the settings out, as on SQLite
            buckets.append(bucket)
    return buckets


# ---- object records -----------------------------------------------------------------------------


def decode_record(keys: Layout, kv_key: bytes, value: bytes) -> pb.ObjectRecord:
    record = decode(pb.ObjectRecord(), value, kv_key)
    if record.format_version != RECORD_FORMAT_VERSION:
        raise CorruptRecord(f"etcd key {kv_key!r}: record format version {record.format_version}")
    if keys.object(record.bucket, record.key) != kv_key:
        raise CorruptRecord(f"etcd key {kv_key!r} holds {record.bucket}/{record.key!r}")
    return record


async def current(view: View, keys: Layout, bucket: str, key: str) -> pb.ObjectRecord | None:
    value = await view.get(keys.object(bucket, key))
    return None if value is None else decode_record(keys, keys.object(bucket, key), value)


def degraded_stripes(record: pb.ObjectRecord) -> int:
    stripes = [*record.stripes, *(stripe for part in record.parts for stripe in part.stripes)]
    return sum(1 for stripe in stripes if 0 in stripe.osd_ids)


def part_ids(record: pb.ObjectRecord | None) -> list[bytes]:
    return [] if record is None else [p.object_id for p in record.parts if p.object_id]


def store_record(view: View, keys: Layout, record: pb.ObjectRecord, replaced: pb.ObjectRecord | None) -> None:
    """Write ``record`` over ``replaced`` (read in this view) with its index entry and counter."""
    view.put(keys.object(record.bucket, record.key), encode(record))
    degraded = degraded_stripes(record)
    if degraded:
        view.put(keys.degraded_of(record.bucket, record.key), b"%d" % degraded)
    elif replaced is not None and degraded_stripes(replaced):
        view.delete(keys.degraded_of(record.bucket, record.key))
    if record.object_id and not record.parts:
        ref = IdRef(record.bucket, record.key, vorder=version_order(record.mtime_ns))
        view.put(keys.object_id(record.object_id), ref.encode())
    if replaced is not None and replaced.object_id and replaced.object_id != record.object_id and not replaced.parts:
        view.delete(keys.object_id(replaced.object_id))


async def put_object(
    view: View, keys: Layout, record: pb.ObjectRecord, if_none_match: bool, bucket: pb.Bucket
) -> pb.ObjectRecord | None:
    """Store ``record`` as the key's only version (a never-versioned ``bucket``, read by the caller)."""
    assert record.format_version == RECORD_FORMAT_VERSION and record.bucket and record.key, "incomplete record"
    if not record.pool:
        stored = pb.ObjectRecord()
        stored.CopyFrom(record)
        stored.pool = bucket.pool
        record = stored
    replaced = await current(view, keys, record.bucket, record.key)
    if replaced is not None and if_none_match:
        raise PreconditionFailed(f"object {record.bucket}/{record.key} exists (if_none_match)")
    store_record(view, keys, record, replaced)
    return replaced


async def delete_object(view: View, keys: Layout, bucket: str, key: str) -> pb.ObjectRecord | None:
    await get_bucket(view, keys, bucket)
    record = await current(view, keys, bucket, key)
    if record is not None:
        view.delete(keys.object(bucket, key))
        if degraded_stripes(record):
            view.delete(keys.degraded_of(bucket, key))
        if record.object_id and not record.parts:
            view.delete(keys.object_id(record.object_id))
    return record


async def set_object_acl(view: View, keys: Layout, request: pb.SetObjectAclRequest) -> pb.ObjectRecord:
    """Compare-and-set the ACL of the current record (same object id and mtime)."""
    record = await current(view, keys, request.bucket, request.key)
    if record is None:
        await get_bucket(view, keys, request.bucket)
        raise NotFound("object", f"{request.bucket}/{request.key}")
    if record.object_id != request.object_id or record.mtime_ns != request.mtime_ns:
        raise PreconditionFailed(f"object {request.bucket}/{request.key} was replaced")
    record.acl = request.acl
    view.put(keys.object(record.bucket, record.key), encode(record))
    return record


ListingRow = tuple[int, str, int, bool]  # size, etag, mtime_ns, is_inline (ListObjectsReply columns)


async def fetch_listing(
    view: View, keys: Layout, bucket: str, lo: bytes, inclusive: bool, hi: bytes | None, limit: int
) -> list[tuple[bytes, ListingRow]]:
    """Latest objects of ``bucket`` with lo <(=) key < hi in key order (one range read of ``o/``:
    delete markers and older versions live elsewhere)."""
    base = keys.bucket_objects(bucket)
    start = base + lo + (b"" if inclusive else b"\0")  # the first key after lo is lo + NUL
    end = base + hi if hi is not None else prefix_end(base)
    rows = []
    for kv in await view.range(start, end, limit=limit, track=False):
        full = decode_record(keys, kv.key, kv.value)
        rows.append((kv.key[len(base) :], (full.size, full.etag, full.mtime_ns, full.is_inline)))
    return rows
