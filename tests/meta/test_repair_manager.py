"""The repair of single stripes, in process: a real SQLite store and cluster state, OSDs
replaced by an in-memory fragment map (FakeLinks). Covers rebuild-and-commit, an object
overwritten mid-repair (rebuilt fragments deleted, record untouched), too few survivors, and
read-repair suspects confirmed (or not) by their OSD."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from objectio.common.erasure import encode_stripe
from objectio.common.pools import DEFAULT_POOLS
from objectio.meta.cluster import ClusterState
from objectio.meta.rebalance import osd_hosts, plan_moves, rebalance_stripe
from objectio.meta.repair import RepairManager
from objectio.meta.repair_planner import candidates, desired_placement
from objectio.meta.repair_stripe import Outcome, RepairError, StripeJob, repair_stripe
from objectio.meta.store import MetaStore
from objectio.protos import meta_pb2 as pb
from objectio.protos import osd_pb2
from tests.meta.conftest import meta_config, record

POOL = DEFAULT_POOLS[0]  # rs-4-2
OID = b"\x07" * 16
Key = tuple[bytes, int, int]


class FakeLinks:
    """Fragments per OSD in memory; ``on_write`` runs before a write is accepted."""

    def __init__(self) -> None:
        self.disks: dict[int, dict[Key, bytes]] = {}
        self.corrupt: set[tuple[int, Key]] = set()
        self.on_write: Callable[[], Awaitable[None]] | None = None
        self.deleted: list[tuple[int, Key]] = []

    @staticmethod
    def _key(a: osd_pb2.ShardAddress) -> Key:
        return (a.object_id, a.stripe_index, a.fragment_index)

    async def read(self, osd_id: int, reads: list[osd_pb2.ShardRead]) -> list[bytes | None]:
        disk = self.disks.get(osd_id, {})
        keys = [self._key(r.address) for r in reads]
        return [None if (osd_id, key) in self.corrupt else disk.get(key) for key in keys]

    async def write(self, osd_id: int, shards: list[osd_pb2.ShardWrite]) -> bool:
        if self.on_write is not None:
            await self.on_write()
        for s in shards:
            self.disks.setdefault(osd_id, {})[self._key(s.address)] = s.data
        return True

    async def delete(self, osd_id: int, shards: list[osd_pb2.ShardAddress]) -> bool:
        for a in shards:
            self.disks.get(osd_id, {}).pop(self._key(a), None)
            self.deleted.append((osd_id, self._key(a)))
        return True

    async def verify(self, osd_id: int, shards: list[osd_pb2.ShardAddress]) -> list[int]:
        out: list[int] = []
        for a in shards:
            key = self._key(a)
            if (osd_id, key) in self.corrupt:
                out.append(osd_pb2.SHARD_CORRUPT)
            else:
                out.append(osd_pb2.SHARD_OK if key in self.disks.get(osd_id, {}) else osd_pb2.SHARD_NOT_FOUND)
        return out

    async def close(self) -> None:
        return None


def cluster_map(store_map: pb.ClusterMap, up: range) -> pb.ClusterMap:
    cmap = pb.ClusterMap()
    cmap.CopyFrom(store_map)
    cmap.epoch += 1
    for osd_id in up:
        cmap.osds.append(pb.Osd(id=osd_id, address=f"osd{osd_id}", host=f"h{osd_id}", up=pb.OSD_UP, weight=1.0))
    return cmap


@pytest.fixture()
async def setup(store: MetaStore, tmp_path: Path) -> Any:
    state = ClusterState(cluster_map(await store.cluster_map(), range(1, 9)))
    links = FakeLinks()
    manager = RepairManager(meta_config(tmp_path), store, state, links)  # type: ignore[arg-type]
    data = random.Random(3).randbytes(POOL.stripe_data_bytes // 3)
    fragments = encode_stripe(POOL, data)
    for i, fragment in enumerate(fragments):
        links.disks.setdefault(i + 1, {})[(OID, 0, i)] = fragment
    r = record("photos", "obj", size=len(data), object_id=OID)
    r.is_inline, r.pool = False, POOL.name
    r.stripes.append(pb.StripePlacement(osd_ids=[1, 2, 3, 4, 5, 6], length=len(data)))
    await store.put_object(r, False)
    return manager, links, fragments


JOB = StripeJob("photos", "obj", OID, 0)


async def _placement(manager: RepairManager) -> list[int]:
    return list((await manager.store.get_object("photos", "obj")).stripes[0].osd_ids)


async def test_missing_fragments_are_rebuilt_placed_and_committed(setup: Any) -> None:
    manager, links, fragments = setup
    await manager.store.replace_fragments(OID, 0, {1: (2, 0), 4: (5, 0)})
    del links.disks[2][(OID, 0, 1)]
    assert await repair_stripe(manager, JOB) is Outcome.DONE
    placement = await _placement(manager)
    assert 0 not in placement and len(set(placement)) == 6 and {2, 5}.isdisjoint({placement[1], placement[4]})
    for i in (1, 4):
        assert links.disks[placement[i]][(OID, 0, i)] == fragments[i]
    assert manager.counters.bytes_read == 4 * len(fragments[0])  # k fragments, no more
    assert await repair_stripe(manager, JOB) is Outcome.HEALTHY


async def test_an_object_overwritten_mid_repair_keeps_its_new_record(setup: Any) -> None:
    manager, links, _ = setup
    await manager.store.replace_fragments(OID, 0, {0: (1, 0)})

    async def overwrite() -> None:
        await manager.store.put_object(record("photos", "obj", data=b"new"), False)

    links.on_write = overwrite
    assert await repair_stripe(manager, JOB) is Outcome.DROPPED
    assert (await manager.store.get_object("photos", "obj")).inline_data == b"new"
    written = [osd for osd, disk in links.disks.items() if (OID, 0, 0) in disk and osd != 1]
    assert written == [] and len(links.deleted) == 1, "the rebuilt fragment was deleted again"


async def test_too_few_survivors_fail_without_writing(setup: Any) -> None:
    manager, links, _ = setup
    writes_before = sum(len(d) for d in links.disks.values())
    await manager.store.replace_fragments(OID, 0, {0: (1, 0), 1: (2, 0), 2: (3, 0)})
    with pytest.raises(RepairError):
        await repair_stripe(manager, JOB)
    assert await _placement(manager) == [0, 0, 0, 4, 5, 6]
    assert sum(len(d) for d in links.disks.values()) == writes_before


async def test_reported_suspects_are_repaired_only_when_their_osd_confirms(setup: Any) -> None:
    manager, links, _ = setup
    assert await repair_stripe(manager, StripeJob("photos", "obj", OID, 0, (2,))) is Outcome.HEALTHY
    links.corrupt.add((3, (OID, 0, 2)))
    assert await repair_stripe(manager, StripeJob("photos", "obj", OID, 0, (2,))) is Outcome.DONE
    placement = await _placement(manager)
    assert placement[2] not in (0, 3)


async def test_stale_copies_exclude_fragments_just_written(setup: Any) -> None:
    manager, _, _ = setup
    refs = [pb.ShardRef(object_id=OID, stripe_index=0, fragment_index=0)]
    assert [s.fragment_index for s in await manager.stale_copies(7, refs)] == [0]  # placed on 1
    manager.note_written(OID, 0, {0: 7})
    assert await manager.stale_copies(7, refs) == []


async def test_idle_scan_check_counts_the_objects_once_per_interval(setup: Any) -> None:
    """Nothing degraded and no OSD lost: the object-table count runs once per scan interval,
    not on every tick (it scans the whole table)."""
    manager, _, _ = setup
    await manager.scan_once()  # the start-up scan
    manager._last_scan_at -= manager.config.repair_scan_interval_ms / 1000  # long ago
    counted = 0
    real_counts = manager.store.counts

    async def counting() -> Any:
        nonlocal counted
        counted += 1
        return await real_counts()

    manager.store.counts = counting
    assert [await manager._scan_due() for _ in range(5)] == [False] * 5
    assert counted == 1
    manager._last_count_at -= manager.config.repair_scan_interval_ms / 1000  # the interval passed
    assert not await manager._scan_due()
    assert counted == 2


async def test_rebalance_copies_then_commits_then_deletes_old_copies(setup: Any) -> None:
    """A stripe written on OSDs 1-6 of a map that now has 8: fragments HRW gives to 7 and 8 are
    copied byte for byte, the record switches, and only then are the old copies deleted."""
    manager, links, fragments = setup
    cmap = manager.state.map
    desired = desired_placement(OID, POOL, candidates(cmap))
    moves = plan_moves([1, 2, 3, 4, 5, 6], desired, osd_hosts(cmap), manager.up_osds())
    assert moves and {7, 8} <= {dst for _, dst in moves.values()}, (desired, moves)
    job = StripeJob("photos", "obj", OID, 0, rebalance=True)
    assert await rebalance_stripe(manager, job) is Outcome.DONE
    placement = await _placement(manager)
    for i, (src, dst) in moves.items():
        assert placement[i] == dst and links.disks[dst][(OID, 0, i)] == fragments[i]
        assert (OID, 0, i) in links.disks[src], "the old copy stays until the delete delay has passed"
    assert manager.counters.rebalance_fragments_moved == len(moves)
    manager.config = meta_config(Path("."), rebalance_delete_delay_ms=1)
    manager._deletions = [(0.0, osd, addrs) for _, osd, addrs in manager._deletions]
    await manager._delete_due()
    for i, (src, _) in moves.items():
        assert (OID, 0, i) not in links.disks[src]
    for _ in range(POOL.fragments):  # converges: each move puts one fragment where it belongs
        if await rebalance_stripe(manager, job) is Outcome.HEALTHY:
            break
    placement = await _placement(manager)
    assert placement == desired or not plan_moves(placement, desired, osd_hosts(cmap), manager.up_osds())
    for i, osd_id in enumerate(placement):
        assert links.disks[osd_id][(OID, 0, i)] == fragments[i]


def test_plan_moves_never_doubles_up_or_loses_host_spread() -> None:
    hosts = {1: "a", 2: "b", 3: "c", 4: "a", 5: "d"}
    # 4 is on host a like 1: moving fragment 1 (on b) to 4 would leave three hosts for three fragments
    assert plan_moves([1, 2, 3], [1, 4, 3], hosts, {1, 2, 3, 4, 5}) == {}
    assert plan_moves([1, 2, 3], [1, 5, 3], hosts, {1, 2, 3, 4, 5}) == {1: (2, 5)}
    assert plan_moves([1, 2, 3], [1, 3, 5], hosts, {1, 2, 3, 4, 5}) == {2: (3, 5)}  # 3 already holds one
    assert plan_moves([1, 2, 3], [1, 5, 3], hosts, {1, 3}) == {}  # the source is down: repair's job
    assert plan_moves([1, 0, 3], [1, 5, 3], hosts, {1, 2, 3, 5}) == {}  # a missing fragment: repair first
