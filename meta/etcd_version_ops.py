"""Object versions in etcd: put, delete, get by version, tags and import (keys ``o/``, ``v/``,
``d/``, ``dv/``, ``i/``; see :mod:`objectio.meta.etcd_keys`), the rules of
:mod:`objectio.meta.sqlite_versions`.

Invariants kept by every function here (the SQLite ones, on the etcd layout):

* the versions of a key are strictly ordered by ``mtime_ns`` (a new version gets at least the
  latest's ``mtime_ns`` + 1); a version's ``v/`` key ends with ``version_order(mtime_ns)``;
* the latest version of a key is its ``o/`` record if that exists (it is then an object);
  otherwise the newest ``v/`` record, which is then a delete marker;
* a key has at most one null version (``version_id == ""``);
* a never-versioned bucket has no ``v/`` keys, and its puts and deletes are
  :mod:`objectio.meta.etcd_object_ops`'s: one record per key;
* a version keeps its ``i/`` entry while it exists in ``o/`` or ``v/``; one removed for good
  drops its own id's entry in the same transaction and reports its part ids to the caller.

Every function runs inside one optimistic transaction (a :class:`View`): the bucket (its
``versioning`` setting), the ``o/`` key and the range of the key's versions are read there, so a
concurrent writer of the same key makes one of the two retry.
"""

from __future__ import annotations

import time

from objectio.meta import etcd_object_ops as objects
from objectio.meta.errors import CorruptRecord, NotFound, PreconditionFailed
from objectio.meta.etcd_client import prefix_end
from objectio.meta.etcd_keys import IdRef, Layout, decode, encode
from objectio.meta.etcd_txn import View
from objectio.meta.sqlite_schema import RECORD_FORMAT_VERSION
from objectio.meta.versions import (
    ENABLED,
    NULL_VERSION,
    VERSIONING_SETTING,
    is_version_id,
    new_version_id,
    order_of_id,
    public_id,
    version_order,
)
from objectio.protos import meta_pb2 as pb


def decode_version(keys: Layout, kv_key: bytes, value: bytes) -> pb.ObjectRecord:
    """A ``v/`` record, checked against the key it was read from."""
    record = decode(pb.ObjectRecord(), value, kv_key)
    if record.format_version != RECORD_FORMAT_VERSION:
        raise CorruptRecord(f"etcd key {kv_key!r}: record format version {record.format_version}")
    if keys.version(record.bucket, record.key, version_order(record.mtime_ns)) != kv_key:
        raise CorruptRecord(f"etcd key {kv_key!r} holds {record.bucket}/{record.key!r} mtime {record.mtime_ns}")
    return record


async def versions_of(view: View, keys: Layout, bucket: str, key: str) -> list[pb.ObjectRecord]:
    """Every ``v/`` record of one key, newest first, this transaction's writes included."""
    start = keys.key_versions(bucket, key)
    return [decode_version(keys, kv.key, kv.value) for kv in await view.range(start, prefix_end(start))]


async def newest_version(view: View, keys: Layout, bucket: str, key: str) -> pb.ObjectRecord | None:
    """The newest ``v/`` record of a key (one short range read, pending writes merged in)."""
    start = keys.key_versions(bucket, key)
    end = prefix_end(start)
    pending = view.own_writes(start, end)
    deletes = sum(1 for value in pending.values() if value is None)
    found = {kv.key: kv.value for kv in await view.range(start, end, limit=1 + deletes)}
    for k, value in pending.items():
        if value is None:
            found.pop(k, None)
        else:
            found[k] = value
    if not found:
        return None
    first = min(found)
    return decode_version(keys, first, found[first])


def write_latest(view: View, keys: Layout, record: pb.ObjectRecord) -> None:
    """Put ``record`` as the key's ``o/`` record with its counter and its own id's index entry."""
    assert not record.delete_marker, "a delete marker is never the o/ record"
    view.put(keys.object(record.bucket, record.key), encode(record))
    _set_counter(view, keys.degraded_of(record.bucket, record.key), objects.degraded_stripes(record))
    _index(view, keys, record)


