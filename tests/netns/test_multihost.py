"""Multi-host probe tests: meta, gateway and OSD hosts in their own network namespaces on one
bridge, a real boto3 client reaching the gateway from a client namespace.

What they show: each stripe's fragments land on distinct hosts when there are enough hosts (at
most ceil(fragments / hosts) per host otherwise); a whole host killed with SIGKILL leaves every
object readable byte-exact; the repair manager restores full redundancy on the remaining hosts
without any manual step (grace periods lowered through OBJECTIO_META_* variables).

Reproduce: ``pytest tests/netns -q`` as root (``--run-slow`` adds the RS 8+4 / LRC 8+2+2 variant);
daemon logs stay under the test's tmp_path in ``<host>/logs/``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from objectio.protos import meta_pb2
from tests.e2e.repair_cluster import FAST_REPAIR_ENV, body_of, wait_until
from tests.netns.cluster_view import osd_ids_of_host, osd_map, placement_problems, records, s3_client
from tests.netns.harness import MultiHostCluster

pytestmark = [pytest.mark.e2e, pytest.mark.root]

# one stripe through the batcher, one stripe streamed, three stripes (RS 4+2: ~4 MiB per stripe)
SIZES = [20_000, 1 << 20, 9 * (1 << 20) + 5]
REPAIR_TIMEOUT_S = 90
# Reading every object of the slow test while one host is cut off: each GET that needs the cut
# host waits for gRPC keepalive (10 s) at most once per connection; 60 s is several of those.
PARTITION_READS_SECONDS_MAX = 60


def _write(s3: Any, bucket: str, sizes: list[int], copies: int) -> dict[str, bytes]:
    objects = {f"{bucket}-{size}-{i}": body_of(f"{bucket}-{size}-{i}", size) for size in sizes for i in range(copies)}
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return objects


def _read_all(s3: Any, bucket: str, objects: dict[str, bytes], when: str) -> None:
    for key, body in objects.items():
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body, f"{bucket}/{key} {when}"


def _hosts_of_stripes(recs: dict[str, meta_pb2.ObjectRecord], host_of: dict[int, str]) -> set[int]:
    """The distinct numbers of hosts a stripe uses, over every stripe."""
    return {len({host_of[osd_id] for osd_id in stripe.osd_ids}) for r in recs.values() for stripe in r.stripes}


def test_host_is_the_failure_domain_and_a_lost_host_is_repaired(tmp_path: Path) -> None:
    """RS 4+2 on 6 OSD hosts (9 OSDs: hosts of 2 and of 1): one fragment per host; h1 killed
    (2 OSDs) → reads byte-exact, repair onto the 5 others (≤ 2 per host); then two more hosts
    killed → still readable, which needs the redundancy repair restored."""
    with MultiHostCluster(tmp_path / "mh", [2, 1, 2, 1, 2, 1], extra_env=FAST_REPAIR_ENV) as cluster:
        s3 = s3_client(cluster)
        s3.create_bucket(Bucket="multihost")
        objects = _write(s3, "multihost", SIZES, copies=2)

        osds = osd_map(cluster)
        expected = {h: cluster.host(h).netns for h in cluster.osd_hosts}
        for host in cluster.osd_hosts:
            ids = osd_ids_of_host(cluster, host)
            assert len(ids) == len(cluster.daemons_of(host)), host
            assert {osds[i].host for i in ids} == {expected[host]}, "an OSD's failure domain is its namespace"
        host_of = {osd_id: osd.host for osd_id, osd in osds.items()}
        before = records(cluster, "multihost", list(objects))
        assert placement_problems(before, host_of, set(), hosts_alive=6) == []
        assert _hosts_of_stripes(before, host_of) == {6}, "6 fragments on 6 hosts: one per host"

        dead = osd_ids_of_host(cluster, "h1")
        assert len(dead) == 2
        assert cluster.kill_host("h1"), "h1 had processes to kill"
        assert cluster.net.pids("h1") == []
        started = time.monotonic()
        _read_all(s3, "multihost", objects, "with host h1 killed, before repair")
        print(f"degraded reads of {len(objects)} objects: {time.monotonic() - started:.1f} s")

        killed_at = time.monotonic()
        wait_until(
            "every stripe back at 6 live fragments, at most 2 per host",
            lambda: placement_problems(records(cluster, "multihost", list(objects)), host_of, dead, hosts_alive=5),
            REPAIR_TIMEOUT_S,
        )
        stripes = sum(len(r.stripes) for r in before.values())
        print(f"host h1 lost: {stripes} stripes repaired {time.monotonic() - killed_at:.1f} s after the kill")
        after = records(cluster, "multihost", list(objects))
        assert {k: r.object_id for k, r in after.items()} == {k: r.object_id for k, r in before.items()}
        assert all(osds_now.up == meta_pb2.OSD_DOWN for i, osds_now in osd_map(cluster).items() if i in dead)
        _read_all(s3, "multihost", objects, "after repair")

        # Each stripe now has one fragment on each of h2, h4 and h6 (1 OSD each): losing both h2
        # and h4 costs 2 fragments, within RS 4+2's tolerance only because repair replaced h1's.
        for host in ("h2", "h4"):
            cluster.kill_host(host)
        _read_all(s3, "multihost", objects, "after repair and hosts h2, h4 killed")

        cluster.restart_host("h1")
        wait_until(
            "h1's OSDs up again",
            lambda: [str(i) for i, osd in osd_map(cluster).items() if i in dead and osd.up != meta_pb2.OSD_UP],
            30,
        )
        _read_all(s3, "multihost", objects, "after h1 restarted")


@pytest.mark.slow
def test_wide_pools_on_seven_hosts(tmp_path: Path) -> None:
    """RS 8+4 and LRC 8+2+2 (12 fragments) on 7 hosts x 2 OSDs: at most 2 fragments per host;
    a killed host is repaired to ≤ 2 per host on the 6 others; then another host is cut off the
    network (processes alive): reads still byte-exact; healed, its OSDs come back up."""
    with MultiHostCluster(tmp_path / "mh", [2] * 7, extra_env=FAST_REPAIR_ENV) as cluster:
        written: dict[str, dict[str, bytes]] = {}
        for pool in ("rs-8-4", "lrc-8-2-2"):
            s3 = s3_client(cluster, pool=pool)
            s3.create_bucket(Bucket=pool)
            written[pool] = _write(s3, pool, [100_000, 20 * (1 << 20) + 3], copies=2)
        s3 = s3_client(cluster)
        host_of = {osd_id: osd.host for osd_id, osd in osd_map(cluster).items()}
        for bucket, objects in written.items():
            recs = records(cluster, bucket, list(objects))
            assert {r.pool for r in recs.values()} == {bucket}
            assert placement_problems(recs, host_of, set(), hosts_alive=7) == []
            assert _hosts_of_stripes(recs, host_of) == {7}, f"{bucket}: every stripe uses all 7 hosts"

        dead = osd_ids_of_host(cluster, "h3")
        cluster.kill_host("h3")
        for bucket, objects in written.items():
            _read_all(s3, bucket, objects, "with host h3 killed, before repair")

        def problems() -> list[str]:
            return [
                p
                for bucket, objects in written.items()
                for p in placement_problems(records(cluster, bucket, list(objects)), host_of, dead, hosts_alive=6)
            ]

        wait_until("every stripe back at 12 live fragments, at most 2 per host", problems, REPAIR_TIMEOUT_S * 2)

        # A network partition instead of a crash: h5's OSDs keep running but are unreachable
        # (established gRPC connections see silence, not resets, until keepalive gives up).
        cut_ids = osd_ids_of_host(cluster, "h5")
        cluster.cut_host("h5")
        started = time.monotonic()
        for bucket, objects in written.items():
            _read_all(s3, bucket, objects, "after repair, with host h5 cut off")
        elapsed = time.monotonic() - started
        print(f"reads with h5 cut off: {elapsed:.1f} s")
        assert elapsed < PARTITION_READS_SECONDS_MAX, "reads stalled behind the cut host"
        cluster.heal_host("h5")
        wait_until(
            "h5's OSDs up again after the cut healed",
            lambda: [str(i) for i, osd in osd_map(cluster).items() if i in cut_ids and osd.up != meta_pb2.OSD_UP],
            30,
        )
        for bucket, objects in written.items():
            _read_all(s3, bucket, objects, "after the cut healed")
