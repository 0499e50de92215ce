"""Degraded stripe reads in the gateway's StripeReader: every loss pattern a pool promises to
survive reads back byte-exact, and a healthy or RS-degraded read fetches no more fragments than
it needs. The OSDs are stood in for by a table of encoded fragments behind the batcher's
``read`` (the real batcher and OSDs are covered by tests/e2e)."""

from __future__ import annotations

import itertools
import os
from typing import Any, cast

import pytest

from objectio.common.erasure import encode_stripe
from objectio.common.pools import DEFAULT_POOLS, PoolSpec
from objectio.gateway.storage.batcher import OsdBatcher
from objectio.gateway.storage.reader import StripeReader, StripeUnreadable
from objectio.protos import meta_pb2, osd_pb2

POOLS = {p.name: p for p in DEFAULT_POOLS}


class FragmentTable:
    """What a batcher's ``read`` answers: the fragment, or None for a lost OSD."""

    def __init__(self, fragments: list[bytes], lost: set[int]) -> None:
        self.fragments = fragments
        self.lost = lost
        self.fetched: list[int] = []

    async def read(self, osd_id: int, read: osd_pb2.ShardRead) -> bytes | None:
        index = read.address.fragment_index
        assert osd_id == index + 1, "the reader asked the wrong OSD for this fragment"
        self.fetched.append(index)
        return None if index in self.lost else self.fragments[index]


def _reader(pool: PoolSpec, table: FragmentTable, length: int, reports: list[Any]) -> StripeReader:
    stripe = meta_pb2.StripePlacement(osd_ids=list(range(1, pool.fragments + 1)), length=length)
    record = meta_pb2.ObjectRecord(bucket="b", key="k", object_id=b"\x01" * 16, stripes=[stripe])
    return StripeReader(
        pool=pool,
        record=record,
        stubs=lambda _osd_id: None,
        batcher=cast(OsdBatcher, table),
        token="t",
        timeout_seconds=5,
        on_degraded=lambda index, failed: reports.append((index, list(failed))),
    )


async def test_every_triple_loss_of_an_lrc_stripe_reads_back_exact() -> None:
    pool = POOLS["lrc-8-2-2"]
    assert pool.failure_tolerance == 3
    data = os.urandom(pool.stripe_data_bytes - 77)
    fragments = encode_stripe(pool, data)
    retried = 0
    for lost in itertools.combinations(range(pool.fragments), pool.failure_tolerance):
        table, reports = FragmentTable(fragments, set(lost)), list[Any]()
        got = await _reader(pool, table, len(data), reports).read_stripe(0)
        assert got == data, f"lost fragments {lost}"
        if any(i in table.fetched for i in lost):  # a loss the read ran into is reported for repair
            assert reports and set(reports[0][1]) <= set(lost), f"lost {lost}: reported {reports}"
        retried += len([i for i in table.fetched if i not in lost]) > pool.k
    assert retried > 0, "no loss pattern needed the fall-back to every fragment: the test shows nothing"


@pytest.mark.parametrize("pool_name", ["rs-4-2", "rs-8-4"])
async def test_rs_degraded_read_fetches_k_good_fragments(pool_name: str) -> None:
    pool = POOLS[pool_name]
    data = os.urandom(pool.stripe_data_bytes // 3)
    fragments = encode_stripe(pool, data)
    for lost in itertools.combinations(range(pool.fragments), pool.m):
        table, reports = FragmentTable(fragments, set(lost)), list[Any]()
        assert await _reader(pool, table, len(data), reports).read_stripe(0) == data, f"lost {lost}"
        good = [i for i in table.fetched if i not in lost]
        assert len(good) == pool.k, f"lost {lost}: fetched {table.fetched}"


async def test_a_healthy_read_fetches_only_the_data_fragments_and_reports_nothing() -> None:
    pool = POOLS["lrc-8-2-2"]
    data = os.urandom(5000)
    table, reports = FragmentTable(encode_stripe(pool, data), set()), list[Any]()
    assert await _reader(pool, table, len(data), reports).read_stripe(0) == data
    assert sorted(table.fetched) == list(range(pool.k))
    assert reports == []


async def test_more_losses_than_the_pool_survives_is_a_clear_error() -> None:
    pool = POOLS["rs-4-2"]
    data = os.urandom(1000)
    table = FragmentTable(encode_stripe(pool, data), {0, 1, 5})
    with pytest.raises(StripeUnreadable, match="only 3 of 4 needed fragments"):
        await _reader(pool, table, len(data), []).read_stripe(0)