def write_version(view: View, keys: Layout, record: pb.ObjectRecord) -> None:
    """Put ``record`` as a ``v/`` record with its counter and its own id's index entry."""
    vorder = version_order(record.mtime_ns)
    view.put(keys.version(record.bucket, record.key, vorder), encode(record))
    _set_counter(view, keys.degraded_version(record.bucket, record.key, vorder), objects.degraded_stripes(record))
    _index(view, keys, record)


def remove_latest(view: View, keys: Layout, record: pb.ObjectRecord, *, for_good: bool) -> None:
    view.delete(keys.object(record.bucket, record.key))
    view.delete(keys.degraded_of(record.bucket, record.key))
    if for_good:
        _unindex(view, keys, record)


def remove_version(view: View, keys: Layout, record: pb.ObjectRecord, *, for_good: bool) -> None:
    vorder = version_order(record.mtime_ns)
    view.delete(keys.version(record.bucket, record.key, vorder))
    view.delete(keys.degraded_version(record.bucket, record.key, vorder))
    if for_good:
        _unindex(view, keys, record)


def _set_counter(view: View, key: bytes, degraded: int) -> None:
    if degraded:
        view.put(key, b"%d" % degraded)
    else:
        view.delete(key)


def _index(view: View, keys: Layout, record: pb.ObjectRecord) -> None:
    if record.object_id and not record.parts:
        ref = IdRef(record.bucket, record.key, vorder=version_order(record.mtime_ns))
        view.put(keys.object_id(record.object_id), ref.encode())


def _unindex(view: View, keys: Layout, record: pb.ObjectRecord) -> None:
    if record.object_id and not record.parts:
        view.delete(keys.object_id(record.object_id))


def _next_mtime(mtime_ns: int, newest: pb.ObjectRecord | None) -> int:
    return mtime_ns if newest is None or mtime_ns > newest.mtime_ns else newest.mtime_ns + 1


async def find_version(
    view: View, keys: Layout, bucket: str, key: str, version_id: str
) -> tuple[pb.ObjectRecord, bool] | None:
    """The version ``version_id`` ("null" or an id) of a key and whether it is the ``o/`` record."""
    assert is_version_id(version_id), f"invalid version id {version_id!r}"
    stored = "" if version_id == NULL_VERSION else version_id
    latest = await objects.current(view, keys, bucket, key)
    if latest is not None and latest.version_id == stored:
        return latest, True
    if not stored:
        null = next((r for r in await versions_of(view, keys, bucket, key) if r.version_id == ""), None)
        return None if null is None else (null, False)
    kv_key = keys.version(bucket, key, order_of_id(stored))
    value = await view.get(kv_key)
    if value is None:
        return None
    record = decode_version(keys, kv_key, value)
    return (record, False) if record.version_id == stored else None  # same instant, another version


async def _take_null(
    view: View, keys: Layout, latest: pb.ObjectRecord | None, bucket: str, key: str
) -> pb.ObjectRecord | None:
    """Remove the key's null version for good (a suspended bucket overwrites it); returns it."""
    if latest is not None and latest.version_id == "":
        remove_latest(view, keys, latest, for_good=True)
        return latest
    null = next((r for r in await versions_of(view, keys, bucket, key) if r.version_id == ""), None)
    if null is not None:
        remove_version(view, keys, null, for_good=True)
    return null


