"""The repair and rebalance operations of the etcd store (the rules of
:mod:`objectio.meta.sqlite_repair`, on the key layout of :mod:`objectio.meta.etcd_keys`).

A fragment object id is found through the ``i/`` index: its entry names the (bucket, key) of the
object or, for a part, also the upload and part number. The entry is checked against what it
points to (an index entry may be stale): the object's record must still carry the id (as its own
id or as one of its parts'), or the upload's part row must still hold it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from objectio.meta import etcd_object_ops as objects
from objectio.meta.errors import CorruptRecord
from objectio.meta.etcd_client import prefix_end
from objectio.meta.etcd_keys import SEP, IdRef, Layout, decode, encode
from objectio.meta.etcd_txn import View
from objectio.meta.sqlite_repair import part_view
from objectio.protos import meta_pb2 as pb


@dataclass
class Located:
    view: pb.ObjectRecord
    stripes: list[pb.StripePlacement]  # the stored message's own (mutable) stripes
    save: Callable[[], None]


async def locate(view: View, keys: Layout, object_id: bytes) -> Located | None:
    """The stored stripes named by a fragment object id (None: nothing references it)."""
    if not object_id:
        return None
    value = await view.get(keys.object_id(object_id))
    if value is None:
        return None
    ref = IdRef.decode(value, keys.object_id(object_id))
    record = await objects.current(view, keys, ref.bucket, ref.key)
    if record is not None and not record.is_inline:
        before = pb.ObjectRecord()
        before.CopyFrom(record)

        def save_record() -> None:
            objects.store_record(view, keys, record, before)

        if record.object_id == object_id and record.stripes:
            return Located(record, list(record.stripes), save_record)
        part = next((p for p in record.parts if p.object_id == object_id), None)
        if part is not None:
            return Located(part_view(record, part), list(part.stripes), save_record)
    if not ref.upload_id:
        return None
    upload_value = await view.get(keys.upload(ref.bucket, ref.key, ref.upload_id))
    part_key = keys.part(ref.bucket, ref.key, ref.upload_id, ref.part_number)
    part_value = await view.get(part_key)
    if upload_value is None or part_value is None:
        return None
    upload = decode(pb.MultipartUpload(), upload_value, keys.upload(ref.bucket, ref.key, ref.upload_id))
    upart = decode(pb.PartLayout(), part_value, part_key)
    if upart.object_id != object_id:
        return None
    owner = pb.ObjectRecord(bucket=upload.bucket, key=upload.key, pool=upload.pool)
    return Located(part_view(owner, upart), list(upart.stripes), lambda: view.put(part_key, encode(upart)))


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
    located.save()
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
