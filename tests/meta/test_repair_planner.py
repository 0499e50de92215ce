"""The repair read-set planner and target choice (pure functions), with real pyeclib decodes:
every planned read set must rebuild the lost fragments byte for byte."""

from __future__ import annotations

import itertools
import random

import pytest

from objectio.common.erasure import encode_stripe
from objectio.common.placement import Candidate, PlacementError
from objectio.common.pools import DEFAULT_POOLS, PoolSpec, PoolType
from objectio.meta.repair_planner import choose_targets, group_members, read_set
from objectio.meta.repair_stripe import rebuild

RS_4_2, RS_8_4, LRC = DEFAULT_POOLS
SMALL_LRC = PoolSpec("lrc-small", PoolType.LRC, k=8, m=4, local_groups=2, stripe_unit_bytes=4096)
SMALL_RS = PoolSpec("rs-small", PoolType.RS_VAND, k=4, m=2, stripe_unit_bytes=4096)


def test_lrc_groups_follow_pyeclib_fragment_order() -> None:
    assert group_members(LRC, 0) == [0, 1, 2, 3, 10]
    assert group_members(LRC, 1) == [4, 5, 6, 7, 11]


@pytest.mark.parametrize("lost", [*range(8), 10, 11])
def test_lrc_single_loss_in_a_group_reads_only_the_group(lost: int) -> None:
    alive = set(range(12)) - {lost}
    plan = read_set(LRC, {lost}, alive)
    assert plan is not None and len(plan) == LRC.k // LRC.local_groups
    group = LRC.local_group_of(lost)
    assert group is not None and set(plan) == set(group_members(LRC, group)) - {lost}


@pytest.mark.parametrize("lost", [8, 9])
def test_lrc_lost_global_parity_reads_the_k_data_fragments(lost: int) -> None:
    assert read_set(LRC, {lost}, set(range(12)) - {lost}) == list(range(8))


def test_lrc_one_loss_per_group_uses_both_groups() -> None:
    plan = read_set(LRC, {1, 6}, set(range(12)) - {1, 6})
    assert plan is not None and sorted(plan) == [0, 2, 3, 4, 5, 7, 10, 11]


def test_lrc_two_losses_in_one_group_fall_back_to_every_survivor() -> None:
    assert read_set(LRC, {0, 1}, set(range(12)) - {0, 1}) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]


def test_rs_reads_k_data_first_and_refuses_too_few() -> None:
    assert read_set(RS_4_2, {1}, {0, 2, 3, 4, 5}) == [0, 2, 3, 4]
    assert read_set(RS_8_4, {0, 1}, set(range(2, 12))) == list(range(2, 10))
    assert read_set(RS_4_2, {0, 1, 2}, {3, 4, 5}) is None


@pytest.mark.parametrize("pool", [SMALL_LRC, SMALL_RS], ids=lambda p: p.name)
def test_every_planned_read_set_rebuilds_exactly(pool: PoolSpec) -> None:
    rng = random.Random(7)  # reproducible: the seed is the whole input
    data = rng.randbytes(pool.stripe_data_bytes - 3)
    fragments = encode_stripe(pool, data)
    for count in (1, 2):
        for lost in itertools.combinations(range(pool.fragments), count):
            alive = set(range(pool.fragments)) - set(lost)
            plan = read_set(pool, set(lost), alive)
            if plan is None:
                continue
            rebuilt = rebuild(pool, {i: fragments[i] for i in plan}, list(lost))
            assert rebuilt == {i: fragments[i] for i in lost}, f"{pool.name}: lost {lost}, read {plan}"


def test_targets_avoid_holders_and_lost_osds() -> None:
    usable = [Candidate(osd_id, f"h{osd_id}", 1.0) for osd_id in range(1, 10)]
    osd_ids = [1, 2, 3, 4, 5, 6]
    targets = choose_targets(b"\x01" * 16, 0, osd_ids, [2, 5], usable, avoid={3, 6, 9})
    assert set(targets) == {2, 5}
    assert set(targets.values()) <= {7, 8} and len(set(targets.values())) == 2


def test_targets_reuse_holders_only_when_nothing_else_is_left() -> None:
    usable = [Candidate(osd_id, "one-host", 1.0) for osd_id in range(1, 7)]
    targets = choose_targets(b"\x02" * 16, 3, [1, 2, 3, 4, 5, 6], [0], usable, avoid={1})
    assert targets[0] in {2, 3, 4, 5, 6}
    with pytest.raises(PlacementError):
        choose_targets(b"\x02" * 16, 3, [1, 2, 3, 4, 5, 6], [0], usable, avoid=set(range(1, 7)))


def test_targets_wait_for_a_down_osd_rather_than_doubling_up() -> None:
    usable = [Candidate(osd_id, "one-host", 1.0) for osd_id in range(1, 6)]  # 6 is down, not lost yet
    with pytest.raises(PlacementError, match="waiting"):
        choose_targets(b"\x03" * 16, 0, [1, 2, 3, 4, 5, 8], [5], usable, avoid={8}, returning={6})
    targets = choose_targets(b"\x03" * 16, 0, [1, 2, 3, 4, 5, 8], [5], usable, avoid={8}, returning=set())
    assert targets[5] in {1, 2, 3, 4, 5}  # nothing else will come: doubling up restores redundancy


def test_rebuilt_fragments_fill_the_least_loaded_hosts_first() -> None:
    """12 fragments on 5 hosts of 4 OSDs holding 1, 1, 2, 3 and 3 of them, 2 missing: the rebuilt
    fragments go one each to the two hosts holding 1 — never to a host already at ceil(12/5) = 3
    that still has a free OSD."""
    usable = [Candidate(osd_id, f"h{(osd_id - 1) // 4}", 1.0) for osd_id in range(5, 25)]
    host_of = {c.osd_id: c.host for c in usable}
    osd_ids = [5, 9, 13, 14, 17, 18, 19, 21, 22, 23, 0, 0]
    for seed in range(200):
        object_id = random.Random(seed).randbytes(16)
        targets = choose_targets(object_id, 0, osd_ids, [10, 11], usable, avoid=set())
        assert sorted(host_of[t] for t in targets.values()) == ["h1", "h2"], (seed, targets)