async def put_object(view: View, keys: Layout, record: pb.ObjectRecord, if_none_match: bool) -> pb.PutObjectReply:
    """``MetaStore.put_object`` in one transaction."""
    bucket = await objects.get_bucket(view, keys, record.bucket)
    state = bucket.settings.get(VERSIONING_SETTING)
    if state is None:
        replaced = await objects.put_object(view, keys, record, if_none_match, bucket)
        return pb.PutObjectReply(replaced=replaced, has_replaced=True) if replaced else pb.PutObjectReply()
    assert record.format_version == RECORD_FORMAT_VERSION and not record.delete_marker, "incomplete record"
    latest = await objects.current(view, keys, record.bucket, record.key)
    if latest is not None and if_none_match:
        raise PreconditionFailed(f"object {record.bucket}/{record.key} exists (if_none_match)")
    stored = pb.ObjectRecord()
    stored.CopyFrom(record)
    stored.pool = stored.pool or bucket.pool
    newest = latest or await newest_version(view, keys, record.bucket, record.key)
    stored.mtime_ns = _next_mtime(record.mtime_ns, newest)
    replaced = None
    if state == ENABLED:
        stored.version_id = new_version_id(stored.mtime_ns)
    else:
        stored.version_id = ""
        replaced = await _take_null(view, keys, latest, record.bucket, record.key)
    if latest is not None and latest is not replaced:
        write_version(view, keys, latest)  # the previous latest is kept as an older version
    write_latest(view, keys, stored)
    reply = pb.PutObjectReply(version_id=public_id(stored.version_id))
    if replaced is not None and not replaced.delete_marker:
        reply.replaced.CopyFrom(replaced)
        reply.has_replaced = True
    return reply


async def delete_object(view: View, keys: Layout, bucket: str, key: str, version_id: str) -> pb.DeleteObjectReply:
    """``MetaStore.delete_object`` in one transaction."""
    state = (await objects.get_bucket(view, keys, bucket)).settings.get(VERSIONING_SETTING)
    if version_id:
        return await _delete_version(view, keys, bucket, key, version_id)
    if state is None:
        deleted = await objects.delete_object(view, keys, bucket, key)
        return pb.DeleteObjectReply(deleted=deleted, existed=True) if deleted else pb.DeleteObjectReply()
    latest = await objects.current(view, keys, bucket, key)
    newest = latest or await newest_version(view, keys, bucket, key)
    mtime_ns = _next_mtime(time.time_ns(), newest)
    marker = pb.ObjectRecord(
        format_version=RECORD_FORMAT_VERSION, bucket=bucket, key=key, mtime_ns=mtime_ns, delete_marker=True
    )
    removed = None
    if state == ENABLED:
        marker.version_id = new_version_id(mtime_ns)
    else:
        removed = await _take_null(view, keys, latest, bucket, key)
    if latest is not None and latest is not removed:
        remove_latest(view, keys, latest, for_good=False)
        write_version(view, keys, latest)
    write_version(view, keys, marker)
    reply = pb.DeleteObjectReply(version_id=public_id(marker.version_id), delete_marker=True)
    if removed is not None and not removed.delete_marker:
        reply.deleted.CopyFrom(removed)
        reply.existed = True
    return reply


async def _delete_version(view: View, keys: Layout, bucket: str, key: str, version_id: str) -> pb.DeleteObjectReply:
    found = await find_version(view, keys, bucket, key, version_id)
    if found is None:
        return pb.DeleteObjectReply(version_id=version_id)
    record, is_latest = found
    if is_latest:
        remove_latest(view, keys, record, for_good=True)
    else:
        remove_version(view, keys, record, for_good=True)
    if await objects.current(view, keys, bucket, key) is None:  # promote the newest remaining object
        newest = await newest_version(view, keys, bucket, key)
        if newest is not None and not newest.delete_marker:
            remove_version(view, keys, newest, for_good=False)
            write_latest(view, keys, newest)
    reply = pb.DeleteObjectReply(version_id=public_id(record.version_id), delete_marker=record.delete_marker)
    if not record.delete_marker:
        reply.deleted.CopyFrom(record)
        reply.existed = True
    return reply


