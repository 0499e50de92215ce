"""Scrub, quarantine and the stale-copy sweep of one OSD, on the in-memory store model (its
``corrupt`` set makes verify/get fail like a checksum mismatch) with a stand-in for meta."""

from __future__ import annotations

import time
from typing import Any

from objectio.common.shardkey import new_object_id, shard_key
from objectio.osd import quarantine
from objectio.osd.gc import OrphanCollector
from objectio.osd.reconcile import StaleCopySweeper
from objectio.osd.scrub import Scrubber
from objectio.osd.service import OsdServicer
from objectio.osd.store import MemoryStore
from objectio.protos import meta_pb2, osd_pb2

META = osd_pb2.ShardMeta(bucket="b", key="k", pool="rs-4-2").SerializeToString()


class FakeMeta:
    """Records reports; answers CheckPlacements with the configured stale set."""

    def __init__(self) -> None:
        self.reported: list[tuple[int, list[bytes]]] = []
        self.stale: set[bytes] = set()
        self.asked_unreferenced: list[bytes] = []

    async def report_corrupt_shards(self, osd_id: int, refs: list[meta_pb2.ShardRef]) -> Any:
        self.reported.append((osd_id, [shard_key(r.object_id, r.stripe_index, r.fragment_index) for r in refs]))
        return meta_pb2.ReportCorruptShardsReply(marked_missing=len(refs))

    async def check_placements(self, osd_id: int, refs: list[meta_pb2.ShardRef]) -> Any:
        keys = [(r, shard_key(r.object_id, r.stripe_index, r.fragment_index)) for r in refs]
        return meta_pb2.CheckPlacementsReply(stale=[r for r, key in keys if key in self.stale])

    async def find_unreferenced(self, object_ids: list[bytes]) -> Any:
        self.asked_unreferenced.extend(object_ids)
        return meta_pb2.FindUnreferencedReply()


async def _fill(store: MemoryStore, count: int) -> list[bytes]:
    object_id = new_object_id(int(time.time() * 1000) - 60_000)  # old enough for any GC grace
    keys = [shard_key(object_id, 0, i) for i in range(count)]
    for key in keys:
        await store.put(key, b"x" * 100, META)
    return keys


async def test_scrub_quarantines_reports_and_re_reports_without_recounting() -> None:
    store, meta = MemoryStore(), FakeMeta()
    keys = await _fill(store, 5)
    store.corrupt.add(keys[2])
    scrubber = Scrubber(store, meta, 3, bytes_per_s=1 << 30, interval_ms=1000)  # type: ignore[arg-type]
    assert await scrubber.scrub_pass() == 1
    assert meta.reported == [(3, [keys[2]])]
    assert scrubber.counters.shards_verified == 4 and scrubber.counters.shards_corrupt == 1
    assert keys[2] in store.records, "quarantined, never deleted"
    assert (await scrubber.status()).quarantined == 1

    assert await scrubber.scrub_pass() == 0  # already quarantined: reported again, not recounted
    assert meta.reported[-1] == (3, [keys[2]]) and scrubber.counters.shards_corrupt == 1

    await store.put(keys[2], b"y" * 100, META)  # rewritten (a later repair placed it back here)
    assert await scrubber.scrub_pass() == 0
    assert len(meta.reported) == 2  # the entry is history now: nothing to report
    assert scrubber.counters.shards_verified == 4 + 4 + 5


async def test_stale_copies_are_deleted_but_corrupt_ones_quarantined() -> None:
    store, meta = MemoryStore(), FakeMeta()
    keys = await _fill(store, 4)
    store.corrupt.add(keys[1])
    meta.stale = {keys[0], keys[1]}
    sweeper = StaleCopySweeper(store, meta, 3)  # type: ignore[arg-type]
    assert await sweeper.sweep() == 2
    assert keys[0] not in store.records and keys[1] in store.records
    assert sweeper.deleted_total == 1 and sweeper.quarantined_total == 1
    assert await sweeper.sweep() == 0  # the quarantined copy stays


async def test_quarantine_entries_are_not_shards() -> None:
    store, meta = MemoryStore(), FakeMeta()
    keys = await _fill(store, 2)
    await quarantine.quarantine(store, keys[0], "test")
    servicer = OsdServicer(store, 3, 2, 1)
    reply = await servicer.ListShards(osd_pb2.ListShardsRequest(), None)  # type: ignore[arg-type]
    assert len(reply.shards) == 2
    collector = OrphanCollector(store, meta, grace_ms=0, interval_ms=1000)  # type: ignore[arg-type]
    await collector.sweep()
    assert sorted(meta.asked_unreferenced) == [keys[0][:16]]  # the entry's "object id" is never asked
