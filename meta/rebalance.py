"""Rebalance: move fragments toward the placement a PUT would choose now.

When an OSD is added (or marked in), weighted rendezvous hashing gives it its share of every
object's fragment positions; existing stripes still sit where they were written. The repair
manager then runs a *rebalance pass* (the same scan, queue, workers and bandwidth limit as
repair): for each stripe it computes the desired placement (:func:`desired_placement`, the
gateway's rule and key) and plans moves with :func:`plan_moves`. One stripe's move:

1. re-read the record by fragment object id and plan again against the current map;
2. copy each moving fragment byte for byte (pyeclib header included) from its current OSD to the
   target with ``WriteShards`` — durable when it answers;
3. compare-and-set the record (every moving fragment still on its source OSD);
4. only then schedule the deletion of the old copies (after ``rebalance_delete_delay_ms``, so a
   GET that fetched the record just before the switch still finds them).

So at every moment each fragment has at least one durable copy that a record names or named a
moment ago. If step 3 fails (the object changed, a fragment was repaired meanwhile) the new
copies are deleted; copies that a crash leaves behind are stale (placed elsewhere) or orphans,
and the OSDs' stale-copy sweep or the orphan collector removes them.

What is not moved: fragments on down OSDs and missing fragments (repair's job — a stripe that
needs repair is never rebalanced), moves to an OSD that already holds a fragment of the stripe,
and moves that would leave the stripe on fewer distinct hosts than now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from objectio.meta.repair_planner import candidates, desired_placement
from objectio.meta.repair_stripe import (
    Outcome,
    RepairContext,
    RepairError,
    StripeJob,
    address,
    discard,
    shard_meta,
)
from objectio.protos import meta_pb2 as pb
from objectio.protos import osd_pb2


def plan_moves(
    osd_ids: list[int], desired: list[int], hosts: Mapping[int, str], sources: set[int]
) -> dict[int, tuple[int, int]]:
    """``{fragment index: (from, to)}`` for the fragments to move toward ``desired``.

    A fragment moves when its desired OSD differs, its current OSD is in ``sources`` (up: it can
    be copied), the target holds no fragment of the stripe (counting the moves planned before
    it: one OSD vacated by an earlier move may take a later fragment), and the stripe does not
    end up on fewer distinct hosts. A fragment that reaches its desired OSD never moves again,
    so repeated passes converge (at most k+m moves per stripe); two fragments that want each
    other's OSD stay where they are."""
    if len(desired) != len(osd_ids) or 0 in osd_ids:
        return {}
    current = list(osd_ids)
    moves: dict[int, tuple[int, int]] = {}
    for i, (have, want) in enumerate(zip(osd_ids, desired, strict=True)):
        if have == want or have not in sources or want in current or want not in hosts:
            continue
        after = [*current[:i], want, *current[i + 1 :]]
        if _host_count(after, hosts) < _host_count(current, hosts):
            continue
        current = after
        moves[i] = (have, want)
    return moves


def _host_count(osd_ids: list[int], hosts: Mapping[int, str]) -> int:
    return len({hosts.get(osd_id, f"osd-{osd_id}") for osd_id in osd_ids})


def osd_hosts(cmap: pb.ClusterMap) -> dict[int, str]:
    """Failure domain of every OSD in the map."""
    return {osd.id: osd.host or osd.address for osd in cmap.osds}


async def rebalance_stripe(manager: RepairContext, job: StripeJob) -> Outcome:
    """Move one stripe's misplaced fragments (see the module docstring for the steps)."""
    record = await manager.store.placed_view(job.object_id)
    if record is None or job.stripe_index >= len(record.stripes):
        return Outcome.DROPPED
    pool = manager.pool(record.pool)
    cmap = manager.cluster_map()
    usable = candidates(cmap)
    if manager.needs_repair(list(record.stripes[job.stripe_index].osd_ids)):
        return Outcome.HEALTHY  # repair's turn first; the next pass looks again
    desired = desired_placement(record.object_id, pool, usable)
    hosts = osd_hosts(cmap)
    moves = plan_moves(list(record.stripes[job.stripe_index].osd_ids), desired, hosts, manager.up_osds())
    if not moves:
        return Outcome.HEALTHY
    copies = await _read_sources(manager, record, job.stripe_index, moves)
    if not copies:
        raise RepairError("no fragment to move could be read from its OSD")
    moves = {i: moves[i] for i in copies}
    targets = {i: dst for i, (_, dst) in moves.items()}
    await _write_copies(manager, record, job.stripe_index, copies, targets)
    committed = await manager.store.replace_fragments(job.object_id, job.stripe_index, moves)
    manager.note_written(record.object_id, job.stripe_index, targets)
    if not committed:
        await discard(manager, record.object_id, job.stripe_index, targets)
        return Outcome.DROPPED
    manager.delete_later({i: src for i, (src, _) in moves.items()}, record.object_id, job.stripe_index)
    manager.counters.rebalance_fragments_moved += len(moves)
    manager.counters.rebalance_bytes_moved += sum(len(d) for d in copies.values())
    return Outcome.DONE


async def _read_sources(
    manager: RepairContext, record: pb.ObjectRecord, stripe_index: int, moves: dict[int, tuple[int, int]]
) -> dict[int, bytes]:
    """The fragments to move, read from their current OSDs (those that could not be read are
    left where they are: a scrub or a degraded read reports them to repair)."""
    by_osd: dict[int, list[int]] = {}
    for i, (src, _) in moves.items():
        by_osd.setdefault(src, []).append(i)
    reads = {
        osd: [osd_pb2.ShardRead(address=address(record.object_id, stripe_index, i)) for i in indices]
        for osd, indices in by_osd.items()
    }
    replies = await asyncio.gather(*(manager.links.read(osd, r) for osd, r in reads.items()))
    copies: dict[int, bytes] = {}
    for indices, datas in zip(by_osd.values(), replies, strict=True):
        for i, data in zip(indices, datas, strict=True):
            if data is not None:
                copies[i] = data
    await manager.throttle(sum(len(d) for d in copies.values()))
    return copies


async def _write_copies(
    manager: RepairContext,
    record: pb.ObjectRecord,
    stripe_index: int,
    copies: dict[int, bytes],
    targets: dict[int, int],
) -> None:
    meta = shard_meta(record, stripe_index)
    by_osd: dict[int, list[osd_pb2.ShardWrite]] = {}
    for i, data in copies.items():
        write = osd_pb2.ShardWrite(address=address(record.object_id, stripe_index, i), data=data, meta=meta)
        by_osd.setdefault(targets[i], []).append(write)
    await manager.throttle(sum(len(d) for d in copies.values()))
    manager.note_written(record.object_id, stripe_index, targets)  # stale-copy sweeps keep them from now on
    results = await asyncio.gather(*(manager.links.write(osd, writes) for osd, writes in by_osd.items()))
    if not all(results):
        await discard(manager, record.object_id, stripe_index, targets)
        raise RepairError("an OSD did not confirm a moved fragment durable")