async def get_object(view: View, keys: Layout, bucket: str, key: str, version_id: str) -> pb.ObjectRecord:
    """The latest version ("": may be a delete marker) or the one named; NotFound("object"),
    NotFound("version") or NotFound("bucket")."""
    if not version_id:
        latest = await objects.current(view, keys, bucket, key)
        if latest is not None:
            return latest
        newest = await newest_version(view, keys, bucket, key)
        if newest is not None and newest.delete_marker:
            return newest
        await objects.get_bucket(view, keys, bucket)
        raise NotFound("object", f"{bucket}/{key}")
    found = await find_version(view, keys, bucket, key, version_id)
    if found is None:
        await objects.get_bucket(view, keys, bucket)
        raise NotFound("version", f"{bucket}/{key} version {version_id}")
    return found[0]


async def rewrite(view: View, keys: Layout, record: pb.ObjectRecord) -> None:
    """Store a changed record of an existing version in place (same key, version and mtime)."""
    latest = await objects.current(view, keys, record.bucket, record.key)
    if latest is not None and latest.mtime_ns == record.mtime_ns:
        write_latest(view, keys, record)
    else:
        write_version(view, keys, record)


async def put_tags(view: View, keys: Layout, name: pb.ObjectName, tags: dict[str, str]) -> str:
    record = await get_object(view, keys, name.bucket, name.key, name.version_id)
    if record.delete_marker:
        raise PreconditionFailed(f"{name.bucket}/{name.key} version {record.version_id} is a delete marker")
    record.ClearField("tags")
    record.tags.update(tags)
    await rewrite(view, keys, record)
    return record.version_id


async def holder(view: View, keys: Layout, ref: IdRef, object_id: bytes) -> pb.ObjectRecord | None:
    """The version of (ref.bucket, ref.key) that names ``object_id`` (own id or a part's), if any."""
    latest = await objects.current(view, keys, ref.bucket, ref.key)
    if latest is not None and _names(latest, object_id):
        return latest
    if ref.vorder:
        kv_key = keys.version(ref.bucket, ref.key, ref.vorder)
        value = await view.get(kv_key)
        record = None if value is None else decode_version(keys, kv_key, value)
        return record if record is not None and _names(record, object_id) else None
    return next((r for r in await versions_of(view, keys, ref.bucket, ref.key) if _names(r, object_id)), None)


def _names(record: pb.ObjectRecord, object_id: bytes) -> bool:
    return record.object_id == object_id or any(p.object_id == object_id for p in record.parts)


async def import_version(view: View, keys: Layout, record: pb.ObjectRecord) -> bool:
    """Merge one version from a backup, keeping its version id and mtime (the rules of
    ``sqlite_versions.VersionOps.import_version``). The index entries of its parts are written
    by the caller before (see EtcdMetaStore.import_items)."""
    latest = await objects.current(view, keys, record.bucket, record.key)
    if latest is not None and latest.mtime_ns == record.mtime_ns:
        return False
    if await view.get(keys.version(record.bucket, record.key, version_order(record.mtime_ns))) is not None:
        return False
    older = await newest_version(view, keys, record.bucket, record.key)
    newest = max((r for r in (latest, older) if r is not None), key=lambda r: r.mtime_ns, default=None)
    bucket = await objects.get_bucket(view, keys, record.bucket)
    versioned = VERSIONING_SETTING in bucket.settings or bool(record.version_id) or record.delete_marker
    if not versioned:
        if newest is not None and newest.mtime_ns > record.mtime_ns:
            return False
        await objects.put_object(view, keys, record, False, bucket)
        return True
    if newest is None or record.mtime_ns > newest.mtime_ns:
        if latest is not None:
            remove_latest(view, keys, latest, for_good=False)
            write_version(view, keys, latest)
        if record.delete_marker:
            write_version(view, keys, record)
        else:
            write_latest(view, keys, record)
    else:
        write_version(view, keys, record)
    return True
