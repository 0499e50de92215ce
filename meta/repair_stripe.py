"""Rebuilding one stripe: read the cheapest sufficient survivors, reconstruct, write, commit.

Steps, each of which can only fail safe:

1. Re-read the record by the stripe's fragment object id (an object's, or a multipart part's:
   ``MetaStore.placed_view``); stop if no record references it any more.
2. Missing fragments = OSD id 0, or on a lost OSD, or (reported suspects) confirmed unreadable
   by the OSD that holds them (``VerifyShards``).
3. Read the read set (:func:`~objectio.meta.repair_planner.read_set`) with one ``ReadShards``
   per OSD; a fragment that does not come back is dropped from the survivors and the plan is
   made again, until it succeeds or too few survive.
4. Reconstruct with pyeclib in a thread; every rebuilt fragment's header must name the index it
   was rebuilt for and its size must match the survivors' (checked before it is written).
5. Write each rebuilt fragment (with its ShardMeta, derived from the record) to its new OSD,
   durable when ``WriteShards`` answers.
6. Compare-and-set the record (fragment object id still referenced, each fragment still on its
   old OSD). If the object or part changed meanwhile, the rebuilt fragments are deleted again (or left to the OSDs'
   orphan collector when that fails).
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from objectio.common.erasure import DecodeError, payload_bytes, reconstruct_fragments
from objectio.common.placement import PlacementError
from objectio.common.pools import FRAGMENT_HEADER_BYTES, PoolSpec
from objectio.meta.osd_links import OsdLinks
from objectio.meta.repair_planner import candidates, choose_targets, read_set
from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb
from objectio.protos import osd_pb2

SHARD_META_FORMAT_VERSION = 1


class Outcome(enum.Enum):
    HEALTHY = "healthy"  # nothing to do (any more)
    DONE = "done"
    FAILED = "failed"  # retried at the next scan
    DROPPED = "dropped"  # the object changed meanwhile


@dataclass(frozen=True)
class StripeJob:
    bucket: str
    key: str
    object_id: bytes
    stripe_index: int
    suspects: tuple[int, ...] = ()  # fragments a reader or scrub could not read
    rebalance: bool = False  # a move toward the current placement, not a rebuild


@dataclass
class RepairCounters:
    stripes_done: int = 0
    stripes_failed: int = 0
    stripes_dropped: int = 0
    fragments_rebuilt: int = 0
    bytes_read: int = 0
    bytes_written: int = 0
    scans_completed: int = 0
    last_scan_ms: int = 0
    reports_received: int = 0
    rebalance_fragments_moved: int = 0
    rebalance_bytes_moved: int = 0
    rebalance_stripes_failed: int = 0
    rebalance_stripes_misplaced: int = 0  # found by the last rebalance pass


class RepairContext(Protocol):
    """What one stripe repair needs from the repair manager."""

    store: MetaStore
    links: OsdLinks
    counters: RepairCounters

    def up_osds(self) -> set[int]: ...
    def lost_osds(self) -> set[int]: ...
    def rebuild_set(self) -> Callable[[int], bool]: ...
    def pool(self, name: str) -> PoolSpec: ...
    def cluster_map(self) -> pb.ClusterMap: ...
    async def throttle(self, nbytes: int) -> None: ...
    def avoid_for(self, object_id: bytes, stripe_index: int) -> set[int]: ...
    def note_written(self, object_id: bytes, stripe_index: int, targets: dict[int, int]) -> None: ...
    def needs_repair(self, osd_ids: list[int]) -> bool: ...
    def delete_later(self, sources: dict[int, int], object_id: bytes, stripe_index: int) -> None: ...


class RepairError(Exception):
    """This stripe cannot be repaired now (too few survivors, no target, a write failed)."""


def address(object_id: bytes, stripe_index: int, fragment_index: int) -> osd_pb2.ShardAddress:
    return osd_pb2.ShardAddress(object_id=object_id, stripe_index=stripe_index, fragment_index=fragment_index)


def shard_meta(record: pb.ObjectRecord, stripe_index: int) -> osd_pb2.ShardMeta:
    return osd_pb2.ShardMeta(
        format_version=SHARD_META_FORMAT_VERSION,
        bucket=record.bucket,
        key=record.key,
        version_id=record.version_id,
        object_size=record.size,
        pool=record.pool,
        stripe_count=len(record.stripes),
        etag=record.etag,
        content_type=record.content_type,
        user_meta=record.user_meta,
        mtime_ns=record.mtime_ns,
        stripe_length=record.stripes[stripe_index].length,
    )


def rebuild(pool: PoolSpec, sources: dict[int, bytes], missing: list[int]) -> dict[int, bytes]:
    """Reconstruct ``missing`` (blocking: run it in a thread) and check every result."""
    try:
        rebuilt = reconstruct_fragments(pool, sources, sorted(missing))
    except DecodeError as exc:
        raise RepairError(str(exc)) from exc
    size = len(next(iter(sources.values())))
    out: dict[int, bytes] = {}
    for fragment in rebuilt:
        index = pool.driver.get_metadata(fragment, formatted=True)["index"]
        if index not in missing or len(fragment) != size:
            raise RepairError(f"rebuilt fragment has index {index} and {len(fragment)} bytes (wanted {missing})")
        out[index] = fragment
    if sorted(out) != sorted(missing):
        raise RepairError(f"rebuilt fragments {sorted(out)}, wanted {sorted(missing)}")
    return out


def fragment_bytes(pool: PoolSpec, stripe_length: int) -> int:
    return payload_bytes(pool, stripe_length) + FRAGMENT_HEADER_BYTES


async def read_sources(
    manager: RepairContext, pool: PoolSpec, record: pb.ObjectRecord, stripe_index: int, missing: set[int]
) -> dict[int, bytes]:
    """Fragments of the cheapest read set that could be read (replanning around failures)."""
    osd_ids = list(record.stripes[stripe_index].osd_ids)
    up = manager.up_osds()
    alive = {i for i, osd_id in enumerate(osd_ids) if i not in missing and osd_id in up}
    got: dict[int, bytes] = {}
    while True:
        plan = read_set(pool, missing, alive)
        if plan is None:
            raise RepairError(f"only {len(alive)} fragments of the stripe are readable")
        wanted = [i for i in plan if i not in got]
        if not wanted:
            return {i: got[i] for i in plan}
        await manager.throttle(len(wanted) * fragment_bytes(pool, record.stripes[stripe_index].length))
        by_osd: dict[int, list[int]] = {}
        for i in wanted:
            by_osd.setdefault(osd_ids[i], []).append(i)
        reads = {
            osd: [osd_pb2.ShardRead(address=address(record.object_id, stripe_index, i)) for i in indices]
            for osd, indices in by_osd.items()
        }
        replies = await asyncio.gather(*(manager.links.read(osd, r) for osd, r in reads.items()))
        for indices, datas in zip(by_osd.values(), replies, strict=True):
            for i, data in zip(indices, datas, strict=True):
                if data is None:
                    alive.discard(i)
                else:
                    got[i] = data
                    manager.counters.bytes_read += len(data)


async def confirm_suspects(
    manager: RepairContext, record: pb.ObjectRecord, stripe_index: int, suspects: set[int]
) -> set[int]:
    """Suspect fragments on up OSDs that their OSD cannot serve (not found, corrupt, I/O error)."""
    osd_ids = record.stripes[stripe_index].osd_ids
    up = manager.up_osds()
    confirmed: set[int] = set()
    for i in sorted(suspects):
        if i >= len(osd_ids) or osd_ids[i] not in up:
            continue  # on a down OSD: repaired once the OSD is lost, if it does not return
        statuses = await manager.links.verify(osd_ids[i], [address(record.object_id, stripe_index, i)])
        if statuses is not None and statuses[0] != osd_pb2.SHARD_OK:
            confirmed.add(i)
    return confirmed


async def write_rebuilt(
    manager: RepairContext,
    record: pb.ObjectRecord,
    stripe_index: int,
    rebuilt: dict[int, bytes],
    targets: dict[int, int],
) -> None:
    meta = shard_meta(record, stripe_index)
    by_osd: dict[int, list[osd_pb2.ShardWrite]] = {}
    for i, data in rebuilt.items():
        write = osd_pb2.ShardWrite(address=address(record.object_id, stripe_index, i), data=data, meta=meta)
        by_osd.setdefault(targets[i], []).append(write)
    await manager.throttle(sum(len(d) for d in rebuilt.values()))
    manager.note_written(record.object_id, stripe_index, targets)  # stale-copy sweeps keep them from now on
    results = await asyncio.gather(*(manager.links.write(osd, writes) for osd, writes in by_osd.items()))
    if not all(results):
        await discard(manager, record.object_id, stripe_index, targets)
        raise RepairError("an OSD did not confirm a rebuilt fragment durable")
    manager.counters.bytes_written += sum(len(d) for d in rebuilt.values())


async def discard(manager: RepairContext, object_id: bytes, stripe_index: int, targets: dict[int, int]) -> None:
    """Best effort; what remains is an unplaced copy the OSD's stale-copy sweep or GC removes."""
    by_osd: dict[int, list[osd_pb2.ShardAddress]] = {}
    for i, osd in targets.items():
        by_osd.setdefault(osd, []).append(address(object_id, stripe_index, i))
    await asyncio.gather(*(manager.links.delete(osd, addrs) for osd, addrs in by_osd.items()))


