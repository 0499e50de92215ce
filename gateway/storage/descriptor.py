"""Descriptor copies: what makes an object recoverable from the OSDs alone.

Fragments carry only their object's identity (bucket, key, pool, mtime, stripe) in their engine
meta, which is bounded at 2 KiB. Everything else a rebuild needs — size, ETag, content type,
user metadata, stored headers, the bucket's owner, the body of an inline object, the part list
of a multipart object — goes into one ``meta.ObjectDescriptor`` per object version, written as
the *data* of ``copies`` small engine records (key ``descriptor_key(object_id, copy)``) on
distinct OSDs. ``copies`` is the pool's failure tolerance + 1, so the descriptor survives as many
OSD losses as the fragments do.

The gateway writes the copies through the per-OSD batcher — with the fragments for a one-stripe
object, concurrently with the metadata commit otherwise — and acknowledges the PUT only when both
are durable (``docs/architecture.md``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from objectio.common.placement import Candidate, place
from objectio.common.pools import PoolSpec
from objectio.common.shardkey import DESCRIPTOR_COPIES_MAX, DESCRIPTOR_STRIPE
from objectio.gateway.storage.batcher import FragmentWriteFailed, OsdBatcher
from objectio.protos import meta_pb2, osd_pb2

log = logging.getLogger("objectio.gateway.descriptor")

DESCRIPTOR_FORMAT_VERSION = 1


class DescriptorLost(Exception):
    """Not one descriptor copy could be made durable."""


def copies_for(pool: PoolSpec, configured: int = 0) -> int:
    """``configured`` copies, or (0) as many as the pool's stripes tolerate losses, plus one."""
    return min(configured or pool.failure_tolerance + 1, pool.fragments, DESCRIPTOR_COPIES_MAX)


def choose_osds(
    pool: PoolSpec,
    object_id: bytes,
    fragment_osds: list[int],
    candidates: Sequence[Candidate],
    configured: int = 0,
) -> list[int]:
    """Distinct OSDs for the copies: the object's own fragment OSDs first (no new OSD is touched
    for an erasure-coded object), else a placement of their own (inline and multipart objects)."""
    wanted = copies_for(pool, configured)
    chosen = list(dict.fromkeys(osd for osd in fragment_osds if osd))[:wanted]
    if len(chosen) < wanted and candidates:
        extra = [osd for osd in place(object_id, min(wanted, len(candidates)), candidates) if osd not in chosen]
        chosen.extend(extra[: wanted - len(chosen)])
    return chosen


def shard_meta(record: meta_pb2.ObjectRecord) -> osd_pb2.ShardMeta:
    """The engine meta of a descriptor copy: enough to pick the newest version per key during a
    scan without reading the data."""
    return osd_pb2.ShardMeta(
        format_version=DESCRIPTOR_FORMAT_VERSION,
        kind=osd_pb2.SHARD_DESCRIPTOR,
        bucket=record.bucket,
        key=record.key,
        pool=record.pool,
        mtime_ns=record.mtime_ns,
        object_size=record.size,
        etag=record.etag,
        stripe_count=len(record.stripes),
    )


def encode(record: meta_pb2.ObjectRecord, bucket: meta_pb2.Bucket) -> bytes:
    descriptor = meta_pb2.ObjectDescriptor(format_version=DESCRIPTOR_FORMAT_VERSION, record=record, bucket=bucket)
    data: bytes = descriptor.SerializeToString()
    return data


def decode(data: bytes) -> meta_pb2.ObjectDescriptor:
    descriptor = meta_pb2.ObjectDescriptor()
    descriptor.ParseFromString(data)
    if descriptor.format_version != DESCRIPTOR_FORMAT_VERSION:
        raise ValueError(f"descriptor format version {descriptor.format_version} is not {DESCRIPTOR_FORMAT_VERSION}")
    if not descriptor.record.bucket or not descriptor.record.key:
        raise ValueError("descriptor names no object")
    return descriptor


async def write(
    batcher: OsdBatcher, osd_ids: list[int], record: meta_pb2.ObjectRecord, bucket: meta_pb2.Bucket
) -> list[int]:
    """Write copy i to ``osd_ids[i]``; the OSDs that confirmed it durable (DescriptorLost if none)."""
    assert len(record.object_id) == 16, "a described object has an object id"
    assert 0 < len(osd_ids) <= DESCRIPTOR_COPIES_MAX, f"{len(osd_ids)} descriptor copies"
    data = encode(record, bucket)
    meta = shard_meta(record)

    async def one(copy: int, osd_id: int) -> int:
        address = osd_pb2.ShardAddress(object_id=record.object_id, stripe_index=DESCRIPTOR_STRIPE, fragment_index=copy)
        try:
            await batcher.write(osd_id, address, data, meta)
        except FragmentWriteFailed as exc:
            log.warning("descriptor copy %d of %s/%s: %s", copy, record.bucket, record.key, exc)
            return 0
        return osd_id

    written = [osd for osd in await asyncio.gather(*(one(i, o) for i, o in enumerate(osd_ids))) if osd]
    if not written:
        raise DescriptorLost(f"no descriptor copy of {record.bucket}/{record.key} is durable (osds {osd_ids})")
    return written
