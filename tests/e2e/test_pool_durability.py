"""The durability promise of each pool, shown on real processes: with as many OSDs killed as the
pool guarantees (``PoolSpec.failure_tolerance``) every object reads byte-exact; repair brings
every stripe back to k+m live fragments on distinct OSDs without any manual step; then as many
more OSDs can die and every object still reads. (RS 4+2 is shown by
``test_repair.py::test_two_dead_osds_are_repaired_then_two_more_can_die``.) Also: a drain under
a light write load loses nothing and leaves the OSD empty.

Reproduce: ``pytest tests/e2e/test_pool_durability.py -q`` (daemon logs under tmp_path/aio/logs).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from objectio.common.pools import DEFAULT_POOLS, PoolSpec
from tests.cli.conftest import run_cli
from tests.e2e.conftest import s3_client
from tests.e2e.repair_cluster import (
    all_stripes,
    body_of,
    list_shards,
    osd_ids_by_daemon,
    records,
    start_repair_cluster,
    unhealthy_stripes,
    wait_until,
)

pytestmark = pytest.mark.e2e

POOLS = {p.name: p for p in DEFAULT_POOLS}
REPAIR_TIMEOUT_S = 120


def _busiest(recs: dict[str, Any], count: int, exclude: set[int]) -> set[int]:
    counts: dict[int, int] = {}
    for record in recs.values():
        for _, _, stripe in all_stripes(record):
            for osd_id in stripe.osd_ids:
                if osd_id not in exclude:
                    counts[osd_id] = counts.get(osd_id, 0) + 1
    return {osd_id for osd_id, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:count]}


@pytest.mark.parametrize("pool_name", ["rs-8-4", "lrc-8-2-2"])
def test_pool_survives_its_tolerance_is_repaired_and_survives_it_again(tmp_path: Path, pool_name: str) -> None:
    pool: PoolSpec = POOLS[pool_name]
    tolerance = pool.failure_tolerance
    # k+m OSDs stay up after the first kills, so every stripe can get k+m distinct OSDs back.
    cluster = start_repair_cluster(tmp_path / "aio", osds=pool.fragments + tolerance)
    try:
        run_cli(cluster.data_dir, "bucket", "create", "pool", "--pool", pool_name, "--owner", "admin")
        s3: Any = s3_client(cluster)
        sizes = [20_000, pool.stripe_data_bytes + 9]  # one batched stripe; two streamed stripes
        objects = {f"p-{i}": body_of(f"{pool_name}-{i}", size) for i, size in enumerate(sizes)}
        for key, body in objects.items():
            s3.put_object(Bucket="pool", Key=key, Body=body)
        names = {osd_id: name for name, osd_id in osd_ids_by_daemon(cluster).items()}
        before = records(cluster, "pool", list(objects))

        dead = _busiest(before, tolerance, set())
        for osd_id in dead:
            cluster.daemons[names[osd_id]].kill()
        for key, body in objects.items():
            assert s3.get_object(Bucket="pool", Key=key)["Body"].read() == body, f"{key}, {tolerance} OSDs dead"

        wait_until(
            f"every {pool_name} stripe at k+m live fragments",
            lambda: unhealthy_stripes(records(cluster, "pool", list(objects)), dead),
            REPAIR_TIMEOUT_S,
        )
        after = records(cluster, "pool", list(objects))
        for key, record in after.items():
            for _, index, stripe in all_stripes(record):
                assert len(set(stripe.osd_ids)) == pool.fragments, f"{key}#{index}: {list(stripe.osd_ids)}"

        more = _busiest(after, tolerance, dead)
        for osd_id in more:
            cluster.daemons[names[osd_id]].kill()
        for key, body in objects.items():
            assert s3.get_object(Bucket="pool", Key=key)["Body"].read() == body, f"{key} after repair + more kills"
    finally:
        cluster.stop()


def test_drain_under_a_light_write_load_loses_nothing_and_empties_the_osd(tmp_path: Path) -> None:
    env = {"OBJECTIO_OSD_STALE_SWEEP_INTERVAL_MS": "2000"}
    cluster = start_repair_cluster(tmp_path / "aio", osds=7, env=env)
    stop = threading.Event()
    acked: dict[str, bytes] = {}
    errors: list[str] = []
    try:
        s3: Any = s3_client(cluster)
        s3.create_bucket(Bucket="drain")
        for i, size in enumerate([30_000, 1 << 20, 5 << 20]):
            key = f"before-{i}"
            acked[key] = body_of(key, size)
            s3.put_object(Bucket="drain", Key=key, Body=acked[key])

        def writer() -> None:
            n = 0
            while not stop.wait(0.2):
                key, n = f"during-{n}", n + 1
                body = body_of(key, 100_000 + 7 * n)
                try:
                    s3.put_object(Bucket="drain", Key=key, Body=body)
                    acked[key] = body
                except Exception as exc:
                    errors.append(f"{key}: {exc}")

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        victim = next(iter(_busiest(records(cluster, "drain", list(acked)), 1, set())))
        run_cli(cluster.data_dir, "osd", "drain", str(victim), "--interval", "0.5", "--max-seconds", "120")
        stop.set()
        thread.join(timeout=30)
        assert errors == [], errors[:10]
        assert sum(k.startswith("during-") for k in acked) >= 3, "the write load did not run during the drain"
        assert unhealthy_stripes(records(cluster, "drain", list(acked)), {victim}) == []
        for key, body in acked.items():
            assert s3.get_object(Bucket="drain", Key=key)["Body"].read() == body, f"{key} after the drain"
        daemon = {osd_id: name for name, osd_id in osd_ids_by_daemon(cluster).items()}[victim]
        wait_until(
            f"drained OSD {victim} empty",
            lambda: [f"{s.address.object_id.hex()}#{s.address.stripe_index}" for s in list_shards(cluster, daemon)],
            30,
        )
    finally:
        stop.set()
        cluster.stop()
