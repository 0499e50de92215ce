"""What a stripe repair reads and where it writes: pure functions, no I/O.

Read set (the cheapest sufficient set of surviving fragments):

* Reed-Solomon k+m: any k survivors; data fragments first (equal cost, but a systematic read
  needs no parity decode to check).
* LRC (pyeclib ``isa_l_rs_lrc``, fragments ``data 0..k-1 | global parities | local parities``):
  a lost data fragment or local parity is rebuilt from the other members of its local group —
  k/l fragments instead of k. Several losses in *different* groups each use their own group.
  A lost global parity (or losses the groups cannot cover) reads the k data fragments when they
  all survive, else every survivor: LRC is not MDS, so "any k" is not always enough, and
  pyeclib's ``fragments_needed()`` answers k regardless, so it is not consulted.

Targets: each rebuilt fragment goes to an OSD chosen by :func:`objectio.common.placement.place`
among up/in/not-full OSDs, preferring OSDs (then hosts) that hold no fragment of the stripe;
OSDs in ``avoid`` (lost, or the one that reported the fragment corrupt) are
never chosen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable

from objectio.common.placement import Candidate, PlacementError, place, stripe_placement_key
from objectio.common.pools import PoolSpec, PoolType
from objectio.protos import meta_pb2 as pb


def group_members(pool: PoolSpec, group: int) -> list[int]:
    """LRC: the data fragments of local group ``group`` and its local parity."""
    assert pool.type is PoolType.LRC and 0 <= group < pool.local_groups, "not an LRC local group"
    size = pool.k // pool.local_groups
    local_parity = pool.k + (pool.m - pool.local_groups) + group
    return [*range(group * size, (group + 1) * size), local_parity]


def _local_read_set(pool: PoolSpec, missing: set[int], available: set[int]) -> list[int] | None:
    groups: dict[int, int] = {}
    for index in missing:
        group = pool.local_group_of(index)
        if group is None or group in groups:
            return None  # a global parity, or two losses in one group: the group cannot do it
        groups[group] = index
    reads: list[int] = []
    for group in sorted(groups):
        peers = [i for i in group_members(pool, group) if i != groups[group]]
        if not available.issuperset(peers):
            return None
        reads.extend(peers)
    return reads


def read_set(pool: PoolSpec, missing: Collection[int], available: Collection[int]) -> list[int] | None:
    """Indices of the surviving fragments to read to rebuild ``missing``; None if too few survive."""
    lost = set(missing)
    alive = set(available) - lost
    assert lost and all(0 <= i < pool.fragments for i in lost | alive), "fragment index out of range"
    if pool.type is PoolType.LRC:
        local = _local_read_set(pool, lost, alive)
        if local is not None:
            return local
        data = set(range(pool.k))
        if data <= alive:
            return sorted(data)
        return sorted(alive) if len(alive) >= pool.k else None
    if len(alive) < pool.k:
        return None
    return sorted(alive)[: pool.k]  # indices below k are the data fragments


def candidates(cmap: pb.ClusterMap) -> list[Candidate]:
    """OSDs that may take new fragments: up, in, not full (``Osd.full``, set by meta from
    ``meta.osd_full_ratio``; the gateway follows the same flag)."""
    out = []
    for osd in cmap.osds:
        if osd.up != pb.OSD_UP or getattr(osd, "in") != pb.OSD_IN or osd.full:
            continue
        out.append(Candidate(osd.id, osd.host or osd.address, osd.weight or 1.0))
    return out


def desired_placement(object_id: bytes, pool: PoolSpec, usable: list[Candidate]) -> list[int]:
    """Where a gateway would place this object's (or part's) fragments now: the same rule and key
    as a PUT (every stripe of an object shares one list). Empty when no OSD can take data."""
    if not usable:
        return []
    return place(object_id, pool.fragments, usable)


def choose_targets(
    object_id: bytes,
    stripe_index: int,
    osd_ids: list[int],
    missing: Iterable[int],
    usable: list[Candidate],
    avoid: set[int],
    returning: set[int] | None = None,
) -> dict[int, int]:
    """A new OSD for every missing fragment (PlacementError when no OSD can take one).

    Two fragments of a stripe share an OSD only when the cluster has no other OSD for them. If
    an OSD that holds nothing of the stripe is merely down for now (``returning``: down, not yet
    lost), the repair waits for it instead (PlacementError; the next scan retries)."""
    wanted = sorted(missing)
    holders = {osd_id for i, osd_id in enumerate(osd_ids) if osd_id and i not in wanted}
    allowed = [c for c in usable if c.osd_id not in avoid]
    held_hosts = {c.host for c in allowed if c.osd_id in holders}
    spread = [c for c in allowed if c.osd_id not in holders]
    waiting = (returning or set()) - holders - avoid
    if len(spread) < len(wanted) and waiting:
        raise PlacementError(f"waiting for OSDs {sorted(waiting)} to hold rebuilt fragments")
    tiers = [[c for c in spread if c.host not in held_hosts], spread, allowed]
    chosen = next((tier for tier in tiers if len(tier) >= len(wanted)), allowed)
    if not chosen:
        raise PlacementError(f"no OSD can take the {len(wanted)} rebuilt fragment(s)")
    load = Counter(c.host for c in usable if c.osd_id in holders)  # rebuilt fragments fill hosts level by level
    picks = place(stripe_placement_key(object_id, stripe_index), len(wanted), chosen, host_load=load)
    return dict(zip(wanted, picks, strict=True))