async def repair_stripe(manager: RepairContext, job: StripeJob) -> Outcome:
    record = await manager.store.placed_view(job.object_id)  # any version, or a part
    if record is None or job.stripe_index >= len(record.stripes):
        return Outcome.DROPPED
    pool = manager.pool(record.pool)
    osd_ids = list(record.stripes[job.stripe_index].osd_ids)
    lost = manager.lost_osds()
    gone = manager.rebuild_set()
    missing = {i for i, osd_id in enumerate(osd_ids) if gone(osd_id)}
    if job.suspects:
        missing |= await confirm_suspects(manager, record, job.stripe_index, set(job.suspects) - missing)
    if not missing:
        return Outcome.HEALTHY
    sources = await read_sources(manager, pool, record, job.stripe_index, missing)
    rebuilt = await asyncio.to_thread(rebuild, pool, sources, sorted(missing))
    avoid = lost | {osd_ids[i] for i in missing if osd_ids[i]} | manager.avoid_for(job.object_id, job.stripe_index)
    try:
        cmap = manager.cluster_map()
        returning = {o.id for o in cmap.osds if o.up != pb.OSD_UP and o.id not in lost}
        targets = choose_targets(
            record.object_id, job.stripe_index, osd_ids, missing, candidates(cmap), avoid, returning
        )
    except PlacementError as exc:
        raise RepairError(str(exc)) from exc
    await write_rebuilt(manager, record, job.stripe_index, rebuilt, targets)
    moves = {i: (osd_ids[i], targets[i]) for i in missing}
    committed = await manager.store.replace_fragments(job.object_id, job.stripe_index, moves)
    manager.note_written(record.object_id, job.stripe_index, targets)
    if not committed:
        await discard(manager, record.object_id, job.stripe_index, targets)
        return Outcome.DROPPED
    manager.counters.fragments_rebuilt += len(rebuilt)
    return Outcome.DONE
