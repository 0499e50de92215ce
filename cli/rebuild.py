"""Planning a metadata rebuild from what the OSDs hold (pure logic: no I/O, unit-testable).

``objectio-cli meta rebuild`` streams every OSD's shard metadata (``ScanShardMeta``) into a
:class:`ScanIndex`, which remembers where each fragment is and, per (bucket, key), the descriptor
versions found, newest first (``mtime_ns``, then object id: ids start with their creation time).
The command then reads descriptors newest first and keeps the first one that decodes and whose
fragments are readable (every stripe has at least k of them) — :func:`rebuilt_record` re-derives
the stripe placements from the scan, because repair may have moved fragments since the PUT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from objectio.common.shardkey import DESCRIPTOR_STRIPE
from objectio.protos import meta_pb2, osd_pb2


@dataclass(order=True)
class DescriptorVersion:
    mtime_ns: int
    object_id: bytes
    copies: list[tuple[int, int]] = field(default_factory=list, compare=False)  # (osd id, copy number)

    @property
    def osd_ids(self) -> list[int]:
        return sorted({osd_id for osd_id, _ in self.copies})


@dataclass
class ScanIndex:
    # object id -> (stripe, fragment) -> OSDs holding that fragment
    fragments: dict[bytes, dict[tuple[int, int], list[int]]] = field(default_factory=dict)
    # (bucket, key) -> object id -> descriptor version
    versions: dict[tuple[str, str], dict[bytes, DescriptorVersion]] = field(default_factory=dict)
    shards: int = 0

    def add(self, osd_id: int, stat: osd_pb2.ShardStat) -> None:
        self.shards += 1
        address, meta = stat.address, stat.meta
        if address.stripe_index == DESCRIPTOR_STRIPE:
            if meta.kind != osd_pb2.SHARD_DESCRIPTOR or not meta.bucket:
                return  # not one of ours: never guess
            per_key = self.versions.setdefault((meta.bucket, meta.key), {})
            version = per_key.setdefault(address.object_id, DescriptorVersion(meta.mtime_ns, address.object_id))
            version.copies.append((osd_id, address.fragment_index))
            return
        where = self.fragments.setdefault(address.object_id, {})
        where.setdefault((address.stripe_index, address.fragment_index), []).append(osd_id)

    def names(self) -> list[tuple[str, str]]:
        return sorted(self.versions)

    def newest_first(self, name: tuple[str, str]) -> list[DescriptorVersion]:
        return sorted(self.versions[name].values(), reverse=True)

    def undescribed(self, described: set[bytes]) -> list[bytes]:
        """Object ids with fragments that no chosen record names (older versions, orphans, and
        objects written without descriptors): left to the orphan collector."""
        return sorted(oid for oid in self.fragments if oid not in described)

    def _placement(self, object_id: bytes, stripe: int, width: int, written: list[int]) -> list[int]:
        where = self.fragments.get(object_id, {})
        osd_ids = []
        for fragment in range(width):
            holders = where.get((stripe, fragment), [])
            preferred = written[fragment] if fragment < len(written) else 0
            osd_ids.append(preferred if preferred in holders else (holders[0] if holders else 0))
        return osd_ids

    def place_stripes(self, object_id: bytes, stripes: list[meta_pb2.StripePlacement], width: int) -> None:
        for index, stripe in enumerate(stripes):
            stripe.osd_ids[:] = self._placement(object_id, index, width, list(stripe.osd_ids))


def rebuilt_record(
    descriptor: meta_pb2.ObjectDescriptor, version: DescriptorVersion, index: ScanIndex, width: int
) -> meta_pb2.ObjectRecord:
    """The descriptor's record with placements as found on the OSDs now; ``width`` = k + m."""
    record = meta_pb2.ObjectRecord()
    record.CopyFrom(descriptor.record)
    if record.object_id != version.object_id:
        raise ValueError(f"descriptor names object id {record.object_id.hex()}, stored under {version.object_id.hex()}")
    record.descriptor_osd_ids[:] = version.osd_ids
    index.place_stripes(record.object_id, list(record.stripes), width)
    for part in record.parts:
        index.place_stripes(part.object_id, list(part.stripes), width)
    return record


def readable(record: meta_pb2.ObjectRecord, k: int) -> bool:
    """Every stripe (of the object or of each part) has at least k fragments on some OSD."""
    stripes = [*record.stripes, *(s for part in record.parts for s in part.stripes)]
    return all(sum(1 for osd_id in s.osd_ids if osd_id) >= k for s in stripes)


def described_ids(record: meta_pb2.ObjectRecord) -> set[bytes]:
    return {record.object_id, *(part.object_id for part in record.parts if part.object_id)}
