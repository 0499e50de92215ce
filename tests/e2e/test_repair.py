"""Probe tests of the repair manager on real processes: OSDs killed with SIGKILL, every stripe
rebuilt to k+m live fragments without any manual step, reads byte-exact throughout.

Reproduce: ``pytest tests/e2e/test_repair.py -q`` (daemon logs under the test's tmp_path/aio/logs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from objectio.cli.aio import AllInOne
from objectio.common.erasure import payload_bytes
from objectio.common.pools import DEFAULT_POOLS, FRAGMENT_HEADER_BYTES
from objectio.meta.repair_planner import read_set
from tests.cli.conftest import run_cli
from tests.e2e.conftest import s3_client
from tests.e2e.repair_cluster import (
    body_of,
    list_shards,
    osd_ids_by_daemon,
    records,
    start_repair_cluster,
    unhealthy_stripes,
    wait_until,
)

pytestmark = pytest.mark.e2e

# one stripe through the batcher, one stripe streamed, three stripes (RS 4+2: ~4 MiB per stripe)
SIZES = [20_000, 1 << 20, 9 * (1 << 20) + 5]
REPAIR_TIMEOUT_S = 60


@pytest.fixture()
def repair_cluster(tmp_path: Path) -> Iterator[AllInOne]:
    cluster = start_repair_cluster(tmp_path / "aio", osds=8)
    yield cluster
    cluster.stop()


def _read_all(s3: Any, objects: dict[str, bytes], when: str) -> None:
    for key, body in objects.items():
        assert s3.get_object(Bucket="rep", Key=key)["Body"].read() == body, f"{key} {when}"


def _holders(recs: dict[str, Any]) -> dict[int, int]:
    """OSD id -> fragments it holds."""
    counts: dict[int, int] = {}
    for record in recs.values():
        for stripe in record.stripes:
            for osd_id in stripe.osd_ids:
                counts[osd_id] = counts.get(osd_id, 0) + 1
    return counts


def test_two_dead_osds_are_repaired_then_two_more_can_die(repair_cluster: AllInOne) -> None:
    s3: Any = s3_client(repair_cluster)
    s3.create_bucket(Bucket="rep")
    objects = {f"o-{size}-{i}": body_of(f"o-{size}-{i}", size) for size in SIZES for i in range(3)}
    for key, body in objects.items():
        s3.put_object(Bucket="rep", Key=key, Body=body)
    ids = osd_ids_by_daemon(repair_cluster)
    names = {osd_id: name for name, osd_id in ids.items()}
    before = records(repair_cluster, "rep", list(objects))
    busiest = sorted(_holders(before).items(), key=lambda kv: -kv[1])

    dead = {osd_id for osd_id, _ in busiest[:2]}
    for osd_id in dead:
        repair_cluster.daemons[names[osd_id]].kill()
    _read_all(s3, objects, "with two OSDs dead, before repair")

    wait_until(
        "every stripe at k+m live fragments",
        lambda: unhealthy_stripes(records(repair_cluster, "rep", list(objects)), dead),
        REPAIR_TIMEOUT_S,
    )
    after = records(repair_cluster, "rep", list(objects))
    for key, record in after.items():
        assert record.object_id == before[key].object_id, key
        for stripe in record.stripes:
            assert len(set(stripe.osd_ids)) == len(stripe.osd_ids), f"{key}: two fragments on one OSD"
    _read_all(s3, objects, "after repair")

    more = {osd_id for osd_id, _ in sorted(_holders(after).items(), key=lambda kv: -kv[1])[:2]}
    for osd_id in more:
        repair_cluster.daemons[names[osd_id]].kill()
    _read_all(s3, objects, "after repair and two more dead OSDs")

    # A returning OSD's stale copies (their fragments were rebuilt elsewhere) are removed, and
    # never served: reads follow the records.
    returning = names[min(dead)]
    repair_cluster.daemons[returning].start()
    repair_cluster.daemons[returning].wait_ready()
    by_id = {r.object_id: r for r in after.values()}

    def stale_left() -> list[str]:
        left = []
        for shard in list_shards(repair_cluster, returning):
            record = by_id.get(shard.address.object_id)
            if record is None:
                continue
            placed = record.stripes[shard.address.stripe_index].osd_ids[shard.address.fragment_index]
            if placed != min(dead):
                left.append(f"{record.key}#{shard.address.stripe_index}/{shard.address.fragment_index}")
        return left

    wait_until("stale copies removed from the returning OSD", stale_left, 30)
    _read_all(s3, objects, "after the stale copies were removed")


@pytest.mark.slow
def test_lrc_repair_reads_only_the_local_group(tmp_path: Path) -> None:
    """LRC 8+2+2 on 14 OSDs: after one OSD is lost, the repair manager reads exactly the local
    group (4 fragments) per lost data fragment or local parity and 8 per lost global parity."""
    cluster = start_repair_cluster(tmp_path / "aio", osds=14)
    try:
        d = cluster.data_dir
        run_cli(d, "bucket", "create", "lrc", "--pool", "lrc-8-2-2", "--owner", "admin")
        s3: Any = s3_client(cluster)
        pool = DEFAULT_POOLS[2]
        objects = {f"l-{i}": body_of(f"l-{i}", size) for i, size in enumerate([3 << 20, pool.stripe_data_bytes + 9])}
        for key, body in objects.items():
            s3.put_object(Bucket="lrc", Key=key, Body=body)
        before = records(cluster, "lrc", list(objects))
        names = {osd_id: name for name, osd_id in osd_ids_by_daemon(cluster).items()}
        victim = before["l-0"].stripes[0].osd_ids[0]  # holds a data fragment
        expected_read = 0
        for record in before.values():
            for stripe in record.stripes:
                for index, osd_id in enumerate(stripe.osd_ids):
                    if osd_id == victim:
                        reads = len(read_set(pool, {index}, set(range(pool.fragments)) - {index}) or [])
                        expected_read += reads * (payload_bytes(pool, stripe.length) + FRAGMENT_HEADER_BYTES)
        cluster.daemons[names[victim]].kill()
        wait_until(
            "every LRC stripe repaired",
            lambda: unhealthy_stripes(records(cluster, "lrc", list(objects)), {victim}),
            REPAIR_TIMEOUT_S,
        )
        status = run_cli(d, "repair", "status", "--json").data
        assert status["bytes_read"] == expected_read, status
        _read_all_in(s3, "lrc", objects)
    finally:
        cluster.stop()


def _read_all_in(s3: Any, bucket: str, objects: dict[str, bytes]) -> None:
    for key, body in objects.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, key


def test_osd_drain_moves_every_fragment_then_the_osd_can_be_removed(tmp_path: Path) -> None:
    cluster = start_repair_cluster(tmp_path / "aio", osds=7)
    try:
        d = cluster.data_dir
        s3: Any = s3_client(cluster)
        s3.create_bucket(Bucket="rep")
        objects = {f"d-{size}": body_of(f"d-{size}", size) for size in SIZES}
        for key, body in objects.items():
            s3.put_object(Bucket="rep", Key=key, Body=body)
        busiest = max(_holders(records(cluster, "rep", list(objects))).items(), key=lambda kv: kv[1])[0]
        run_cli(d, "osd", "drain", str(busiest), "--interval", "0.5", "--max-seconds", str(2 * REPAIR_TIMEOUT_S))
        # drain returns only once repair moved everything: nothing may still be placed on it
        assert unhealthy_stripes(records(cluster, "rep", list(objects)), {busiest}) == []
        _read_all(s3, objects, "after the drain")
        cluster.daemons[osd_ids_by_daemon_inverse(cluster)[busiest]].stop()
        run_cli(d, "osd", "remove", str(busiest))
        _read_all(s3, objects, "after the drained OSD was removed")
    finally:
        cluster.stop()


def osd_ids_by_daemon_inverse(cluster: AllInOne) -> dict[int, str]:
    return {osd_id: name for name, osd_id in osd_ids_by_daemon(cluster).items()}


@pytest.mark.slow
def test_meta_killed_mid_repair_resumes_and_leaves_no_unplaced_copies(tmp_path: Path) -> None:
    """kill -9 of meta while repair is slowed to 2 MiB/s: after its restart the next scan finds
    what is left, every stripe ends healthy, and rebuilt fragments that were written but never
    committed are removed by their OSDs' stale-copy sweeps."""
    env = {"OBJECTIO_META_REPAIR_BYTES_PER_S": str(2 << 20), "OBJECTIO_OSD_STALE_SWEEP_INTERVAL_MS": "2000"}
    cluster = start_repair_cluster(tmp_path / "aio", osds=8, env=env)
    try:
        s3: Any = s3_client(cluster)
        s3.create_bucket(Bucket="rep")
        objects = {f"m-{i}": body_of(f"m-{i}", (1 << 20) + i) for i in range(12)}
        for key, body in objects.items():
            s3.put_object(Bucket="rep", Key=key, Body=body)
        names = osd_ids_by_daemon_inverse(cluster)
        busiest = sorted(_holders(records(cluster, "rep", list(objects))).items(), key=lambda kv: -kv[1])
        dead = {osd_id for osd_id, _ in busiest[:2]}
        for osd_id in dead:
            cluster.daemons[names[osd_id]].kill()

        def some_repaired() -> list[str]:
            done = run_cli(cluster.data_dir, "repair", "status", "--json").data["stripes_done"]
            return [] if done >= 2 else [f"{done} stripes done"]

        wait_until("a few stripes repaired", some_repaired, REPAIR_TIMEOUT_S)
        cluster.daemons["meta"].kill()
        cluster.daemons["meta"].start()
        cluster.daemons["meta"].wait_ready()
        wait_until(
            "every stripe healthy after the meta restart",
            lambda: unhealthy_stripes(records(cluster, "rep", list(objects)), dead),
            2 * REPAIR_TIMEOUT_S,
        )
        _read_all(s3, objects, "after repair across a meta crash")
        final = records(cluster, "rep", list(objects))
        by_id = {r.object_id: r for r in final.values()}
        live = [name for osd_id, name in names.items() if osd_id not in dead]

        def unplaced() -> list[str]:
            left = []
            for daemon in live:
                osd_id = osd_ids_by_daemon(cluster)[daemon]
                for shard in list_shards(cluster, daemon):
                    record = by_id.get(shard.address.object_id)
                    a = shard.address
                    if record is not None and record.stripes[a.stripe_index].osd_ids[a.fragment_index] != osd_id:
                        left.append(f"{daemon}: {record.key}#{a.stripe_index}/{a.fragment_index}")
            return left

        wait_until("no unplaced fragment copies on live OSDs", unplaced, 30)
    finally:
        cluster.stop()
