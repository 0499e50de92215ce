"""Probe test of rebalance: OSDs added to a running cluster receive their share of existing
fragments in the background (copy, compare-and-set, then delete the old copy), while every
object keeps reading byte-exact and no stripe ever has two fragments on one host.

Reproduce: ``pytest tests/e2e/test_rebalance.py -q`` (daemon logs under the test's tmp_path/aio/logs).
"""

from __future__ import annotations

import random
import threading
from pathlib import Path
from typing import Any

import pytest

from objectio.cli.aio import AllInOne, free_port
from objectio.protos import meta_pb2
from tests.cli.conftest import run_cli
from tests.e2e.conftest import s3_client
from tests.e2e.repair_cluster import (
    DISK_SIZE_BYTES,
    FAST_REPAIR_ENV,
    all_stripes,
    body_of,
    list_shards,
    osd_ids_by_daemon,
    records,
    run,
    wait_until,
)

pytestmark = pytest.mark.e2e

REBALANCE_TIMEOUT_S = 120
SIZES = [40_000, 300_000, 1 << 20, 9 * (1 << 20) + 5]  # batched, streamed, and multi-stripe objects


def _host_clashes(cluster: AllInOne, recs: dict[str, meta_pb2.ObjectRecord]) -> list[str]:
    cmap: meta_pb2.ClusterMap = run(cluster, lambda meta: meta.get_cluster_map())
    hosts = {osd.id: osd.host for osd in cmap.osds}
    bad = []
    for key, record in recs.items():
        for part, index, stripe in all_stripes(record):
            on = [hosts.get(osd_id, "?") for osd_id in stripe.osd_ids]
            if len(set(on)) < len(on):
                bad.append(f"{key}{part}#{index}: {list(stripe.osd_ids)} on {on}")
    return bad


def test_added_osds_get_their_share_while_reads_stay_exact(tmp_path: Path) -> None:
    env = {**FAST_REPAIR_ENV, "OBJECTIO_META_REBALANCE_DELETE_DELAY_MS": "1000"}
    cluster = AllInOne(
        tmp_path / "aio", port=free_port(), osds=6, disk_size_bytes=DISK_SIZE_BYTES, extra_env=env,
        osd_hosts=[f"h{i}" for i in range(6)],
    )  # fmt: skip
    errors: list[str] = []
    stop = threading.Event()
    try:
        cluster.start()
        s3: Any = s3_client(cluster)
        s3.create_bucket(Bucket="reb")
        objects = {f"r-{size}-{i}": body_of(f"r-{size}-{i}", size) for size in SIZES for i in range(4)}
        for key, body in objects.items():
            s3.put_object(Bucket="reb", Key=key, Body=body)
        before = records(cluster, "reb", list(objects))

        def reader() -> None:
            rng = random.Random(7)
            keys = list(objects)
            while not stop.is_set():
                key = rng.choice(keys)
                try:
                    if s3.get_object(Bucket="reb", Key=key)["Body"].read() != objects[key]:
                        errors.append(f"{key}: wrong bytes")
                except Exception as exc:
                    errors.append(f"{key}: {exc}")

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        added = cluster.add_osds(2, hosts=["h6", "h7"])
        new_ids = {osd_ids_by_daemon(cluster)[name] for name in added}

        def status() -> meta_pb2.RepairStatus:
            result: meta_pb2.RepairStatus = run(cluster, lambda meta: meta.get_repair_status())
            return result

        def not_done() -> list[str]:
            clashes = _host_clashes(cluster, records(cluster, "reb", list(objects)))
            if clashes:
                errors.extend(clashes)
            s = status()
            moved_in = [
                1 for r in records(cluster, "reb", list(objects)).values()
                for _, _, st in all_stripes(r) for o in st.osd_ids if o in new_ids
            ]  # fmt: skip
            if s.rebalance_active or not moved_in:
                return [f"active={s.rebalance_active} moved={s.rebalance_fragments_moved} on new={len(moved_in)}"]
            return []

        wait_until("rebalance onto the added OSDs finished", not_done, REBALANCE_TIMEOUT_S)
        stop.set()
        thread.join(timeout=30)
        assert errors == [], errors[:10]
        after = records(cluster, "reb", list(objects))
        on_new = sum(1 for r in after.values() for _, _, s in all_stripes(r) for o in s.osd_ids if o in new_ids)
        total = sum(len(s.osd_ids) for r in after.values() for _, _, s in all_stripes(r))
        assert 0.1 * total <= on_new <= 0.4 * total, f"{on_new} of {total} fragments on the 2 new OSDs of 8"
        for key, record in after.items():
            assert record.object_id == before[key].object_id, key
        data = run_cli(cluster.data_dir, "repair", "status", "--json").data
        assert data["rebalance_fragments_moved"] >= on_new and not data["rebalance_active"], data
        held = {osd_id: 0 for osd_id in new_ids}
        for r in after.values():
            for _, _, s in all_stripes(r):
                for o in s.osd_ids:
                    if o in held:
                        held[o] += 1

        def unused() -> list[str]:  # each fragment takes at least one 4 KiB block on its disk
            cmap: meta_pb2.ClusterMap = run(cluster, lambda meta: meta.get_cluster_map())
            return [
                f"osd {o.id}: {o.used_bytes} bytes used for {held[o.id]} fragments"
                for o in cmap.osds
                if o.id in held and o.used_bytes < held[o.id] * 4096
            ]

        wait_until("the added OSDs report the moved fragments' space as used", unused, 10)

        # The old copies are deleted once the records point to the new ones.
        by_id = {r.object_id: r for r in after.values()}
        daemons = osd_ids_by_daemon(cluster)

        def leftovers() -> list[str]:
            left = []
            for daemon, osd_id in daemons.items():
                for shard in list_shards(cluster, daemon):
                    a, record = shard.address, by_id.get(shard.address.object_id)
                    if record is not None and record.stripes[a.stripe_index].osd_ids[a.fragment_index] != osd_id:
                        left.append(f"{daemon}: {record.key}#{a.stripe_index}/{a.fragment_index}")
            return left

        wait_until("old copies of moved fragments deleted", leftovers, 30)
        for key, body in objects.items():
            assert s3.get_object(Bucket="reb", Key=key)["Body"].read() == body, f"{key} after rebalance"
    finally:
        stop.set()
        cluster.stop()
