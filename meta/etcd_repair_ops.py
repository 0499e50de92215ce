"""The repair and rebalance operations of the etcd store (the rules of
:mod:`objectio.meta.sqlite_repair`, on the key layout of :mod:`objectio.meta.etcd_keys`).

A fragment object id is found through the ``i/`` index: its entry names the (bucket, key) and
version order of the version or, for a part, the upload and part number. The entry is checked
against what it points to (an index entry may be stale): a version of the key must still carry
the id (as its own id or as one of its parts'), or the upload's part must still hold it. Every
version is found and rewritten in place alike (``o/`` or ``v/``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from objectio.meta import etcd_version_ops as versions
from objectio.meta.errors import CorruptRecord
from objectio.meta.etcd_client import prefix_end
from objectio.meta.etcd_keys import SEP, IdRef, Layout, decode, encode
from objectio.meta.etcd_txn import View
from objectio.meta.sqlite_repair import part_view
from objectio.protos import etcd_pb2 as epb
from objectio.protos import meta_pb2 as pb


@dataclass
class Located:
    view: pb.ObjectRecord
    stripes: list[pb.StripePlacement]  # the stored message's own (mutable) stripes
    save: Callable[[], Awaitable[None]]


async def _upload_part(view: View, keys: Layout, ref: IdRef, object_id: bytes) -> Located | None:
    """The part of an upload in progress that an index entry names, if it still holds the id."""
    upload_key = keys.upload(ref.bucket, ref.key, ref.upload_id)
    part_key = keys.part(ref.bucket, ref.key, ref.upload_id, ref.part_number)
    upload_value = await view.get(upload_key)
    part_value = await view.get(part_key)
    if upload_value is None or part_value is None:
        return None
    upload = decode(pb.MultipartUpload(), upload_value, upload_key)
    upart = decode(pb.PartLayout(), part_value, part_key)
    if upart.object_id != object_id:
        return None
    owner = pb.ObjectRecord(bucket=upload.bucket, key=upload.key, pool=upload.pool)

    async def save() -> None:
        view.put(part_key, encode(upart))

    return Located(part_view(owner, upart), list(upart.stripes), save)


async def locate(view: View, keys: Layout, object_id: bytes) -> Located | None:
    """The stored stripes named by a fragment object id (None: nothing references it): a
    version's own (any version of the key the index entry names), a part of one of its
    versions, or a part of an upload in progress."""
    if not object_id:
        return None
    value = await view.get(keys.object_id(object_id))
    if value is None:
        return None
    ref = IdRef.decode(value, keys.object_id(object_id))
    if ref.upload_id:
        located = await _upload_part(view, keys, ref, object_id)
        if located is not None:
            return located
    record = await versions.holder(view, keys, ref, object_id)
    if record is None or record.is_inline:
        return None

    async def save() -> None:
        await versions.rewrite(view, keys, record)

    if record.object_id == object_id and record.stripes:
        return Located(record, list(record.stripes), save)
    part = next((p for p in record.parts if p.object_id == object_id), None)
    if part is None:
        return None
    return Located(part_view(record, part), list(part.stripes), save)


async def resolve(view: View, keys: Layout, kvs: list[epb.KeyValue]) -> set[bytes]:
    """The object ids whose index entries (``i/`` key-values) still hold."""
    live: set[bytes] = set()
    for kv in kvs:
        object_id = kv.key[len(keys.ids) :]
        ref = IdRef.decode(kv.value, kv.key)
        in_upload = bool(ref.upload_id) and await _upload_part(view, keys, ref, object_id) is not None
        if in_upload or await versions.holder(view, keys, ref, object_id) is not None:
            live.add(object_id)
    return live


async def placed_view(view: View, keys: Layout, object_id: bytes) -> pb.ObjectRecord | None:
    located = await locate(view, keys, object_id)
    return None if located is None else located.view


async def replace_fragments(
    view: View, keys: Layout, object_id: bytes, stripe_index: int, moves: dict[int, tuple[int, int]]
) -> bool:
    """The compare-and-set of ``sqlite_repair.replace_fragments``, in one etcd transaction."""
    assert moves, "a placement change moves at least one fragment"
    located = await locate(view, keys, object_id)
    if located is None or stripe_index >= len(located.stripes):
        return False
    osd_ids = located.stripes[stripe_index].osd_ids
    if any(i >= len(osd_ids) or osd_ids[i] != old for i, (old, _) in moves.items()):
        return False
    for i, (_, new) in moves.items():
        osd_ids[i] = new
    await located.save()
    return True


def _part_name(keys: Layout, etcd_key: bytes) -> tuple[str, str, str]:
    """(bucket, key, upload id) of a ``p/`` key."""
    bucket, _, rest = etcd_key[len(keys.parts) :].partition(SEP)
    key, upload_id, number = rest.rsplit(SEP, 2)
    if not number.isdigit():
        raise CorruptRecord(f"etcd key {etcd_key!r} is not a part key")
    return bucket.decode(), key.decode(), upload_id.decode()


async def scan_upload_parts(
    view: View, keys: Layout, after: bytes | None, limit: int
) -> tuple[list[pb.ObjectRecord], bytes | None]:
    """Parts of uploads in progress as views, in ``p/`` key order after the cursor ``after``;
    returns the views and the next cursor (None at the end)."""
    assert limit > 0, "scan limit must be positive"
    start = keys.parts if after is None else after + b"\0"
    kvs = await view.range(start, prefix_end(keys.parts), limit=limit)
    uploads: dict[tuple[str, str, str], pb.MultipartUpload | None] = {}
    found = []
    for kv in kvs:
        name = _part_name(keys, kv.key)
        if name not in uploads:
            value = await view.get(keys.upload(*name))
            uploads[name] = None if value is None else decode(pb.MultipartUpload(), value, keys.upload(*name))
        upload = uploads[name]
        part = decode(pb.PartLayout(), kv.value, kv.key)
        if upload is None or not part.object_id or not part.stripes:
            continue
        found.append(part_view(pb.ObjectRecord(bucket=upload.bucket, key=upload.key, pool=upload.pool), part))
    return found, (kvs[-1].key if len(kvs) == limit else None)
