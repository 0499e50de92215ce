"""Pool registry: validation, failure tolerance, and stripe round trips through pyeclib."""

from __future__ import annotations

import itertools
import random

import pytest

from objectio.common.erasure import decode_stripe, encode_stripe, reconstruct_fragments
from objectio.common.pools import DEFAULT_POOLS, PoolError, PoolSpec, PoolType

SEED = 7


@pytest.mark.parametrize("pool", DEFAULT_POOLS, ids=lambda p: p.name)
def test_full_stripe_fragments_are_exactly_one_stripe_unit(pool: PoolSpec) -> None:
    data = random.Random(SEED).randbytes(pool.stripe_data_bytes)
    fragments = encode_stripe(pool, data)
    assert [len(f) for f in fragments] == [pool.stripe_unit_bytes] * pool.fragments


@pytest.mark.parametrize("pool", DEFAULT_POOLS, ids=lambda p: p.name)
@pytest.mark.parametrize("length", [1, 4096, 100_003])
def test_any_tolerated_loss_decodes(pool: PoolSpec, length: int) -> None:
    rng = random.Random(SEED + length)
    data = rng.randbytes(length)
    fragments = dict(enumerate(encode_stripe(pool, data)))
    assert decode_stripe(pool, fragments, length) == data  # healthy path: no decode
    for lost in itertools.islice(itertools.combinations(range(pool.fragments), pool.failure_tolerance), 60):
        survivors = {i: f for i, f in fragments.items() if i not in lost}
        assert decode_stripe(pool, survivors, length) == data, f"lost {lost}"


def test_lrc_rebuilds_a_data_fragment_from_its_local_group_only() -> None:
    pool = next(p for p in DEFAULT_POOLS if p.type is PoolType.LRC)
    data = random.Random(SEED).randbytes(50_000)
    fragments = dict(enumerate(encode_stripe(pool, data)))
    group = [i for i in range(pool.fragments) if pool.local_group_of(i) == 0 and i != 0]
    assert len(group) == pool.k // pool.local_groups  # 3 data peers + the local parity
    rebuilt = reconstruct_fragments(pool, {i: fragments[i] for i in group}, [0])
    assert rebuilt[0] == fragments[0]


def test_failure_tolerance_is_stated_per_type() -> None:
    assert PoolSpec("a", PoolType.RS_VAND, 4, 2).failure_tolerance == 2
    assert PoolSpec("b", PoolType.LRC, 8, 4, local_groups=2).failure_tolerance == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": 0, "m": 2}, "at least 1"),
        ({"k": 30, "m": 4}, "exceeds"),
        ({"k": 4, "m": 2, "stripe_unit_bytes": 5000}, "multiple of 4096"),
        ({"k": 4, "m": 2, "local_groups": 1}, "LRC pools only"),
    ],
)
def test_invalid_rs_pools_are_refused(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(PoolError, match=message):
        PoolSpec("bad", PoolType.RS_VAND, **kwargs)


def test_invalid_lrc_pools_are_refused() -> None:
    with pytest.raises(PoolError, match="2\\*local_groups"):
        PoolSpec("bad", PoolType.LRC, k=4, m=4, local_groups=3)
    with pytest.raises(PoolError, match="m > local_groups"):
        PoolSpec("bad", PoolType.LRC, k=8, m=2, local_groups=2)


def test_proto_round_trip() -> None:
    for pool in DEFAULT_POOLS:
        assert PoolSpec.from_proto(pool.to_proto()) == pool
